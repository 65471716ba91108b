"""Helpers of the linked-data tests: read any RDF answer back with rdflib."""

from __future__ import annotations

import json
from decimal import Decimal

from rdflib import XSD, Graph, Literal


def read_graph(data: bytes | str, fmt: str) -> Graph:
    """Parse Turtle, N-Triples or JSON-LD (`fmt` is an rdflib name or a media type)."""
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt",
           "application/ld+json": "json-ld", "jsonld": "json-ld", "ntriples": "nt"
           }.get(fmt, fmt)
    graph = Graph()
    if fmt == "json-ld":
        # rdflib's JSON-LD *parser* front end warns (deprecated ConjunctiveGraph); its
        # processor, handed the parsed document, does not. Nothing remote is loaded:
        # the registry writes its contexts inline.
        from rdflib.plugins.parsers.jsonld import to_rdf

        to_rdf(json.loads(data), graph)
        return graph
    return graph.parse(data=data, format=fmt)


def canonical(graph: Graph) -> Graph:
    """Return the graph with xsd:decimal literals in one lexical form (Turtle writes 1.0)."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = Literal(str(Decimal(str(o)).normalize()), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


def canonical_quads(data: bytes, fmt: str) -> set[str]:
    """Return a graph's triples as canonical strings (blank nodes relabelled), quickly."""
    import pyoxigraph as ox

    formats = {"turtle": ox.RdfFormat.TURTLE, "json-ld": ox.RdfFormat.JSON_LD,
               "nt": ox.RdfFormat.N_TRIPLES}
    dataset = ox.Dataset()
    for quad in ox.parse(data, format=formats[fmt]):
        obj = quad.object
        if isinstance(obj, ox.Literal) and obj.datatype.value == str(XSD.decimal):
            obj = ox.Literal(str(Decimal(obj.value).normalize()), datatype=obj.datatype)
        dataset.add(ox.Quad(quad.subject, quad.predicate, obj, quad.graph_name))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}
