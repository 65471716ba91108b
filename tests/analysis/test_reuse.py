"""Reuse, pooling, overlap, data-sharing and standard-divergence opportunities."""

from __future__ import annotations

import copy
import json
import random
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.analysis.reuse import (
    OPPORTUNITY_TYPES,
    STATUS_RULES,
    SUMMARY_MAX_CHARS,
    THRESHOLD_HELP,
    Opportunity,
    Thresholds,
    _opening,
    find_opportunities,
    overlap_index,
    read_projects,
)
from registry.catalogue.files import load_catalogue, shipped_root
from registry.catalogue.snapshot import Catalogue

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """Return the shipped catalogue, read once for the module."""
    return load_catalogue(shipped_root())


def sheet(pid: str, owner: str, *, needs: tuple[str, ...] = ("web-user-interface",),
          builds: tuple[str, ...] = (), reuses: tuple[str, ...] = (),
          uses: tuple[str, ...] = (), produces: tuple[str, ...] = (),
          standards: dict[str, str] | None = None, status: str = "proposed",
          domains: tuple[str, ...] = ("governance",), title: str | None = None,
          summary: str | None = None, **extra: Any) -> dict[str, Any]:
    """Return a project sheet with what the analysis reads, the rest left out."""
    data = {
        "sheet": "project-sheet/v1", "id": pid,
        "title": {"en": title or f"Project {pid}"},
        "summary": {"en": summary or f"The summary of project {pid}, long enough."},
        "owner": {"organisation": owner, "contact": {"name": "Lead", "email": "a@b.be"}},
        "status": status, "domains": list(domains),
        "timeline": {"start": "2026-01-01", "end": "2027-12-31"},
        "capabilities": {"needs": list(needs), "builds": list(builds)},
        "components": {"reuses": list(reuses)},
        "data": {"uses": list(uses), "produces": list(produces),
                 "personal_data": False, "open_data": False},
        "standards": [{"id": s, "conformance": c} for s, c in (standards or {}).items()],
    }
    data.update(extra)
    return data


def of_type(found: list[Opportunity], kind: str) -> list[Opportunity]:
    return [o for o in found if o.type == kind]


def paired(found: list[Opportunity], a: str, b: str) -> list[Opportunity]:
    return [o for o in found if a in o.projects and b in o.projects]


# -- reuse -----------------------------------------------------------------------------------

def test_building_what_an_active_component_provides_is_reuse(catalogue: Catalogue) -> None:
    found = find_opportunities(
        [sheet("bins", "bruxelles-proprete", builds=("incident-reporting",))], catalogue)
    [reuse] = of_type(found, "reuse")
    assert reuse.projects == ("bins",)
    assert reuse.organisations == ("bruxelles-proprete",)
    assert dict(reuse.link) == {"component": "fixmystreet", "capability": "incident-reporting"}
    assert reuse.score == 1.0
    assert "FixMyStreet" in reuse.explanation and "incident reporting" in reuse.explanation


def test_needing_without_reusing_a_provider_is_reuse(catalogue: Catalogue) -> None:
    found = find_opportunities(
        [sheet("login", "city-of-brussels", needs=("identity-authentication",))], catalogue)
    [reuse] = of_type(found, "reuse")
    assert reuse.link["component"] == "csam-fas"
    assert reuse.score == Thresholds().score_reuse_needs


@pytest.mark.parametrize("kwargs", [
    {"needs": ("identity-authentication",), "reuses": ("csam-fas",)},
    {"builds": ("incident-reporting",), "reuses": ("fixmystreet",)},
    {"builds": ("incident-reporting",), "status": "delivered"},
    {"builds": ("incident-reporting",), "status": "stopped"},
    {"needs": ("network-connectivity",), "reuses": ("fibru",)},  # reuses a pilot provider
])
def test_no_reuse_when_reused_delivered_or_stopped(catalogue: Catalogue,
                                                   kwargs: dict[str, Any]) -> None:
    found = find_opportunities([sheet("p", "paradigm", **kwargs)], catalogue)
    assert of_type(found, "reuse") == []


def test_open_data_flag_counts_as_a_need_for_reuse(catalogue: Catalogue) -> None:
    data = sheet("portal-less", "perspective")
    data["data"]["open_data"] = True
    [reuse] = of_type(find_opportunities([data], catalogue), "reuse")
    assert dict(reuse.link) == {"component": "opendata-portal",
                                "capability": "open-data-publication"}


# -- pooling ---------------------------------------------------------------------------------

def test_owners_building_an_unprovided_capability_should_pool(catalogue: Catalogue) -> None:
    found = find_opportunities([
        sheet("a", "brussels-environment", builds=("data-analytics",)),
        sheet("b", "city-of-brussels", builds=("data-analytics",)),
        sheet("c", "bruxelles-proprete", needs=("data-analytics",)),
    ], catalogue)
    [pooling] = of_type(found, "pooling")
    assert pooling.projects == ("a", "b", "c")
    assert pooling.organisations == ("brussels-environment", "bruxelles-proprete",
                                     "city-of-brussels")
    assert pooling.link["capability"] == "data-analytics"
    assert 0.4 < pooling.score < 1.0  # two of three organisations build it
    assert pooling.explanation.startswith("3 projects of 3 organisations")


@pytest.mark.parametrize("second", [
    sheet("b", "brussels-environment", builds=("data-analytics",)),  # same owner
    sheet("b", "city-of-brussels", builds=("data-analytics",), status="stopped"),
])
def test_no_pooling_within_one_owner(catalogue: Catalogue, second: dict[str, Any]) -> None:
    found = find_opportunities(
        [sheet("a", "brussels-environment", builds=("data-analytics",)), second], catalogue)
    assert of_type(found, "pooling") == []


def test_no_pooling_of_provided_or_generic_capabilities(catalogue: Catalogue) -> None:
    found = find_opportunities([
        sheet("a", "paradigm", needs=("incident-reporting", "web-user-interface")),
        sheet("b", "urban", needs=("incident-reporting", "web-user-interface")),
    ], catalogue)
    assert of_type(found, "pooling") == []


def test_delivered_projects_pool_only_next_to_an_open_one(catalogue: Catalogue) -> None:
    delivered = sheet("old", "stib-mivb", needs=("traffic-forecasting",), status="delivered")
    found = find_opportunities(
        [delivered, sheet("new", "brussels-mobility", builds=("traffic-forecasting",))],
        catalogue)
    assert [o.projects for o in of_type(found, "pooling")] == [("new", "old")]
    other = sheet("old2", "port", needs=("traffic-forecasting",), status="delivered")
    assert of_type(find_opportunities([delivered, other], catalogue), "pooling") == []


def test_large_groups_are_cut_and_counted(catalogue: Catalogue) -> None:
    sheets = [sheet(f"p{i}", f"org-{i}", builds=("data-analytics",)) for i in range(7)]
    [pooling] = of_type(find_opportunities(sheets, catalogue, Thresholds(max_group_size=3)),
                        "pooling")
    assert len(pooling.projects) == 3
    assert pooling.link["project_count"] == 7
    assert pooling.explanation.startswith("7 projects of 7 organisations")


# -- overlap ---------------------------------------------------------------------------------

AIR = {"needs": ("sensor-data-ingestion", "open-data-publication"),
       "builds": ("data-analytics",), "uses": ("WeatherObserved",),
       "produces": ("AirQualityObserved", "NoiseLevelObserved"),
       "domains": ("environment", "living")}


def test_projects_that_look_alike_overlap(catalogue: Catalogue) -> None:
    found = find_opportunities([
        sheet("air", "brussels-environment", title="Regional air quality sensor network",
              summary="Sensors measure air quality and noise in every district.", **AIR),
        sheet("noise", "city-of-brussels", title="Neighbourhood air and noise sensor network",
              summary="Low-cost sensors measure air quality and noise levels.", **AIR),
        sheet("forms", "easy", needs=("e-counter-forms",), domains=("people",),
              title="Once-only regional e-forms", summary="Pre-filled forms for citizens."),
    ], catalogue)
    [overlap] = of_type(found, "overlap")
    assert overlap.projects == ("air", "noise")
    assert overlap.score >= 0.7
    assert overlap.link["entities"] == ("AirQualityObserved", "NoiseLevelObserved",
                                        "WeatherObserved")
    assert "sensor" in overlap.link["words"]
    assert "should talk before both proceed" in overlap.explanation
    assert not paired(found, "air", "forms") and not paired(found, "noise", "forms")


def test_no_overlap_within_one_owner_or_between_delivered(catalogue: Catalogue) -> None:
    one = sheet("air", "brussels-environment", title="Air sensor network", **AIR)
    same_owner = sheet("noise", "brussels-environment", title="Air sensor network", **AIR)
    assert of_type(find_opportunities([one, same_owner], catalogue), "overlap") == []
    done = [sheet("a", "urban", title="Air sensor network", status="delivered", **AIR),
            sheet("b", "port", title="Air sensor network", status="delivered", **AIR)]
    assert of_type(find_opportunities(done, catalogue), "overlap") == []


def test_overlap_compares_the_language_both_sheets_share(catalogue: Catalogue) -> None:
    french = sheet("fr", "urban", **AIR)
    french["title"] = {"fr": "Réseau de capteurs de la qualité de l'air"}
    french["summary"] = {"fr": "Des capteurs mesurent la qualité de l'air et le bruit."}
    both = sheet("both", "port", **AIR)
    both["title"] = {"nl": "Netwerk van luchtkwaliteitssensoren",
                     "fr": "Réseau de capteurs de qualité de l'air"}
    both["summary"] = {"nl": "Sensoren meten de luchtkwaliteit en het geluid.",
                       "fr": "Des capteurs mesurent la qualité de l'air et le bruit."}
    [overlap] = of_type(find_opportunities([french, both], catalogue), "overlap")
    assert {"capteurs", "qualite", "air"} <= set(overlap.link["words"])


def test_blocking_finds_what_comparing_all_pairs_finds(catalogue: Catalogue) -> None:
    sheets = random_roadmap(random.Random(7), 120)
    projects, _ = read_projects(sheets)
    thresholds = Thresholds()
    index = overlap_index(projects, thresholds)

    def overlaps(pairs: Any) -> set[tuple[int, int]]:
        return {(i, j) for i, j in pairs
                if projects[i].owner != projects[j].owner
                and index.score(i, j) >= thresholds.overlap_min_score}

    everything = overlaps(index.all_pairs())
    found = overlaps(index.candidates())
    assert len(everything) > 50, "the fixture should hold overlaps"
    assert found <= everything
    # Not all: a pair that shares no two rare features is never a candidate. On a
    # regional roadmap that is rare even with this fixture's tiny vocabulary.
    assert len(found) >= 0.95 * len(everything)


def test_long_summaries_are_read_up_to_a_word_boundary(catalogue: Catalogue) -> None:
    long = "Sensors measure air quality. " * 40 + "Filler words. " * 400
    a = sheet("a", "urban", title="Air sensors", summary=long, **AIR)
    b = sheet("b", "port", title="Air sensors", summary=_opening(long, SUMMARY_MAX_CHARS),
              **AIR)
    [overlap] = of_type(find_opportunities([a, b], catalogue), "overlap")
    assert overlap.score == 1.0  # what lies past SUMMARY_MAX_CHARS was not read
    assert _opening("hello world foo", 11) == "hello world"
    assert _opening("hello world foo", 10) == "hello"
    assert _opening("helloworld", 3) == "hel"


# -- data-sharing ----------------------------------------------------------------------------

def test_a_producer_and_its_consumers_share_data(catalogue: Catalogue) -> None:
    found = find_opportunities([
        sheet("hub", "brussels-mobility", produces=("TrafficFlowObserved",)),
        sheet("air", "brussels-environment", uses=("TrafficFlowObserved",)),
        sheet("map", "brussels-mobility", uses=("TrafficFlowObserved",)),  # same owner
        sheet("self", "port", uses=("TrafficFlowObserved",), produces=("TrafficFlowObserved",)),
    ], catalogue)
    [sharing] = of_type(found, "data-sharing")
    assert sharing.link["entity"] == "TrafficFlowObserved"
    assert sharing.link["producers"] == ("hub", "self")
    assert sharing.link["consumers"] == ("air", "map")
    assert sharing.projects == ("air", "hub", "map", "self")
    assert "rather than collect it again" in sharing.explanation


def test_no_data_sharing_without_a_consumer(catalogue: Catalogue) -> None:
    found = find_opportunities([
        sheet("a", "urban", produces=("Building",)),
        sheet("b", "perspective", produces=("Building",), uses=("Building",)),
    ], catalogue)
    assert of_type(found, "data-sharing") == []


# -- standard-divergence ---------------------------------------------------------------------

def test_exchanging_projects_with_different_standards_diverge(catalogue: Catalogue) -> None:
    found = find_opportunities([
        sheet("stib", "stib-mivb", produces=("GtfsStop",),
              standards={"gtfs": "complies", "siri": "partial", "datex-2": "explain"}),
        sheet("udp", "paradigm", uses=("GtfsStop",), standards={"netex": "complies"}),
    ], catalogue)
    [divergence] = of_type(found, "standard-divergence")
    assert divergence.projects == ("stib", "udp")
    assert dict(divergence.link) == {"entity": "GtfsStop", "category": "mobility",
                                     "standards": ("gtfs", "netex", "siri"),
                                     "project_count": 2}
    assert divergence.score == 1.0
    assert "NeTEx" in divergence.explanation and "GTFS" in divergence.explanation


@pytest.mark.parametrize("standards", [
    {"gtfs": "complies"},  # the same standard: they can talk
    {"netex": "explain"},  # an explanation is not a use
    {"wcag-2-1": "complies"},  # accessibility: not a way to exchange data
])
def test_no_divergence_when_standards_meet(catalogue: Catalogue,
                                           standards: dict[str, str]) -> None:
    found = find_opportunities([
        sheet("stib", "stib-mivb", produces=("GtfsStop",),
              standards={"gtfs": "complies", "wcag-2-2": "planned"}),
        sheet("udp", "paradigm", uses=("GtfsStop",), standards=standards),
    ], catalogue)
    assert of_type(found, "standard-divergence") == []


def test_two_users_of_one_producer_are_not_compared(catalogue: Catalogue) -> None:
    found = find_opportunities([
        sheet("hub", "brussels-mobility", produces=("TrafficFlowObserved",)),
        sheet("stib", "stib-mivb", uses=("TrafficFlowObserved",), standards={"gtfs": "complies"}),
        sheet("ev", "sibelga", uses=("TrafficFlowObserved",), standards={"ocpi": "complies"}),
    ], catalogue)
    assert of_type(found, "standard-divergence") == []


def test_grouped_categories_are_compared_as_one(catalogue: Catalogue) -> None:
    sheets = [
        sheet("air", "brussels-environment", produces=("AirQualityObserved",),
              standards={"ngsi-ld": "complies"}),
        sheet("noise", "city-of-brussels", produces=("AirQualityObserved",),
              standards={"sensorthings": "complies"}),
    ]
    [divergence] = of_type(find_opportunities(sheets, catalogue), "standard-divergence")
    assert divergence.link["categories"] == ("context-management", "iot-sensors")
    alone = Thresholds(divergence_category_groups=())
    assert of_type(find_opportunities(sheets, catalogue, alone), "standard-divergence") == []


# -- the whole ---------------------------------------------------------------------------------

def test_stopped_projects_are_ignored(catalogue: Catalogue) -> None:
    sheets = [sheet("a", "urban", builds=("incident-reporting", "data-analytics"),
                    produces=("Road",), status="stopped"),
              sheet("b", "port", builds=("data-analytics",), uses=("Road",))]
    found = find_opportunities(sheets, catalogue)
    assert all("a" not in o.projects for o in found)


def test_the_order_of_the_sheets_does_not_matter(catalogue: Catalogue) -> None:
    sheets = random_roadmap(random.Random(3), 80)
    expected = [o.to_dict() for o in find_opportunities(sheets, catalogue)]
    assert {o["type"] for o in expected} == set(OPPORTUNITY_TYPES)
    for seed in range(3):
        shuffled = copy.deepcopy(sheets)
        random.Random(seed).shuffle(shuffled)
        assert [o.to_dict() for o in find_opportunities(shuffled, catalogue)] == expected
    order = [OPPORTUNITY_TYPES.index(o["type"]) for o in expected]
    assert order == sorted(order)


GARBAGE: list[Any] = [
    None, 3, "sheet", [], {}, {"id": 5}, {"id": "x", "owner": "paradigm", "status": "proposed"},
    sheet("bad-status", "urban", status="cancelled"),
    sheet("bad-needs", "urban", capabilities={"needs": "data-analytics"}),
    sheet("bad-item", "urban", capabilities={"needs": [{"id": "data-analytics"}]}),
    sheet("bad-title", "urban", title=None, summary=None) | {"title": {"en": 5}},
    sheet("bad-standard", "urban") | {"standards": [{"id": "gtfs", "conformance": "yes"}]},
    sheet("bad-standards", "urban") | {"standards": "gtfs"},
    sheet("bad-conformance", "urban") | {"standards": [{"id": "gtfs", "conformance": []}]},
    sheet("bad-standard-id", "urban") | {"standards": [{"id": {}, "conformance": "partial"}]},
    sheet("bad-declaration", "urban") | {"standards": ["gtfs"]},
    sheet("bad-data", "urban") | {"data": ["Road"]},
]


def test_malformed_sheets_are_skipped(catalogue: Catalogue) -> None:
    good = [sheet("a", "brussels-environment", builds=("data-analytics",)),
            sheet("b", "city-of-brussels", builds=("data-analytics",))]
    projects, skipped = read_projects([*GARBAGE, *good])
    assert [p.id for p in projects] == ["a", "b"]
    assert skipped == list(range(len(GARBAGE)))
    found = find_opportunities([*GARBAGE, *good], catalogue)
    assert "pooling" in {o.type for o in found}
    assert all(o.projects == ("a", "b") for o in found)


def test_a_duplicate_id_keeps_one_sheet_whatever_the_order(catalogue: Catalogue) -> None:
    one = sheet("dup", "urban", builds=("incident-reporting",))
    two = sheet("dup", "port", needs=("identity-authentication",))
    assert find_opportunities([one, two], catalogue) == find_opportunities([two, one], catalogue)


def test_opportunities_are_json_ready(catalogue: Catalogue) -> None:
    for opportunity in find_opportunities(random_roadmap(random.Random(5), 40), catalogue):
        data = opportunity.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert set(data) == {"type", "projects", "organisations", "link", "score",
                             "explanation", "omitted"}
        assert data["omitted"] == len(opportunity.everyone) - len(opportunity.projects) >= 0
        assert hash(opportunity) == hash(opportunity)


def test_every_setting_is_documented_and_checked() -> None:
    assert list(THRESHOLD_HELP) == [f.name for f in fields(Thresholds)]
    assert all(len(text) > 40 for text in THRESHOLD_HELP.values())
    assert set(STATUS_RULES) == {"proposed", "selected", "in-progress", "delivered", "stopped"}
    for bad in ({"overlap_min_score": 1.5}, {"max_group_size": 0}, {"block_prefix": 1},
                {"pooling_min_organisations": 1}, {"weight_text": -0.1}):
        with pytest.raises(ValueError):
            Thresholds(**bad)


# -- properties --------------------------------------------------------------------------------

CAPABILITIES = ["data-analytics", "incident-reporting", "identity-authentication",
                "sensor-data-ingestion", "public-transport-data", "traffic-forecasting"]
ENTITIES = ["GtfsStop", "TrafficFlowObserved", "AirQualityObserved", "Road"]
STANDARDS = ["gtfs", "netex", "ngsi-ld", "sensorthings", "openapi-3", "unknown-standard"]
WORDS = ["air", "sensor", "network", "réseau", "capteurs", "mobilité", "forms", "data",
         "the", "de", "het", "platform", "bus"]


def random_roadmap(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Return a seeded roadmap whose projects share capabilities, entities and words."""
    return [
        sheet(f"p{i:03d}", rng.choice(["urban", "port", "paradigm", "easy", "safe"]),
              needs=tuple(rng.sample(CAPABILITIES, rng.randint(1, 3))),
              builds=tuple(rng.sample(CAPABILITIES, rng.randint(0, 1))),
              uses=tuple(rng.sample(ENTITIES, rng.randint(0, 2))),
              produces=tuple(rng.sample(ENTITIES, rng.randint(0, 1))),
              standards={s: rng.choice(["complies", "partial", "explain"])
                         for s in rng.sample(STANDARDS, rng.randint(0, 3))},
              status=rng.choice(["proposed", "in-progress", "delivered", "stopped"]),
              domains=tuple(rng.sample(["mobility", "environment", "people"], 1)),
              title=" ".join(rng.sample(WORDS, 4)), summary=" ".join(rng.choices(WORDS, k=12)))
        for i in range(count)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), count=st.integers(0, 40),
       groups=st.integers(1, 50), min_score=st.floats(0, 1))
def test_scores_are_bounded_and_projects_real(seed: int, count: int, groups: int,
                                              min_score: float) -> None:
    catalogue = _CATALOGUE
    sheets = random_roadmap(random.Random(seed), count)
    alive = {s["id"]: s["owner"]["organisation"] for s in sheets if s["status"] != "stopped"}
    found = find_opportunities(sheets, catalogue,
                               Thresholds(max_group_size=groups, overlap_min_score=min_score))
    for opportunity in found:
        assert 0.0 <= opportunity.score <= 1.0
        assert opportunity.projects == tuple(sorted(set(opportunity.projects)))
        assert set(opportunity.projects) <= alive.keys()
        assert len(opportunity.projects) <= max(groups, 2)
        assert set(opportunity.organisations) <= {alive[p] for p in opportunity.projects}
        assert opportunity.explanation.endswith(".")
        if opportunity.type == "overlap":
            assert opportunity.score + 0.0005 >= min_score  # reported rounded to 3 places


_CATALOGUE = load_catalogue(shipped_root())

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                   max_size=3),
    max_leaves=6)
FIELDS = ["id", "title", "summary", "owner", "status", "domains", "data_themes",
          "capabilities", "components", "data", "standards"]


@settings(max_examples=150, deadline=None)
@given(replaced=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3),
       seed=st.integers(0, 100))
def test_any_value_in_any_field_never_raises(replaced: dict[str, Any], seed: int) -> None:
    sheets = random_roadmap(random.Random(seed), 6)
    sheets[0] = sheets[0] | replaced
    found = find_opportunities(sheets, _CATALOGUE)  # never raises
    projects, _ = read_projects(sheets)
    assert all(set(o.projects) <= {p.id for p in projects} for o in found)


# -- the example roadmap ---------------------------------------------------------------

@pytest.fixture(scope="module")
def examples(catalogue: Catalogue) -> list[Opportunity]:
    """Return the opportunities of the example roadmap (examples/*.yaml)."""
    if not (EXAMPLES / "README.md").is_file():
        pytest.skip("examples/ has no README: no planted opportunities to check")
    sheets = [yaml.safe_load(path.read_text(encoding="utf-8"))
              for path in sorted(EXAMPLES.glob("*.yaml"))]
    return find_opportunities(sheets, catalogue)


def find(found: list[Opportunity], kind: str, **link: Any) -> Opportunity:
    matches = [o for o in found if o.type == kind
               and all(o.link.get(k) == v for k, v in link.items())]
    assert len(matches) == 1, (kind, link, [o.to_dict() for o in found if o.type == kind])
    return matches[0]


@pytest.mark.parametrize(("project", "capability", "component"), [
    ("smart-waste-containers", "incident-reporting", "fixmystreet"),
    ("neighbourhood-air-noise-sensors", "identity-authentication", "csam-fas"),
    ("mobility-data-hub", "open-data-publication", "opendata-portal"),
])
def test_examples_planted_reuse(examples: list[Opportunity], project: str, capability: str,
                                component: str) -> None:
    found = find(examples, "reuse", capability=capability, component=component)
    assert found.projects == (project,)


@pytest.mark.parametrize(("capability", "projects"), [
    ("sensor-data-ingestion", {"air-quality-sensor-network", "neighbourhood-air-noise-sensors",
                               "smart-waste-containers"}),
    ("data-analytics", {"air-quality-sensor-network", "neighbourhood-air-noise-sensors",
                        "smart-waste-containers", "urban-data-platform"}),
    ("traffic-forecasting", {"mobility-data-hub", "stib-real-time-passenger-info"}),
])
def test_examples_planted_pooling(examples: list[Opportunity], capability: str,
                                  projects: set[str]) -> None:
    assert set(find(examples, "pooling", capability=capability).projects) == projects


def test_examples_generic_capabilities_are_not_pooled(examples: list[Opportunity]) -> None:
    pooled = {o.link["capability"] for o in of_type(examples, "pooling")}
    assert not pooled & {"web-user-interface", "public-api", "mobile-app",
                         "personal-data-processing"}


def test_examples_planted_overlap_is_the_most_similar_pair(examples: list[Opportunity]) -> None:
    overlaps = of_type(examples, "overlap")
    assert overlaps[0].projects == ("air-quality-sensor-network",
                                    "neighbourhood-air-noise-sensors")
    assert overlaps[0].score > max([o.score for o in overlaps[1:]], default=0)


@pytest.mark.parametrize(("entity", "producers", "consumers"), [
    ("TrafficFlowObserved", ("mobility-data-hub",),
     ("air-quality-sensor-network", "ev-charging-map", "stib-real-time-passenger-info",
      "urban-data-platform")),
    ("AirQualityObserved", ("air-quality-sensor-network", "neighbourhood-air-noise-sensors"),
     ("urban-data-platform",)),
    ("WasteContainer", ("smart-waste-containers",),
     ("fixmystreet-evolution", "urban-data-platform")),
    ("GtfsStop", ("stib-real-time-passenger-info",), ("urban-data-platform",)),
])
def test_examples_planted_data_sharing(examples: list[Opportunity], entity: str,
                                       producers: tuple[str, ...],
                                       consumers: tuple[str, ...]) -> None:
    found = find(examples, "data-sharing", entity=entity)
    assert (found.link["producers"], found.link["consumers"]) == (producers, consumers)


def test_examples_planted_standard_divergence(examples: list[Opportunity]) -> None:
    gtfs = find(examples, "standard-divergence", entity="GtfsStop", category="mobility")
    assert gtfs.projects == ("stib-real-time-passenger-info", "urban-data-platform")
    assert {"gtfs", "netex"} <= set(gtfs.link["standards"])
    # NGSI-LD and SensorThings sit in two categories that the default settings group.
    air = find(examples, "standard-divergence", entity="AirQualityObserved")
    assert "neighbourhood-air-noise-sensors" in air.projects
    assert {"ngsi-ld", "sensorthings"} <= set(air.link["standards"])
    # The side effect the README warns of: two users of the hub's traffic data, which
    # they do not exchange with each other.
    assert not [o for o in examples if o.type == "standard-divergence"
                and o.link["entity"] == "TrafficFlowObserved"]


@pytest.mark.parametrize(("a", "b"), [
    ("once-only-regional-forms", "smart-waste-containers"),
    ("air-quality-sensor-network", "eudi-wallet-irisbox"),
    ("air-quality-sensor-network", "canal-logistics-data-platform"),
    ("ev-charging-map", "once-only-regional-forms"),
    ("eudi-wallet-irisbox", "mobility-data-hub"),
])
def test_examples_unrelated_projects_are_never_paired(examples: list[Opportunity], a: str,
                                                      b: str) -> None:
    assert paired(examples, a, b) == []


def test_examples_stopped_project_is_ignored(examples: list[Opportunity]) -> None:
    assert all("canal-logistics-data-platform" not in o.projects for o in examples)
