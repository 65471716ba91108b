"""Reporters: the text line format, the JSON report of the spec, SARIF 2.1.0."""

from __future__ import annotations

import json
import re

import pytest

from registry.documents.findings import FileReport, Finding
from registry.validation.report import (
    FORMATS,
    RULES,
    render,
    render_json,
    render_sarif,
    render_text,
    sarif_dict,
    summary_line,
)

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning) "
                  r"(?P<code>[a-z]+\.[a-z-]+) (?P<path>/\S*) (?P<message>.+)$")


def reports() -> list[FileReport]:
    bad = FileReport("sheets/bad.yaml", [
        Finding("warning", "sheet.missing-language", "/title", "title has no nl text: add it",
                4, 3),
        Finding("error", "catalogue.unknown-standard", "/standards/1/id",
                "standard dcat-apx is not in the catalogue", 46, 9, "did you mean `dcat-ap`?"),
        Finding("error", "schema.required", "/owner/contact",
                "owner has no contact: add name and email", 11, 3),
    ])
    good = FileReport("sheets/good.yaml", [
        Finding("warning", "policy.recommended-missing", "/standards",
                "recommended standard gtfs applies", 40, 1)])
    broken = FileReport("sheets/empty.yaml", [
        Finding("error", "parse.too-large", "", "the file is larger than the limit of 1 MiB")])
    return [bad, good, broken]


def test_text_lines_errors_first_then_summary() -> None:
    lines = render_text(reports()).splitlines()
    assert lines == [
        "sheets/bad.yaml:11:3: error schema.required /owner/contact owner has no contact: "
        "add name and email",
        "sheets/bad.yaml:46:9: error catalogue.unknown-standard /standards/1/id standard "
        "dcat-apx is not in the catalogue (did you mean `dcat-ap`?)",
        "sheets/empty.yaml:0:0: error parse.too-large / the file is larger than the limit "
        "of 1 MiB",
        "sheets/bad.yaml:4:3: warning sheet.missing-language /title title has no nl text: "
        "add it",
        "sheets/good.yaml:40:1: warning policy.recommended-missing /standards recommended "
        "standard gtfs applies",
        "3 files checked: 1 valid, 2 invalid, 3 errors, 2 warnings",
    ]
    for line in lines[:-1]:
        assert LINE.match(line), line


def test_summary_line_singular_and_plural() -> None:
    one = FileReport("a.yaml", [Finding("error", "schema.required", "/id", "m", 1, 1),
                                Finding("warning", "sheet.missing-language", "/title", "m")])
    assert summary_line([one]) == "1 file checked: 0 valid, 1 invalid, 1 error, 1 warning"
    assert summary_line([]) == "0 files checked: 0 valid, 0 invalid, 0 errors, 0 warnings"
    assert render_text([FileReport("ok.yaml")]) == \
        "1 file checked: 1 valid, 0 invalid, 0 errors, 0 warnings\n"


def test_json_report_has_exactly_the_spec_shape() -> None:
    data = json.loads(render_json(reports()))
    assert list(data) == ["valid", "files", "summary"]
    assert data["valid"] is False
    assert list(data["summary"]) == ["files", "valid", "invalid", "errors", "warnings"]
    assert data["summary"] == {"files": 3, "valid": 1, "invalid": 2, "errors": 3,
                               "warnings": 2}
    first = data["files"][0]
    assert list(first) == ["path", "valid", "findings"]
    assert first["path"] == "sheets/bad.yaml" and first["valid"] is False
    finding = first["findings"][0]
    assert list(finding) == ["severity", "code", "path", "line", "column", "message", "hint"]
    assert finding == {"severity": "error", "code": "schema.required", "path": "/owner/contact",
                       "line": 11, "column": 3,
                       "message": "owner has no contact: add name and email", "hint": None}
    assert data["files"][2]["findings"][0]["line"] is None


def test_sarif_structure() -> None:
    log = json.loads(render_sarif(reports()))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "registry"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted({"schema.required", "catalogue.unknown-standard",
                               "sheet.missing-language", "policy.recommended-missing",
                               "parse.too-large"})
    assert all(r["shortDescription"]["text"] for r in driver["rules"])
    results = run["results"]
    assert len(results) == 5
    by_rule = {r["ruleId"]: r for r in results}
    unknown = by_rule["catalogue.unknown-standard"]
    assert unknown["level"] == "error"
    assert unknown["message"]["text"] == ("standard dcat-apx is not in the catalogue "
                                          "(did you mean `dcat-ap`?)")
    assert rule_ids[unknown["ruleIndex"]] == "catalogue.unknown-standard"
    location = unknown["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "sheets/bad.yaml"
    assert location["region"] == {"startLine": 46, "startColumn": 9}
    assert by_rule["sheet.missing-language"]["level"] == "warning"
    assert "region" not in by_rule["parse.too-large"]["locations"][0]["physicalLocation"]


def test_sarif_of_no_findings() -> None:
    log = sarif_dict([FileReport("ok.yaml")])
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_every_spec_code_has_a_rule_text() -> None:
    spec_codes = {"parse.syntax", "parse.empty", "parse.not-a-mapping", "parse.too-large",
                  "parse.too-deep", "parse.alias", "parse.duplicate-key",
                  "parse.multiple-documents", "parse.encoding", "sheet.invalid-date",
                  "sheet.date-order", "sheet.duplicate", "sheet.partner-is-owner",
                  "sheet.missing-language", "vocabulary.unknown-concept",
                  "vocabulary.deprecated-concept", "catalogue.unknown-standard",
                  "catalogue.unknown-component", "catalogue.deprecated-standard",
                  "catalogue.retired-component", "policy.mandatory-missing",
                  "policy.recommended-missing", "policy.explanation-expired",
                  "policy.reuse-available"}
    assert spec_codes <= set(RULES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_dispatches(fmt: str) -> None:
    assert render(reports(), fmt)


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(reports(), "xml")


def test_a_message_with_line_breaks_stays_on_one_line() -> None:
    report = FileReport("a.yaml", [Finding("error", "schema.unique-items", "/partners/1",
                                           "partners lists `a\nb` twice", 3, 1, "x\ny")])
    lines = render_text([report]).splitlines()
    assert lines[0] == "a.yaml:3:1: error schema.unique-items /partners/1 partners lists `a b` " \
                       "twice (x y)"
