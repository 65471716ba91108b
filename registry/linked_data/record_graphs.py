"""The named graphs of the derived graph in an external store: one per record.

A project's graph is its chunk of the derived graph; a catalogue record's graph is the
part of the catalogue chunk whose subjects are the record (a vocabulary: its scheme and
its concepts) and the blank nodes they lead to. What no record owns (the registry's
status schemes) is the graph of `<base>catalogue`, and the DCAT-AP description that of
`<base>dcat`. A record is replaced in the store by replacing its graph (`store_sync`).
The embedded SPARQL workers hold the same triples in their default graph.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from registry.catalogue.snapshot import Catalogue
from registry.linked_data.derived import CATALOGUE, DerivedGraph
from registry.linked_data.graph_store import graph_iri
from registry.linked_data.iris import (
    component_iri,
    concept_iri,
    legal_iri,
    principle_iri,
    project_iri,
    scheme_iri,
    standard_iri,
)

RECORD_IRIS = {"standard": standard_iri, "principle": principle_iri,
               "component": component_iri, "legal": legal_iri, "vocabulary": scheme_iri,
               "project": project_iri}


def record_graph(kind: str, base: str, record_id: str) -> str:
    """Return the named graph of a record of a kind."""
    return graph_iri(RECORD_IRIS[kind](base, record_id))


def rest_graph(base: str) -> str:
    """Return the named graph of the catalogue triples no record owns."""
    return graph_iri(base + "catalogue")


def dcat_graph(base: str) -> str:
    """Return the named graph of the DCAT-AP description."""
    return graph_iri(base + "dcat")


def catalogue_graphs(catalogue: Catalogue, ntriples: bytes, base: str) -> dict[str, bytes]:
    """Split the catalogue chunk into one N-Triples document per record graph."""
    import pyoxigraph as ox  # here: building the app imports this module

    owner: dict[Any, str] = {}
    for kind in ("standard", "principle", "component", "legal"):
        for record_id in catalogue.records(kind):
            iri = RECORD_IRIS[kind](base, record_id)
            owner[ox.NamedNode(iri)] = graph_iri(iri)
    for scheme in catalogue.vocabularies:
        name = record_graph("vocabulary", base, scheme)
        owner[ox.NamedNode(scheme_iri(base, scheme))] = name
        for concept in catalogue.concepts.get(scheme, {}):
            owner[ox.NamedNode(concept_iri(base, scheme, concept))] = name
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    # A blank node belongs with the subject that leads to it (a publisher, a contact
    # point): repeat until nested ones are reached too.
    found = True
    while found:
        found = False
        for triple in triples:
            if isinstance(triple.object, ox.BlankNode) and triple.object not in owner \
                    and triple.subject in owner:
                owner[triple.object] = owner[triple.subject]
                found = True
    rest = rest_graph(base)
    groups: dict[str, list[Any]] = defaultdict(list)
    for triple in triples:
        groups[owner.get(triple.subject, rest)].append(triple)
    return {name: ox.serialize(items, format=ox.RdfFormat.N_TRIPLES) or b""
            for name, items in groups.items()}


def catalogue_record_graphs(graph: DerivedGraph) -> dict[str, bytes]:
    """Return the record graphs of a derived graph's catalogue chunk (split once)."""
    chunk = graph.chunks[CATALOGUE]
    return graph.memo(("record-graphs", chunk.digest),  # type: ignore[no-any-return]
                      lambda: catalogue_graphs(graph.catalogue, chunk.data, graph.base))
