"""The core of the dashboard: indicators, the compliance trend, the charts, the architecture."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from registry.analysis.architecture import architecture
from registry.analysis.indicators import Revision, _month_ends, compliance_trend, project_kpis
from registry.analysis.roadmap import Project, Roadmap
from registry.svg import charts
from registry.svg.architecture import architecture_svg

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & co'


def _sheet(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00").replace(tzinfo=UTC)


def test_month_ends_run_to_as_of_and_are_capped():
    assert _month_ends(date(2026, 1, 15), date(2026, 3, 10), 24) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 10)]
    assert len(_month_ends(date(2010, 1, 1), date(2026, 3, 10), 24)) == 24
    assert _month_ends(date(2027, 1, 1), date(2026, 3, 10), 24) == [date(2026, 3, 10)]


def test_trend_replays_the_revision_valid_at_each_month_end(catalogue):
    complete = _sheet("regional-web-accessibility")
    wcag = next(d for d in complete["standards"] if d["id"] == "wcag-2-1")
    first = copy.deepcopy(complete)
    first["standards"] = [d for d in first["standards"] if d["id"] != "wcag-2-1"]
    explained = copy.deepcopy(complete)
    explained["standards"] = [
        {**d, "conformance": "explain", "note": "not before the redesign, see plan",
         "until": "2026-03-15"} if d["id"] == "wcag-2-1" else d
        for d in explained["standards"]]
    history = {"p": [Revision(_at("2026-01-10"), first),
                     Revision(_at("2026-02-10"), explained),
                     Revision(_at("2026-04-20"), complete)]}
    points = compliance_trend(history, catalogue, date(2026, 4, 30))
    by_month = {p["month"]: p for p in points}
    assert list(by_month) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert by_month["2026-01"]["missing"] >= 1  # wcag-2-1 not declared yet
    assert by_month["2026-02"]["explained"] >= 1 and by_month["2026-02"]["missing"] == 0
    assert by_month["2026-03"]["expired"] >= 1  # the explanation lapsed on 2026-03-15
    assert by_month["2026-04"]["complies"] == by_month["2026-04"]["applicable"]
    assert wcag["conformance"] == "complies"
    assert by_month["2026-04"]["complies_share"] == 1.0


def test_trend_leaves_out_projects_not_yet_written(catalogue):
    history = {"a": [Revision(_at("2026-01-10"), _sheet("ev-charging-map"))],
               "b": [Revision(_at("2026-03-01"), _sheet("fibru-pooled-fibre"))]}
    points = compliance_trend(history, catalogue, date(2026, 3, 31))
    assert [p["projects"] for p in points] == [1, 1, 2]
    assert compliance_trend({}, catalogue, date(2026, 3, 31)) == []


def _roadmap(*sheets: dict) -> Roadmap:
    return Roadmap(Project(s["id"], s, 1, "x", datetime(2026, 1, 1, tzinfo=UTC), "t")
                   for s in sheets)


def test_kpis_show_progress_only_with_a_reported_value():
    sheet = _sheet("urban-data-platform")
    kpi = sheet["kpis"][0]["id"]
    # Reported values (registry.measurements), oldest first; one after as_of is not seen.
    measured = {("urban-data-platform", kpi): [{"date": "2026-06-30", "value": 5},
                                              {"date": "2026-12-31", "value": 9}]}
    kpis = project_kpis(_roadmap(sheet), date(2026, 11, 26), measured)
    assert kpis[0]["progress"] == 0.25 and kpis[0]["target"] == 20
    assert kpis[0]["current"] == 5 and kpis[0]["current_date"] == "2026-06-30"
    assert kpis[1]["progress"] is None and kpis[1]["due"] == "2029-06-30"
    assert kpis[1]["days_left"] == (date(2029, 6, 30) - date(2026, 11, 26)).days


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    return root


def test_charts_escape_every_text_and_are_deterministic():
    bar = charts.bar_chart([(HOSTILE, 3), ("b", 1)], title=HOSTILE, description=HOSTILE,
                           legend=HOSTILE)
    stacked = charts.stacked_bar([charts.Segment("k", HOSTILE, 2, "#009E73", "\u2713"),
                                  charts.Segment("m", "m", 1, "#D55E00", "\u00d7")],
                                 title=HOSTILE, description=HOSTILE)
    lines = charts.line_chart(["2026-01", HOSTILE], [(HOSTILE, [0.5, None]), ("b", [0.1, 0.2])],
                              title=HOSTILE, description=HOSTILE)
    gantt = charts.gantt_chart([charts.GanttRow("p", HOSTILE, date(2026, 1, 1),
                                                date(2027, 1, 1), "selected", HOSTILE,
                                                ((HOSTILE, date(2026, 1, 1),
                                                  date(2026, 6, 30)),))],
                               today=date(2026, 5, 1), title=HOSTILE, description=HOSTILE,
                               today_label=HOSTILE, legend={"selected": HOSTILE})
    for svg in (bar, stacked, lines, gantt):
        assert "<script>" not in svg
        root = _parse(svg)
        assert root.find(f"{SVG}title").text == HOSTILE  # type: ignore[union-attr]
    assert bar == charts.bar_chart([(HOSTILE, 3), ("b", 1)], title=HOSTILE,
                                   description=HOSTILE, legend=HOSTILE)


def test_bar_values_are_direct_labels():
    root = _parse(charts.bar_chart([("a", 3), ("b", 0)], title="t", description="d",
                                   legend="Projects"))
    bars = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert [g.get("data-value") for g in bars] == ["3", "0"]
    assert [t.text for t in bars[0].iter(f"{SVG}text")] == ["a", "3"]


def test_lines_differ_by_marker_and_dash_not_only_colour():
    svg = charts.line_chart(["a", "b"], [("one", [0.1, 0.2]), ("two", [0.3, 0.4])],
                            title="t", description="d")
    assert "<circle" in svg and "<rect x=" in svg and 'stroke-dasharray="6 4"' in svg


def test_stacked_segments_carry_their_glyph():
    root = _parse(charts.stacked_bar([charts.Segment("ok", "ok", 8, "#009E73", "\u2713")],
                                     title="t", description="d"))
    segment = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "segment")
    assert any("\u2713" in (t.text or "") for t in segment.iter(f"{SVG}text"))


def test_gantt_places_today_by_days():
    root = _parse(charts.gantt_chart(
        [charts.GanttRow("p", "P", date(2026, 1, 1), date(2026, 12, 31))],
        today=date(2026, 7, 2), title="t", description="d", today_label="Today"))
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "axis")
    left, width = float(axis.get("data-left") or 0), float(axis.get("data-width") or 0)
    start = date.fromisoformat(axis.get("data-start") or "")
    end = date.fromisoformat(axis.get("data-end") or "")
    today = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "today")
    x = float(today.find(f"{SVG}line").get("x1") or 0)  # type: ignore[union-attr]
    assert x == pytest.approx(left + width * (date(2026, 7, 2) - start).days /
                              (end - start).days, abs=0.01)


def test_architecture_groups_every_live_capability_by_layer(catalogue):
    groups = architecture(catalogue, [_sheet("urban-data-platform")], "en")
    live = {c.id for c in catalogue.concepts["capabilities"].values() if not c.deprecated}
    assert {b.id for blocks in groups.values() for b in blocks} == live
    for layer, blocks in groups.items():
        for block in blocks:
            assert block.layer == layer
            assert {s for s, _, _ in block.standards} == set(
                catalogue.standards_by_capability.get(block.id, ()))
            assert {c for c, _ in block.components} == set(
                catalogue.components_by_capability.get(block.id, ()))
    broker = next(b for b in groups["technical"] if b.id == "context-data-management")
    assert set(broker.domains) == {"governance", "environment", "mobility"}
    svg = architecture_svg(groups, title=HOSTILE, description="d", layer_labels={},
                           domain_labels={}, words={}, status_labels={})
    root = ET.fromstring(svg)
    assert root.get("role") is None and "<script>" not in svg
    assert len([a for a in root.iter(f"{SVG}a")]) >= len(live)


def test_the_gantt_chart_names_its_phases_and_lists_only_the_statuses_it_draws():
    rows = [charts.GanttRow("p", "P", date(2026, 1, 1), date(2027, 12, 31), "selected",
                            "selected", (("Design and procurement", date(2026, 1, 1),
                                          date(2026, 12, 31)),
                                         ("Pilot", date(2027, 1, 1), date(2027, 12, 31))))]
    svg = charts.gantt_chart(rows, today=date(2026, 5, 1), title="T", description="D",
                             today_label="Today",
                             legend={"proposed": "proposed", "selected": "selected"})
    root = _parse(svg)
    keys = [g.get("data-key") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"]
    assert keys == ["selected"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Design and procurement" in texts and "Pilot" in texts
    assert all(t.get("font-size") in (None, "16") for t in root.iter(f"{SVG}text"))
