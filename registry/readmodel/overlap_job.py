"""The overlap job: the reuse overlaps computed once, outside the web workers.

Every web worker used to recompute the whole roadmap's overlaps after writes (seconds
of CPU at 10,000 projects, in each of 8 workers, sharing the interpreter lock with the
requests, and a similarity index whose freed memory the worker kept). The job does it
once and stores the pairs (`overlaps.py`); workers read them with one small query.

- **One at a time.** A job computes only while it holds the job lock: on PostgreSQL an
  advisory lock (one job across every server), on SQLite a file lock beside the
  database (one per machine). It keeps the lock as long as it lives; the others wait,
  holding nothing, and one takes over within `retry` seconds when it dies (PostgreSQL
  releases a dead session's lock).
- **Newest version wins.** It wakes on each write (LISTEN on PostgreSQL, else a poll of
  the feed's head), waits for the writes to settle (`settle` seconds without one, at
  most `most` seconds), and computes the roadmap at the newest version. Writes during a
  computation make the next one.
- **Incremental input, full computation.** It keeps the analysed projects and moves
  them with the change feed (a sheet parsed per changed project); the overlaps
  themselves are recomputed in full (each feature weighs by its rarity in the whole
  roadmap). When only the catalogue changed, the last result is said to hold at the
  newer version (the pairs read no catalogue).
- **Killed midway**, nothing is stored: a result is one row written in one
  transaction. The last good result stays; the next job starts from it and the feed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select

from registry.analysis import reuse as analysis
from registry.readmodel import overlaps
from registry.readmodel.feed import CATALOGUE_KINDS
from registry.readmodel.memory import give_back
from registry.storage.sole import SoleLock
from registry.storage.store import Store
from registry.storage.tables import records, revisions

log = logging.getLogger("registry.overlaps")

JOB_LOCK = 7301957  # PostgreSQL advisory lock key (with the schema's hash)


class OverlapJob:
    """Computes and stores the overlaps of the newest version (see the module doc)."""

    def __init__(self, store: Store, thresholds: analysis.Thresholds,
                 settle: float = 0.3, most: float = 3.0, retry: float = 2.0,
                 poll: float = 0.5,
                 pause: Callable[[], None] | None = None) -> None:
        self.store = store
        self.thresholds = thresholds
        self.digest = overlaps.thresholds_digest(thresholds)
        self.settle, self.most, self.retry, self.poll = settle, most, retry, poll
        self.pause = pause  # called every few projects and pairs (tests stop it there)
        self.lock = SoleLock(store, JOB_LOCK, "overlaps")
        self.projects: dict[str, analysis.Project] = {}
        self.version = -1  # the feed position `projects` reflects (-1: not read yet)
        self.project_version = 0  # the last change of a project it holds
        self.computed = 0  # how many results this job computed (not carried)
        self._woken = threading.Event()
        self._stop = threading.Event()

    # -- one round ----------------------------------------------------------------------

    def run_once(self) -> int | None:
        """Bring the stored overlaps to the newest version; return it (None: another
        job holds the lock)."""
        if not self.lock.acquire():
            return None
        try:
            return self._round()
        except BaseException:
            # A round cut short leaves `projects` half moved: read them again next time.
            self.version = -1
            raise

    def _round(self) -> int:
        self._read()
        version, last = self.version, overlaps.newest(self.store, self.digest)
        if last is not None and last.seq >= version:
            return last.seq
        catalogue = self._catalogue_version(version)
        if last is not None and last.seq >= self.project_version:
            overlaps.carry(self.store, last.id, version, catalogue)
            return version
        projects = [self.projects[pid] for pid in sorted(self.projects)]
        pairs = analysis.overlap_pairs(projects, self.thresholds, self.pause)
        del projects
        overlaps.save(self.store, version, catalogue, self.digest, pairs)
        self.computed += 1
        log.info("overlaps of version %d stored: %d pairs", version, len(pairs))
        give_back()  # the similarity index was built and freed
        return version

    def _read(self) -> None:
        """Move the analysed projects to the newest version of the feed."""
        if self.version < 0:
            self._read_all()
            return
        while True:
            changes = self.store.changes_since(self.version, 5000)
            if not changes:
                return
            for change in changes:
                if change.kind == "project":
                    self._set(change.record_id, change.data)
                    self.project_version = change.seq
            self.version = changes[-1].seq

    def _read_all(self) -> None:
        projects: dict[str, analysis.Project] = {}
        with self.store.consistent_read() as connection:
            version = connection.execute(select(func.max(revisions.c.seq))).scalar() or 0
            self.project_version = connection.execute(
                select(func.max(revisions.c.seq))
                .where(revisions.c.kind == "project")).scalar() or 0
            rows = connection.execution_options(yield_per=500).execute(
                select(records.c.id, records.c.data).where(records.c.kind == "project"))
            for row in rows:
                found, _ = analysis.read_projects([row.data])
                if found:
                    projects[row.id] = found[0]
        self.projects, self.version = projects, version

    def _set(self, pid: str, sheet: Any) -> None:
        found, _ = analysis.read_projects([sheet]) if sheet is not None else ([], [])
        if found:
            self.projects[pid] = found[0]
        else:
            self.projects.pop(pid, None)

    def _catalogue_version(self, version: int) -> int:
        with self.store.engine.connect() as connection:
            return connection.execute(
                select(func.max(revisions.c.seq)).where(
                    revisions.c.kind.in_(CATALOGUE_KINDS), revisions.c.seq <= version)
            ).scalar() or 0

    # -- the loop -----------------------------------------------------------------------

    def wake(self) -> None:
        """Say something was written (LISTEN calls it)."""
        self._woken.set()

    def stop(self) -> None:
        """End `run` after its round."""
        self._stop.set()
        self._woken.set()

    def run(self, alive: Callable[[], bool] = lambda: True) -> None:
        """Compute whenever the feed moves, until stopped or `alive()` is False."""
        listener = None
        if self.store.engine.dialect.name == "postgresql":
            from registry.readmodel.notify import Listener

            listener = Listener(self.store, self.wake)
            listener.start()
        try:
            for _ in self._rounds(alive):
                pass
        finally:
            if listener is not None:
                listener.stop()
            self.lock.release()

    def _rounds(self, alive: Callable[[], bool]) -> Iterator[int | None]:
        done = -1
        while not self._stop.is_set() and alive():
            if not self.lock.check() and not self.lock.acquire():
                self._stop.wait(self.retry)  # another job computes: take over if it dies
                continue
            try:
                head = self.store.head()
                if head != done:
                    head = self._settled(head)
                    done = self.run_once() or -1
                    yield done
            except Exception:
                log.warning("computing the reuse overlaps failed; retrying", exc_info=True)
                self._stop.wait(self.retry)
                continue
            self._woken.wait(self.poll)
            self._woken.clear()

    def _settled(self, head: int) -> int:
        """Wait until no write came for `settle` seconds (at most `most`); return the head."""
        started = time.monotonic()
        while time.monotonic() - started < self.most and not self._stop.is_set():
            self._stop.wait(self.settle)
            now = self.store.head()
            if now == head:
                break
            head = now
        return head


def exit_with(parent: int) -> Callable[[], bool]:
    """Return a check that the process `parent` is still this one's parent."""
    return lambda: os.getppid() == parent
