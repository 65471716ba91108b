"""The structure layer: schema.* findings at the right place, and the sheet.* checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from registry.documents.findings import Finding
from registry.documents.parse import parse_document
from registry.validation import structure
from tests.validation.conftest import EXAMPLE_TEXT

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "project-sheet" / "v1.json"


def check_text(text: str) -> list[Finding]:
    parsed = parse_document(text)
    assert parsed.ok, parsed.findings
    return list(structure.check(parsed.value, parsed.positions,
                                key_positions=parsed.key_positions, sources=parsed.sources))


def check_data(sheet: Any) -> list[Finding]:
    return list(structure.check(sheet))


def errors(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in findings if f.severity == "error"]


def one(findings: list[Finding], code: str, path: str | None = None) -> Finding:
    found = [f for f in findings if f.code == code and (path is None or f.path == path)]
    assert len(found) == 1, findings
    return found[0]


def edit(old: str, new: str, text: str = EXAMPLE_TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- the schema file --------------------------------------------------------------------


def test_schema_is_valid_2020_12_with_the_contract_id() -> None:
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == "https://registry.smartcity.brussels/schemas/project-sheet/v1.json"
    assert document["additionalProperties"] is False
    assert list(document["patternProperties"]) == ["^x-"]


def _walk(node: Any, where: str = "") -> list[tuple[str, Any]]:
    out = [(where, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_walk(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_walk(value, f"{where}/{i}"))
    return out


def test_schema_refs_are_local_and_properties_documented() -> None:
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for where, node in _walk(document):
        if isinstance(node, dict) and "$ref" in node:
            assert node["$ref"].startswith("#/$defs/"), where
        if where.endswith("/properties") and isinstance(node, dict) and \
                "/if/" not in where and "/then/" not in where:
            for name, prop in node.items():
                assert prop.get("title") and prop.get("description"), f"{where}/{name}"


def test_schema_required_fields_match_the_spec() -> None:
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert set(document["required"]) == {"sheet", "id", "title", "summary", "owner", "status",
                                         "domains", "timeline", "capabilities", "data"}
    assert document["properties"]["status"]["enum"] == [
        "proposed", "selected", "in-progress", "delivered", "stopped"]
    assert document["$defs"]["slug"]["pattern"] == "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"


def test_plain_jsonschema_accepts_the_example(example: dict[str, Any]) -> None:
    # What an editor or check-jsonschema does with the published file alone.
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = Draft202012Validator(document, format_checker=FormatChecker())
    assert list(validator.iter_errors(example)) == []


# --- the example ------------------------------------------------------------------------------


def test_example_has_no_error(example_text: str) -> None:
    findings = check_text(example_text)
    assert errors(findings) == []
    # The example gives its summary in English only: a warning, not an error.
    assert [(f.code, f.path) for f in findings] == [("sheet.missing-language", "/summary")]


# --- schema.required ------------------------------------------------------------------------


def test_missing_contact_is_reported_at_the_object_that_lacks_it() -> None:
    contact = "  contact:\n    name: Project lead\n    email: data-hub@mobility.example.brussels\n"
    text = edit(contact, "")
    item = one(check_text(text), "schema.required")
    assert item.path == "/owner/contact"
    assert item.message == "owner has no contact: add name and email"
    assert (item.line, item.column) == (13, 3)  # where `organisation:` starts the owner


def test_missing_top_level_field_is_at_the_sheet() -> None:
    item = one(check_text(edit("id: mobility-data-hub\n", "")), "schema.required")
    assert item.path == "/id" and (item.line, item.column) == (2, 1)
    assert "the sheet has no id" in item.message


def test_every_missing_field_is_reported() -> None:
    findings = check_data({"sheet": "project-sheet/v1"})
    missing = sorted(f.path for f in findings if f.code == "schema.required")
    assert missing == ["/capabilities", "/data", "/domains", "/id", "/owner", "/status",
                       "/summary", "/timeline", "/title"]


def test_note_and_until_required_by_conformance(example: dict[str, Any]) -> None:
    example["standards"][1] = {"id": "dcat-ap", "conformance": "planned"}
    example["standards"][2].pop("note")
    findings = check_data(example)
    assert sorted(errors(findings)) == [("schema.required", "/standards/1/note"),
                                        ("schema.required", "/standards/1/until"),
                                        ("schema.required", "/standards/2/note")]
    assert "`planned` declaration needs a note" in one(findings, "schema.required",
                                                      "/standards/1/note").message


# --- schema.additional-properties ------------------------------------------------------------


def test_unknown_field_has_its_own_path_and_a_hint() -> None:
    findings = check_text(edit("partners:", "partner:"))
    item = one(findings, "schema.additional-properties")
    assert item.path == "/partner"
    assert (item.line, item.column) == (17, 1)  # the key, not its value
    assert item.hint == "did you mean `partners`?"


def test_one_finding_per_unknown_field(example: dict[str, Any]) -> None:
    example["partner"] = []
    example["staus"] = "x"
    example["owner"]["mail"] = "a@b.example"
    example["x-internal-ref"] = {"anything": [1, 2]}
    findings = [f for f in check_data(example) if f.code == "schema.additional-properties"]
    assert sorted(f.path for f in findings) == ["/owner/mail", "/partner", "/staus"]
    hints = {f.path: f.hint for f in findings}
    assert hints["/staus"] == "did you mean `status`?"
    assert hints["/owner/mail"] is None or "contact" not in hints["/owner/mail"]


def test_extension_fields_only_at_top_level(example: dict[str, Any]) -> None:
    example["owner"]["x-note"] = "kept?"
    item = one(check_data(example), "schema.additional-properties")
    assert item.path == "/owner/x-note"


def test_unknown_language() -> None:
    item = one(check_text(edit("  nl: Gewestelijke", "  nk: Gewestelijke")),
               "schema.additional-properties")
    assert item.path == "/title/nk" and "unknown language" in item.message


# --- schema.type and YAML quirks -----------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "path", "source"), [
    ("  fr: Hub régional de données de mobilité", "  fr: NO", "/title/fr", "NO"),
    ("    unit: count", "    unit: 1.10", "/kpis/0/unit", "1.10"),
    ("    name: Project lead", "    name: on", "/owner/contact/name", "on"),
    ("id: mobility-data-hub", "id: 2026", "/id", "2026"),
])
def test_yaml_quirks_say_to_quote(old: str, new: str, path: str, source: str) -> None:
    item = one(check_text(edit(old, new)), "schema.type")
    assert item.path == path
    assert f"`{source}`" in item.message and "quotes" in item.message


def test_quoted_values_are_fine() -> None:
    assert errors(check_text(edit("    unit: count", "    unit: '1.10'"))) == []


def test_type_messages(example: dict[str, Any]) -> None:
    example["domains"] = "mobility"
    example["owner"]["contact"] = None
    example["budget_eur"] = "a lot"
    findings = check_data(example)
    assert "write it as [mobility]" in one(findings, "schema.type", "/domains").message
    assert one(findings, "schema.type", "/owner/contact").message == \
        "owner contact is empty: add name and email"
    assert "must be a number, not a text" in one(findings, "schema.type", "/budget_eur").message


# --- other keywords ------------------------------------------------------------------------


def test_enum_with_hint() -> None:
    item = one(check_text(edit("status: proposed", "status: in progress")), "schema.enum")
    assert item.path == "/status" and (item.line, item.column) == (18, 9)
    assert item.message == ("status must be one of proposed, selected, in-progress, "
                            "delivered, stopped")
    assert item.hint == "did you mean `in-progress`?"


def test_const() -> None:
    item = one(check_text(edit("sheet: project-sheet/v1", "sheet: project-sheet/v2")),
               "schema.const")
    assert item.path == "/sheet" and "`project-sheet/v1`" in item.message


def test_pattern_with_slug_hint() -> None:
    item = one(check_text(edit("id: mobility-data-hub", "id: Mobility Data_Hub")),
               "schema.pattern")
    assert item.path == "/id" and item.hint == "did you mean `mobility-data-hub`?"


def test_pattern_does_not_accept_a_trailing_newline() -> None:
    item = one(check_text(edit("id: mobility-data-hub\n", "id: |\n  mobility-data-hub\n")),
               "schema.pattern")
    assert item.path == "/id"


def test_list_item_pattern_is_at_the_item(example: dict[str, Any]) -> None:
    example["domains"] = ["mobility", "not a concept"]
    assert errors(check_data(example)) == [("schema.pattern", "/domains/1")]


def test_format_email(example: dict[str, Any]) -> None:
    for bad in ("not-an-email", "a@b", "a b@c.example"):
        example["owner"]["contact"]["email"] = bad
        item = one(check_data(example), "schema.format")
        assert item.path == "/owner/contact/email" and "e-mail address" in item.message


def test_uri_must_be_http(example: dict[str, Any]) -> None:
    example["links"]["homepage"] = "ftp://example.brussels/x"
    assert errors(check_data(example)) == [("schema.pattern", "/links/homepage")]


def test_min_items() -> None:
    item = one(check_text(edit("domains: [mobility, environment]", "domains: []")),
               "schema.min-items")
    assert item.path == "/domains" and "at least one" in item.message


def test_unique_items_points_at_the_duplicate() -> None:
    text = edit("partners: [stib-mivb, paradigm]", "partners: [stib-mivb, paradigm, stib-mivb]")
    item = one(check_text(text), "schema.unique-items")
    assert item.path == "/partners/2" and (item.line, item.column) == (17, 33)
    assert "stib-mivb" in item.message


def test_lengths(example: dict[str, Any]) -> None:
    example["title"]["fr"] = "ab"
    example["title"]["nl"] = "x" * 201
    example["summary"]["en"] = "too short"
    example["owner"]["contact"]["name"] = ""
    example["standards"][1]["note"] = "short"
    findings = check_data(example)
    assert sorted(errors(findings)) == [
        ("schema.max-length", "/title/nl"),
        ("schema.min-length", "/owner/contact/name"),
        ("schema.min-length", "/standards/1/note"),
        ("schema.min-length", "/summary/en"),
        ("schema.min-length", "/title/fr"),
    ]
    assert "at least 20 characters" in one(findings, "schema.min-length",
                                           "/standards/1/note").message


def test_minimum_and_min_properties(example: dict[str, Any]) -> None:
    example["budget_eur"] = -1
    example["title"] = {}
    findings = check_data(example)
    assert one(findings, "schema.minimum").message == "budget_eur must be 0 or more"
    assert one(findings, "schema.min-properties").path == "/title"


def test_every_problem_is_reported_at_once(example: dict[str, Any]) -> None:
    example["status"] = "done"
    example["partner"] = []
    example["domains"] = []
    example["owner"].pop("contact")
    example["timeline"]["end"] = "2026-02-30"
    found = {f.code for f in check_data(example)}
    assert {"schema.enum", "schema.additional-properties", "schema.min-items",
            "schema.required", "sheet.invalid-date"} <= found


# --- sheet.* ---------------------------------------------------------------------------------


def test_invalid_date_is_not_also_a_format_error() -> None:
    findings = check_text(edit("  end: 2027-12-31\n  phases", "  end: 2026-02-30\n  phases"))
    item = one(findings, "sheet.invalid-date")
    assert item.path == "/timeline/end" and (item.line, item.column) == (23, 8)
    assert item.message == ("timeline end 2026-02-30 is not a real date: February 2026 has "
                            "28 days")
    assert not [f for f in findings if f.code == "schema.format"]


def test_invalid_dates_everywhere(example: dict[str, Any]) -> None:
    example["timeline"]["phases"][0]["start"] = "2026-13-01"
    example["standards"][1]["until"] = "2027-04-31"
    example["kpis"][0]["due"] = "2027-02-29"
    findings = check_data(example)
    assert sorted(errors(findings)) == [
        ("sheet.invalid-date", "/kpis/0/due"),
        ("sheet.invalid-date", "/standards/1/until"),
        ("sheet.invalid-date", "/timeline/phases/0/start"),
    ]
    assert "there is no month 13" in one(findings, "sheet.invalid-date",
                                         "/timeline/phases/0/start").message


def test_badly_shaped_date_is_one_pattern_finding(example: dict[str, Any]) -> None:
    example["timeline"]["start"] = "01/03/2026"
    assert errors(check_data(example)) == [("schema.pattern", "/timeline/start")]


def test_timeline_end_before_start(example: dict[str, Any]) -> None:
    example["timeline"]["end"] = "2026-01-01"
    example["timeline"]["phases"] = []
    item = one(check_data(example), "sheet.date-order")
    assert item.path == "/timeline/end"


def test_phases_inside_the_timeline(example: dict[str, Any]) -> None:
    phases = example["timeline"]["phases"]
    phases[0]["start"] = "2026-01-01"  # before the timeline
    phases[1]["end"] = "2028-06-30"  # after it
    phases.append({"name": "Backwards", "start": "2027-05-01", "end": "2027-04-01"})
    findings = check_data(example)
    assert sorted(errors(findings)) == [
        ("sheet.date-order", "/timeline/phases/0/start"),
        ("sheet.date-order", "/timeline/phases/1/end"),
        ("sheet.date-order", "/timeline/phases/2/end"),
    ]


def test_duplicate_standard_and_kpi(example: dict[str, Any]) -> None:
    example["standards"].append({"id": "ngsi-ld", "conformance": "complies"})
    example["kpis"].append(dict(example["kpis"][0]))
    findings = check_data(example)
    assert sorted(errors(findings)) == [("sheet.duplicate", "/kpis/1/id"),
                                        ("sheet.duplicate", "/standards/3/id")]


def test_duplicate_standard_position() -> None:
    text = edit("  - id: wcag-2-1", "  - id: ngsi-ld")
    item = one(check_text(text), "sheet.duplicate")
    assert item.path == "/standards/2/id" and (item.line, item.column) == (50, 9)


def test_partner_is_owner(example: dict[str, Any]) -> None:
    example["partners"] = ["stib-mivb", "brussels-mobility"]
    item = one(check_data(example), "sheet.partner-is-owner")
    assert item.path == "/partners/1"


def test_missing_language_is_a_warning(example: dict[str, Any]) -> None:
    del example["title"]["nl"]
    example["summary"]["fr"] = "x" * 30
    findings = check_data(example)
    title = one(findings, "sheet.missing-language", "/title")
    summary = one(findings, "sheet.missing-language", "/summary")
    assert title.severity == summary.severity == "warning"
    assert "nl" in title.message and "fr" not in summary.message.split(":")[0]
    assert errors(findings) == []


def test_sheet_checks_survive_wrong_types() -> None:
    sheet = {"sheet": 1, "timeline": {"start": 5, "end": "2026-02-30", "phases": [1, None,
             {"start": [], "end": "2026-04-31"}]}, "standards": "ngsi-ld",
             "kpis": [None, {"id": 3}], "partners": "stib-mivb", "owner": ["x"],
             "title": "Hub", "summary": {"en": 3}}
    findings = check_data(sheet)
    paths = {(f.code, f.path) for f in findings}
    assert ("sheet.invalid-date", "/timeline/end") in paths
    assert ("sheet.invalid-date", "/timeline/phases/2/end") in paths
    assert ("schema.type", "/standards") in paths
    assert ("sheet.missing-language", "/summary") in paths


sheets = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["2026-02-30", "2026-03-01", "ngsi-ld", "mobility", "project-sheet/v1"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["id", "start", "end", "phases", "standards", "kpis",
                                       "partners", "owner", "organisation", "title", "fr",
                                       "timeline", "until", "due", "conformance", "x-a",
                                       "note", "name", "domains"]), children, max_size=5),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["sheet", "id", "title", "summary", "owner", "status",
                                        "domains", "timeline", "standards", "kpis",
                                        "partners", "links", "data", "capabilities",
                                        "partner"]), sheets, max_size=8))
def test_any_data_gives_findings_not_exceptions(sheet: dict[str, Any]) -> None:
    for item in structure.check(sheet):
        assert item.code.startswith(("schema.", "sheet.")) and item.message


def test_huge_values_are_cut_in_messages(example: dict[str, Any]) -> None:
    key = "k" * 5000
    example[key] = 1
    example["partners"] = ["x" * 70, "x" * 70]
    findings = check_data(example)
    unknown = one(findings, "schema.additional-properties")
    assert unknown.path == "/" + key and len(unknown.message) < 200 and unknown.hint is None
    assert len(one(findings, "schema.unique-items").message) < 200


def test_unique_items_that_differ_only_in_spelling_are_still_reported(
        example: dict[str, Any]) -> None:
    # JSON Schema holds 1 and 1.0 equal; the finding must not be lost on the way.
    example["partners"] = [1, 1.0]
    findings = check_data(example)
    assert [f.path for f in findings if f.code == "schema.unique-items"] == ["/partners"]
