"""The linked-data service of a running registry: derived graphs and the SPARQL pool.

Shared by the web app and the CLI (no Flask). The derived graph follows the catalogue
and roadmap snapshot caches of `Services`: those are immutable objects replaced when
the stored version moves (checked at most every REGISTRY_SNAPSHOT_TTL seconds), so a
graph is rebuilt exactly when one of them is a new object, and is current within that
TTL plus the time to re-derive the changed chunks.

`registry serve --production --sparql-shared-pool` (REGISTRY_SPARQL_SHARED_POOL) points
every worker at the server's one SPARQL pool (`share_pool`, see `shared_pool`); otherwise,
as by default, each process runs a `SparqlPool` of its own.
With REGISTRY_SPARQL_STORE_URL the graph is also written to that external store (by
`store_sync.StoreWriter`, a thread of each process, one writing at a time) and SPARQL
queries are forwarded to it; record URLs and dumps are still answered from the derived
graph held here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from registry.linked_data.dcat_options import DcatOptions, RevisionDates
from registry.linked_data.derived import DerivedGraph, GraphBuilder
from registry.linked_data.graph_store import StoreEndpoints
from registry.linked_data.iris import DEFAULT_BASE
from registry.linked_data.shared_pool import SharedPool
from registry.linked_data.sparql import Answer, QueryRequest, SparqlPool
from registry.linked_data.store_sync import StoreWriter


class LinkedData:
    """Derived graphs per base (cached per snapshot pair) and the SPARQL worker pool."""

    def __init__(self, services: Any, settings: dict[str, Any] | None = None,
                 max_graphs: int = 4) -> None:
        settings = settings if settings is not None else services.settings
        self.services = services
        self.builder = GraphBuilder(DcatOptions(
            publisher=settings.get("DCAT_PUBLISHER") or DcatOptions.publisher,
            licence=settings.get("DCAT_LICENCE") or DcatOptions.licence,
            publisher_iri=settings.get("DCAT_PUBLISHER_IRI") or None,
            publisher_type=settings.get("DCAT_PUBLISHER_TYPE") or DcatOptions.publisher_type))
        self.pool: SparqlPool | SharedPool = SparqlPool(size=int(settings.get("SPARQL_WORKERS", 2)),
                               timeout=float(settings.get("SPARQL_TIMEOUT", 10.0)),
                               max_rows=int(settings.get("SPARQL_MAX_ROWS", 10_000)),
                               memory_mb=int(settings.get("SPARQL_MAX_MEMORY_MB", 0)),
                               waiting=int(settings.get("SPARQL_QUEUE", 4)))
        self.max_graphs = max_graphs
        # The external store, if any (a bad setting stops the start with its message).
        self.endpoints = StoreEndpoints.from_settings(settings)
        configured = settings.get("BASE_IRI") or DEFAULT_BASE
        # The store holds one base's IRIs: the configured one, never a request's Host.
        self.store_base = configured if configured.endswith("/") else configured + "/"
        self.writer: StoreWriter | None = None
        if self.endpoints is not None:
            self.writer = StoreWriter(
                services.store, self.endpoints, self.store_base,
                latest=services.readmodel.latest, graph_at=self.graph_of,
                interval=float(settings.get("SPARQL_STORE_INTERVAL", 0.1)),
                announced=services.readmodel.wait_announced)
        self.writes_store = bool(settings.get("SPARQL_STORE_WRITER", True))
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        # base -> (catalogue snapshot, roadmap snapshot, graph); snapshots compared by
        # identity: a new snapshot object is a new stored version.
        self._graphs: OrderedDict[str, tuple[Any, Any, DerivedGraph]] = OrderedDict()
        # The revision dates at the newest version a graph was built for (`_dates`).
        self._dates_lock = threading.Lock()
        self._held_dates: tuple[int, RevisionDates] | None = None

    def share_pool(self, address: str) -> bool:
        """Ask the server's one SPARQL pool at `address` instead of a pool of our own.

        Not with an external store: queries are forwarded to it by this process's pool,
        which holds no graph. Returns whether the shared pool is used.
        """
        if self.endpoints is not None:
            return False
        self.pool.close()
        self.pool = SharedPool(address, timeout=self.pool.timeout,
                               max_rows=self.pool.max_rows)
        return True

    def graph(self, base: str) -> DerivedGraph:
        """Return the derived graph of the current catalogue and roadmap under a base."""
        catalogue = self.services.snapshots.get()
        roadmap = self.services.roadmap.get()
        with self._lock:
            cached = self._graphs.get(base)
            if cached is not None and cached[0] is catalogue and cached[1] is roadmap:
                self._graphs.move_to_end(base)
                return cached[2]
        # One build at a time: requests arriving during a rebuild wait for it and reuse
        # it, instead of each deriving the same graph again.
        with self._build_lock:
            with self._lock:
                cached = self._graphs.get(base)
                if cached is not None and cached[0] is catalogue and cached[1] is roadmap:
                    return cached[2]
            version = self.services.roadmap.version
            graph = self.builder.build(catalogue, roadmap.projects.values(), base,
                                       str(version), self._dates(version))
            with self._lock:
                self._graphs[base] = (catalogue, roadmap, graph)
                self._graphs.move_to_end(base)
                while len(self._graphs) > self.max_graphs:
                    self._graphs.popitem(last=False)
        return graph

    def _dates(self, version: int) -> RevisionDates:
        """Return the revision dates at a feed version.

        The dates held at an older version are extended with the revisions since (an
        indexed range of the feed): every worker builds a graph after every write, and
        grouping the whole revisions table each time (22 ms at 10,000 projects on
        SQLite) was what the build asked of the database. Bounded by the version, a
        graph also never dates a write that its snapshot does not hold.
        """
        with self._dates_lock:
            held = self._held_dates
            if held is not None and held[0] == version:
                return held[1]
            store = self.services.store
            if held is None or held[0] > version:
                dates = RevisionDates(*store.revision_spans(upto=version))
            else:
                dates = held[1].extended(
                    RevisionDates(*store.revision_spans(after=held[0], upto=version)))
            if held is None or version > held[0]:
                self._held_dates = (version, dates)
            return dates

    def graph_of(self, snapshot: Any, base: str) -> DerivedGraph:
        """Return the derived graph of one read-model snapshot (what the writer pushes)."""
        with self.services.readmodel.pinned(snapshot):
            return self.graph(base)

    def start_writer(self) -> None:
        """Start pushing to the external store from this process (once per process)."""
        if self.writer is not None and self.writes_store:
            self.writer.start()

    def query(self, base: str, request: QueryRequest) -> Answer:
        """Answer a SPARQL query over the current graph (raises SparqlError).

        With an external store the query is forwarded to it, over the configured base.
        """
        if self.endpoints is not None:
            self.start_writer()
            return self.pool.run(self.store_base, request, store=self.endpoints.as_dict())
        return self.pool.run(self.graph(base), request)

    def close(self) -> None:
        """Stop the SPARQL workers and the store writer."""
        if self.writer is not None:
            self.writer.stop()
        self.pool.close()
