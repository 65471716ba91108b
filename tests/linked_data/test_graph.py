"""The derived graph: fast sheet triples, the full catalogue graph, chunks and dumps."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from registry.linked_data.context import sheet_to_graph
from registry.linked_data.derived import CATALOGUE, DCAT, DCAT_DATES, GraphBuilder
from registry.linked_data.formats import JSONLD, TURTLE, from_ntriples
from registry.linked_data.graph import catalogue_graph, catalogue_ids_graph, vocabularies_graph
from registry.linked_data.iris import DEFAULT_BASE, standard_iri
from registry.linked_data.sheets import literal_text, sheet_ntriples
from tests.helpers import NetworkRefused
from tests.linked_data.helpers import canonical_quads, read_graph

BASES = (DEFAULT_BASE, "http://localhost:5000/registry/")
ADMS = "http://www.w3.org/ns/adms#"


def test_the_network_guard_refuses_other_machines():
    with pytest.raises(NetworkRefused):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(NetworkRefused):
        socket.getaddrinfo("example.org", 80)


@pytest.mark.parametrize("base", BASES)
def test_fast_sheet_triples_are_the_json_ld_triples(example_sheets, base):
    for sheet in example_sheets:
        fast = Graph().parse(data=sheet_ntriples(sheet, base), format="nt")
        assert isomorphic(fast, sheet_to_graph(sheet, base)), sheet["id"]


def test_fast_sheet_triples_skip_what_oxigraph_would_refuse(example_sheets):
    sheet = {**example_sheets[0], "title": {"en": "Line\nbreak \"quoted\" \\ tab\t\x01",
                                            "a": "one-letter tag", "en-GB": "Colour"},
             "links": {"homepage": "https://example.org/%zz bad"}}
    text = sheet_ntriples(sheet)
    triples = list(ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES))  # strict parser
    titles = {t.object.value for t in triples if t.predicate.value == str(DCTERMS.title)}
    assert "Line\nbreak \"quoted\" \\ tab\t\x01" in titles and "Colour" in titles
    assert not any(t.predicate.value.endswith("homepage") for t in triples)


def test_literal_text_escapes_what_ntriples_needs():
    assert literal_text('a"b\\c\nd\re') == '"a\\"b\\\\c\\nd\\re"'
    assert literal_text("\ud800") == '"\ufffd"'


def test_catalogue_graph_states_every_field(catalogue):
    graph = catalogue_graph(catalogue)
    ngsi = URIRef(DEFAULT_BASE + "standards/ngsi-ld")
    assert (ngsi, RDF.type, DCTERMS.Standard) in graph
    assert (ngsi, DCTERMS.alternative, Literal("NGSI-LD")) in graph
    assert graph.value(ngsi, URIRef(DEFAULT_BASE + "def/layer")) == Literal("technical")
    assert (ngsi, URIRef(DEFAULT_BASE + "def/realises"),
            URIRef(DEFAULT_BASE + "principles/openness")) in graph
    assert {o.language for o in graph.objects(ngsi, DCTERMS.description)} >= {"en", "fr", "nl"}
    component = URIRef(DEFAULT_BASE + "components/fixmystreet")
    assert (component, RDF.type, URIRef(ADMS + "Asset")) in graph
    assert graph.value(component, DCTERMS.publisher) == URIRef(
        DEFAULT_BASE + "vocabularies/organisations/paradigm")
    principle = URIRef(DEFAULT_BASE + "principles/openness")
    assert len(list(graph.objects(principle, URIRef(DEFAULT_BASE + "def/implication")))) >= 9
    status = URIRef(DEFAULT_BASE + "def/standard-status/mandatory")
    assert graph.value(status, SKOS.prefLabel) == Literal("mandatory", lang="en")
    # A superset of what the SHACL check of sheets reads: the two views agree.
    for triple in vocabularies_graph(catalogue) + catalogue_ids_graph(catalogue):
        assert triple in graph


def test_chunks_are_disjoint_strict_and_add_up(catalogue, example_projects):
    graph = GraphBuilder().build(catalogue, example_projects, DEFAULT_BASE)
    assert set(graph.chunks) == {CATALOGUE, DCAT, DCAT_DATES,
                                 *(f"project:{p.id}" for p in example_projects)}
    seen: set[bytes] = set()
    for chunk in graph.chunks.values():
        lines = set(chunk.data.splitlines())
        assert not lines & seen, chunk.key  # removing a chunk never removes another's
        seen |= lines
        list(ox.parse(chunk.data, format=ox.RdfFormat.N_TRIPLES))  # Oxigraph accepts it
    assert graph.triples == len(seen)


def test_only_changed_projects_are_derived_again(catalogue, example_projects):
    builder = GraphBuilder()
    first = builder.build(catalogue, example_projects, DEFAULT_BASE)
    changed = SimpleNamespace(**{**vars(example_projects[0]), "revision": 2,
                                 "sheet": {**example_projects[0].sheet, "budget_eur": 1}})
    second = builder.build(catalogue, [changed, *example_projects[1:]], DEFAULT_BASE)
    key = f"project:{changed.id}"
    assert second.chunks[key] is not first.chunks[key]
    assert b'"1"^^' in second.chunks[key].data
    unchanged = f"project:{example_projects[1].id}"
    assert second.chunks[unchanged] is first.chunks[unchanged]
    assert second.chunks[CATALOGUE] is first.chunks[CATALOGUE]
    third = builder.build(catalogue, example_projects[1:], DEFAULT_BASE)
    assert key not in third.chunks


def test_chunks_hold_their_triples_compressed(catalogue, example_projects):
    # Every web worker holds a chunk per project (57 MB of N-Triples at 10,000
    # projects): they are kept compressed and read back equal.
    graph = GraphBuilder().build(catalogue, example_projects, DEFAULT_BASE)
    for project in example_projects:
        chunk = graph.chunks[f"project:{project.id}"]
        text = sheet_ntriples(project.sheet, DEFAULT_BASE).encode()
        assert chunk.data.startswith(text)
        assert chunk.triples == chunk.data.count(b"\n")
        assert len(chunk.packed) < len(chunk.data) / 2, project.id


def test_a_chunk_packs_against_the_dictionary_and_reads_back_byte_for_byte(
        catalogue, example_projects):
    # A project's chunk repeats the predicates, classes and datatypes of the template
    # sheet's N-Triples: packed against them it holds less than deflated alone, and it
    # needs that dictionary to be read (a process with another one fails loudly).
    import hashlib
    import zlib

    from registry.linked_data import packing
    from registry.linked_data.derived import Chunk

    graph = GraphBuilder().build(catalogue, example_projects, DEFAULT_BASE)
    packed = alone = 0
    for project in example_projects:
        chunk = graph.chunks[f"project:{project.id}"]
        data = chunk.data
        assert packing.unpack(chunk.packed) == data
        assert chunk.digest == hashlib.sha1(data).digest()
        assert Chunk.of(chunk.key, data) == chunk
        packed += len(chunk.packed)
        alone += len(zlib.compress(data, 1))
        with pytest.raises(zlib.error):
            zlib.decompress(chunk.packed)
    assert packed < alone * 0.85, (packed, alone)
    for data in (b"", "<a> <b> \"\u00e9t\u00e9 \U0001f600\" .\n".encode(), b"x" * 100_000):
        assert Chunk.of("k", data).data == data


def test_an_older_catalogue_s_rdf_is_not_kept_once_a_newer_one_is_built(catalogue,
                                                                        example_projects):
    # A worker's catalogue only moves forward: each older version's rdflib graph (some
    # 7 MB for the shipped catalogue) was kept for up to four versions.
    import gc
    import weakref

    from registry.catalogue.snapshot import Catalogue

    def version(number: int) -> Catalogue:
        return Catalogue(catalogue.standards.values(), catalogue.principles.values(),
                         catalogue.components.values(), catalogue.vocabularies.values(),
                         str(number), catalogue.legal.values())

    builder = GraphBuilder()
    first = builder.build(version(1), example_projects, DEFAULT_BASE)
    other_base = builder.build(version(1), example_projects, BASES[1])
    held = weakref.ref(first.catalogue_rdf.graph)
    del first
    second = builder.build(version(2), example_projects, DEFAULT_BASE)
    gc.collect()
    assert held() is None, "the older catalogue's RDF is still held"
    assert builder.build(version(2), example_projects, DEFAULT_BASE).catalogue_rdf \
        is second.catalogue_rdf
    assert builder.catalogue_rdf(version(1), BASES[1]) is other_base.catalogue_rdf


def test_a_write_changes_only_the_dates_of_the_dcat_description(catalogue, example_projects):
    import datetime

    from registry.linked_data.dcat import RevisionDates

    def dates(day: int) -> RevisionDates:
        stamp = datetime.datetime(2026, 3, day, tzinfo=datetime.UTC)
        return RevisionDates({"project": (stamp, stamp), "standard": (stamp, stamp)})

    builder = GraphBuilder()
    first = builder.build(catalogue, example_projects, DEFAULT_BASE, "1", dates(1))
    second = builder.build(catalogue, example_projects, DEFAULT_BASE, "2", dates(2))
    # The description is the same object (what a SPARQL worker is sent after a write is
    # the dates chunk, a few dozen triples, and the changed projects).
    assert second.chunks[DCAT] is first.chunks[DCAT]
    assert second.chunks[DCAT_DATES].digest != first.chunks[DCAT_DATES].digest
    assert 0 < second.chunks[DCAT_DATES].triples < first.chunks[DCAT].triples / 10
    assert b"2026-03-02T00:00:00" in second.dcat()


@pytest.mark.parametrize("fmt", [TURTLE, JSONLD], ids=lambda f: f.key)
@pytest.mark.parametrize("pretty", [True, False], ids=["rdflib", "oxigraph"])
def test_dumps_parse_back_to_the_same_graph(catalogue, example_projects, fmt, pretty):
    graph = GraphBuilder().build(catalogue, example_projects, DEFAULT_BASE)
    written = from_ntriples(graph.ntriples(), fmt, DEFAULT_BASE, pretty=pretty)
    assert canonical_quads(written, fmt.rdflib) == canonical_quads(graph.ntriples(), "nt")
    if fmt is JSONLD:
        assert len(read_graph(written, "json-ld")) == graph.triples  # rdflib reads it too


def test_legal_acts_are_eli_legal_resources_linked_to_what_they_mandate(catalogue):
    graph = catalogue_graph(catalogue)
    eli = Namespace("http://data.europa.eu/eli/ontology#")
    reg = Namespace(DEFAULT_BASE + "def/")
    acts = set(graph.subjects(RDF.type, eli.LegalResource))
    assert acts == {URIRef(DEFAULT_BASE + f"legal/{a}") for a in catalogue.legal}
    wad = URIRef(DEFAULT_BASE + "legal/web-accessibility-directive")
    assert graph.value(wad, eli.date_document) == Literal("2016-10-26", datatype=XSD.date)
    assert (wad, OWL.sameAs, URIRef("http://data.europa.eu/eli/dir/2016/2102/oj")) in graph
    assert {o.language for o in graph.objects(wad, eli.title)} >= {"en", "fr", "nl"}
    assert (wad, reg.requires, URIRef(DEFAULT_BASE + "standards/en-301-549")) in graph
    assert (URIRef(DEFAULT_BASE + "standards/wcag-2-1"), reg.mandatedBy, wad) in graph
    assert (URIRef(DEFAULT_BASE + "legal/european-digital-identity-regulation"), eli.amends,
            URIRef(DEFAULT_BASE + "legal/eidas-regulation")) in graph
    # Every record says where its facts come from and when they were checked.
    fidus = URIRef(DEFAULT_BASE + "components/fidus")
    assert graph.value(fidus, reg.reviewed).datatype == XSD.date
    assert set(graph.objects(fidus, DCTERMS.source)) >= {
        URIRef(s["url"]) for s in catalogue.components["fidus"]["sources"]}


def test_record_views_describe_one_record(catalogue, example_projects):
    graph = GraphBuilder().build(catalogue, example_projects, DEFAULT_BASE)
    standard = Graph().parse(data=graph.record("standard", "ngsi-ld"), format="nt")
    assert set(standard.subjects(RDF.type, None)) == {
        URIRef(DEFAULT_BASE + "standards/ngsi-ld")} | {
        s for s in standard.subjects() if not isinstance(s, URIRef)}
    assert graph.record("standard", "no-such-standard") is None
    act = Graph().parse(data=graph.record("legal", "gdpr"), format="nt")
    assert (URIRef(DEFAULT_BASE + "legal/gdpr"), RDF.type,
            URIRef("http://data.europa.eu/eli/ontology#LegalResource")) in act
    assert graph.record("legal", "no-such-act") is None
    assert graph.record("concept", "capabilities", "nope") is None
    scheme = Graph().parse(data=graph.record("vocabulary", "domains"), format="nt")
    assert len(set(scheme.subjects(RDF.type, SKOS.Concept))) == len(
        catalogue.concepts["domains"])
    project = Graph().parse(data=graph.project(example_projects[0].id), format="nt")
    assert (URIRef(DEFAULT_BASE + f"projects/{example_projects[0].id}"), RDF.type,
            URIRef(DEFAULT_BASE + "def/Project")) in project


def test_the_catalogue_chunk_is_the_same_whoever_derives_it(catalogue):
    """Two workers derive the catalogue's chunk byte for byte alike, blank nodes too.

    Otherwise the server's one SPARQL pool, asked by one worker after another, takes
    the whole catalogue out and in again after every write (shared_pool.py).
    """
    first = GraphBuilder().catalogue_rdf(catalogue, DEFAULT_BASE)
    second = GraphBuilder().catalogue_rdf(catalogue, DEFAULT_BASE)
    assert b"_:c0 " in first.chunk.data
    assert first.chunk.digest == second.chunk.digest
    assert isomorphic(read_graph(first.chunk.data, "nt"), first.graph)


def test_the_catalogue_s_rdflib_graph_is_made_only_when_a_record_is_asked(catalogue,
                                                                        example_projects):
    # Every worker builds the derived graph (for /sparql and the project views); only
    # the RDF of catalogue records and datasets reads the rdflib graph, some 6.6 MB of
    # objects for the shipped catalogue: it is not held until one is asked.
    graph = GraphBuilder().build(catalogue, example_projects, DEFAULT_BASE)
    assert graph.catalogue_rdf._graph is None
    assert graph.project(example_projects[0].id) is not None
    assert graph.catalogue_rdf._graph is None
    record = graph.record("standard", "ngsi-ld")
    assert graph.catalogue_rdf._graph is not None
    eager = catalogue_graph(catalogue, DEFAULT_BASE)
    expected = Graph()
    expected += eager.cbd(URIRef(standard_iri(DEFAULT_BASE, "ngsi-ld")))
    assert isomorphic(Graph().parse(data=record, format="nt"), expected)
    assert isomorphic(read_graph(graph.catalogue_rdf.chunk.data, "nt"), eager)
