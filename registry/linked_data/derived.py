"""The derived graph: the whole registry as RDF, in chunks that change independently.

The graph is built from the catalogue snapshot and the roadmap snapshot, never stored:
it is a function of (catalogue version, roadmap version, base). It is kept as
N-Triples chunks, one for the catalogue (every record and vocabulary, with the
registry's status schemes), two for the DCAT-AP description (the description, which
follows the catalogue, and its dates, which move with every write), and one per
project, so that a write to one project re-derives two small chunks and a SPARQL
worker replaces only their triples. Chunks are disjoint by construction: each one only states
triples about its own subjects (a project's blank nodes are labelled after the
project), which is what makes removing a chunk exact.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.catalogue.snapshot import Catalogue
from registry.linked_data import packing
from registry.linked_data.dcat import DcatOptions, RevisionDates, UndatedDcat, dcat_undated
from registry.linked_data.formats import RdfFormat, from_ntriples
from registry.linked_data.iris import (
    DCTERMS,
    XSD,
    component_iri,
    concept_iri,
    legal_iri,
    principle_iri,
    project_iri,
    scheme_iri,
    standard_iri,
)
from registry.linked_data.sheets import sheet_ntriples

CATALOGUE = "catalogue"
DCAT = "dcat"
DCAT_DATES = "dcat-dates"
PROJECT = "project:"


# Slots: one a project in every worker that answered /sparql.
@dataclass(frozen=True, slots=True)
class Chunk:
    """The N-Triples of one independently derived part of the graph, kept compressed.

    Every web worker holds a chunk per project: 56 MB of N-Triples at 10,000 projects,
    6.9 MB packed (`packing`: zlib against a preset dictionary, 0.06 ms a chunk to
    pack, 0.02 ms to read back). The digest is sha1's 20 bytes (not its 40-character
    hex: 36 bytes less a chunk), the same in every worker for the same N-Triples.
    """

    key: str
    packed: bytes = field(repr=False)
    digest: bytes
    triples: int  # one per line
    # What a project's chunk was derived from (the project's revision and digest), for
    # the builder to know it unchanged: two slots, not a tuple beside it (64 bytes each).
    revision: Any = field(default=None, repr=False, compare=False)
    source: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, key: str, data: bytes, revision: Any = None, source: Any = None) -> Chunk:
        """Return a chunk of N-Triples, with the digest of its data (and its source's)."""
        return cls(key, packing.pack(data), hashlib.sha1(data).digest(), data.count(b"\n"),
                   revision, source)

    @property
    def data(self) -> bytes:
        """Return the chunk's N-Triples."""
        return packing.unpack(self.packed)


def _terms(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Split an N-Triples line into subject, middle and object.

    A blank node is a whole term: a line starts with its subject and ends with its
    object and ` .`; the last word of a literal has a quote in it.
    """
    subject, _, rest = line.partition(b" ")
    middle, _, obj = rest.removesuffix(b" .").rpartition(b" ")
    return subject, middle, obj


def _blank(term: bytes) -> bool:
    return term.startswith(b"_:") and b'"' not in term


def stable_blank_nodes(data: bytes, prefix: str) -> bytes:
    """Return N-Triples sorted, their blank nodes labelled `_:<prefix><n>` by content.

    rdflib labels a blank node at random and serializes in no fixed order, so each web
    worker deriving the same catalogue got a chunk of its own digest, and the server's
    one SPARQL pool, asked by one worker after another, took the whole catalogue out
    and in again (0.1-0.26 s at 10,000 projects) after most writes. Here a blank node is
    known by the triples it is in (itself and other blank nodes masked), its label is
    its rank in that order: the same in every worker.
    """
    lines = [line.rstrip() for line in data.splitlines() if line.strip()]
    if b"_:" not in data:
        return b"".join(sorted(line + b"\n" for line in lines))
    seen: dict[bytes, list[bytes]] = {}
    split = [_terms(line) for line in lines]
    for subject, middle, obj in split:
        for term in (subject, obj):
            if _blank(term):
                seen.setdefault(term, []).append(b" ".join(
                    b"_:@" if t == term else b"_:?" if _blank(t) else t
                    for t in (subject, middle, obj)))
    order = sorted(seen, key=lambda node: sorted(seen[node]))
    mark = b"_:" + prefix.encode()
    labels = {node: mark + str(rank).encode() for rank, node in enumerate(order)}
    out = [b" ".join((labels.get(subject, subject), middle, labels.get(obj, obj))) + b" .\n"
           for subject, middle, obj in split]
    return b"".join(sorted(out))


@dataclass
class CatalogueRdf:
    """The RDF of one catalogue revision: its chunk, and the rdflib graph to cut a
    record's description from, made when first asked.

    The graph (some 6.6 MB of Python objects for the shipped catalogue) serves only the
    RDF of catalogue records and datasets; a worker that never answers one need not hold
    it beside the chunk. Made again from the same catalogue, it has the same triples
    (its blank nodes are labelled at random either way, see `stable_blank_nodes`).
    """

    chunk: Chunk
    catalogue: Catalogue
    base: str
    _graph: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def graph(self) -> Any:
        """Return the rdflib graph of the catalogue (made once, on first use)."""
        from registry.linked_data.graph import catalogue_graph

        with self._lock:
            if self._graph is None:
                self._graph = catalogue_graph(self.catalogue, self.base)
            return self._graph


@dataclass
class DerivedGraph:
    """The registry as RDF at one (catalogue version, roadmap version, base)."""

    base: str
    key: tuple[str, str, str]
    catalogue: Catalogue
    chunks: Mapping[str, Chunk]
    catalogue_rdf: CatalogueRdf
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _outputs: dict[Any, bytes] = field(default_factory=dict, repr=False)

    @property
    def triples(self) -> int:
        """Return the number of triples of the whole graph."""
        return sum(c.triples for c in self.chunks.values())

    def ntriples(self, keys: Iterable[str] | None = None) -> bytes:
        """Return the N-Triples of some chunks (all by default)."""
        chunks = self.chunks.values() if keys is None else (self.chunks[k] for k in keys)
        return b"".join(c.data for c in chunks)

    def memo(self, key: Any, compute: Any) -> Any:
        """Return a serialisation computed once for this graph (None: not kept)."""
        with self._lock:
            if key in self._outputs:
                return self._outputs[key]
        value = compute()
        if value is not None:
            # Only what exists is kept: requests for unknown ids cannot grow the memo.
            with self._lock:
                self._outputs[key] = value
        return value

    def dump(self, fmt: RdfFormat) -> bytes:
        """Return the whole registry in a format (written by Oxigraph: it is big)."""
        return self.memo(("dump", fmt.key), lambda: from_ntriples(  # type: ignore[no-any-return]
            self.ntriples(), fmt, self.base, pretty=False))

    # -- views: the graph of one record or one dataset, as N-Triples ----------------

    def project(self, project_id: str) -> bytes | None:
        """Return a project's triples, or None when there is no such project."""
        chunk = self.chunks.get(PROJECT + project_id)
        return chunk.data if chunk is not None else None

    def dcat(self) -> bytes:
        """Return the DCAT-AP description (its two chunks: the description, its dates)."""
        return self.ntriples([DCAT, DCAT_DATES])

    def projects(self) -> bytes:
        """Return the triples of every project (the roadmap dataset)."""
        return self.ntriples(k for k in self.chunks if k.startswith(PROJECT))

    def record(self, kind: str, record_id: str, concept: str | None = None) -> bytes | None:
        """Return the triples describing one catalogue record, or None when unknown."""
        catalogue = self.catalogue
        if kind == "concept":
            if catalogue.concept(record_id, concept or "") is None:
                return None
            return self._describe([concept_iri(self.base, record_id, concept or "")])
        if kind == "vocabulary":
            if record_id not in catalogue.vocabularies:
                return None
            concepts = catalogue.concepts.get(record_id, {})
            return self._describe([scheme_iri(self.base, record_id)] + [
                concept_iri(self.base, record_id, c) for c in concepts])
        records = {"standard": catalogue.standards, "principle": catalogue.principles,
                   "component": catalogue.components, "legal": catalogue.legal}[kind]
        if record_id not in records:
            return None
        return self._describe([_record_iri(kind, self.base, record_id)])

    def dataset(self, kind: str) -> bytes:
        """Return the triples of every record of a kind (a dataset of the catalogue)."""
        if kind == "vocabulary":
            return self._describe(
                [scheme_iri(self.base, s) for s in self.catalogue.vocabularies]
                + [concept_iri(self.base, s, c) for s, cs in self.catalogue.concepts.items()
                   for c in cs])
        records = self.catalogue.records(kind)
        return self._describe([_record_iri(kind, self.base, r) for r in records])

    def _describe(self, iris: list[str]) -> bytes:
        """Return the concise bounded descriptions of some IRIs as N-Triples."""
        from rdflib import Graph, URIRef

        source = self.catalogue_rdf.graph
        out = Graph()
        for iri in iris:
            out += source.cbd(URIRef(iri))
        return out.serialize(format="nt", encoding="utf-8")  # type: ignore[no-any-return]


def _record_iri(kind: str, base: str, record_id: str) -> str:
    return {"standard": standard_iri, "principle": principle_iri,
            "component": component_iri, "legal": legal_iri}[kind](base, record_id)


def _project_extra(base: str, project: Any) -> str:
    """Return what the registry adds to a sheet's own triples: when it last changed."""
    updated = getattr(project, "updated_at", None)
    if updated is None:
        return ""
    stamp = updated.isoformat()
    return (f"<{project_iri(base, project.id)}> <{DCTERMS}modified> "
            f"\"{stamp}\"^^<{XSD}dateTime> .\n")


def _keep_newest(kept: OrderedDict[Any, Any], key: tuple[str, ...], value: Any,
                 max_bases: int) -> None:
    """Keep `value` as the one entry of its base (the key's last part), newest last.

    Versions only move forward in a worker: an older catalogue's RDF (an rdflib graph of
    some 7 MB at the shipped catalogue) is never asked for again once a newer one is.
    """
    for old in [k for k in kept if k[-1] == key[-1] and k != key]:
        del kept[old]
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > max_bases:
        kept.popitem(last=False)


class GraphBuilder:
    """Build derived graphs, re-deriving only the chunks whose source changed.

    Holds the catalogue RDF of the newest catalogue version of a few bases and each
    project's chunk by (base, id, revision, digest): after a write to one project only
    that project's chunk is derived again. A handful of bases at most is remembered
    (the base is the request's host when REGISTRY_BASE_IRI is not set).
    """

    def __init__(self, options: DcatOptions | None = None, max_bases: int = 4) -> None:
        self.options = options or DcatOptions()
        self.max_bases = max_bases
        self._lock = threading.Lock()
        self._catalogues: OrderedDict[tuple[str, str], CatalogueRdf] = OrderedDict()
        # The DCAT description also says when the roadmap last changed: its dates are
        # one chunk per (catalogue version, roadmap version, base), the rest one per
        # (catalogue version, base).
        self._dcat: OrderedDict[tuple[str, str, str], Chunk] = OrderedDict()
        self._undated: OrderedDict[tuple[str, str], tuple[UndatedDcat, Chunk]] = OrderedDict()
        self._projects: OrderedDict[str, dict[str, Chunk]] = OrderedDict()

    def catalogue_rdf(self, catalogue: Catalogue, base: str) -> CatalogueRdf:
        """Return the RDF of a catalogue revision for a base (derived once)."""
        from registry.linked_data.graph import catalogue_graph

        key = (catalogue.version, base)
        with self._lock:
            if key in self._catalogues:
                self._catalogues.move_to_end(key)
                return self._catalogues[key]
        graph = catalogue_graph(catalogue, base)
        chunk = Chunk.of(CATALOGUE, stable_blank_nodes(
            graph.serialize(format="nt", encoding="utf-8"), "c"))
        del graph  # made again if a record's RDF is asked (CatalogueRdf.graph)
        rdf = CatalogueRdf(chunk, catalogue, base)
        with self._lock:
            _keep_newest(self._catalogues, key, rdf, self.max_bases)
        return rdf

    def dcat_chunks(self, catalogue: Catalogue, base: str, roadmap_version: str,
                    dates: RevisionDates | None) -> tuple[Chunk, Chunk]:
        """Return the DCAT-AP description and its dates for a catalogue and roadmap version.

        The description is derived once per catalogue revision, the dates (a few dozen
        triples) once per roadmap version: together the triples of `dcat_graph`.
        """
        undated = self._undated_dcat(catalogue, base)
        key = (catalogue.version, roadmap_version, base)
        with self._lock:
            if key in self._dcat:
                self._dcat.move_to_end(key)
                return undated[1], self._dcat[key]
        data = b"" if dates is None else \
            undated[0].dates(dates).serialize(format="nt", encoding="utf-8")
        chunk = Chunk.of(DCAT_DATES, data)
        with self._lock:
            _keep_newest(self._dcat, key, chunk, self.max_bases)
        return undated[1], chunk

    def _undated_dcat(self, catalogue: Catalogue, base: str) -> tuple[UndatedDcat, Chunk]:
        """Return the DCAT-AP description without dates (derived once per catalogue)."""
        key = (catalogue.version, base)
        with self._lock:
            if key in self._undated:
                self._undated.move_to_end(key)
                return self._undated[key]
        undated = dcat_undated(catalogue, base, self.options)
        value = (undated, Chunk.of(DCAT, undated.graph.serialize(format="nt",
                                                                 encoding="utf-8")))
        with self._lock:
            _keep_newest(self._undated, key, value, self.max_bases)
        return value

    def project_chunks(self, projects: Iterable[Any], base: str) -> dict[str, Chunk]:
        """Return a chunk per project, reusing those of unchanged projects.

        The kept entries are updated in place: after a write only the changed project
        allocates anything. (Re-making an entry for each of 10,000 projects per write
        fed the garbage collector enough new objects for a full collection, 0.4 s of
        CPU, every few writes.)
        """
        with self._lock:
            # Taken out while in use: a concurrent call starts from nothing (slower, right).
            known = self._projects.pop(base, {})
        out: dict[str, Chunk] = {}
        for project in projects:
            revision = getattr(project, "revision", None)
            digest = getattr(project, "digest", None)
            chunk = known.get(project.id)
            if chunk is None or chunk.revision != revision or chunk.source != digest \
                    or (revision is None and digest is None):
                text = sheet_ntriples(project.sheet, base) + _project_extra(base, project)
                chunk = Chunk.of(PROJECT + project.id, text.encode("utf-8"), revision, digest)
                known[project.id] = chunk
            out[chunk.key] = chunk
        if len(known) != len(out):
            # Forget deleted projects: only the current roadmap's chunks are kept.
            for project_id in [i for i in known if PROJECT + i not in out]:
                del known[project_id]
        with self._lock:
            self._projects[base] = known  # most recently used last
            while len(self._projects) > self.max_bases:
                self._projects.popitem(last=False)
        return out

    def build(self, catalogue: Catalogue, projects: Iterable[Any], base: str,
              roadmap_version: str = "0", dates: RevisionDates | None = None) -> DerivedGraph:
        """Return the derived graph of a catalogue and a roadmap under a base.

        `dates` are the stored revision dates that the DCAT-AP description gives; they
        must be those of these catalogue and roadmap versions.
        """
        rdf = self.catalogue_rdf(catalogue, base)
        described, dated = self.dcat_chunks(catalogue, base, str(roadmap_version), dates)
        chunks: dict[str, Chunk] = {CATALOGUE: rdf.chunk, DCAT: described, DCAT_DATES: dated}
        chunks.update(self.project_chunks(projects, base))
        return DerivedGraph(base, (catalogue.version, str(roadmap_version), base), catalogue,
                            chunks, rdf)
