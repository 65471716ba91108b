"""The dashboard's indicators and "needs action" lists read from kept totals equal the
ones computed from scratch over the whole roadmap, before and after writes."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from registry.analysis.compliance import lapsing
from registry.analysis.indicators import LAPSING_DAYS, Revision, indicators
from registry.analysis.todo import needs_action
from registry.readmodel import queries
from registry.readmodel.indicators import indicators_today, needs_action_today
from tests.helpers import make_app, stored_sheet

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


def _sheets(copies: int) -> list[dict]:
    out = []
    for n in range(copies):
        for path in EXAMPLES:
            sheet = stored_sheet(path)
            sheet["id"] = f"{sheet['id']}-{n}"
            out.append(sheet)
    return out


def _from_scratch(svc, snapshot, opportunities):
    history: dict[str, list[Revision]] = {}
    for change in svc.store.history("project"):
        history.setdefault(change.record_id, []).append(
            Revision(change.created_at, change.data))
    cells = list(queries.iter_cells(snapshot, snapshot.day))
    valid = {p: d.valid for p, d in snapshot.derived.items()}
    expected = indicators(snapshot.roadmap, snapshot.catalogue, snapshot.day, cells=cells,
                          valid=valid, opportunities=opportunities, history=history,
                          measured={})
    todo = needs_action(snapshot.roadmap, cells,
                        lapsing(snapshot.roadmap.sheets(), snapshot.day, LAPSING_DAYS),
                        opportunities)
    return expected, todo


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    yield app
    app.extensions["registry"].readmodel.close()
    app.extensions["registry"].store.engine.dispose()


def test_kept_indicators_equal_a_full_computation_after_random_writes(app):
    svc = app.extensions["registry"]
    sheets = _sheets(4)
    svc.store.import_records({"project": sheets}, author="test")
    rng = random.Random(11)
    catalogue = svc.readmodel.catch_up().catalogue
    mandatory = sorted(s for s, r in catalogue.standards.items() if r["status"] == "mandatory")
    for step in range(6):
        snapshot = svc.readmodel.catch_up()
        opportunities = [{"type": "reuse", "projects": [pid], "score": rng.random(),
                          "explanation": "x"} for pid in list(snapshot.roadmap.projects)[:7]]
        expected, todo = _from_scratch(svc, snapshot, opportunities)
        got = indicators_today(snapshot, opportunities, {})
        # The trend's points before the first revision are dropped by both; compare all.
        assert got == expected, step
        assert needs_action_today(snapshot, opportunities) == todo, step
        # A random write: a sheet changed (standards dropped or a lapse date moved), a
        # project deleted, or a new one.
        pid = rng.choice(sorted(snapshot.roadmap.projects))
        sheet = copy.deepcopy(dict(snapshot.roadmap.projects[pid].sheet))
        choice = step % 3
        if choice == 0:
            sheet["standards"] = [s for s in sheet.get("standards", [])
                                  if s["id"] not in mandatory[:2]]
            sheet["status"] = rng.choice(["proposed", "delivered", "stopped"])
            svc.store.put("project", pid, sheet, author="test")
        elif choice == 1:
            svc.store.delete_where("project", lambda r, pid=pid: r.id != pid, author="test")
        else:
            sheet["id"] = f"new-{step}"
            for item in sheet.get("standards", []):
                if item.get("until"):
                    item["until"] = "2026-12-20"
            svc.store.put("project", sheet["id"], sheet, author="test")
