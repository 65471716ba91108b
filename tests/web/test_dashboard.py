"""The Office's pages: dashboard, roadmap timeline and architecture map, and /api/indicators.

Every indicator is checked against a computation of its own from the other API routes
(/api/projects, /api/compliance, /api/reuse...), never against the indicators' code.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import orjson
import pytest
import yaml

from registry.projects import import_projects
from tests.helpers import AS_OF

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HOSTILE = "<script>alert(1)</script> & \"quoted\" title"
HOSTILE_ID = "hostile-dashboard-project"
SVG = "{http://www.w3.org/2000/svg}"
PAGES = ("/dashboard", "/roadmap", "/architecture")


@pytest.fixture(scope="module")
def roadmap(read_app, tmp_path_factory):
    """Import the example roadmap and a sheet with a hostile title, once per backend."""
    folder = tmp_path_factory.mktemp("sheets")
    for path in EXAMPLES.glob("*.yaml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    sheet = yaml.safe_load((EXAMPLES / "ev-charging-map.yaml").read_text(encoding="utf-8"))
    sheet["id"] = HOSTILE_ID
    sheet["title"] = {"en": HOSTILE, "fr": HOSTILE, "nl": HOSTILE}
    sheet["kpis"][0]["name"] = {"en": HOSTILE}
    (folder / f"{HOSTILE_ID}.yaml").write_text(yaml.safe_dump(sheet, allow_unicode=True),
                                               encoding="utf-8")
    svc = read_app.extensions["registry"]
    outcomes = import_projects(folder, svc.store, svc.snapshots.get(),
                               datetime.date(2026, 11, 26), "test")
    assert all(o.action == "created" for o in outcomes), [
        (o.path, o.action, [f.code for f in o.report.findings]) for o in outcomes]
    return len(outcomes)


@pytest.fixture
def web(read_client, roadmap):
    """Return a client of the app holding the example roadmap."""
    return read_client


def _projects(web, **filters: str) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    body = web.get(f"/api/projects?per_page=500&as_of={AS_OF}&{query}").get_json()
    return body["projects"]


def _sheets(web) -> dict[str, dict]:
    return {p["id"]: web.get(f"/api/projects/{p['id']}?as_of={AS_OF}").get_json()["project"]
            for p in _projects(web)}


@pytest.fixture
def indicators(web):
    """Return /api/indicators as of the examples' date."""
    response = web.get(f"/api/indicators?as_of={AS_OF}")
    assert response.status_code == 200
    return response.get_json()


# --- the API, against independent computations --------------------------------------

def test_projects_by_status_domain_and_owner(web, indicators):
    projects = _projects(web)
    assert indicators["projects"]["total"] == len(projects)
    by_status = {k: v for k, v in indicators["projects"]["by_status"].items() if v}
    assert by_status == dict(Counter(p["status"] for p in projects))
    assert indicators["projects"]["by_domain"] == dict(
        Counter(d for p in projects for d in set(p["domains"])))
    assert indicators["projects"]["by_owner"] == dict(Counter(p["owner"] for p in projects))


def test_share_of_projects_without_errors(web, indicators):
    projects = _projects(web)
    valid = sum(1 for p in projects if p["valid"])
    assert indicators["validation"]["without_errors"] == valid
    assert indicators["validation"]["share"] == pytest.approx(valid / len(projects), abs=1e-4)


def _mandatory(web, as_of: str | None = AS_OF) -> Counter:
    query = f"?as_of={as_of}" if as_of else ""
    lines = web.get(f"/api/compliance.jsonl{query}").get_data(as_text=True).splitlines()
    cells = [orjson.loads(line) for line in lines]
    return Counter(c["state"] for c in cells if c["status"] == "mandatory" and c["applies"])


def test_mandatory_compliance_shares(web, indicators):
    states = _mandatory(web)
    total = sum(states.values())
    m = indicators["mandatory_compliance"]
    assert total > 0 and m["applicable"] == total
    assert m["complies"] == states["complies"]
    assert m["explained"] == states["partial"] + states["planned"] + states["explain"]
    assert (m["expired"], m["missing"]) == (states["expired"], states["missing"])
    assert m["shares"]["complies"] == pytest.approx(states["complies"] / total, abs=1e-4)
    assert m["complies"] + m["explained"] + m["expired"] + m["missing"] == total


def test_lapsing_explanations_within_90_days(web, indicators):
    rows = web.get(f"/api/compliance/lapsing?days=90&as_of={AS_OF}").get_json()["declarations"]
    assert indicators["lapsing"]["count"] == sum(1 for r in rows if not r["expired"])
    assert indicators["lapsing"]["expired"] == sum(1 for r in rows if r["expired"])
    assert indicators["lapsing"]["count"] >= 1  # mobility-data-hub's 2027-01-31


def test_standards_adoption_counts_declaring_projects(web, indicators):
    declared = Counter(d["id"] for s in _sheets(web).values()
                       for d in {x["id"]: x for x in s.get("standards", [])}.values())
    adoption = {a["standard"]: a["projects"] for a in indicators["standards_adoption"]}
    assert {k: v for k, v in adoption.items() if v} == dict(declared)
    total = web.get("/api/standards?per_page=500").get_json()["total"]
    assert len(adoption) == total  # every standard, the undeclared ones with 0


def test_component_reuse_rate(web, indicators):
    sheets = _sheets(web)
    reuses = Counter(c for s in sheets.values()
                     for c in set(s.get("components", {}).get("reuses", [])))
    components = web.get("/api/components?per_page=500").get_json()["total"]
    r = indicators["component_reuse"]
    assert r["reuses"] == sum(reuses.values())
    assert r["per_component"] == pytest.approx(sum(reuses.values()) / components, abs=1e-4)
    reusing = sum(1 for s in sheets.values() if s.get("components", {}).get("reuses"))
    assert r["projects_reusing"] == reusing
    assert r["projects_share"] == pytest.approx(reusing / len(sheets), abs=1e-4)
    assert {c["component"]: c["projects"] for c in r["by_component"] if c["projects"]} == \
        dict(reuses)


def test_open_opportunities_by_type(web, indicators):
    found = web.get("/api/reuse").get_json()["opportunities"]
    by_type = {k: v for k, v in indicators["opportunities"]["by_type"].items() if v}
    assert by_type == dict(Counter(o["type"] for o in found))
    assert indicators["opportunities"]["total"] == len(found)


def test_kpis_show_baseline_target_and_due_without_invented_progress(web, indicators):
    expected = {(pid, k["id"]): k for pid, s in _sheets(web).items() for k in s.get("kpis", [])}
    got = {(k["project"], k["id"]): k for k in indicators["kpis"]}
    assert got.keys() == expected.keys()
    for key, kpi in got.items():
        assert kpi["target"] == expected[key]["target"]
        assert kpi["baseline"] == expected[key].get("baseline")
        assert kpi["due"] == (str(expected[key]["due"]) if "due" in expected[key] else None)
        assert kpi["progress"] is None  # the sheets carry no current value


def test_trend_ends_with_today_as_the_compliance_matrix_says(web):
    # All revisions were written today, so the last point (today) replays the stored
    # sheets: it must agree with /api/compliance as of today.
    body = web.get("/api/indicators").get_json()
    last = body["trend"]["points"][-1]
    assert last["date"] == datetime.date.today().isoformat()
    states = _mandatory(web, None)
    assert last["applicable"] == sum(states.values())
    assert last["complies"] == states["complies"]
    assert last["missing"] == states["missing"]
    assert last["projects"] == len(_projects(web))
    assert "current catalogue" in body["trend"]["method"]


def test_api_indicators_checks_its_parameters(web):
    assert web.get("/api/indicators?as_of=soon").status_code == 400
    bad = web.get("/api/indicators?colour=red")
    assert bad.status_code == 400 and bad.get_json()["error"]["detail"]["parameter"] == "colour"


def test_api_indicators_is_documented(web):
    spec = web.get("/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/indicators"]


# --- the pages ------------------------------------------------------------------------

class Page(HTMLParser):
    """Collect the tags, h1s, scripts and the rows of the tables with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self.keys: dict[str, list[str]] = {}
        self._table: str | None = None
        self._row: str | None = None
        self._cell: list[str] | None = None
        self.attrs: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        data = dict(attrs)
        self.attrs.append((tag, data))
        if tag == "table" and data.get("id"):
            self._table = str(data["id"])
            self.tables[self._table] = {}
            self.keys[self._table] = []
        elif tag == "tr" and self._table and data.get("data-key"):
            self._row = str(data["data-key"])
            self.tables[self._table][self._row] = []
            self.keys[self._table].append(self._row)
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table and self._row:
            self.tables[self._table][self._row].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page(web, url: str, status: int = 200) -> tuple[str, Page]:
    response = web.get(url)
    assert response.status_code == status, url
    html = response.get_data(as_text=True)
    page = Page()
    page.feed(html)
    return html, page


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, re.S)]


@pytest.mark.parametrize("url", PAGES)
def test_pages_are_whole_and_script_free(web, url):
    for lang in ("en", "fr", "nl"):
        html, page = _page(web, f"{url}?as_of={AS_OF}&lang={lang}")
        assert page.tags["h1"] == 1
        assert page.tags["script"] == 0 and "<script" not in html.lower().replace(
            "&lt;script", "")
        assert f'<html lang="{lang}">' in html
        # No external font, script or stylesheet: the registry runs on closed networks.
        for tag, attrs in page.attrs:
            if tag in ("link", "img", "script", "iframe"):
                assert not str(attrs.get("href") or attrs.get("src") or "").startswith(
                    ("http:", "https:", "//"))


@pytest.mark.parametrize("url", ["/dashboard", "/roadmap"])
def test_charts_are_images_with_title_and_desc(web, url):
    html, _ = _page(web, f"{url}?as_of={AS_OF}")
    svgs = _svgs(html)
    assert svgs
    for svg in svgs:
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert svg.get("viewBox")


def _bars(svg: ET.Element) -> list[str]:
    return [g.get("data-value") or "" for g in svg.iter(f"{SVG}g") if g.get("class") == "bar"]


def test_dashboard_tables_hold_the_same_numbers_as_the_api_and_charts(web, indicators):
    html, page = _page(web, f"/dashboard?as_of={AS_OF}")
    svgs = {s.get("aria-labelledby", "").split("-title")[0]: s for s in _svgs(html)}
    d = indicators
    for table, data, chart in (("t-status", d["projects"]["by_status"], "chart-status"),
                               ("t-domain", d["projects"]["by_domain"], "chart-domain"),
                               ("t-owner", d["projects"]["by_owner"], "chart-owner"),
                               ("t-opportunities", d["opportunities"]["by_type"],
                                "chart-opportunities")):
        assert page.keys[table] == list(data), table
        assert [int(r[0]) for r in page.tables[table].values()] == list(data.values())
        assert _bars(svgs[chart]) == [str(v) for v in data.values()], chart
    m = d["mandatory_compliance"]
    rows = page.tables["t-compliance"]
    assert {k: int(v[0]) for k, v in rows.items() if k != "applicable"} == m["by_state"]
    assert int(rows["applicable"][0]) == m["applicable"]
    segments = {g.get("data-key"): int(g.get("data-value") or 0)
                for g in svgs["chart-compliance"].iter(f"{SVG}g")
                if g.get("class") == "segment"}
    assert segments == {k: v for k, v in m["by_state"].items() if v}
    adoption = page.tables["t-adoption"]
    assert {k: int(v[1]) for k, v in adoption.items()} == {
        a["standard"]: a["projects"] for a in d["standards_adoption"]}
    trend = page.tables["t-trend"]
    assert list(trend) == [p["month"] for p in d["trend"]["points"]]
    assert [int(v[2]) for v in trend.values()] == [p["complies"] for p in d["trend"]["points"]]
    assert len(page.tables["t-kpis"]) == len(d["kpis"])
    # The examples report no KPI value: the page says so once, not on every row, and
    # leaves out the columns it would have nothing to put in.
    assert d["kpis"] and all(k["current"] is None for k in d["kpis"])
    assert html.count('id="kpis-unmeasured"') == 1
    assert "Latest value" not in html and "<meter" not in html
    # Amounts through Babel: a KPI in euros reads as money, never "2.5e+06 EUR".
    assert "\u20ac2,500,000" in html and "e+0" not in html and "2500000" not in html
    assert 'href="/api/indicators?as_of=2026-11-26"' in html


def test_home_links_to_the_dashboard(web):
    html, _ = _page(web, "/")
    assert 'href="/dashboard?lang=en"' in html


def test_roadmap_lists_every_project_with_its_phases(web):
    html, page = _page(web, f"/roadmap?as_of={AS_OF}")
    projects = _projects(web)
    assert sorted(page.keys["t-timeline"]) == sorted(p["id"] for p in projects)
    for pid in page.keys["t-timeline"]:
        assert f'href="/projects/{pid}?lang=en&amp;as_of={AS_OF}"' in html
    gantt = _svgs(html)[0]
    rows = [g.get("data-project") for g in gantt.iter(f"{SVG}g") if g.get("class") == "project"]
    assert rows == page.keys["t-timeline"]  # the same order as the picture
    hub = page.tables["t-timeline"]["mobility-data-hub"]
    assert hub[2:4] == ["Mar 1, 2026", "Dec 31, 2027"]  # Babel's English medium date
    assert '<time datetime="2026-03-01">' in html
    assert "Pilot on two corridors: 2026-03-01 – 2026-12-31" in hub[4]


@pytest.mark.parametrize("name, value, api", [
    ("status", "delivered", "status"), ("domain", "mobility", "domain"),
    ("owner", "paradigm", "owner")])
def test_roadmap_filters(web, name, value, api):
    _, page = _page(web, f"/roadmap?{name}={value}&as_of={AS_OF}")
    assert sorted(page.keys["t-timeline"]) == sorted(p["id"] for p in
                                                     _projects(web, **{api: value}))
    assert page.keys["t-timeline"]


@pytest.mark.parametrize("query", ["status=finished", "domain=space", "owner=nobody"])
def test_roadmap_refuses_unknown_filter_values(web, query):
    html, page = _page(web, f"/roadmap?{query}", status=400)
    assert page.tags["h1"] == 1 and 'role="alert"' in html


def test_roadmap_marks_today_on_the_axis(web):
    html, _ = _page(web, f"/roadmap?as_of={AS_OF}")
    gantt = _svgs(html)[0]
    today = next(g for g in gantt.iter(f"{SVG}g") if g.get("class") == "today")
    assert today.get("data-date") == AS_OF
    line = today.find(f"{SVG}line")
    label = today.find(f"{SVG}text")
    assert line is not None and label is not None and AS_OF in (label.text or "")
    years = {ln.get("data-date"): float(ln.get("x1") or 0) for ln in gantt.iter(f"{SVG}line")
             if ln.get("class") == "year"}
    x26, x27 = years["2026-01-01"], years["2027-01-01"]
    day = (datetime.date(2026, 11, 26) - datetime.date(2026, 1, 1)).days
    # Between the two year lines, in proportion to the days of 2026 (axis ticks are days).
    expected = x26 + (x27 - x26) * day / 365
    assert float(line.get("x1") or 0) == pytest.approx(expected, abs=0.6)
    assert x26 < float(line.get("x1") or 0) < x27


def test_roadmap_today_follows_as_of(web):
    html, _ = _page(web, "/roadmap?as_of=2025-02-01")
    assert 'class="today" data-date="2025-02-01"' in html
    assert web.get("/roadmap?as_of=tomorrow").status_code == 400


def test_architecture_map_lists_every_capability_with_standards_and_components(web):
    html, page = _page(web, "/architecture")
    concepts = web.get("/api/vocabularies/capabilities").get_json()["concepts"]
    live = [c for c in concepts if not c.get("deprecated")]
    svg = _svgs(html)[0]
    assert svg.get("role") != "img"  # it holds links: role img would hide them
    assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None
    in_svg = {g.get("data-capability") for g in svg.iter(f"{SVG}g")}
    section = html.split('id="architecture-list"', 1)[1]
    listed = {}  # capability -> its item's HTML, up to the next capability or layer
    for chunk in section.split('<li data-capability="')[1:]:
        cid, rest = chunk.split('"', 1)
        listed[cid] = rest.split('<li data-layer=')[0]
    for concept in live:
        cid = concept["id"]
        assert cid in in_svg and cid in listed, cid
        standards = web.get(f"/api/standards?applies_to={cid}&per_page=500").get_json()
        for s in standards["standards"]:
            assert f'data-standard="{s["id"]}"' in listed[cid], (cid, s["id"])
            assert f'href="/standards/{s["id"]}?lang=en"' in html
        providers = web.get(f"/api/components?provides={cid}&per_page=500").get_json()
        for c in providers["components"]:
            assert f'data-component="{c["id"]}"' in listed[cid], (cid, c["id"])
        assert f'href="/vocabularies/capabilities/{cid}?lang=en"' in html
    assert len(listed) == len(live)
    layers = re.findall(r'<li data-layer="([^"]+)">', html)
    assert layers == ["legal", "organisational", "semantic", "technical"]


def test_architecture_chips_carry_a_status_letter(web):
    html, _ = _page(web, "/architecture")
    svg = _svgs(html)[0]
    for a in svg.iter(f"{SVG}a"):
        status = a.get("data-standard-status")
        if status:
            text = a.find(f"{SVG}text")
            assert text is not None and (text.text or "")[0] == status[0].upper()


@pytest.mark.parametrize("url", ["/dashboard", "/roadmap"])
def test_hostile_titles_are_escaped(web, url):
    html, _ = _page(web, f"{url}?as_of={AS_OF}")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for svg in _svgs(html):  # each SVG parses as XML: nothing broke out of its text
        assert svg.tag == f"{SVG}svg"


def test_the_dashboard_opens_with_what_needs_action_and_whom_to_ask(web):
    html = web.get(f"/dashboard?as_of={AS_OF}").get_data(as_text=True)
    todo = html.split('id="h-todo"')[1].split("</section>")[0]
    # Each list's count is what the API says, computed from the API's own answers.
    # Every cell, from the CSV export (the JSON answer is paged).
    text = web.get(f"/api/compliance.csv?as_of={AS_OF}").get_data(as_text=True)
    cells = [{**row, "applies": row["applies"].lower() in ("true", "1")}
             for row in csv.DictReader(io.StringIO(text))]
    assert cells
    missing = [c for c in cells if c["status"] == "mandatory" and c["applies"]
               and c["state"] == "missing"]
    deprecated = [c for c in cells if c["status"] == "deprecated" and c["state"] != "missing"]
    lapsing = web.get(f"/api/compliance/lapsing?as_of={AS_OF}&days=90").get_json()
    opportunities = web.get("/api/reuse").get_json()["opportunities"]
    counts = dict(re.findall(r'id="h-todo-(\w+)">.*?<span class="count">\((\d+)\)', todo))
    assert int(counts["missing"]) == len(missing)
    assert int(counts["deprecated"]) == len(deprecated)
    assert int(counts["lapsing"]) == len(lapsing["declarations"])
    assert int(counts["opportunities"]) == len(opportunities)
    assert sum(map(int, counts.values())) > 0
    # Every line names its project and its owner's contact.
    lines = re.findall(r"<li>(.*?)</li>", todo, re.S)
    assert lines
    for line in lines:
        assert 'href="/projects/' in line and 'href="mailto:' in line, line
    # The rest of the dashboard is folded below.
    assert html.index('id="h-todo"') < html.index("<details class=\"more-indicators\">") \
        < html.index('id="t-kpis"')
