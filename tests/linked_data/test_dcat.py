"""The DCAT-AP 3 description, checked with the official DCAT-AP 3.0.1 SHACL shapes."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, SH

from registry.linked_data.dcat import datasets, dcat_graph
from registry.linked_data.derived import GraphBuilder

# The official shapes, vendored with their licence and source (tests/data/external/).
SHAPES = Path(__file__).resolve().parents[1] / "data" / "external" / "dcat-ap-3.0.1"
BASE = "http://localhost:5000/"
EU = "http://publications.europa.eu/resource/authority/"

def _validate(data: Graph, *files: str) -> Graph:
    shapes = Graph()
    for name in files:
        shapes.parse(SHAPES / name, format="turtle")
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                     abort_on_first=False, allow_warnings=True,
                                     meta_shacl=False, advanced=True)
    return results


def _results(report: Graph, severity: URIRef) -> list[str]:
    return [f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: "
            f"{report.value(r, SH.resultMessage)}"
            for r in report.subjects(SH.resultSeverity, severity)
            if (None, SH.result, r) in report]


@pytest.fixture(scope="module")
def export(catalogue) -> Graph:
    """Return the DCAT-AP description as /dcat.ttl serves it (through N-Triples)."""
    derived = GraphBuilder().build(catalogue, [], BASE)
    return Graph().parse(data=derived.ntriples(["dcat"]), format="nt")


def test_zero_violations_of_the_official_shapes_and_ranges(export):
    report = _validate(export, "shapes.ttl", "range.ttl")
    assert _results(report, SH.Violation) == []


def test_controlled_vocabularies_hold_except_the_publisher(export):
    # The publisher is the Smart City Office, which is not in the EU corporate-body
    # table: the shapes only warn about that. Everything else is from the tables.
    report = _validate(export, "mdr-vocabularies.shape.ttl")
    assert _results(report, SH.Violation) == []
    warned = {report.value(r, SH.resultPath) for r in report.subjects(SH.resultSeverity,
                                                                      SH.Warning)
              if (None, SH.result, r) in report}
    assert warned <= {DCTERMS.publisher}


def test_every_dataset_has_a_distribution_per_format_and_the_api(catalogue, export):
    catalog = URIRef(BASE + "dcat#catalogue")
    assert (catalog, RDF.type, DCAT.Catalog) in export
    infos = datasets(catalogue)
    keys = {i.key for i in infos}
    assert {"standards", "principles", "components", "legal", "roadmap"} <= keys
    assert {f"vocabulary-{s}" for s in catalogue.vocabularies} <= keys
    for info in infos:
        node = URIRef(f"{BASE}dcat#{info.key}")
        assert (catalog, DCAT.dataset, node) in export
        formats = {str(export.value(d, DCTERMS.format)).rsplit("/", 1)[1]
                   for d in export.objects(node, DCAT.distribution)}
        assert formats == {"RDF_TURTLE", "JSON_LD", "RDF_N_TRIPLES", "JSON"}, info.key
        assert set(export.objects(node, DCAT.theme)) <= {
            URIRef(EU + "data-theme/" + code) for code in ("GOVE", "TECH", "REGI", "JUST")}
        assert set(export.objects(node, DCTERMS.language)) == {
            URIRef(EU + "language/" + code) for code in ("ENG", "FRA", "NLD")}
    downloads = {str(u) for u in export.objects(None, DCAT.downloadURL)}
    assert {BASE + "standards.ttl", BASE + "legal.ttl", BASE + "vocabularies/capabilities.jsonld",
            BASE + "projects.nt", BASE + "catalogue.ttl"} <= downloads
    services = set(export.objects(catalog, DCAT.service))
    assert {export.value(s, DCAT.endpointURL) for s in services} == {
        URIRef(BASE + "sparql"), URIRef(BASE + "api/")}
    assert export.value(catalog, DCTERMS.license) == URIRef(EU + "licence/CC_BY_4_0")


def test_publisher_and_licence_come_from_the_options(catalogue):
    from registry.linked_data.dcat import DcatOptions

    graph = dcat_graph(catalogue, BASE, DcatOptions("Ville de Bruxelles",
                                                    EU + "licence/CC0"))
    assert (None, DCTERMS.license, URIRef(EU + "licence/CC0")) in graph
    assert "Ville de Bruxelles" in {str(o) for o in graph.objects()}
