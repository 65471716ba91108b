"""Layer 2, linked data: the fast check, the RDF of sheets and catalogue, and SHACL equivalence."""

from __future__ import annotations

import copy
import json
import socket
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import OWL, RDF, SKOS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF

from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import ERROR, WARNING, Finding
from registry.linked_data import context as ld_context
from registry.linked_data.context import clean_sheet, sheet_context, sheet_to_graph
from registry.linked_data.graph import (
    catalogue_ids_graph,
    shacl_check,
    shapes_graph,
    vocabularies_graph,
)
from registry.linked_data.iris import (
    DEFAULT_BASE,
    component_iri,
    concept_iri,
    project_iri,
    scheme_iri,
    standard_iri,
    status_iri,
)
from registry.validation.linked_data import (
    RULES_PATH,
    check,
    derive_rules,
    rule_table,
    saved_rules,
)
from tests.validation.spec_table import STANDARDS

ROOT = Path(__file__).resolve().parents[2]
REG = DEFAULT_BASE + "def/"
OTHER_BASE = "https://example.org/registry/"

# --- a catalogue with every id the spec relies on, plus deprecated and retired ones -------

LABELS = {
    "mobility": ("Smart mobility", "Mobilité intelligente", "Slimme mobiliteit"),
    "environment": ("Smart environment", "Environnement intelligent", "Slim milieu"),
    "TRAN": ("Transport", "Transports", "Vervoer"),
    "ENVI": ("Environment", "Environnement", "Milieu"),
    "brussels-mobility": ("Brussels Mobility", "Bruxelles Mobilité", "Brussel Mobiliteit"),
}

VOCABULARIES: dict[str, list[str]] = {
    "domains": ["economy", "people", "governance", "mobility", "environment", "living"],
    "data-themes": ["AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST",
                    "REGI", "SOCI", "TECH", "TRAN"],
    "organisations": ["paradigm", "sprb-gob", "brussels-mobility", "brussels-environment",
                      "perspective", "urban", "hub", "stib-mivb", "bruxelles-proprete",
                      "port", "talent", "easy", "safe", "innoviris"],
    "capabilities": ["context-data-management", "open-data-publication",
                     "geospatial-reference-data", "geospatial-data-publication",
                     "identity-authentication", "web-user-interface", "mobile-app",
                     "public-api", "personal-data-processing", "public-transport-data",
                     "e-counter-forms", "online-payments", "incident-reporting",
                     "data-exchange", "e-invoicing", "sensor-data-ingestion", "public-wifi",
                     "traffic-forecasting", "data-analytics", "citizen-participation"],
    "data-entities": ["TrafficFlowObserved", "OffStreetParking", "OnStreetParking",
                      "ParkingSpot", "AirQualityObserved", "NoiseLevelObserved",
                      "WeatherObserved", "WaterQualityObserved", "BikeHireDockingStation",
                      "EVChargingStation", "GtfsStop", "GtfsRoute", "WasteContainer",
                      "Streetlight", "Building", "PointOfInterest", "Alert", "Device", "Road",
                      "Vehicle"],
    "standard-categories": ["data"],
}

# scheme -> (deprecated concept, its replacement or None)
DEPRECATED = {
    "domains": ("smart-living", "living"),
    "data-themes": ("OP_DATPRO", None),
    "organisations": ("bruxelles-environnement-ibge", "brussels-environment"),
    "capabilities": ("open-data-portal", "open-data-publication"),
    "data-entities": ("ParkingSite", "OffStreetParking"),
}


COMPONENTS = [  # id, status, provides
    ("fidus", "active", ["data-exchange"]),
    ("urbis", "active", ["geospatial-reference-data"]),
    ("irisbox", "active", ["e-counter-forms", "online-payments"]),
    ("fixmystreet", "active", ["incident-reporting"]),
    ("csam-fas", "active", ["identity-authentication"]),
    ("opendata-portal", "active", ["open-data-publication"]),
    ("wifi-brussels", "active", ["public-wifi"]),
    ("participate", "active", ["citizen-participation"]),
    ("old-gis", "retired", ["geospatial-reference-data"]),
    ("broker-pilot", "pilot", ["context-data-management"]),
]


def _text(en: str, fr: str | None = None, nl: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr or f"{en} (fr)", "nl": nl or f"{en} (nl)"}


def _concept(concept_id: str, **extra: Any) -> dict[str, Any]:
    label = _text(*LABELS[concept_id]) if concept_id in LABELS else _text(concept_id)
    return {"id": concept_id, "label": label, "definition": _text(f"About {concept_id}."),
            **extra}


def build_catalogue() -> Catalogue:
    """Return a catalogue with the spec's ids, labels in three languages and old records."""
    vocabularies = []
    for scheme, ids in VOCABULARIES.items():
        concepts = [_concept(i) for i in ids]
        if scheme == "data-themes":
            for c in concepts:
                c["exact_match"] = [
                    f"http://publications.europa.eu/resource/authority/data-theme/{c['id']}"]
        if scheme == "capabilities":  # one narrower concept, for broader/narrower
            concepts.append(_concept("open-data-api", broader=["open-data-publication"]))
        if scheme in DEPRECATED:
            old, new = DEPRECATED[scheme]
            concepts.append(_concept(old, deprecated=True,
                                     **({"replaced_by": new} if new else {})))
        vocabularies.append({"id": scheme, "title": _text(scheme),
                             "description": _text(f"The {scheme}."), "concepts": concepts})
    standards = []
    for sid, status, applies_to, replaced_by in STANDARDS:
        record: dict[str, Any] = {
            "id": sid, "title": _text(f"Standard {sid.upper()}"), "acronym": sid.upper(),
            "status": status, "applies_to": applies_to, "category": "data",
            "principles": []}
        if replaced_by:
            record["replaced_by"] = replaced_by
        standards.append(record)
    components = [{"id": cid, "name": _text(cid.title()), "owner": "paradigm",
                   "status": status, "provides": provides, "implements": []}
                  for cid, status, provides in COMPONENTS]
    return Catalogue(standards=standards, components=components, vocabularies=vocabularies,
                     version="linked-data-tests")


CATALOGUE = build_catalogue()


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """Return the shapes graph once for the module (pyshacl runs reuse it)."""
    return shapes_graph()


def codes(findings: Iterator[Finding] | list[Finding]) -> set[tuple[str, str, str]]:
    """Return (code, severity, path) of findings."""
    return {(f.code, f.severity, f.path) for f in findings}


def only(findings: Iterator[Finding]) -> Finding:
    """Return the single finding of an iterator."""
    found = list(findings)
    assert len(found) == 1, found
    return found[0]


# --- the fast check: codes, paths, severities, hints -----------------------------------

def test_the_spec_example_has_no_linked_data_finding(example: dict[str, Any]) -> None:
    assert list(check(example, CATALOGUE)) == []


# field name in messages, a setter, the pointer of the value it sets, the scheme
CONCEPT_FIELDS: list[tuple[str, Callable[[dict[str, Any], str], None], str, str]] = [
    ("owner.organisation", lambda s, v: s["owner"].__setitem__("organisation", v),
     "/owner/organisation", "organisations"),
    ("partners", lambda s, v: s["partners"].append(v), "/partners/2", "organisations"),
    ("domains", lambda s, v: s["domains"].append(v), "/domains/2", "domains"),
    ("data_themes", lambda s, v: s["data_themes"].append(v), "/data_themes/2", "data-themes"),
    ("capabilities.needs", lambda s, v: s["capabilities"]["needs"].append(v),
     "/capabilities/needs/3", "capabilities"),
    ("capabilities.builds", lambda s, v: s["capabilities"]["builds"].append(v),
     "/capabilities/builds/1", "capabilities"),
    ("data.uses", lambda s, v: s["data"]["uses"].append(v), "/data/uses/2", "data-entities"),
    ("data.produces", lambda s, v: s["data"]["produces"].append(v), "/data/produces/1",
     "data-entities"),
]

TYPOS = {"organisations": ("brussels-mobilty", "brussels-mobility"),
         "domains": ("mobilty", "mobility"), "data-themes": ("TRANS", "TRAN"),
         "capabilities": ("open-data-publishing", "open-data-publication"),
         "data-entities": ("TrafficFlowObserve", "TrafficFlowObserved")}


@pytest.mark.parametrize(("label", "setter", "pointer", "scheme"), CONCEPT_FIELDS,
                         ids=[f[0] for f in CONCEPT_FIELDS])
def test_an_unknown_concept_is_an_error_at_the_item_with_the_closest_concepts(
        example: dict[str, Any], label: str, setter: Callable[[dict[str, Any], str], None],
        pointer: str, scheme: str) -> None:
    typo, meant = TYPOS[scheme]
    setter(example, typo)
    f = only(check(example, CATALOGUE))
    assert (f.code, f.severity, f.path) == ("vocabulary.unknown-concept", ERROR, pointer)
    assert f"`{typo}`" in f.message and f"`{scheme}`" in f.message and label in f.message
    assert f.hint is not None and f.hint.startswith("did you mean") and f"`{meant}`" in f.hint


@pytest.mark.parametrize(("label", "setter", "pointer", "scheme"), CONCEPT_FIELDS,
                         ids=[f[0] for f in CONCEPT_FIELDS])
def test_a_deprecated_concept_is_a_warning_naming_its_replacement(
        example: dict[str, Any], label: str, setter: Callable[[dict[str, Any], str], None],
        pointer: str, scheme: str) -> None:
    old, new = DEPRECATED[scheme]
    setter(example, old)
    f = only(check(example, CATALOGUE))
    assert (f.code, f.severity, f.path) == ("vocabulary.deprecated-concept", WARNING, pointer)
    assert f"`{old}`" in f.message and "deprecated" in f.message
    assert f.hint == (f"use `{new}` instead" if new
                      else f"choose a current concept of the vocabulary `{scheme}`")


def test_a_deprecated_concept_without_replacement_still_gets_a_hint(
        example: dict[str, Any]) -> None:
    example["data_themes"] = ["OP_DATPRO"]
    f = only(check(example, CATALOGUE))
    assert f.code == "vocabulary.deprecated-concept"
    assert f.hint == "choose a current concept of the vocabulary `data-themes`"


def test_a_concept_of_another_scheme_is_unknown(example: dict[str, Any]) -> None:
    example["partners"] = ["mobility"]  # a domain, not an organisation
    f = only(check(example, CATALOGUE))
    assert (f.code, f.path) == ("vocabulary.unknown-concept", "/partners/0")


@pytest.mark.parametrize(("value", "meant"), [
    ("Slimme mobiliteit", "mobility"),  # a Dutch label
    ("mobilité intelligente", "mobility"),  # a French label, other case
    ("MOBILITY", "mobility"),
])
def test_suggestions_use_labels_in_every_language(example: dict[str, Any], value: str,
                                                  meant: str) -> None:
    example["domains"] = [value]
    assert only(check(example, CATALOGUE)).hint == f"did you mean `{meant}`?"


def test_suggestions_point_deprecated_names_at_their_replacement(
        example: dict[str, Any]) -> None:
    example["domains"] = ["smart-livin"]  # close to the deprecated smart-living
    assert only(check(example, CATALOGUE)).hint == "did you mean `living`?"


def test_with_nothing_close_a_small_scheme_lists_its_values(example: dict[str, Any]) -> None:
    example["domains"] = ["zzzz"]
    hint = only(check(example, CATALOGUE)).hint
    assert hint is not None and hint.startswith("allowed values: ")
    assert "`mobility`" in hint and "smart-living" not in hint


def test_an_unknown_standard_is_an_error_at_its_id(example: dict[str, Any]) -> None:
    example["standards"].append({"id": "dcatap", "conformance": "complies"})
    f = only(check(example, CATALOGUE))
    assert (f.code, f.severity, f.path) == ("catalogue.unknown-standard", ERROR,
                                            "/standards/3/id")
    assert "`dcatap`" in f.message
    assert f.hint is not None and "`dcat-ap`" in f.hint and f.hint.startswith("did you mean")


def test_an_unknown_standard_with_nothing_close_gets_a_general_hint(
        example: dict[str, Any]) -> None:
    example["standards"][0]["id"] = "qqqqqqqq"
    f = only(check(example, CATALOGUE))
    assert f.path == "/standards/0/id" and f.hint and "catalogue" in f.hint


def test_a_deprecated_standard_is_a_warning_naming_its_replacement(
        example: dict[str, Any]) -> None:
    example["standards"].append({"id": "wcag-2-0", "conformance": "complies"})
    f = only(check(example, CATALOGUE))
    assert (f.code, f.severity, f.path) == ("catalogue.deprecated-standard", WARNING,
                                            "/standards/3/id")
    assert "`wcag-2-0`" in f.message and f.hint == "declare `wcag-2-1` instead"


def test_an_unknown_component_is_an_error_at_the_item(example: dict[str, Any]) -> None:
    example["components"]["reuses"].append("fidos")
    f = only(check(example, CATALOGUE))
    assert (f.code, f.severity, f.path) == ("catalogue.unknown-component", ERROR,
                                            "/components/reuses/2")
    assert f.hint == "did you mean `fidus`?"


def test_an_unknown_component_with_nothing_close_points_to_provides(
        example: dict[str, Any]) -> None:
    example["components"]["reuses"] = ["mobility-context-broker"]
    f = only(check(example, CATALOGUE))
    assert f.code == "catalogue.unknown-component"
    assert f.hint is not None and "components.provides" in f.hint


def test_a_retired_component_is_a_warning(example: dict[str, Any]) -> None:
    example["components"]["reuses"].append("old-gis")
    f = only(check(example, CATALOGUE))
    assert (f.code, f.severity, f.path) == ("catalogue.retired-component", WARNING,
                                            "/components/reuses/2")
    assert "`old-gis`" in f.message and "retired" in f.message
    assert f.hint == "consider `urbis`, which provides the same capability"


def test_a_pilot_component_is_fine(example: dict[str, Any]) -> None:
    example["components"]["reuses"].append("broker-pilot")
    assert list(check(example, CATALOGUE)) == []


def test_every_occurrence_is_reported(example: dict[str, Any]) -> None:
    example["domains"] = ["nope", "mobility", "nope"]
    assert codes(check(example, CATALOGUE)) == {
        ("vocabulary.unknown-concept", ERROR, "/domains/0"),
        ("vocabulary.unknown-concept", ERROR, "/domains/2")}


def test_findings_carry_line_and_column(example: dict[str, Any]) -> None:
    example["domains"] = ["mobility", "nope"]
    positions = {"": (1, 1), "/domains": (13, 10), "/domains/1": (13, 21)}
    f = only(check(example, CATALOGUE, positions))
    assert (f.line, f.column) == (13, 21)


@pytest.mark.parametrize("mutate", [
    lambda s: s.__setitem__("domains", "nope"),  # a string where a list is expected
    lambda s: s.__setitem__("domains", [1, 2.5, None, True, {"id": "x"}, ["x"]]),
    lambda s: s.__setitem__("partners", None),
    lambda s: s.__setitem__("owner", "brussels-mobility"),
    lambda s: s["owner"].__setitem__("organisation", ["nope"]),
    lambda s: s.__setitem__("capabilities", ["context-data-management"]),
    lambda s: s["capabilities"].__setitem__("needs", {"nope": 1}),
    lambda s: s.__setitem__("data", None),
    lambda s: s.__setitem__("standards", {"id": "nope"}),
    lambda s: s.__setitem__("standards", ["nope", 3, None, {"id": 7}, {"id": ["nope"]}]),
    lambda s: s.__setitem__("components", {"reuses": "nope"}),
])
def test_wrongly_typed_values_are_skipped_silently(example: dict[str, Any],
                                                   mutate: Callable[[dict[str, Any]], None]
                                                   ) -> None:
    mutate(example)
    assert list(check(example, CATALOGUE)) == []


@pytest.mark.parametrize("sheet", [None, [], "text", 42, {}, {"standards": None}])
def test_non_sheets_give_nothing(sheet: Any) -> None:
    assert list(check(sheet, CATALOGUE)) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.dates(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
KEYS = st.sampled_from(["owner", "partners", "domains", "data_themes", "capabilities",
                        "components", "data", "standards", "id", "title", "timeline",
                        "kpis", "links", "@context", "@id", "x-extra"])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(replacements=st.dictionaries(KEYS, JSON, max_size=4))
def test_never_raises_on_arbitrary_values(example: dict[str, Any],
                                          replacements: dict[str, Any]) -> None:
    sheet = {**copy.deepcopy(example), **replacements}
    for f in check(sheet, CATALOGUE):
        assert f.path.startswith("/")
    sheet_to_graph(sheet)  # nor does the RDF conversion, nor does it warn


# --- the rule table comes from the shapes --------------------------------------------

def test_the_rule_table_covers_every_concept_field_and_catalogue_id() -> None:
    table = {r.label: r for r in rule_table()}
    assert {label: (r.target, r.scheme) for label, r in table.items()} == {
        "owner.organisation": ("concept", "organisations"),
        "partners": ("concept", "organisations"),
        "domains": ("concept", "domains"),
        "data_themes": ("concept", "data-themes"),
        "capabilities.needs": ("concept", "capabilities"),
        "capabilities.builds": ("concept", "capabilities"),
        "data.uses": ("concept", "data-entities"),
        "data.produces": ("concept", "data-entities"),
        "standards[].id": ("standard", None),
        "components.reuses": ("component", None),
    }
    assert table["standards[].id"].exists.code == "catalogue.unknown-standard"
    assert [(o.code, o.severity) for o in table["components.reuses"].others] == [
        ("catalogue.retired-component", WARNING)]


def test_a_shape_the_fast_check_does_not_implement_fails_loudly() -> None:
    graph = shapes_graph()
    graph.add((URIRef(REG + "DomainsShape"), URIRef("http://www.w3.org/ns/shacl#minCount"),
               Literal(1)))
    with pytest.raises(ValueError, match="does not implement"):
        derive_rules(graph)


def test_a_shape_disagreeing_with_the_context_fails_loudly() -> None:
    graph = shapes_graph()
    sh_value = URIRef("http://www.w3.org/ns/shacl#hasValue")
    domains, themes = (URIRef(scheme_iri(DEFAULT_BASE, s)) for s in ("domains", "data-themes"))
    for subject in list(graph.subjects(sh_value, domains)):
        graph.remove((subject, sh_value, domains))
        graph.add((subject, sh_value, themes))
    with pytest.raises(ValueError, match="context maps values"):
        derive_rules(graph)


def test_a_status_of_the_wrong_kind_fails_loudly() -> None:
    graph = shapes_graph()
    sh_value = URIRef("http://www.w3.org/ns/shacl#hasValue")
    retired = URIRef(status_iri(DEFAULT_BASE, "component", "retired"))
    for subject in list(graph.subjects(sh_value, retired)):
        graph.remove((subject, sh_value, retired))
        graph.add((subject, sh_value, URIRef(status_iri(DEFAULT_BASE, "standard", "retired"))))
    with pytest.raises(ValueError, match="is not a status of a component"):
        derive_rules(graph)


# --- the JSON-LD context and sheet_to_graph ------------------------------------------

def _contexts(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "@context":
                yield inner
            yield from _contexts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _contexts(inner)


def test_the_context_file_is_json_ld_1_1_and_self_contained() -> None:
    document = json.loads((ROOT / "schemas/project-sheet/v1.context.jsonld").read_text())
    context = document["@context"]
    assert context["@version"] == 1.1
    assert "@vocab" not in context  # unmapped keys (x-*) must produce nothing
    for scoped in _contexts(context):
        # No remote or imported context anywhere: only objects (after a null reset).
        items = scoped if isinstance(scoped, list) else [scoped]
        assert all(i is None or (isinstance(i, dict) and "@import" not in i) for i in items)


def test_the_context_maps_every_field_of_the_sheet(example: dict[str, Any]) -> None:
    layout = ld_context.sheet_layout()
    top = set(layout.fields) | set(layout.nests)
    assert set(example) <= top
    for nest, fields in layout.nests.items():
        assert set(example[nest]) <= set(fields), nest


def test_sheet_context_rebases_every_registry_iri() -> None:
    rebased = json.dumps(sheet_context(OTHER_BASE))
    assert DEFAULT_BASE not in rebased
    assert OTHER_BASE + "vocabularies/domains/" in rebased
    assert sheet_context() == json.loads(
        (ROOT / "schemas/project-sheet/v1.context.jsonld").read_text())["@context"]


def test_the_sheet_becomes_a_project_with_concept_iris(example: dict[str, Any]) -> None:
    graph = sheet_to_graph(example)
    project = URIRef(project_iri(DEFAULT_BASE, "mobility-data-hub"))
    assert set(graph.objects(project, RDF.type)) == {URIRef(REG + "Project"), FOAF.Project}
    assert set(graph.objects(project, DCTERMS.subject)) == {
        URIRef(concept_iri(DEFAULT_BASE, "domains", d)) for d in ("mobility", "environment")}
    assert URIRef(DEFAULT_BASE + "vocabularies/domains/mobility") in set(
        graph.objects(project, DCTERMS.subject))
    assert set(graph.objects(project, DCAT.theme)) == {
        URIRef(concept_iri(DEFAULT_BASE, "data-themes", t)) for t in ("TRAN", "ENVI")}
    assert graph.value(project, DCTERMS.creator) == URIRef(
        concept_iri(DEFAULT_BASE, "organisations", "brussels-mobility"))
    assert Literal("Gewestelijke mobiliteitsdatahub", lang="nl") in set(
        graph.objects(project, DCTERMS.title))
    assert graph.value(project, FOAF.homepage) == URIRef(
        "https://mobility.example.brussels/data-hub")
    declared = {graph.value(d, DCTERMS.conformsTo)
                for d in graph.objects(project, URIRef(REG + "declares"))}
    assert declared == {URIRef(standard_iri(DEFAULT_BASE, s))
                        for s in ("ngsi-ld", "dcat-ap", "wcag-2-1")}
    assert set(graph.objects(project, DCTERMS.requires)) == {
        URIRef(component_iri(DEFAULT_BASE, c)) for c in ("fidus", "urbis")}
    start = graph.value(project, URIRef("https://schema.org/startDate"))
    assert start == Literal("2026-03-01", datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#date"))


def test_extension_and_unknown_keys_produce_no_triples(example: dict[str, Any]) -> None:
    plain = sheet_to_graph(example)
    example["x-internal"] = {"domains": ["nope"], "title": {"en": "hidden"}}
    example["partner"] = ["nope"]  # a typo: the schema layer reports it
    example["owner"]["domains"] = ["nope"]  # not a field of owner
    assert isomorphic(sheet_to_graph(example), plain)


def test_values_cannot_escape_their_namespace(example: dict[str, Any]) -> None:
    example["domains"] = ["title", "dcterms:title", "http://evil.example/x", "@id", "a/b",
                          "_:b0", "sp ace", ""]
    graph = sheet_to_graph(example)
    project = URIRef(project_iri(DEFAULT_BASE, "mobility-data-hub"))
    namespace = DEFAULT_BASE + "vocabularies/domains/"
    values = set(graph.objects(project, DCTERMS.subject))
    assert len(values) == 8
    assert all(isinstance(v, URIRef) and str(v).startswith(namespace)
               and "/" not in str(v)[len(namespace):] for v in values)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way rdflib could load a context (network or file) fail the test."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"attempted to load {args[:2]!r}")

    import rdflib.plugins.shared.jsonld.context as jsonld_context
    import rdflib.plugins.shared.jsonld.util as jsonld_util

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(jsonld_context, "source_to_json", refuse)
    monkeypatch.setattr(jsonld_util, "source_to_json", refuse)


def test_the_guard_would_catch_a_remote_context(no_network: None) -> None:
    from rdflib.plugins.parsers.jsonld import to_rdf

    with pytest.raises(AssertionError, match="attempted to load"):
        to_rdf({"@context": "http://example.org/ctx", "title": "x"}, Graph())


@pytest.mark.parametrize("remote", [
    "http://example.org/ctx",
    ["http://example.org/ctx", {"title": "http://evil.example/title"}],
    {"@import": "http://example.org/ctx"},
])
def test_a_remote_context_in_the_sheet_is_never_fetched(no_network: None,
                                                        example: dict[str, Any],
                                                        remote: Any) -> None:
    plain = sheet_to_graph(example)
    example["@context"] = remote
    example["owner"]["@context"] = "http://example.org/nested"
    example["standards"][0]["@context"] = {"@import": "http://example.org/x"}
    assert isomorphic(sheet_to_graph(example), plain)


def test_a_file_context_is_not_read(no_network: None, example: dict[str, Any],
                                    tmp_path: Path) -> None:
    evil = tmp_path / "evil.jsonld"
    evil.write_text(json.dumps({"@context": {"domains": "http://evil.example/domain"}}))
    example["@context"] = evil.as_uri()
    graph = sheet_to_graph(example)
    assert not list(graph.triples((None, URIRef("http://evil.example/domain"), None)))
    assert list(graph.triples((None, DCTERMS.subject, None)))


def test_clean_sheet_keeps_only_well_typed_values(example: dict[str, Any]) -> None:
    example["domains"] = ["mobility", 3, None]
    example["timeline"]["start"] = "2026-02-30"  # not a date
    example["title"]["fr"] = 12
    example["links"]["homepage"] = "not a url"
    node = clean_sheet(example)
    assert node["domains"] == ["mobility"]
    assert "start" not in node["timeline"]
    assert node["title"] == {"en": "Regional mobility data hub",
                             "nl": "Gewestelijke mobiliteitsdatahub"}
    assert "homepage" not in node["links"]
    assert "@context" not in node and node["@id"].endswith("/projects/mobility-data-hub")


def test_a_sheet_without_id_becomes_a_blank_project(example: dict[str, Any]) -> None:
    del example["id"]
    graph = sheet_to_graph(example)
    projects = list(graph.subjects(RDF.type, URIRef(REG + "Project")))
    assert len(projects) == 1 and not isinstance(projects[0], URIRef)


# --- the catalogue as RDF -------------------------------------------------------------

def test_vocabularies_are_skos_concept_schemes() -> None:
    graph = vocabularies_graph(CATALOGUE)
    scheme = URIRef(scheme_iri(DEFAULT_BASE, "domains"))
    mobility = URIRef(concept_iri(DEFAULT_BASE, "domains", "mobility"))
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    assert (mobility, RDF.type, SKOS.Concept) in graph
    assert (mobility, SKOS.inScheme, scheme) in graph
    assert {lbl.language for lbl in graph.objects(mobility, SKOS.prefLabel)} == {
        "en", "fr", "nl"}
    assert graph.value(mobility, SKOS.definition) is not None
    tran = URIRef(concept_iri(DEFAULT_BASE, "data-themes", "TRAN"))
    assert graph.value(tran, SKOS.exactMatch) == URIRef(
        "http://publications.europa.eu/resource/authority/data-theme/TRAN")
    old = URIRef(concept_iri(DEFAULT_BASE, "capabilities", "open-data-portal"))
    assert graph.value(old, OWL.deprecated) == Literal(True)
    assert graph.value(old, DCTERMS.isReplacedBy) == URIRef(
        concept_iri(DEFAULT_BASE, "capabilities", "open-data-publication"))
    narrow = URIRef(concept_iri(DEFAULT_BASE, "capabilities", "open-data-api"))
    broad = URIRef(concept_iri(DEFAULT_BASE, "capabilities", "open-data-publication"))
    assert (narrow, SKOS.broader, broad) in graph and (broad, SKOS.narrower, narrow) in graph


def test_catalogue_ids_are_typed_with_their_status() -> None:
    graph = catalogue_ids_graph(CATALOGUE)
    adms_status = URIRef("http://www.w3.org/ns/adms#status")
    dcat_ap_2 = URIRef(standard_iri(DEFAULT_BASE, "dcat-ap-2"))
    assert (dcat_ap_2, RDF.type, DCTERMS.Standard) in graph
    assert graph.value(dcat_ap_2, adms_status) == URIRef(
        status_iri(DEFAULT_BASE, "standard", "deprecated"))
    assert graph.value(dcat_ap_2, DCTERMS.isReplacedBy) == URIRef(
        standard_iri(DEFAULT_BASE, "dcat-ap"))
    old_gis = URIRef(component_iri(DEFAULT_BASE, "old-gis"))
    assert (old_gis, RDF.type, URIRef(REG + "Component")) in graph
    assert graph.value(old_gis, adms_status) == URIRef(
        status_iri(DEFAULT_BASE, "component", "retired"))


# --- THE EQUIVALENCE TEST: the fast check says what pyshacl says -----------------------

Mutation = Callable[[dict[str, Any]], None]


def _mutations() -> list[tuple[str, Mutation]]:
    """Return named sheet mutations that exercise every shape of the linked-data layer."""
    out: list[tuple[str, Mutation]] = [("unchanged", lambda s: None)]
    for label, setter, _, scheme in CONCEPT_FIELDS:
        typo = TYPOS[scheme][0]
        old = DEPRECATED[scheme][0]
        out += [
            (f"{label}-unknown", lambda s, f=setter, v=typo: f(s, v)),
            (f"{label}-deprecated", lambda s, f=setter, v=old: f(s, v)),
            (f"{label}-other-scheme", lambda s, f=setter: f(s, "TrafficFlowObserved")),
            (f"{label}-odd", lambda s, f=setter: f(s, "a/b:c d@")),
        ]
    out += [
        ("standard-unknown", lambda s: s["standards"].append({"id": "dcatap"})),
        ("standard-deprecated", lambda s: s["standards"].append({"id": "dcat-ap-2"})),
        ("standard-deprecated-2", lambda s: s["standards"].__setitem__(
            2, {"id": "wcag-2-0", "conformance": "complies"})),
        ("standard-candidate", lambda s: s["standards"].append({"id": "wcag-2-2"})),
        ("standard-a-concept", lambda s: s["standards"].append({"id": "mobility"})),
        ("standard-twice", lambda s: s["standards"].extend([{"id": "x"}, {"id": "x"}])),
        ("standard-bad-types", lambda s: s["standards"].extend(
            ["ngsi-ld", 3, None, {"id": 5}, {"id": None}, {"note": "no id"}])),
        ("component-unknown", lambda s: s["components"]["reuses"].append("fidos")),
        ("component-retired", lambda s: s["components"]["reuses"].append("old-gis")),
        ("component-pilot", lambda s: s["components"]["reuses"].append("broker-pilot")),
        ("component-a-standard", lambda s: s["components"]["reuses"].append("ngsi-ld")),
        ("domains-duplicates", lambda s: s.__setitem__("domains", ["x", "mobility", "x"])),
        ("domains-keywords", lambda s: s.__setitem__(
            "domains", ["title", "dcterms", "@id", "_:b", "", "%6Dobility", "MOBILITY"])),
        ("domains-a-string", lambda s: s.__setitem__("domains", "nope")),
        ("domains-wrong-items", lambda s: s.__setitem__("domains", [1, None, {"x": 1}, []])),
        ("partners-none", lambda s: s.__setitem__("partners", None)),
        ("owner-a-string", lambda s: s.__setitem__("owner", "nope")),
        ("owner-organisation-a-list", lambda s: s["owner"].__setitem__("organisation", ["x"])),
        ("owner-extra-field", lambda s: s["owner"].__setitem__("domains", ["nope"])),
        ("capabilities-a-list", lambda s: s.__setitem__("capabilities", ["nope"])),
        ("data-none", lambda s: s.__setitem__("data", None)),
        ("no-id", lambda s: s.pop("id")),
        ("id-odd", lambda s: s.__setitem__("id", "a b/c")),
        ("with-context", lambda s: s.__setitem__("@context", {"domains": "http://e.x/d"})),
        ("x-extension", lambda s: s.__setitem__("x-domains", ["nope"])),
        ("everything-wrong", _everything_wrong),
    ]
    return out


def _everything_wrong(sheet: dict[str, Any]) -> None:
    for _, setter, _, scheme in CONCEPT_FIELDS:
        setter(sheet, TYPOS[scheme][0])
        setter(sheet, DEPRECATED[scheme][0])
    sheet["standards"] += [{"id": "dcatap"}, {"id": "dcat-ap-2"}, {"id": "wcag-2-0"}]
    sheet["components"]["reuses"] += ["fidos", "old-gis", "broker-pilot"]


MUTATIONS = _mutations()


def test_there_are_enough_variants() -> None:
    assert len(MUTATIONS) >= 40


def _assert_equivalent(sheet: Any, catalogue: Catalogue, shapes: Graph,
                       base: str = DEFAULT_BASE) -> set[tuple[str, str, str]]:
    fast = codes(check(sheet, catalogue))
    slow = codes(shacl_check(sheet, catalogue, base, shapes=shapes))
    assert fast == slow, f"fast only: {fast - slow}; SHACL only: {slow - fast}"
    return fast


@pytest.mark.parametrize("mutation", [m for _, m in MUTATIONS], ids=[n for n, _ in MUTATIONS])
def test_fast_check_equals_shacl(example: dict[str, Any], shapes: Graph,
                                 mutation: Mutation) -> None:
    mutation(example)
    _assert_equivalent(example, CATALOGUE, shapes)


def test_the_variants_exercise_every_code(example: dict[str, Any]) -> None:
    _everything_wrong(example)
    assert {c for c, _, _ in codes(check(example, CATALOGUE))} == {
        "vocabulary.unknown-concept", "vocabulary.deprecated-concept",
        "catalogue.unknown-standard", "catalogue.deprecated-standard",
        "catalogue.unknown-component", "catalogue.retired-component"}


def test_fast_check_equals_shacl_under_another_base(example: dict[str, Any]) -> None:
    _everything_wrong(example)
    found = _assert_equivalent(example, CATALOGUE, shapes_graph(OTHER_BASE), OTHER_BASE)
    assert len(found) == 20  # 7 x 2 concepts, the owner, 3 standards, 2 components


def _sheet_files() -> list[Path]:
    found: list[Path] = []
    for folder in (ROOT / "tests" / "data", ROOT / "examples"):
        if folder.is_dir():
            found += sorted(p for p in folder.rglob("*")
                            if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    return found


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        return None


SHEETS = [(p, s) for p in _sheet_files() if isinstance(s := _load(p), dict)]


@pytest.mark.parametrize("sheet", [s for _, s in SHEETS],
                         ids=[str(p.relative_to(ROOT)) for p, _ in SHEETS])
def test_fast_check_equals_shacl_on_the_sheet_files(sheet: dict[str, Any],
                                                    shapes: Graph) -> None:
    _assert_equivalent(sheet, CATALOGUE, shapes)


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    """Return the shipped catalogue, or skip when it does not load (yet)."""
    from registry.catalogue.files import CatalogueLoadError, load_catalogue, shipped_root

    try:
        return load_catalogue(shipped_root())
    except CatalogueLoadError as error:  # pragma: no cover - depends on the YAML files
        pytest.skip(f"the shipped catalogue does not load: {error}")


@pytest.mark.parametrize("sheet", [s for _, s in SHEETS],
                         ids=[str(p.relative_to(ROOT)) for p, _ in SHEETS])
def test_fast_check_equals_shacl_with_the_shipped_catalogue(sheet: dict[str, Any],
                                                            shipped: Catalogue,
                                                            shapes: Graph) -> None:
    _assert_equivalent(sheet, shipped, shapes)
    mutated = copy.deepcopy(sheet)
    _everything_wrong_shipped(mutated, shipped)
    _assert_equivalent(mutated, shipped, shapes)


def _everything_wrong_shipped(sheet: dict[str, Any], catalogue: Catalogue) -> None:
    """Add unknown and (where the catalogue has them) deprecated or retired values."""
    def first(predicate: Callable[[Any], bool], records: Any) -> list[str]:
        return [k for k, r in records.items() if predicate(r)][:1]

    for key in ("domains", "partners", "data_themes"):
        if isinstance(sheet.get(key), list):
            sheet[key] += ["nope"]
    if isinstance(sheet.get("capabilities"), dict):
        sheet["capabilities"].setdefault("needs", [])
        sheet["capabilities"]["needs"] += ["nope"] + [
            c.id for c in catalogue.concepts.get("capabilities", {}).values() if c.deprecated]
    if isinstance(sheet.get("standards"), list):
        sheet["standards"] += [{"id": i} for i in ["nope", *first(
            lambda r: r.get("status") == "deprecated", catalogue.standards)]]
    if isinstance(sheet.get("components"), dict):
        sheet["components"].setdefault("reuses", [])
        sheet["components"]["reuses"] += ["nope", *first(
            lambda r: r.get("status") == "retired", catalogue.components)]


def test_the_core_imports_no_web_framework() -> None:
    files = [*(ROOT / "registry" / "linked_data").glob("*.py"),
             ROOT / "registry" / "validation" / "linked_data.py",
             ROOT / "registry" / "validation" / "policy.py"]
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert "import flask" not in source and "from flask" not in source, path
        assert "import click" not in source and "from click" not in source, path


CANDIDATES = st.sampled_from(
    [i for ids in VOCABULARIES.values() for i in ids[:3]]
    + [old for old, _ in DEPRECATED.values()]
    + [s for s, *_ in STANDARDS[:4]] + [c for c, *_ in COMPONENTS[-3:]]
    + ["nope", "", "a/b", "x y", "@id", "title"]) | st.text(max_size=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(st.integers(0, len(CONCEPT_FIELDS) + 1), CANDIDATES),
                       max_size=6))
def test_fast_check_equals_shacl_on_random_values(example: dict[str, Any], shapes: Graph,
                                                  values: list[tuple[int, str]]) -> None:
    sheet = copy.deepcopy(example)
    for where, value in values:
        if where < len(CONCEPT_FIELDS):
            CONCEPT_FIELDS[where][1](sheet, value)
        elif where == len(CONCEPT_FIELDS):
            sheet["standards"].append({"id": value, "conformance": "complies"})
        else:
            sheet["components"]["reuses"].append(value)
    _assert_equivalent(sheet, CATALOGUE, shapes)


def test_the_saved_shape_facts_are_those_of_the_shapes_file() -> None:
    # The fast path reads the facts without rdflib; they must be the shapes' own.
    saved = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    assert saved == saved_rules(), (
        "the shapes changed: run .venv/bin/python -c 'from registry.validation.linked_data "
        "import write_saved_rules; write_saved_rules()'")
    assert rule_table() == derive_rules(shapes_graph())
