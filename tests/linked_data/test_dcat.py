"""The DCAT-AP 3 description, checked with the official DCAT-AP 3.0.1 SHACL shapes."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, SH, XSD

from registry.linked_data.dcat import datasets, dcat_graph
from registry.linked_data.derived import GraphBuilder
from registry.projects import import_projects
from tests.conftest import make_app

# The official shapes, vendored with their licence and source (tests/data/external/).
SHAPES = Path(__file__).resolve().parents[1] / "data" / "external" / "dcat-ap-3.0.1"
BASE = "http://localhost:5000/"
EU = "http://publications.europa.eu/resource/authority/"
ROOT = Path(__file__).resolve().parents[2]
DCATAP = "http://data.europa.eu/r5r/"

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
    return Graph().parse(data=derived.dcat(), format="nt")


@pytest.fixture(scope="module", params=["default", "corporate-body"])
def served(request, read_app, tmp_path_factory):
    """Return /dcat.ttl as a registry serves it, with a roadmap stored, and its store.

    Twice per backend: with the default publisher, and with the publisher named by its
    IRI in the EU corporate-bodies table (REGISTRY_DCAT_PUBLISHER_IRI).
    """
    app = read_app
    if request.param == "corporate-body":  # a second app on the same database
        app = make_app(read_app.extensions["registry"].store.url,
                       tmp_path_factory.mktemp("dcat"),
                       DCAT_PUBLISHER_IRI=EU + "corporate-body/SG")
    services = app.extensions["registry"]
    if not services.roadmap.get().projects:
        import_projects(ROOT / "examples", services.store, services.snapshots.get(),
                        datetime.date(2026, 11, 26), "test")
    answer = app.test_client().get("/dcat.ttl")
    assert answer.status_code == 200
    yield request.param, Graph().parse(data=answer.data, format="turtle"), services.store
    if app is not read_app:
        services.store.engine.dispose()


def test_zero_violations_and_zero_warnings_of_the_official_shapes(served):
    _, graph, _ = served
    report = _validate(graph, "shapes.ttl", "range.ttl", "shapes_recommended.ttl")
    assert _results(report, SH.Violation) == []
    assert _results(report, SH.Warning) == []
    assert _results(report, SH.Info) == []


def test_vocabulary_shapes_warn_only_of_a_publisher_outside_the_eu_table(served):
    publisher, graph, _ = served
    report = _validate(graph, "mdr-vocabularies.shape.ttl")
    assert _results(report, SH.Violation) == []
    warned = {report.value(r, SH.resultPath) for r in report.subjects(SH.resultSeverity,
                                                                      SH.Warning)
              if (None, SH.result, r) in report}
    # The default publisher (the Smart City Office) has no IRI in the EU corporate-bodies
    # table: the shapes warn about that alone. Named by such an IRI: nothing at all.
    assert warned == ({DCTERMS.publisher} if publisher == "default" else set())


def _stamp(value: datetime.datetime) -> Literal:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    text = value.astimezone(datetime.UTC).replace(microsecond=0).isoformat()
    return Literal(text.replace("+00:00", "Z"), datatype=XSD.dateTime)


def test_issued_and_modified_are_the_first_and_last_revisions(served):
    _, graph, store = served
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    base = str(catalog).removesuffix("dcat#catalogue")
    stored = {kind: [r["created_at"] for record in store.all(kind)
                     for r in store.revisions(kind, record.id)]
              for kind in ("standard", "project")}
    for key, kind in (("standards", "standard"), ("roadmap", "project")):
        node = URIRef(f"{base}dcat#{key}")
        assert graph.value(node, DCTERMS.issued) == _stamp(min(stored[kind])), key
        assert graph.value(node, DCTERMS.modified) == _stamp(max(stored[kind])), key
        period = graph.value(node, DCTERMS.temporal)
        assert graph.value(period, DCAT.startDate) == _stamp(min(stored[kind]))
        assert graph.value(period, DCAT.endDate) == _stamp(max(stored[kind]))
    everything = stored["standard"] + stored["project"]
    assert graph.value(catalog, DCTERMS.modified) >= _stamp(max(everything))
    # Every distribution says what it is and that it stays available.
    for distribution in graph.subjects(RDF.type, DCAT.Distribution):
        assert graph.value(distribution, DCTERMS.description) is not None
        assert graph.value(distribution, URIRef(DCATAP + "availability")) == URIRef(
            EU + "planned-availability/STABLE")


def test_a_write_moves_the_datasets_modified_date(client):
    def modified() -> Literal:
        graph = Graph().parse(data=client.get("/dcat.ttl").data, format="turtle")
        catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
        node = URIRef(str(catalog).removesuffix("catalogue") + "standards")
        return graph.value(node, DCTERMS.modified)

    before = modified()
    # The dates are kept to the second: write in a later second than the last one, so
    # the write can only move the date forward (never a wall-time check).
    while _stamp(datetime.datetime.now(datetime.UTC)).toPython() <= before.toPython():
        time.sleep(0.05)
    store = client.application.extensions["registry"].store
    record = store.get("standard", "ngsi-ld")
    data = dict(record.data)
    data["title"] = {**data["title"], "en": data["title"]["en"] + " (revised)"}
    store.put("standard", "ngsi-ld", data, author="test", if_match=record.revision)
    after = modified()
    assert after.toPython() > before.toPython()
    assert after == _stamp(store.revisions("standard", "ngsi-ld")[-1]["created_at"])


def test_the_chunk_adds_dates_to_the_undated_description_exactly(catalogue):
    """The derived graph's DCAT chunks (the description kept per catalogue revision, its
    dates per roadmap version) hold the triples of the description built whole."""
    from registry.linked_data.dcat import RevisionDates

    def at(day: int) -> datetime.datetime:
        return datetime.datetime(2026, 1, day, 12, tzinfo=datetime.UTC)

    vocabulary = next(iter(catalogue.vocabularies))
    builder = GraphBuilder()
    cases = [None, RevisionDates(),
             RevisionDates({"standard": (at(1), at(2)), "project": (at(3), at(4))},
                           {("vocabulary", vocabulary): (at(2), at(5))}),
             RevisionDates({"standard": (at(1), at(2)), "project": (at(3), at(9))})]
    for n, dates in enumerate(cases):
        described, dated = builder.dcat_chunks(catalogue, "https://x.example/", str(n), dates)
        held = Graph().parse(data=described.data + dated.data, format="nt")
        whole = dcat_graph(catalogue, "https://x.example/", builder.options, dates)
        assert set(held) == set(whole), n
    assert len(builder._undated) == 1  # one undated description for the four versions
    assert len({builder.dcat_chunks(catalogue, "https://x.example/", str(n), d)[0]
                for n, d in enumerate(cases)}) == 1


def test_zero_violations_of_the_official_shapes_and_ranges(export):
    report = _validate(export, "shapes.ttl", "range.ttl")
    assert _results(report, SH.Violation) == []


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


def _later_second(than: datetime.datetime | None) -> None:
    """Return once the clock is in a later second than `than` (dates are kept to it)."""
    while than is not None and _stamp(datetime.datetime.now(datetime.UTC)).toPython() \
            <= _stamp(than).toPython():
        time.sleep(0.05)


def _retitled(store, kind: str, record_id: str, suffix: str) -> None:
    record = store.get(kind, record_id)
    data = dict(record.data)
    data["title"] = {**data["title"], "en": data["title"]["en"] + suffix}
    store.put(kind, record_id, data, author="test", if_match=record.revision)


def test_a_snapshot_graph_has_the_dates_of_its_own_version(app):
    """A graph built for a snapshot dates the datasets as of that snapshot's version: a
    write committed since (by another server) shows in the next snapshot's graph only."""
    services = app.extensions["registry"]
    linked = app.extensions["linked_data"]
    store = services.store
    held = services.readmodel.catch_up()
    dates = linked.graph_of(held, BASE).dcat()
    _later_second(store.revisions("standard", "ngsi-ld")[-1]["created_at"])
    _retitled(store, "standard", "ngsi-ld", " (revised)")
    # The held snapshot's graph under another base is built after the write: its dates
    # are still the held version's.
    again = linked.graph_of(held, "https://other.example/").dcat()
    assert sorted(again.replace(b"https://other.example/", BASE.encode()).splitlines()) \
        == sorted(dates.splitlines())
    newer = services.readmodel.catch_up()
    graph = Graph().parse(data=linked.graph_of(newer, BASE).dcat(), format="nt")
    assert graph.value(URIRef(BASE + "dcat#standards"), DCTERMS.modified) == _stamp(
        store.revisions("standard", "ngsi-ld")[-1]["created_at"])


def test_the_dates_kept_from_write_to_write_are_those_of_the_whole_feed(app):
    """After writes of every sort (a standard, a vocabulary, a project created and
    deleted) the dates a worker extended write by write equal those read whole."""
    from registry.linked_data.dcat import RevisionDates

    services = app.extensions["registry"]
    linked = app.extensions["linked_data"]
    store = services.store
    linked.graph_of(services.readmodel.catch_up(), BASE)
    vocabulary = next(iter(services.snapshots.get().vocabularies))
    example = next(iter(store.all("project")), None)
    for step in range(3):
        _later_second(max(r["created_at"] for r in store.revisions("standard", "ngsi-ld")))
        _retitled(store, "standard", "ngsi-ld", f" ({step})")
        record = store.get("vocabulary", vocabulary)
        store.put("vocabulary", vocabulary, dict(record.data), author="test",
                  if_match=record.revision)
        if example is not None:
            sheet = {**example.data, "id": f"copy-{step}"}
            store.put("project", sheet["id"], sheet, author="test")
            store.delete_where("project", lambda r, gone=sheet["id"]: r.id != gone,
                               author="test")
        snapshot = services.readmodel.catch_up()
        kept = linked.graph_of(snapshot, BASE).dcat()
        whole = GraphBuilder(linked.builder.options).build(
            snapshot.catalogue, [], BASE, str(snapshot.version),
            RevisionDates(*store.revision_spans())).dcat()
        assert set(Graph().parse(data=kept, format="nt")) == set(
            Graph().parse(data=whole, format="nt")), step
