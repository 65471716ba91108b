"""Layer 3, policy: comply or explain, expired explanations, reuse before building."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import ERROR, WARNING, Finding
from registry.validation.policy import applicable_capabilities, check
from tests.validation.spec_table import STANDARDS

BEFORE_ANY_UNTIL = date(2026, 6, 1)


COMPONENTS = [  # the spec's table, plus a retired and two pilot components
    ("fidus", "active", ["data-exchange"]),
    ("urbis", "active", ["geospatial-reference-data"]),
    ("irisbox", "active", ["e-counter-forms", "online-payments"]),
    ("fixmystreet", "active", ["incident-reporting"]),
    ("csam-fas", "active", ["identity-authentication"]),
    ("opendata-portal", "active", ["open-data-publication"]),
    ("wifi-brussels", "active", ["public-wifi"]),
    ("participate", "active", ["citizen-participation"]),
    ("payconiq-gateway", "active", ["online-payments"]),
    ("old-gis", "retired", ["geospatial-data-publication"]),
    ("broker-pilot", "pilot", ["context-data-management"]),
]


def _catalogue() -> Catalogue:
    standards = []
    for sid, status, applies_to, replaced_by in STANDARDS:
        record: dict[str, Any] = {"id": sid, "title": {"en": sid}, "acronym": sid.upper(),
                                  "status": status, "applies_to": applies_to,
                                  "category": "data", "principles": []}
        if replaced_by:
            record["replaced_by"] = replaced_by
        standards.append(record)
    components = [{"id": cid, "name": {"en": cid}, "owner": "paradigm", "status": status,
                   "provides": provides, "implements": []}
                  for cid, status, provides in COMPONENTS]
    return Catalogue(standards=standards, components=components, version="policy-tests")


CATALOGUE = _catalogue()


def run(sheet: Any, as_of: date = BEFORE_ANY_UNTIL) -> list[Finding]:
    """Return the policy findings of a sheet against the test catalogue."""
    return list(check(sheet, CATALOGUE, as_of=as_of))


def codes(findings: list[Finding]) -> set[tuple[str, str, str]]:
    """Return (code, severity, path) of findings."""
    return {(f.code, f.severity, f.path) for f in findings}


def declare(sheet: dict[str, Any], *ids: str) -> None:
    """Declare standards as complied with."""
    sheet["standards"] += [{"id": i, "conformance": "complies"} for i in ids]


def undeclare(sheet: dict[str, Any], standard_id: str) -> None:
    """Remove a standard's declaration."""
    sheet["standards"] = [d for d in sheet["standards"] if d.get("id") != standard_id]


# --- applicability and missing standards ----------------------------------------------

def test_the_spec_example_only_misses_a_recommended_standard(example: dict[str, Any]) -> None:
    findings = run(example)
    assert codes(findings) == {("policy.recommended-missing", WARNING, "/standards")}
    assert "`smart-data-models`" in findings[0].message


def test_a_missing_mandatory_standard_is_an_error_that_says_why_and_how(
        example: dict[str, Any]) -> None:
    undeclare(example, "ngsi-ld")
    declare(example, "smart-data-models")
    [f] = run(example)
    assert (f.code, f.severity, f.path) == ("policy.mandatory-missing", ERROR, "/standards")
    assert "mandatory standard `ngsi-ld` (NGSI-LD)" in f.message
    assert "`context-data-management`" in f.message
    assert "declare it" in f.message and "conformance" in f.message
    assert f.hint is not None and "{id: ngsi-ld, conformance: complies}" in f.hint


def test_a_missing_recommended_standard_is_a_warning(example: dict[str, Any]) -> None:
    [f] = run(example)
    assert (f.code, f.severity) == ("policy.recommended-missing", WARNING)
    assert "recommended standard `smart-data-models`" in f.message
    assert "the project needs `context-data-management`" in f.message


def test_builds_makes_standards_apply_too(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["capabilities"]["builds"].append("public-api")
    assert {(f.code, f.message.split("`")[1]) for f in run(example)} == {
        ("policy.recommended-missing", "openapi-3"), ("policy.recommended-missing", "oauth-2")}
    assert all("the project builds `public-api`" in f.message for f in run(example))


def test_open_data_true_counts_as_needing_open_data_publication(
        example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["capabilities"]["needs"].remove("open-data-publication")
    undeclare(example, "dcat-ap")
    [f] = run(example)
    assert (f.code, f.path) == ("policy.mandatory-missing", "/standards")
    assert "`dcat-ap`" in f.message and "data.open_data is true" in f.message
    example["data"]["open_data"] = False
    assert run(example) == []


def test_personal_data_true_counts_as_needing_personal_data_processing(
        example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["data"]["personal_data"] = True
    [f] = run(example)
    assert (f.code, f.severity) == ("policy.recommended-missing", WARNING)
    assert "`iso-27001`" in f.message and "data.personal_data is true" in f.message


def test_one_finding_per_standard_naming_every_reason(example: dict[str, Any]) -> None:
    declare(example, "ngsi-ld")
    undeclare(example, "wcag-2-1")
    declare(example, "smart-data-models")
    example["capabilities"]["needs"] += ["web-user-interface"]
    example["capabilities"]["builds"] += ["mobile-app"]
    [f] = run(example)
    assert f.message.count("`wcag-2-1`") == 1
    assert "`web-user-interface`" in f.message and "`mobile-app`" in f.message


def test_candidate_and_deprecated_standards_are_never_missing(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["capabilities"]["needs"] += ["identity-authentication", "public-transport-data"]
    declare(example, "oidc", "gtfs")
    assert run(example) == []  # saml-2 and netex are candidates


def test_a_deprecated_declaration_is_left_to_the_linked_data_layer(
        example: dict[str, Any]) -> None:
    declare(example, "smart-data-models", "dcat-ap-2")
    assert run(example) == []


def test_declaring_a_standard_in_any_conformance_satisfies_it(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    for declaration in example["standards"]:
        declaration["conformance"] = "explain"
    assert run(example) == []


def test_applicable_capabilities_are_needs_builds_and_data_flags(
        example: dict[str, Any]) -> None:
    example["data"]["personal_data"] = True
    assert list(applicable_capabilities(example)) == [
        "context-data-management", "open-data-publication", "geospatial-reference-data",
        "traffic-forecasting", "personal-data-processing"]


# --- expired explanations -----------------------------------------------------------------

def test_an_explanation_past_its_until_is_an_error_at_until(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    [f] = run(example, as_of=date(2027, 2, 1))
    assert (f.code, f.severity, f.path) == ("policy.explanation-expired", ERROR,
                                            "/standards/2/until")
    assert "explanation for `wcag-2-1` lapsed on 2027-01-31" in f.message
    assert f.hint is not None and "until" in f.hint


def test_until_is_valid_through_its_day(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    assert run(example, as_of=date(2027, 1, 31)) == []


def test_every_lapsed_declaration_is_reported(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    found = run(example, as_of=date(2030, 1, 1))
    assert codes(found) == {("policy.explanation-expired", ERROR, "/standards/1/until"),
                            ("policy.explanation-expired", ERROR, "/standards/2/until")}
    assert any("plan for `dcat-ap`" in f.message for f in found)


def test_until_may_be_a_date_object(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["standards"][2]["until"] = date(2027, 1, 31)
    assert [f.path for f in run(example, as_of=date(2027, 2, 1))] == ["/standards/2/until"]


@pytest.mark.parametrize("until", ["2026-02-30", "31/01/2027", "", 20270131, None,
                                   ["2020-01-01"], datetime(2020, 1, 1, 12, 0)])
def test_an_invalid_until_is_left_to_the_structure_layer(example: dict[str, Any],
                                                         until: Any) -> None:
    declare(example, "smart-data-models")
    example["standards"][2]["until"] = until
    example["standards"][1].pop("until")
    assert run(example, as_of=date(2099, 1, 1)) == []


def test_as_of_defaults_to_today_and_accepts_a_datetime(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["standards"][2]["until"] = "2000-01-01"
    assert [f.code for f in check(example, CATALOGUE)] == ["policy.explanation-expired"]
    assert [f.code for f in check(example, CATALOGUE, as_of=datetime(2000, 1, 2, 9))] == [
        "policy.explanation-expired"]


# --- reuse before building -----------------------------------------------------------------

def test_building_what_an_active_component_provides_is_a_warning(
        example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["components"]["reuses"].remove("fidus")
    example["capabilities"]["builds"].append("data-exchange")
    [f] = run(example)
    assert (f.code, f.severity, f.path) == ("policy.reuse-available", WARNING,
                                            "/capabilities/builds/1")
    assert "consider reusing component fidus" in f.message
    assert f.hint is not None and "components.reuses" in f.hint


def test_no_reuse_warning_when_the_component_is_reused(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["capabilities"]["builds"].append("geospatial-reference-data")
    assert codes(run(example)) == set()  # the example reuses urbis
    example["components"]["reuses"].remove("urbis")
    assert codes(run(example)) == {("policy.reuse-available", WARNING,
                                    "/capabilities/builds/1")}


def test_only_active_components_count(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["capabilities"]["builds"] += ["context-data-management",  # a pilot provides it
                                          "geospatial-data-publication"]  # a retired one
    declare(example, "inspire", "ogc-api-features")
    assert run(example) == []


def test_several_providers_are_all_named(example: dict[str, Any]) -> None:
    declare(example, "smart-data-models")
    example["capabilities"]["builds"] = ["online-payments"]
    [f] = run(example)
    assert "`irisbox` and `payconiq-gateway`" in f.message
    assert "consider reusing component irisbox or payconiq-gateway" in f.message
    example["components"]["reuses"].append("payconiq-gateway")
    assert run(example) == []


def test_findings_carry_line_and_column(example: dict[str, Any]) -> None:
    positions = {"": (1, 1), "/standards": (52, 1), "/standards/2/until": (62, 12),
                 "/capabilities/builds/0": (45, 11)}
    example["capabilities"]["builds"] = ["online-payments"]
    found = {f.code: f for f in check(example, CATALOGUE, positions, as_of=date(2028, 1, 1))}
    assert (found["policy.explanation-expired"].line,
            found["policy.explanation-expired"].column) == (62, 12)
    assert found["policy.recommended-missing"].line == 52
    assert found["policy.reuse-available"].line == 45


# --- robustness --------------------------------------------------------------------------

@pytest.mark.parametrize("sheet", [None, [], "text", 3, {}, {"standards": "x"},
                                   {"capabilities": "x", "data": [], "components": 1}])
def test_non_sheets_and_wrong_types_give_nothing_and_never_raise(sheet: Any) -> None:
    assert run(sheet) == []


def test_wrongly_typed_items_are_skipped(example: dict[str, Any]) -> None:
    example["capabilities"]["needs"] = ["context-data-management", 3, None, ["x"], {"a": 1}]
    example["capabilities"]["builds"] = "data-exchange"  # a string, not a list
    example["standards"] = ["ngsi-ld", None, {"id": 5}, {"id": "ngsi-ld", "until": 3}]
    example["data"]["open_data"] = "yes"  # not True
    example["components"] = {"reuses": "fidus"}
    assert codes(run(example)) == {("policy.recommended-missing", WARNING, "/standards")}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
    | st.dates(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["capabilities", "data", "standards", "components"]),
       value=JSON, as_of=st.dates())
def test_never_raises(example: dict[str, Any], key: str, value: Any, as_of: date) -> None:
    sheet = copy.deepcopy(example)
    sheet[key] = value
    for f in check(sheet, CATALOGUE, as_of=as_of):
        assert f.code.startswith("policy.") and f.path.startswith("/")
