"""Requests that queue behind a catch-up of the read model do not read the feed again.

When a worker's snapshot is due for a check (its TTL ran out, or a notification came),
every request in flight calls catch_up at once. Each used to read the feed in turn under
the lock, so the last waited for all the others (bench/README.md, catalogue_http: 1% of
requests took 200 ms). A caller gets the snapshot of a catch-up that began reading the
feed after it asked; one that asked before the running catch-up began reads the feed
itself (that read might miss a write committed just before the caller asked), and the
others behind it take that one's snapshot.
"""

from __future__ import annotations

import sys
import threading
import time

import pytest
from sqlalchemy import event

from registry.catalogue.files import read_records, shipped_root
from registry.readmodel import ReadModel
from registry.storage import Store

WAITERS = 8
PATIENCE = 60.0  # seconds before a stuck thread fails the test (never reached when it works)


@pytest.fixture
def store(database_url):
    store = Store(database_url)
    store.migrate()
    store.import_records(read_records([shipped_root()]), author="test")
    yield store
    store.engine.dispose()


def _lock_line() -> int:
    """Return the line of catch_up where a caller waits for the running catch-up."""
    code = ReadModel.catch_up.__code__
    lines = [number for _, _, number in code.co_lines() if number is not None]
    source = sys.modules[ReadModel.__module__].__file__
    assert source is not None
    with open(source, encoding="utf-8") as text:
        numbered = list(enumerate(text, start=1))
    return next(n for n, line in numbered
                if min(lines) <= n <= max(lines) and "with self._lock" in line)


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


def test_callers_queued_behind_a_catch_up_read_the_feed_once_between_them(store):
    model = ReadModel(store, ttl=3600, listen=False)
    model.latest()
    feed_reads: list[int] = []
    inside, release = threading.Event(), threading.Event()
    first = threading.current_thread()  # replaced by the first catch-up's thread below

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        if "FROM revisions" in statement and "revisions.seq >" in statement:
            feed_reads.append(threading.get_ident())
            if threading.current_thread() is first:
                inside.set()
                release.wait(PATIENCE)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        results: dict[str, int] = {}

        def call(name: str) -> None:
            results[name] = model.catch_up().version

        first = threading.Thread(target=call, args=("first",))
        first.start()
        _wait_until(inside.is_set, "the first catch-up never read the feed")
        # The others ask while the first one is reading the feed: they wait for its lock.
        waiters = [threading.Thread(target=call, args=(f"waiter {n}",))
                   for n in range(WAITERS)]
        for thread in waiters:
            thread.start()
        line = _lock_line()

        def all_waiting() -> bool:
            frames = sys._current_frames()
            return all(t.ident in frames and frames[t.ident].f_code.co_name == "catch_up"
                       and frames[t.ident].f_lineno == line for t in waiters)

        _wait_until(all_waiting, "the waiters never reached the catch-up's lock")
        release.set()
        for thread in (first, *waiters):
            thread.join(PATIENCE)
        reads_then = len(feed_reads)
        model.catch_up()  # asked after those catch-ups: reads the feed again
        reads_after = len(feed_reads)
    finally:
        release.set()
        event.remove(store.engine, "before_cursor_execute", count)

    assert len(results) == WAITERS + 1
    assert set(results.values()) == {results["first"]}
    # The first read began before the waiters asked: one of them reads again (it might
    # have missed a write), the other waiters take its snapshot.
    assert reads_then == 2, f"{reads_then} reads of the feed, 2 expected"
    assert feed_reads[0] == first.ident
    assert feed_reads[1] in {t.ident for t in waiters}
    assert reads_after == 3
