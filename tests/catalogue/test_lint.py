"""`registry lint`: reviews due, status contradictions, unmet requirements, dead links."""

from __future__ import annotations

import copy
import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from registry.catalogue.files import read_records, shipped_root
from registry.catalogue.lint import lint, review_cutoff
from registry.catalogue.snapshot import Catalogue

AS_OF = datetime.date(2026, 12, 6)
REGISTRY = Path(sys.executable).with_name("registry")


@pytest.fixture(scope="module")
def shipped() -> dict[str, list[dict[str, Any]]]:
    return read_records([shipped_root()])


def build(records: dict[str, list[dict[str, Any]]]) -> Catalogue:
    return Catalogue(standards=records["standard"], principles=records["principle"],
                     components=records["component"], vocabularies=records["vocabulary"],
                     legal=records["legal"])


def edited(shipped: dict[str, list[dict[str, Any]]], kind: str, record_id: str,
           **changes: Any) -> dict[str, list[dict[str, Any]]]:
    records = copy.deepcopy(shipped)
    [record] = [r for r in records[kind] if r["id"] == record_id]
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return records


def codes(report: Any) -> list[tuple[str, str, str, str]]:
    return [(f.code, f.kind, f.id, f.path) for f in report.findings]


def test_the_shipped_catalogue_is_clean_today(shipped):
    report = lint(build(shipped), AS_OF)
    assert report.findings == ()
    assert report.exit_code == 0


def test_a_year_later_every_record_is_due_but_nothing_contradicts(shipped):
    report = lint(build(shipped), datetime.date(2027, 12, 7))
    total = sum(len(v) for v in shipped.values())
    assert len(report.reviews_due) == total
    assert report.errors == () and report.exit_code == 0


def test_review_due_after_twelve_months_not_before(shipped):
    records = edited(shipped, "component", "fidus", reviewed="2025-12-06")
    assert lint(build(records), AS_OF).findings == ()  # exactly twelve months: still current
    records = edited(shipped, "component", "fidus", reviewed="2025-12-05")
    report = lint(build(records), AS_OF)
    assert codes(report) == [("review-due", "component", "fidus", "/reviewed")]
    assert "2025-12-05" in report.findings[0].message
    assert report.exit_code == 0  # reviews due alone never fail the run


def test_a_record_without_a_review_date_is_due(shipped):
    records = edited(shipped, "legal", "gdpr", reviewed=None)
    report = lint(build(records), AS_OF)
    assert codes(report) == [("review-due", "legal", "gdpr", "/reviewed")]
    assert "never reviewed" in report.findings[0].message


def test_review_cutoff_on_29_february():
    assert review_cutoff(datetime.date(2028, 2, 29)) == datetime.date(2027, 2, 28)


@pytest.mark.parametrize(("lang", "text", "word"), [
    ("en", "Recommended for the urban data platform.", "Recommended"),
    ("fr", "Elle est obligatoire pour les portails.", "obligatoire"),
    ("nl", "Aanbevolen voor de portalen.", "Aanbevolen"),
])
def test_a_candidate_described_as_recommended_or_mandatory_is_a_contradiction(
        shipped, lang, text, word):
    record = next(r for r in shipped["standard"] if r["id"] == "oasc-mim2")
    description = {**record["description"], lang: text}
    report = lint(build(edited(shipped, "standard", "oasc-mim2", description=description)),
                  AS_OF)
    assert codes(report) == [("status-contradiction", "standard", "oasc-mim2",
                              f"/description/{lang}")]
    assert repr(word) in report.findings[0].message
    assert report.exit_code == 1


def test_a_recommended_standard_described_as_mandatory_is_a_contradiction(shipped):
    record = next(r for r in shipped["standard"] if r["id"] == "gtfs")
    description = {**record["description"], "nl": "Verplicht voor elke exploitant."}
    report = lint(build(edited(shipped, "standard", "gtfs", description=description)), AS_OF)
    assert codes(report) == [("status-contradiction", "standard", "gtfs", "/description/nl")]


def test_mandatory_standard_whose_principle_requires_a_candidate(shipped):
    # The situation the issue found: inclusion requires EN 301 549 while it was a candidate.
    records = edited(shipped, "standard", "en-301-549", status="candidate")
    report = lint(build(records), AS_OF)
    found = {(f.code, f.id, f.path) for f in report.errors}
    wcag = next(r for r in shipped["standard"] if r["id"] == "wcag-2-1")
    principle_path = f"/principles/{wcag['principles'].index('inclusion-accessibility')}"
    legal_path = f"/mandated_by/{wcag['mandated_by'].index('web-accessibility-directive')}"
    assert ("requires-non-mandatory", "wcag-2-1", principle_path) in found
    assert ("requires-non-mandatory", "wcag-2-1", legal_path) in found
    assert report.exit_code == 1


def test_a_legal_act_requiring_a_recommended_standard(shipped):
    records = edited(shipped, "legal", "e-invoicing-directive",
                     requires=["en-16931", "peppol-bis-billing"])
    report = lint(build(records), AS_OF)
    en = next(r for r in shipped["standard"] if r["id"] == "en-16931")
    path = f"/mandated_by/{en['mandated_by'].index('e-invoicing-directive')}"
    assert codes(report) == [("requires-non-mandatory", "standard", "en-16931", path)]
    assert "'peppol-bis-billing', which is recommended" in report.findings[0].message


def test_dead_links_to_legal_acts_standards_and_concepts(shipped):
    records = edited(shipped, "standard", "dcat-ap",
                     mandated_by=["open-data-directive", "no-such-act"])
    records = edited(records, "legal", "gdpr", requires=["no-such-standard"])
    records = edited(records, "component", "fidus", provides=["data-exchange", "teleport"])
    report = lint(build(records), AS_OF)
    assert sorted(codes(report)) == [
        ("dead-link", "component", "fidus", "/provides/1"),
        ("dead-link", "legal", "gdpr", "/requires/0"),
        ("dead-link", "standard", "dcat-ap", "/mandated_by/1"),
    ]
    assert report.exit_code == 1


def write_catalogue(root: Path, records: dict[str, list[dict[str, Any]]]) -> None:
    from registry.catalogue.files import write_catalogue as write

    write(records, root)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REGISTRY), "lint", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_cli_exit_codes_and_formats(shipped, tmp_path):
    done = run("--shipped", "--as-of", "2026-12-06")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("0 review(s) due as of 2026-12-06")
    done = run("--shipped", "--as-of", "2027-12-07", "--format", "json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["errors"] == 0 and report["reviews_due"] == report["counts"]["review-due"]
    # A catalogue folder with a dead link and a contradiction: exit 1, both reported,
    # where loading it for validation would refuse it.
    records = edited(shipped, "standard", "netex", mandated_by=["no-such-act"])
    record = next(r for r in records["standard"] if r["id"] == "netex")
    record["description"] = {**record["description"], "en": "Mandatory for every feed."}
    write_catalogue(tmp_path, records)
    done = run("--catalogue", str(tmp_path), "--as-of", "2026-12-06")
    assert done.returncode == 1
    assert "standard netex/mandated_by/0: dead-link" in done.stdout
    assert "standard netex/description/en: status-contradiction" in done.stdout


def test_cli_refuses_an_unreadable_catalogue(tmp_path):
    (tmp_path / "standards").mkdir()
    (tmp_path / "standards" / "x.yaml").write_text(yaml.safe_dump({"id": "x"}),
                                                   encoding="utf-8")
    done = run("--catalogue", str(tmp_path))
    assert done.returncode == 2
    assert "cannot be read" in done.stderr and "Traceback" not in done.stderr
