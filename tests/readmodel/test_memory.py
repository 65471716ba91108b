"""How a snapshot is held: compact sheets, shared findings, the same answers."""

from __future__ import annotations

import datetime
import tracemalloc
from pathlib import Path

import orjson
import pytest
import yaml

from registry.analysis.roadmap import Project, Roadmap
from registry.readmodel import ReadModel
from tests.helpers import stored_sheet

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "mobility-data-hub.yaml"
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def test_a_stored_project_answers_its_sheet_and_holds_a_fraction_of_it():
    sheets = []
    for number in range(300):
        sheet = stored_sheet(EXAMPLE)
        sheet["id"] = f"project-{number:03d}"
        sheets.append(sheet)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        decoded = [orjson.loads(orjson.dumps(s)) for s in sheets]
        plain = tracemalloc.get_traced_memory()[0] - before
        before = tracemalloc.get_traced_memory()[0]
        stored = [Project.stored(s["id"], s, 1, "d", WHEN, "test") for s in sheets]
        compact = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert compact < plain / 3, (compact, plain)
    assert [p.sheet for p in stored] == sheets == decoded
    assert list(Roadmap(stored).sheets()[1:3]) == sheets[1:3]
    assert list(Roadmap(stored).sheets()) == sheets
    assert stored[0] == Project("project-000", sheets[0], 1, "d", WHEN, "test")


def test_a_sheet_with_dates_is_kept_as_given():
    sheet = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))  # dates, not strings
    project = Project.stored(sheet["id"], sheet, 1, "d", WHEN, "test")
    assert project.sheet is sheet
    with pytest.raises(AttributeError):
        project.revision = 2  # type: ignore[misc]


def test_equal_findings_are_one_object_across_projects(store):
    # Two projects naming the same unknown concept at the same place have one finding.
    for pid in ("twin-a", "twin-b"):
        sheet = stored_sheet(EXAMPLE)
        sheet["id"] = pid
        sheet["domains"] = ["no-such-domain"]
        store.put("project", pid, sheet, author="test")
    snapshot = ReadModel(store, ttl=0).current()
    a = snapshot.derived["twin-a"].report.findings
    b = snapshot.derived["twin-b"].report.findings
    unknown = [f for f in a if f.path == "/domains/0"]
    assert unknown and unknown[0].code == "vocabulary.unknown-concept"
    assert a == b
    assert all(x is y for x, y in zip(a, b, strict=True))
    assert snapshot.derived["twin-a"].report.path != snapshot.derived["twin-b"].report.path
