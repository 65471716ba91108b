"""Keep an external SPARQL store equal to the derived graph, from the change feed (no Flask).

One named graph per record (see `record_graphs`).

How a write reaches the store:

1. Every web worker runs a `StoreWriter` thread; the first to take the writer lock
   (PostgreSQL: an advisory lock, so one writer across every worker and server;
   SQLite: a file lock next to the database) keeps it until it stops or its database
   session dies, checking each round with work that it still holds it. A worker that
   does not hold it does nothing but try again every `TAKEOVER_EVERY` s: exactly one
   pushes at any moment, and another takes over within that when it stops. The lock is
   kept, not taken per round: every round after a write derives the graph of the new
   snapshot (what the DCAT-AP description and the catalogue graphs come from), which
   costs a worker that never derived one the whole graph (3.2 s at 10,000 projects,
   measured), and the next write waited for it whenever the lock moved to such a worker.
2. The writer reads the feed position the store holds (`sparql_store_state`, per
   store URL), reads the changes after it up to its own snapshot's version, and PUTs
   the graph of each changed record (or DELETEs it: the record is gone), then the
   DCAT description; only then does it move the position. A store that was down (or a
   push that failed half-way) is caught up from the position it had, with nothing
   missed; a graph PUT twice is the same graph.
3. A store that holds no catalogue graph (new, or wiped) is loaded whole, and graphs
   of records that no longer exist are deleted.

The store is derived data: it never blocks or fails a registry write; while it is down
the writer retries with a growing pause and /sparql answers 503.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from registry.linked_data.derived import PROJECT, DerivedGraph, GraphBuilder
from registry.linked_data.graph_store import GraphStore, StoreEndpoints
from registry.linked_data.record_graphs import (
    RECORD_IRIS,
    catalogue_record_graphs,
    dcat_graph,
    record_graph,
    rest_graph,
)
from registry.storage.sole import SoleLock
from registry.storage.store import Change, Store
from registry.storage.tables import sparql_store_state

log = logging.getLogger("registry.sparql_store")

WRITER_LOCK = 7301956  # PostgreSQL advisory lock key (with the schema's hash)
VERIFY_EVERY = 30.0  # seconds between two checks that the store still holds the graphs
MAX_PAUSE = 2.0  # seconds between tries while the store is down (bounds the catch-up delay)
TAKEOVER_EVERY = 1.0  # seconds between a waiting worker's tries of the lock (one query each)
class Stopped(Exception):
    """The writer was stopped in the middle of a round (the position did not move)."""


@dataclass(frozen=True)
class Push:
    """What one round did."""

    version: int  # the feed position the store holds afterwards
    put: int
    deleted: int
    full: bool


def pushed_version(store: Store, store_url: str) -> int | None:
    """Return the feed position the store was last brought to (None: never)."""
    with store.engine.connect() as connection:
        return connection.execute(select(sparql_store_state.c.seq).where(
            sparql_store_state.c.store == store_url)).scalar()


def _save_version(store: Store, store_url: str, version: int) -> None:
    values = {"seq": version, "updated_at": datetime.now(UTC)}
    with store.writing() as connection:
        moved = connection.execute(update(sparql_store_state).where(
            sparql_store_state.c.store == store_url).values(**values)).rowcount
        if not moved:
            connection.execute(insert(sparql_store_state).values(store=store_url, **values))


class StoreWriter:
    """Pushes the derived graph's changes to the external store (see the module doc).

    `graph_at` returns the derived graph of a snapshot (the linked-data service's, so
    the chunks are the ones /sparql would otherwise serve); `latest` the newest snapshot.
    """

    def __init__(self, store: Store, endpoints: StoreEndpoints, base: str,
                 latest: Any, graph_at: Any, interval: float = 0.1,
                 timeout: float = 30.0, announced: Any = None) -> None:
        self.store = store
        # Waits (up to a timeout) for a write to be announced; None: poll every interval.
        self.announced = announced
        self.endpoints = endpoints
        self.base = base
        self.latest = latest
        self.graph_at = graph_at
        self.interval = interval
        self.client = GraphStore(endpoints, timeout)
        self.lock = SoleLock(store, WRITER_LOCK, "sparql-writer")
        self.verify = True  # ask the store whether it still holds the graphs
        # Digests of the catalogue graphs this process pushed, valid while the store's
        # position is the one this process left it at (another writer may have moved it).
        self._digests: dict[str, str] = {}
        self._digests_at: int | None = None
        self._seen = -1  # the store's position as this process last read or left it
        self._verified = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.last_error: str | None = None

    # -- one round ----------------------------------------------------------------------

    def push_once(self) -> Push | None:
        """Bring the store to this worker's snapshot; None when another writer holds the lock."""
        if time.monotonic() - self._verified > VERIFY_EVERY:
            self.verify = True  # a store restarted empty while nothing was written
        snapshot = self.latest()
        if not self.verify and snapshot.version <= self._seen:
            # Nothing this worker holds is newer than what the store was last seen to
            # hold: an idle round costs no database query (LISTEN says when to look).
            return Push(self._seen, 0, 0, False)
        if not self._hold():
            return None
        try:
            return self._push(snapshot)
        except Exception:
            self.verify = True  # after any failure, check what the store still holds
            raise

    def _hold(self) -> bool:
        """Return whether this writer holds the lock, taking it if free (see the module doc)."""
        if self.lock.held:
            if self.lock.check():
                return True
            # The session (and the lock) died: another writer may have moved the store
            # since, so what this one remembers of it is not to be trusted.
            self._digests_at = None
            self.verify = True
        return self.lock.acquire()

    def release(self) -> None:
        """Give the writer lock back, so that another worker takes over at once."""
        self.lock.release()
        self._digests_at = None

    def _push(self, snapshot: Any) -> Push:
        url = self.endpoints.query_url
        pushed = pushed_version(self.store, url)
        self._seen = pushed or 0
        full = pushed is None
        if not full and self.verify:
            full = not self.client.has_graph(rest_graph(self.base))
        self.verify = False
        self._verified = time.monotonic()
        if not full and pushed is not None and pushed >= snapshot.version:
            return Push(pushed, 0, 0, False)
        if full:
            put, deleted = self._push_all(self.graph_at(snapshot, self.base))
        else:
            assert pushed is not None
            changes = self._changes(pushed, snapshot.version)
            # The changed projects first, from their own chunks: a record's graph does not
            # wait for the DCAT-AP description, the slow part of deriving a new graph.
            put, deleted = self._push_projects(snapshot, changes)
            more, gone = self._push_changes(self.graph_at(snapshot, self.base), changes,
                                            known=self._digests_at == pushed)
            put, deleted = put + more, deleted + gone
        _save_version(self.store, url, snapshot.version)
        self._digests_at = self._seen = snapshot.version
        return Push(snapshot.version, put, deleted, full)

    def _put(self, name: str, data: bytes) -> None:
        if self._stop.is_set():  # stopping (an app closing): end the round between requests
            raise Stopped
        self.client.put(name, data)

    def _delete(self, name: str) -> None:
        if self._stop.is_set():
            raise Stopped
        self.client.delete(name)

    def _changes(self, after: int, upto: int) -> list[Change]:
        out: list[Change] = []
        while after < upto:
            batch = [c for c in self.store.changes_since(after, 5000) if c.seq <= upto]
            if not batch:
                break
            out.extend(batch)
            after = batch[-1].seq
        return out

    def _catalogue(self, graph: DerivedGraph) -> dict[str, bytes]:
        return catalogue_record_graphs(graph)

    def _put_catalogue(self, graph: DerivedGraph, known: bool) -> int:
        """PUT the catalogue graphs that changed (all of them when `known` is False)."""
        put = 0
        fresh: dict[str, str] = {}
        for name, data in self._catalogue(graph).items():
            digest = hashlib.sha1(data).hexdigest()
            fresh[name] = digest
            if not known or self._digests.get(name) != digest:
                self._put(name, data)
                put += 1
        self._digests = fresh
        return put

    def _push_all(self, graph: DerivedGraph) -> tuple[int, int]:
        put = self._put_catalogue(graph, known=False)
        wanted = set(self._digests)
        for key, chunk in graph.chunks.items():
            if key.startswith(PROJECT):
                name = record_graph("project", self.base, key[len(PROJECT):])
                self._put(name, chunk.data)
                wanted.add(name)
                put += 1
        self._put(dcat_graph(self.base), graph.dcat())
        wanted.add(dcat_graph(self.base))
        deleted = 0
        # Graphs of records deleted while the store was not followed (ours only: other
        # graphs of the store are left alone).
        for name in list(self.client.graphs()):
            if name not in wanted and name.startswith(self.base) \
                    and name.endswith("#graph"):
                self._delete(name)
                deleted += 1
        return put + 1, deleted

    def _push_projects(self, snapshot: Any, changes: list[Change]) -> tuple[int, int]:
        put = deleted = 0
        ids = sorted({c.record_id for c in changes if c.kind == "project"})
        current = snapshot.roadmap.projects
        # A builder of its own: the linked-data service's keeps every project's chunk.
        chunks = GraphBuilder().project_chunks([current[i] for i in ids if i in current],
                                               self.base)
        for project_id in ids:
            name = record_graph("project", self.base, project_id)
            chunk = chunks.get(PROJECT + project_id)
            if chunk is None:
                self._delete(name)
                deleted += 1
            else:
                self._put(name, chunk.data)
                put += 1
        return put, deleted

    def _push_changes(self, graph: DerivedGraph, changes: list[Change], known: bool
                      ) -> tuple[int, int]:
        put = deleted = 0
        touched = {(c.kind, c.record_id) for c in changes
                   if c.kind != "project" and c.kind in RECORD_IRIS}
        if touched:
            put += self._put_catalogue(graph, known)
            for kind, record_id in touched:
                name = record_graph(kind, self.base, record_id)
                if name not in self._digests:  # the record is gone
                    self._delete(name)
                    deleted += 1
        self._put(dcat_graph(self.base), graph.dcat())
        return put + 1, deleted

    # -- the background thread ----------------------------------------------------------

    def start(self) -> None:
        """Start pushing in the background (once per process: gunicorn forks after init)."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        self._pid = os.getpid()
        self._stop.clear()
        ref = weakref.ref(self)
        self._thread = threading.Thread(target=_run, args=(ref, self._stop),
                                        name="registry-sparql-store", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 10.0) -> None:
        """End the thread after its round (waiting up to `wait` s), and close connections."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait)
        self.release()
        self.client.close()


def _run(ref: Any, stop: threading.Event) -> None:
    # A weak reference: the thread must not keep its app alive (tests close apps).
    pause = 0.0
    first = True  # the first round at once: an empty store is loaded without waiting
    while not stop.is_set():
        writer = ref()
        if writer is None:
            return
        woken = False
        try:
            if first:
                first = False
            elif pause:
                stop.wait(pause)
            elif writer.announced is not None:
                # Pushed as soon as a write is announced (LISTEN); `interval` is the
                # poll without it and bounds how long a missed notification waits.
                woken = writer.announced(writer.interval)
            else:
                stop.wait(writer.interval)
            if stop.is_set():
                break
            before = writer._seen
            pushed = writer.push_once()
            writer.last_error = None
            if pushed is None:
                # Another worker writes the store: only try to take over now and then.
                pause = max(writer.interval, TAKEOVER_EVERY)
            else:
                # Woken but nothing new (the feed cannot be read and the announcement
                # stays up): poll instead of spinning.
                pause = writer.interval if woken and writer._seen == before else 0.0
        except Stopped:
            break
        except Exception as exc:
            # The store (or the database) is down: try again, less often the longer it
            # lasts; the position is unchanged, so the next success catches up.
            writer.last_error = str(exc)
            log.warning("pushing to the SPARQL store failed (%s); retrying", exc)
            pause = min(max(pause * 2, writer.interval), MAX_PAUSE)
        finally:
            del writer
    writer = ref()
    if writer is not None:  # stopped: close what this thread may have opened since
        writer.client.close()
