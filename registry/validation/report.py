"""Render validation reports: text lines, the JSON report of the spec, SARIF 2.1.0."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from registry.documents.findings import ERROR, FileReport, Finding, report_dict, summary

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "registry"
INFORMATION_URI = "https://registry.smartcity.brussels/"

# What each finding code means: the spec's "when" column, shown by SARIF viewers.
RULES: dict[str, str] = {
    "parse.syntax": "The file is not well-formed YAML or JSON.",
    "parse.empty": "The file is empty or holds only comments.",
    "parse.not-a-mapping": "The top level of the file is not an object.",
    "parse.too-large": "The file (or a number in it) is over the size limit.",
    "parse.too-deep": "The data is nested deeper than the depth limit.",
    "parse.alias": "YAML anchors, aliases, explicit tags or merge keys are not allowed.",
    "parse.duplicate-key": "The same key appears twice in one object.",
    "parse.multiple-documents": "The file holds more than one YAML document.",
    "parse.encoding": "The file is not UTF-8 text.",
    "parse.unreadable": "The file cannot be read.",
    "sheet.invalid-date": "A date that does not exist.",
    "sheet.date-order": "An end before its start, or a phase outside the timeline.",
    "sheet.duplicate": "The same standard declared twice, or two KPIs with one id.",
    "sheet.partner-is-owner": "The owner is listed among the partners.",
    "sheet.missing-language": "fr or nl is missing from the title or the summary.",
    "vocabulary.unknown-concept": "A value that is not in its SKOS concept scheme.",
    "vocabulary.deprecated-concept": "A deprecated concept.",
    "catalogue.unknown-standard": "A standard id that is not in the catalogue.",
    "catalogue.unknown-component": "A reused component that is not in the catalogue.",
    "catalogue.deprecated-standard": "A deprecated standard.",
    "catalogue.retired-component": "Reuse of a retired component.",
    "policy.mandatory-missing": "An applicable mandatory standard is not declared.",
    "policy.recommended-missing": "An applicable recommended standard is not declared.",
    "policy.explanation-expired": "A declaration whose `until` date is past.",
    "policy.reuse-available": "A capability the project builds that an active component "
                              "already provides.",
    "internal.error": "The validator failed on the file.",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(reports: Iterable[FileReport]) -> str:
    """Return the closing line of the text report, e.g. "2 files checked: 1 valid, ..."."""
    counts = summary(reports)
    return (f"{_plural(counts['files'], 'file')} checked: {counts['valid']} valid, "
            f"{counts['invalid']} invalid, {_plural(counts['errors'], 'error')}, "
            f"{_plural(counts['warnings'], 'warning')}")


def text_line(path: str, item: Finding) -> str:
    """Return one finding as `FILE:LINE:COLUMN: SEVERITY CODE PATH MESSAGE (HINT)`."""
    # 0 stands for "no position" (data without source text, a file too large to read),
    # keeping the line parseable by editors' and CI's problem matchers.
    # One finding, one line: a value quoted in a message must not break the format.
    message = " ".join(item.message.split())
    line = f"{path}:{item.line or 0}:{item.column or 0}: {item.severity} {item.code} " \
           f"{item.path or '/'} {message}"
    return f"{line} ({' '.join(item.hint.split())})" if item.hint else line


def render_text(reports: Iterable[FileReport]) -> str:
    """Return the text report: errors first, then warnings, then the summary line."""
    reports = list(reports)
    ordered = sorted(
        ((0 if f.severity == ERROR else 1, n, f.line or 0, f.column or 0, report.path, f)
         for n, report in enumerate(reports) for f in report.findings),
        key=lambda row: row[:4])
    lines = [text_line(path, item) for *_, path, item in ordered]
    lines.append(summary_line(reports))
    return "\n".join(lines) + "\n"


def render_json(reports: Iterable[FileReport]) -> str:
    """Return the machine-readable report of the spec as JSON text."""
    import orjson  # here: the text report (a pre-commit hook's) does without it

    return orjson.dumps(report_dict(reports), option=orjson.OPT_INDENT_2).decode() + "\n"


def _uri(path: str) -> str:
    if path == "-":
        return "stdin"
    pure = PurePath(path)
    if pure.is_absolute():
        return "file://" + quote(pure.as_posix())
    return quote(path.replace(os.sep, "/"))


def sarif_dict(reports: Iterable[FileReport]) -> dict[str, Any]:
    """Return a SARIF 2.1.0 log of the findings: one run, one rule per code used."""
    reports = list(reports)
    codes = sorted({f.code for r in reports for f in r.findings})
    index = {code: i for i, code in enumerate(codes)}
    rules = [{
        "id": code,
        "name": code.replace(".", "-"),
        "shortDescription": {"text": RULES.get(code, code)},
        "defaultConfiguration": {
            "level": "warning" if code in ("sheet.missing-language",
                                           "vocabulary.deprecated-concept",
                                           "catalogue.deprecated-standard",
                                           "catalogue.retired-component",
                                           "policy.recommended-missing",
                                           "policy.reuse-available") else "error"},
    } for code in codes]
    results = []
    for report in reports:
        for item in report.findings:
            location: dict[str, Any] = {"artifactLocation": {"uri": _uri(report.path)}}
            if item.line is not None:
                region = {"startLine": item.line}
                if item.column is not None:
                    region["startColumn"] = item.column
                location["region"] = region
            text = f"{item.message} ({item.hint})" if item.hint else item.message
            results.append({
                "ruleId": item.code,
                "ruleIndex": index[item.code],
                "level": "error" if item.severity == ERROR else "warning",
                "message": {"text": text},
                "locations": [{"physicalLocation": location}],
                "properties": {"path": item.path, "hint": item.hint},
            })
    return {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "informationUri": INFORMATION_URI,
                                "rules": rules}},
            # Columns count characters (code points), as libyaml counts them.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render_sarif(reports: Iterable[FileReport]) -> str:
    """Return the SARIF 2.1.0 log as JSON text."""
    import orjson

    return orjson.dumps(sarif_dict(reports), option=orjson.OPT_INDENT_2).decode() + "\n"


def render(reports: Iterable[FileReport], fmt: str = "text") -> str:
    """Return the report in one of FORMATS."""
    if fmt == "text":
        return render_text(reports)
    if fmt == "json":
        return render_json(reports)
    if fmt == "sarif":
        return render_sarif(reports)
    raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
