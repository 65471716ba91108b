"""The pipeline: parse findings alone, otherwise every layer, on bytes, files and data."""

from __future__ import annotations

import datetime
import json
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from registry.catalogue.snapshot import Catalogue
from registry.validation import (
    FileReport,
    single_report_dict,
    validate_bytes,
    validate_data,
    validate_file,
)
from tests.helpers import BOMB
from tests.validation.conftest import EXAMPLE_PATH, EXAMPLE_TEXT

AS_OF = datetime.date(2026, 1, 15)


def codes(report: FileReport) -> list[str]:
    return [f.code for f in report.findings]


def test_spec_example_is_valid_against_the_shipped_catalogue(catalogue: Catalogue) -> None:
    report = validate_file(EXAMPLE_PATH, catalogue, as_of=AS_OF, display="spec-example.yaml")
    assert report.valid, [f for f in report.findings if f.severity == "error"]
    assert report.path == "spec-example.yaml"
    assert "sheet.missing-language" in codes(report)


def test_parse_findings_are_reported_alone(catalogue: Catalogue) -> None:
    report = validate_bytes(b"a: [1,\n", catalogue, as_of=AS_OF, path="x.yaml")
    assert codes(report) == ["parse.syntax"]
    assert report.path == "x.yaml"


def test_every_layer_runs_when_the_structure_is_broken(catalogue: Catalogue) -> None:
    text = (EXAMPLE_TEXT.replace("status: proposed", "status: 3")
            .replace("  - id: dcat-ap\n", "  - id: dcat-apx\n")
            .replace("domains: [mobility, environment]", "domains: [mobility, enviroment]"))
    report = validate_bytes(text, catalogue, as_of=AS_OF, path="s.yaml")
    found = set(codes(report))
    assert "schema.enum" in found
    assert "catalogue.unknown-standard" in found
    assert "vocabulary.unknown-concept" in found
    unknown = next(f for f in report.findings if f.code == "catalogue.unknown-standard")
    assert unknown.path == "/standards/1/id" and unknown.line == 46


def test_policy_uses_the_date(catalogue: Catalogue) -> None:
    later = validate_bytes(EXAMPLE_TEXT, catalogue, as_of=datetime.date(2027, 3, 1))
    assert "policy.explanation-expired" in codes(later)
    assert validate_bytes(EXAMPLE_TEXT, catalogue, as_of=AS_OF).valid


def test_json_input(catalogue: Catalogue, example: dict[str, Any]) -> None:
    example["partner"] = []
    report = validate_bytes(json.dumps(example, indent=2), catalogue, as_of=AS_OF,
                            path="s.json")
    item = next(f for f in report.findings if f.code == "schema.additional-properties")
    assert item.path == "/partner" and item.line is not None


def test_validate_data_without_positions(catalogue: Catalogue, example: dict[str, Any]) -> None:
    example["status"] = "unknown"
    report = validate_data(example, catalogue, AS_OF)
    item = next(f for f in report.findings if f.code == "schema.enum")
    assert (item.line, item.column) == (None, None)
    assert codes(validate_data([1, 2], catalogue, AS_OF)) == ["parse.not-a-mapping"]


def test_single_report_body(catalogue: Catalogue) -> None:
    body = single_report_dict(validate_bytes(EXAMPLE_TEXT, catalogue, as_of=AS_OF,
                                             path="sheet.yaml"))
    assert list(body) == ["path", "valid", "findings", "summary"]
    assert body["valid"] is True and body["summary"]["errors"] == 0


def test_yaml_bomb_through_the_pipeline(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    tracemalloc.start()
    try:
        report = validate_file(path, catalogue, as_of=AS_OF)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert codes(report) == ["parse.alias"]
    # Refused, not expanded: the file's buffer and little else (expanded: gigabytes).
    assert peak < 4 * 1024 * 1024


@pytest.mark.timing
def test_the_yaml_bomb_is_refused_within_100_ms(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    started = time.perf_counter()
    report = validate_file(path, catalogue, as_of=AS_OF)
    assert codes(report) == ["parse.alias"]
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00", b"- 1\n", b"{" * 100, b"a: *x"])
def test_bad_input_never_raises(catalogue: Catalogue, data: bytes) -> None:
    report = validate_bytes(data, catalogue, as_of=AS_OF)
    assert not report.valid and all(f.code.startswith("parse.") for f in report.findings)


@pytest.mark.timing
def test_full_validation_of_the_example_is_fast(catalogue: Catalogue) -> None:
    data = EXAMPLE_TEXT.encode()
    validate_bytes(data, catalogue, as_of=AS_OF)  # warm the caches (schema, rule tables)
    runs = []
    for _ in range(200):
        started = time.perf_counter()
        validate_bytes(data, catalogue, as_of=AS_OF)
        runs.append(time.perf_counter() - started)
    # About 1 ms here; loose so that a busy CI machine does not flake.
    assert statistics.median(runs) < 0.02
