"""The RDF formats the registry serves, and turning N-Triples into each of them.

Everything derived is first N-Triples (the cheapest format to produce, concatenate and
load); the other formats are written from it. Small graphs (one record, one dataset
of the catalogue) go through rdflib, whose Turtle nests blank nodes and whose JSON-LD
is compacted with the registry's prefixes; big ones (the whole registry, the
roadmap) through Oxigraph, which writes 200,000 triples in a fraction of a second
where rdflib needs seconds, as expanded JSON-LD and flat Turtle.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.linked_data.iris import NAMESPACES, vocabulary_namespace


@dataclass(frozen=True)
class RdfFormat:
    """One RDF serialisation: its key, media type, file suffix and rdflib name."""

    key: str
    media_type: str
    suffix: str
    rdflib: str
    label: str


TURTLE = RdfFormat("turtle", "text/turtle", ".ttl", "turtle", "Turtle")
JSONLD = RdfFormat("jsonld", "application/ld+json", ".jsonld", "json-ld", "JSON-LD")
NTRIPLES = RdfFormat("ntriples", "application/n-triples", ".nt", "nt", "N-Triples")
RDF_FORMATS = (TURTLE, JSONLD, NTRIPLES)
BY_KEY = {f.key: f for f in RDF_FORMATS} | {"ttl": TURTLE, "nt": NTRIPLES, "json-ld": JSONLD}
BY_SUFFIX = {f.suffix: f for f in RDF_FORMATS}
# Media types a client may ask for, most specific first (application/json is JSON-LD:
# a JSON client of a record URL gets the record's linked data, not an HTML page).
BY_MEDIA_TYPE = {"text/turtle": TURTLE, "application/x-turtle": TURTLE,
                 "application/ld+json": JSONLD, "application/n-triples": NTRIPLES,
                 "application/json": JSONLD}

# Up to this many triples a graph is written by rdflib (pretty); beyond, by Oxigraph.
PRETTY_LIMIT = 20_000


def prefixes(base: str) -> dict[str, str]:
    """Return the prefixes used in written Turtle and JSON-LD (with reg: for this base)."""
    return {"reg": vocabulary_namespace(base), **NAMESPACES}


def sort_lines(ntriples: bytes) -> bytes:
    """Return N-Triples with its lines sorted, so each subject's triples are adjacent."""
    # Oxigraph writes a streaming serialiser: it groups only consecutive triples of one
    # subject, so sorting first is what gives `s p o ; p o .` blocks.
    lines = [line for line in ntriples.split(b"\n") if line]
    lines.sort()
    return b"\n".join(lines) + b"\n" if lines else b""


def from_ntriples(ntriples: bytes, fmt: RdfFormat, base: str, *,
                  pretty: bool | None = None) -> bytes:
    """Write N-Triples in another format (pretty: rdflib; else Oxigraph; None: by size)."""
    if fmt is NTRIPLES:
        return ntriples
    if pretty is None:
        pretty = ntriples.count(b"\n") <= PRETTY_LIMIT
    if pretty:
        return _rdflib(ntriples, fmt, base)
    import pyoxigraph

    target = pyoxigraph.RdfFormat.TURTLE if fmt is TURTLE else pyoxigraph.RdfFormat.JSON_LD
    quads = pyoxigraph.parse(sort_lines(ntriples), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return pyoxigraph.serialize(quads, format=target, prefixes=prefixes(base)) or b""


def _rdflib(ntriples: bytes, fmt: RdfFormat, base: str) -> bytes:
    from rdflib import Graph

    graph = Graph()
    graph.parse(data=ntriples, format="nt")
    used = prefixes(base)
    for prefix, namespace in used.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    if fmt is JSONLD:
        # Compacted with the prefixes the graph uses, so keys read as dcterms:title.
        text = graph.serialize(format="json-ld", context=used, auto_compact=True)
        return text.encode("utf-8")
    return graph.serialize(format=fmt.rdflib, encoding="utf-8")
