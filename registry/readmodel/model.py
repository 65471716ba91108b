"""The read model of one worker process: the current snapshot and how it follows the feed."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from registry.readmodel.carried import Carried
from registry.readmodel.feed import load_state, project_history
from registry.readmodel.highwater import HighWater
from registry.readmodel.inflight import InFlight
from registry.readmodel.memory import give_back
from registry.readmodel.notify import Listener
from registry.readmodel.overlaps import StoredOverlaps
from registry.readmodel.snapshot import Snapshot
from registry.storage.store import Change, Store

log = logging.getLogger("registry.readmodel")
BATCH = 5000  # changes applied at a time
# The snapshot a request reads from start to end (set by the web layer per request).
PINNED: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar(
    "registry_snapshot", default=None)


class Behind(Exception):
    """The worker could not reach the version a client asked for within the bound."""

    def __init__(self, wanted: int, have: int) -> None:
        super().__init__(f"this server holds version {have}, not yet {wanted}")
        self.wanted = wanted
        self.have = have


class ReadModel:
    """Holds the newest snapshot; moves it forward from the change feed, never backward.

    On PostgreSQL a LISTEN thread catches up as soon as any server commits; otherwise (and
    as a safety net) a read older than `ttl` seconds asks the feed for news first, which
    costs one indexed query when nothing changed.
    """

    def __init__(self, store: Store, ttl: float = 1.0, listen: bool = True,
                 today: type[datetime.date] = datetime.date,
                 high_water: HighWater | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        # Shared with the other workers of this server (see highwater.py): a version one
        # of them answered is never followed by an older answer from another.
        self.high_water = high_water or HighWater()
        self.ttl = ttl
        self._clock = clock  # for the TTL
        self.listen = listen and store.engine.dialect.name == "postgresql"
        self._today = today
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()  # one catch-up at a time
        self._checked = 0.0
        self._read_from = 0.0  # when the last catch-up began reading the feed
        self._stale = threading.Event()  # set by the LISTEN thread: something was written
        self._listener: Listener | None = None
        self._pid = 0
        # Parts of pages that the next snapshot may reuse (see carried.py).
        self.carried = Carried(1024)
        # The requests being answered: background work gives way to them (inflight.py).
        self.in_flight = InFlight()
        # The reuse overlaps the overlap job stored (used when `overlaps.enabled`).
        self.overlaps = StoredOverlaps(store)

    # -- reading ----------------------------------------------------------------------

    def current(self) -> Snapshot:
        """Return the snapshot pinned to this request, else the newest one."""
        pinned = PINNED.get()
        if pinned is not None:
            return pinned
        return self.latest()

    def latest(self) -> Snapshot:
        """Return the newest snapshot, catching up first when it may be stale."""
        self._ensure_listener()
        snapshot = self._snapshot
        if snapshot is None or snapshot.day != self._today.today():
            return self.catch_up()
        interval = self._poll_interval()
        age = self._clock() - self._checked
        mark = self.high_water.value
        behind = mark > snapshot.version
        if self._stale.is_set() or age >= interval or behind:
            try:
                # Behind the mark, the snapshot of a catch-up running meanwhile (another
                # request's) does once it reaches the mark, without a feed read of its own.
                return self.catch_up(mark if behind else 0)
            except Exception:
                # The feed cannot be read (database down): keep answering the state
                # already held, which is still a state this worker may answer (reads
                # stay monotonic); what needs the database fails on its own, and the
                # next read tries the feed again.
                log.warning("cannot read the change feed; answering version %d",
                            snapshot.version, exc_info=True)
                self._stale.set()
                return snapshot
        if age >= interval / 2 and self._lock.acquire(blocking=False):
            # Half the TTL gone: this request reads the feed, while the others go on
            # answering the snapshot held (still within the TTL) instead of waiting for
            # it. Under steady traffic the TTL then never runs out, and no request of a
            # busy worker waits for a catch-up.
            try:
                return self._catch_up_locked()
            except Exception:
                log.warning("cannot read the change feed; answering version %d",
                            snapshot.version, exc_info=True)
                return snapshot
            finally:
                self._lock.release()
        return snapshot

    def fresh(self) -> Snapshot | None:
        """Return the snapshot `latest()` would return now without reading the feed.

        None when it would read the feed (a write announced or noted, the TTL half
        gone, a new day, nothing loaded yet): for callers that must not wait on the
        database (the server's event loop, registry.hit_path), which then leave the
        request to a thread that calls `latest()`. Never a state `latest()` would not
        answer.
        """
        snapshot = self._snapshot
        if (snapshot is None or self.listen and self._pid != os.getpid()
                or self._stale.is_set() or self.high_water.value > snapshot.version
                or snapshot.day != self._today.today()):
            return None
        if self._clock() - self._checked >= self._poll_interval() / 2:
            return None
        return snapshot

    def _poll_interval(self) -> float:
        """Seconds a snapshot is answered before the feed is read without a notification."""
        listening = self._listener is not None and self._listener.connected.is_set()
        # Listening, the notification says when to read the feed; a TTL of 0 still
        # reads it on every request (tests, and those who want no delay at all).
        return self.ttl if not listening or self.ttl == 0 else float("inf")

    def newest_version(self) -> int:
        """Return the version of the newest snapshot held (0 before the first)."""
        snapshot = self._snapshot
        return snapshot.version if snapshot is not None else 0

    def at_least(self, version: int, timeout: float) -> Snapshot:
        """Return a snapshot of at least `version`, waiting up to `timeout` s (else Behind)."""
        snapshot = self.latest()
        deadline = time.monotonic() + timeout
        while snapshot.version < version:
            snapshot = self.catch_up()
            if snapshot.version >= version:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise Behind(version, snapshot.version)
            # Woken by a notification of the write, or polling every 50 ms without one.
            self._stale.wait(min(left, 0.05))
        return snapshot

    def wait_announced(self, timeout: float) -> bool:
        """Wait until a write is announced (LISTEN) or `timeout` s pass; return which.

        For background followers (the SPARQL store's writer): they call `latest()`
        next, which catches up. Without LISTEN (SQLite) this only times out.
        """
        self._ensure_listener()
        return self._stale.wait(timeout)

    @contextlib.contextmanager
    def pinned(self, snapshot: Snapshot | None = None) -> Iterator[Snapshot]:
        """Make `current()` answer one snapshot in this context (a request)."""
        chosen = snapshot or self.latest()
        token = PINNED.set(chosen)
        try:
            yield chosen
        finally:
            PINNED.reset(token)

    # -- following the feed -----------------------------------------------------------

    def catch_up(self, at_least: int = 0) -> Snapshot:
        """Apply the changes after the current version; return the newest snapshot.

        With `at_least`, a snapshot of that version or newer, once the lock is taken,
        is returned as it is (the caller needs no newer one: the server's mark).

        Callers that queue behind a catch-up which began reading the feed after they
        asked take its snapshot without reading the feed again: it holds every change
        committed before they asked. Without that, the requests of a busy worker that
        found the TTL run out together each read the feed in turn under the lock, and
        the last waited for all of them (about 1% of requests took 200 ms, see
        bench/README.md, catalogue_http).
        """
        asked = self._clock()
        with self._lock:
            snapshot = self._snapshot
            if (snapshot is not None and snapshot.day == self._today.today()
                    and (self._read_from > asked or 0 < at_least <= snapshot.version)):
                return snapshot
            return self._catch_up_locked()

    def _catch_up_locked(self) -> Snapshot:
        """Read the feed and move the snapshot forward (the caller holds the lock)."""
        started = self._clock()
        self._stale.clear()  # before reading: a write committed later sets it again
        snapshot = self._snapshot
        today = self._today.today()
        rebuilt = snapshot is None or snapshot.day != today
        if snapshot is None:
            state = load_state(self.store)
            snapshot = Snapshot.build(state.version, state.catalogue, state.projects,
                                      state.history, today)
            del state
        elif snapshot.day != today:
            snapshot = snapshot.rebuild_for(today, self._history)
        while True:
            changes = self.store.changes_since(snapshot.version, BATCH)
            if changes:
                following = snapshot.apply(changes, self._history)
                rebuilt = rebuilt or following.catalogue is not snapshot.catalogue
                snapshot = following
            # A short batch was the end of the feed: asking again would cost every
            # worker a second query per write. A later commit sets `_stale` again.
            if len(changes) < BATCH:
                break
        self._checked = self._clock()
        self._read_from = started  # only once it succeeded
        # The mark first: once this snapshot is installed, the worker's other threads
        # answer it without waiting for this catch-up, and a client that saw it may
        # next ask another worker, which must then find the mark that high.
        self.high_water.raise_to(snapshot.version)
        previous, self._snapshot = self._snapshot, snapshot
        if rebuilt:  # much recomputed: give back what that freed (a few ms)
            del previous
            give_back()
        return snapshot

    def written(self, version: int) -> None:
        """Note a write this process committed at `version`, without catching up now.

        The write's own request need not wait for this worker's catch-up (nor for the
        lock another catch-up holds): the shared high-water mark makes the next read
        of every worker of this server catch up to it first, so no read here answers
        older than the version the write answered.
        """
        self.high_water.raise_to(version)
        self._stale.set()

    def _history(self, project_ids: Iterable[str]) -> Mapping[str, Sequence[Change]]:
        return project_history(self.store, project_ids)

    def _ensure_listener(self) -> None:
        # Started lazily in the process that serves: a thread started before gunicorn
        # forks its workers would not exist in them.
        if not self.listen or self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._listener = Listener(self.store, self._wake, idle=max(self.ttl, 1.0))
            self._listener.start()

    def _wake(self) -> None:
        self._stale.set()

    def close(self) -> None:
        """Stop the LISTEN thread."""
        if self._listener is not None:
            self._listener.stop()
