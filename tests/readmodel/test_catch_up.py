"""Requests that queue behind a catch-up of the read model do not read the feed again.

When a worker's snapshot is due for a check (its TTL ran out, or a notification came),
every request in flight calls catch_up at once. Each used to read the feed in turn under
the lock, so the last waited for all the others (bench/README.md, catalogue_http: 1% of
requests took 200 ms). A caller gets the snapshot of a catch-up that began reading the
feed after it asked; one that asked before the running catch-up began reads the feed
itself (that read might miss a write committed just before the caller asked), and the
others behind it take that one's snapshot.

And under steady traffic nobody waits at all: past half the TTL one request reads the
feed while the others answer the snapshot held, still within the TTL.
"""

from __future__ import annotations

import sys
import threading
import time

from sqlalchemy import event

from registry.readmodel import ReadModel
from registry.readmodel.snapshot import Snapshot
from registry.storage import Store

WAITERS = 8
PATIENCE = 60.0  # seconds before a stuck thread fails the test (never reached when it works)


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


class _Gate:
    """Counts the reads of the change feed; holds the next one, once armed, until released."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.reads: list[int] = []
        self.armed = False
        self.inside, self.release = threading.Event(), threading.Event()

    def __enter__(self) -> _Gate:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        if "FROM revisions" in statement and "revisions.seq >" in statement:
            self.reads.append(threading.get_ident())
            if self.armed:
                self.armed = False
                self.inside.set()
                self.release.wait(PATIENCE)


def _run(target) -> threading.Thread:
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_callers_queued_behind_a_catch_up_read_the_feed_once_between_them(store):
    model = ReadModel(store, ttl=3600, listen=False)
    model.latest()
    versions: list[int] = []

    def call() -> None:
        versions.append(model.catch_up().version)

    with _Gate(store) as gate:
        gate.armed = True
        first = _run(call)
        _wait_until(lambda: gate.inside.is_set() or not first.is_alive(),
                    "the first catch-up never read the feed")
        assert gate.inside.is_set(), "the first catch-up did not read the feed"
        # The others ask while the first one is reading the feed: they wait for its lock.
        waiters = [_run(call) for _ in range(WAITERS)]
        line = _lock_line()

        def all_waiting() -> bool:
            frames = sys._current_frames()
            return all(t.ident in frames and frames[t.ident].f_code.co_name == "catch_up"
                       and frames[t.ident].f_lineno == line for t in waiters)

        _wait_until(all_waiting, "the waiters never reached the catch-up's lock")
        gate.release.set()
        for thread in (first, *waiters):
            thread.join(PATIENCE)
        reads_then = list(gate.reads)
        model.catch_up()  # asked after those catch-ups: reads the feed again
        reads_after = len(gate.reads)

    assert len(versions) == WAITERS + 1
    assert len(set(versions)) == 1
    # The first read began before the waiters asked: one of them reads again (it might
    # have missed a write), the other waiters take its snapshot.
    assert len(reads_then) == 2, f"{len(reads_then)} reads of the feed, 2 expected"
    assert reads_then[0] == first.ident
    assert reads_then[1] in {t.ident for t in waiters}
    assert reads_after == 3


def test_past_half_the_ttl_one_request_reads_the_feed_and_the_others_do_not_wait(store):
    now = [0.0]
    model = ReadModel(store, ttl=10.0, listen=False, clock=lambda: now[0])
    held = model.latest()
    with _Gate(store) as gate:
        now[0] = 4.0  # under half the TTL: the snapshot held is answered as it is
        assert model.latest() is held
        assert gate.reads == []
        now[0] = 6.0  # past half: the next request reads the feed
        gate.armed = True
        answers: list[object] = []
        reader = _run(lambda: answers.append(model.latest()))
        _wait_until(lambda: gate.inside.is_set() or not reader.is_alive(),
                    "no request read the feed past half the TTL")
        assert gate.inside.is_set(), "no request read the feed past half the TTL"
        # Meanwhile another request answers at once, from the snapshot held.
        other = _run(lambda: answers.append(model.latest()))
        other.join(PATIENCE)
        assert not other.is_alive(), "a request waited for the catch-up"
        assert answers == [held]
        gate.release.set()
        reader.join(PATIENCE)
    assert len(gate.reads) == 1
    assert answers[1].version == held.version  # nothing was written meanwhile


def _waiting_for_the_lock(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or 0)
    return (frame is not None and frame.f_code.co_name == "catch_up"
            and frame.f_lineno == _lock_line())


def test_a_request_behind_the_mark_takes_a_running_catch_up_that_reaches_it(store):
    """A request below the server's mark waits for the catch-up running meanwhile and
    takes its snapshot when it reaches the mark, without a feed read of its own."""
    from tests.helpers import EXAMPLES, stored_sheet

    model = ReadModel(store, ttl=3600, listen=False)
    held = model.latest()
    sheet = stored_sheet(EXAMPLES[0])
    with _Gate(store) as gate:
        gate.armed = True
        stored = store.put("project", sheet["id"], sheet, author="test")
        newer = stored.seq or store.head()
        running = _run(model.catch_up)  # another request, reading the feed
        _wait_until(gate.inside.is_set, "the catch-up never read the feed")
        # Another worker of this server reached the write: the mark says so.
        model.high_water.raise_to(newer)
        answers: list[Snapshot] = []
        request = _run(lambda: answers.append(model.latest()))
        _wait_until(lambda: _waiting_for_the_lock(request), "the request never waited")
        gate.release.set()
        for thread in (running, request):
            thread.join(PATIENCE)
    assert [a.version >= newer > held.version for a in answers] == [True]
    assert sheet["id"] in answers[0].roadmap.projects
    assert len(gate.reads) == 1, "the request read the feed again"
