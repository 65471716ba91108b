"""The roadmap pages: projects, the compliance heatmap and its table, lapsing declarations."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import orjson
import pytest
import yaml

from registry.analysis.compliance import STATES, Cell
from registry.analysis.reuse import STATUSES as PROJECT_STATUSES
from registry.catalogue.query import STATUSES as STANDARD_STATUSES
from registry.storage.tokens import create_token
from registry.svg.heatmap import heatmap_svg
from registry.svg.style import (
    OUTLINE,
    PROJECT_STATUS,
    STANDARD_STATUS,
    STATUSES,
    STYLES,
    stylesheet,
)
from registry.web import compliance
from tests.helpers import AS_OF
from tests.web.pagecheck import assert_plain_page, internal_links_resolve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HOSTILE = "<script>alert(1)</script> project title"
HOSTILE_FR = 'Projet "Ω" & <b>gras</b>'
HOSTILE_ID = "hostile-title-project"


def _hostile_sheet() -> str:
    sheet = yaml.safe_load((EXAMPLES / "ev-charging-map.yaml").read_text(encoding="utf-8"))
    sheet["id"] = HOSTILE_ID
    sheet["title"] = {"en": HOSTILE, "fr": HOSTILE_FR}
    return yaml.safe_dump(sheet, allow_unicode=True)


@pytest.fixture(scope="module")
def roadmap(read_app):
    """Store the example roadmap and a sheet with a hostile title, once per backend."""
    store = read_app.extensions["registry"].store
    secret, _ = create_token(store, role="office", organisations=[], name="office t")
    client = read_app.test_client()
    sheets = {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.yaml"))}
    sheets[HOSTILE_ID] = _hostile_sheet()
    for project_id, text in sheets.items():
        response = client.put(f"/api/projects/{project_id}?as_of={AS_OF}", data=text,
                              content_type="application/yaml",
                              headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 201, (project_id, response.get_json())
    return sorted(sheets)


@pytest.fixture
def web(read_client, roadmap):
    """Return a client of the app holding the example roadmap."""
    return read_client


class Page(HTMLParser):
    """Collect the tags, links, heatmap cells and table cells of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.svg_cells: list[tuple[str, str, str]] = []
        self.svg_attrs: dict[str, str] = {}
        self.legend: list[str] = []
        self.cell_rects = 0
        self.columns: list[str] = []
        self.table_cells: list[tuple[str, str, str]] = []
        self._matrix = False
        self._row: str | None = None
        self._column = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "svg":
            self.svg_attrs = a
        if tag == "g" and "data-project" in a:
            self.svg_cells.append((a["data-project"], a["data-standard"], a["data-state"]))
        if tag == "g" and a.get("class") == "legend-item":
            self.legend.append(a["data-state"])
        if tag == "rect" and a.get("class") == "cell":
            self.cell_rects += 1
        if tag == "table":
            self._matrix = a.get("class") == "matrix"
        if not self._matrix:
            return
        if tag == "a" and a.get("title"):
            self.columns.append(a["title"])
        if tag == "tr":
            self._row, self._column = None, 0
        if tag == "a" and a.get("href", "").startswith("/projects/"):
            self._row = a["href"].split("/")[2].split("?")[0]
        if tag == "td":
            if a.get("data-state") and self._row:
                self.table_cells.append((self._row, self.columns[self._column], a["data-state"]))
            self._column += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._matrix = False


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def api_cells(client, as_of: str = AS_OF) -> set[tuple[str, str, str]]:
    # The whole matrix is the streamed export; /api/compliance answers pages of it.
    lines = client.get(f"/api/compliance.jsonl?as_of={as_of}").get_data(as_text=True)
    cells = [orjson.loads(line) for line in lines.splitlines()]
    return {(c["project"], c["standard"], c["state"]) for c in cells}


PAGES = ["/projects", f"/projects/mobility-data-hub?as_of={AS_OF}", f"/compliance?as_of={AS_OF}",
         f"/compliance/lapsing?as_of={AS_OF}", f"/standards/ngsi-ld?as_of={AS_OF}",
         "/projects?owner=paradigm", "/compliance?lang=fr", "/compliance/lapsing?days=0"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_without_script_and_with_one_h1(web, url):
    assert_plain_page(web.get(url))


def test_the_main_navigation_links_the_roadmap_pages(web):
    html = web.get("/").get_data(as_text=True)
    assert 'href="/projects?lang=en">Projects</a>' in html
    assert 'href="/compliance?lang=en">Compliance</a>' in html
    current = web.get("/compliance").get_data(as_text=True)
    assert 'href="/compliance?lang=en" aria-current="page"' in current


def test_every_internal_link_of_the_roadmap_pages_resolves(web):
    assert len(internal_links_resolve(web, PAGES)) > 50


def test_the_heatmap_is_an_accessible_image_with_a_cell_per_api_cell(web, roadmap):
    html = web.get(f"/compliance?as_of={AS_OF}").get_data(as_text=True)
    page = parse(html)
    assert page.svg_attrs["role"] == "img"
    assert page.svg_attrs["aria-labelledby"] == "heatmap-title heatmap-desc"
    assert '<title id="heatmap-title">Compliance of' in html
    assert '<desc id="heatmap-desc">' in html
    expected = api_cells(web)
    # The legend names the states drawn, in the palette's order, and no other.
    drawn = {state for _, _, state in expected}
    assert page.legend == [s for s in STATES if s in drawn] and len(drawn) > 2
    assert page.cell_rects == len(expected) == len(page.svg_cells)
    assert set(page.svg_cells) == expected
    assert {p for p, _, _ in expected} <= set(roadmap)


def test_the_table_alternative_has_the_same_cells(web):
    page = parse(web.get(f"/compliance?as_of={AS_OF}").get_data(as_text=True))
    assert page.table_cells and set(page.table_cells) == set(page.svg_cells)
    assert len(page.table_cells) == len(page.svg_cells)


def test_the_compliance_page_summarises_and_links_the_data(web):
    html = web.get(f"/compliance?as_of={AS_OF}").get_data(as_text=True)
    summary = web.get(f"/api/compliance?as_of={AS_OF}").get_json()["summary"]["mandatory"]
    assert f"{summary['complies']} complied with" in html
    assert f"{summary['missing']} missing" in html
    assert f'href="/api/compliance.csv?as_of={AS_OF}"' in html
    assert '<th scope="row"><a href="/projects/mobility-data-hub' in html
    assert '<th scope="col"><a href="/standards/ngsi-ld' in html


def test_a_large_roadmap_is_drawn_a_page_of_projects_at_a_time(web, roadmap, monkeypatch):
    monkeypatch.setattr(compliance, "HEATMAP_ROWS", 5)
    expected = api_cells(web)
    seen: set[tuple[str, str, str]] = set()
    pages = -(-len(roadmap) // 5)
    for number in range(1, pages + 1):
        html = web.get(f"/compliance?as_of={AS_OF}&page={number}").get_data(as_text=True)
        page = parse(html)
        assert len({p for p, _, _ in page.svg_cells}) <= 5
        assert set(page.table_cells) == set(page.svg_cells)
        assert f"Page {number} of {pages}" in html
        seen |= set(page.svg_cells)
    assert seen == expected
    for bad in (pages + 1, 0, "x"):
        response = web.get(f"/compliance?page={bad}")
        assert response.status_code == 400 and response.mimetype == "text/html"


def test_the_project_page_shows_the_sheet_findings_compliance_and_revisions(web):
    html = web.get(f"/projects/mobility-data-hub?as_of={AS_OF}").get_data(as_text=True)
    detail = web.get(f"/api/projects/mobility-data-hub?as_of={AS_OF}").get_json()
    assert "<h1>Regional mobility data hub</h1>" in html
    assert "Brussels Mobility" in html and "2026-03-01 to 2027-12-31" in html
    assert 'href="/vocabularies/capabilities/context-data-management' in html
    assert 'href="/components/fidus' in html
    for finding in detail["validation"]["findings"]:
        assert f"<code>{finding['code']}</code>" in html
    assert "policy.recommended-missing" in html
    ngsi = re.search(r'<tr><th scope="row"><a href="/standards/ngsi-ld[^>]*>NGSI-LD</a></th>'
                     r".*?</tr>", html, re.S)
    assert ngsi and "state-complies" in ngsi.group(0)
    for cell in detail["compliance"]:
        assert f'href="/standards/{cell["standard"]}?' in html
    assert 'href="/api/projects/mobility-data-hub/revisions/1"' in html
    assert web.get("/api/projects/mobility-data-hub/revisions/1").status_code == 200


def test_the_project_title_follows_the_page_language(web):
    html = web.get("/projects/mobility-data-hub?lang=fr").get_data(as_text=True)
    assert "Hub régional de données de mobilité" in html
    dutch = web.get(f"/projects/{HOSTILE_ID}?lang=nl").get_data(as_text=True)
    assert '<small class="fallback">(in het Engels)</small>' in dutch


def test_the_projects_list_filters_and_counts(web, roadmap):
    html = web.get(f"/projects?as_of={AS_OF}").get_data(as_text=True)
    assert f"{len(roadmap)} projects, {len(roadmap)} valid and 0 invalid" in html
    owned = web.get("/projects?owner=paradigm").get_data(as_text=True)
    listed = set(re.findall(r'<th scope="row"><a href="/projects/([a-z0-9-]+)', owned))
    api = web.get("/api/projects?owner=paradigm").get_json()["projects"]
    assert listed == {p["id"] for p in api} and len(listed) >= 3
    stopped = web.get("/projects?status=stopped").get_data(as_text=True)
    assert "1 project," in stopped and "/projects/canal-logistics-data-platform" in stopped
    mobility = web.get("/projects?domain=mobility").get_data(as_text=True)
    assert "/projects/mobility-data-hub" in mobility
    assert "/projects/regional-web-accessibility" not in mobility
    lapsed = web.get("/projects?as_of=2027-03-01").get_data(as_text=True)
    assert "badge-invalid" in lapsed
    for bad in ("status=dreaming", "owner=nobody", "domain=space", "page=0"):
        response = web.get(f"/projects?{bad}")
        assert response.status_code == 400, bad
        assert 'role="alert"' in response.get_data(as_text=True)


def test_the_standard_page_lists_projects_by_state(web):
    html = web.get(f"/standards/ngsi-ld?as_of={AS_OF}").get_data(as_text=True)
    complies = re.search(r'<h3 id="h-projects-complies">.*?</ul>', html, re.S)
    assert complies and 'href="/projects/mobility-data-hub' in complies.group(0)
    sdm = web.get(f"/standards/smart-data-models?as_of={AS_OF}").get_data(as_text=True)
    missing = re.search(r'<h3 id="h-projects-missing">.*?</ul>', sdm, re.S)
    assert missing and 'href="/projects/mobility-data-hub' in missing.group(0)
    cells = web.get(f"/api/compliance?standard=wcag-2-1&as_of={AS_OF}").get_json()["cells"]
    wcag = web.get(f"/standards/wcag-2-1?as_of={AS_OF}").get_data(as_text=True)
    for state in STATES:
        ids = {c["project"] for c in cells if c["state"] == state}
        section = re.search(rf'<h3 id="h-projects-{state}">.*?</ul>', wcag, re.S)
        assert bool(section) == bool(ids), state
        if section:
            assert set(re.findall(r'href="/projects/([a-z0-9-]+)', section.group(0))) == ids


def test_an_expired_explanation_moves_to_expired_on_the_standard_page(web):
    html = web.get("/standards/wcag-2-1?as_of=2027-03-01").get_data(as_text=True)
    expired = re.search(r'<h3 id="h-projects-expired">.*?</ul>', html, re.S)
    assert expired and 'href="/projects/mobility-data-hub' in expired.group(0)


def test_a_standard_no_project_touches_says_so(web):
    html = web.get("/standards/dcat-ap-2?as_of=2026-11-26").get_data(as_text=True)
    assert "h-projects" in html
    cells = web.get(f"/api/compliance?standard=dcat-ap-2&as_of={AS_OF}").get_json()["cells"]
    assert ("No project of the roadmap declares it" in html) == (not cells)


@pytest.mark.parametrize("days", [0, 90, 365])
def test_the_lapsing_page_respects_days(web, days):
    html = web.get(f"/compliance/lapsing?days={days}&as_of={AS_OF}").get_data(as_text=True)
    api = web.get(f"/api/compliance/lapsing?days={days}&as_of={AS_OF}").get_json()
    rows = re.findall(r'<tr(?: class="expired")?><th scope="row" class="nowrap"><time '
                      r'datetime="(\d{4}-\d{2}-\d{2})">', html)
    assert rows == [d["until"] for d in api["declarations"]]
    assert rows == sorted(rows)
    hub = [d["standard"] for d in api["declarations"] if d["project"] == "mobility-data-hub"]
    assert hub == {0: [], 90: ["wcag-2-1"], 365: ["wcag-2-1", "dcat-ap"]}[days]


def test_the_lapsing_page_lists_expired_declarations(web):
    html = web.get("/compliance/lapsing?days=0&as_of=2027-03-01").get_data(as_text=True)
    assert 'class="expired"' in html and "29 days ago" in html
    api = web.get("/api/compliance/lapsing?days=0&as_of=2027-03-01").get_json()
    expired = sum(1 for d in api["declarations"] if d["expired"])
    assert expired >= 1 and f": {expired} expired," in html


@pytest.mark.parametrize("days", ["-1", "3651", "abc", "1.5"])
def test_bad_days_are_a_400_page_with_a_message(web, days):
    response = web.get(f"/compliance/lapsing?days={days}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "days must be a whole number from 0 to 3650" in html
    assert parse(html).tags.count("h1") == 1 and 'aria-invalid="true"' in html


@pytest.mark.parametrize("url", ["/compliance?as_of=2026-02-30", "/projects?as_of=soon",
                                 "/projects/mobility-data-hub?as_of=x",
                                 "/standards/ngsi-ld?as_of=26/11/2026",
                                 "/compliance/lapsing?as_of=tomorrow"])
def test_a_bad_date_is_a_400_page(web, url):
    response = web.get(url)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "is not a date: write it as YYYY-MM-DD" in response.get_data(as_text=True)


def test_an_unknown_project_is_a_404_page(web):
    response = web.get("/projects/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>Not found</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [f"/projects/{HOSTILE_ID}", "/projects", "/compliance",
                                 "/compliance?lang=fr", f"/projects/{HOSTILE_ID}?lang=fr",
                                 "/standards/ocpi", "/compliance/lapsing?days=3650"])
def test_hostile_text_in_a_sheet_is_escaped_in_pages_and_svg(web, url):
    html = web.get(url).get_data(as_text=True)
    assert "<script" not in html and "<b>gras" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;b&gt;gras" in html
    if url.startswith("/compliance?"):
        svg = html[html.index("<svg"):html.index("</svg>") + 6]
        ET.fromstring(svg)  # well-formed: every label was escaped
        assert HOSTILE_ID in svg


# -- the heatmap itself ----------------------------------------------------------------


def _synthetic(projects: int, standards: int) -> list[Cell]:
    cells = []
    for i in range(projects):
        for j in range(standards):
            if (i * 7 + j * 3) % 4:
                cells.append(Cell(f"project-{i:02d}", f"standard-{j:02d}",
                                  STATES[(i + j) % len(STATES)], "mandatory", True, None,
                                  None, None))
    return cells


def test_the_heatmap_is_deterministic_well_formed_and_sized_for_50_by_30():
    cells = _synthetic(50, 30)
    projects = sorted({c.project for c in cells})
    labels = {p: f"A rather long project title <&> number {p} of the roadmap" for p in projects}
    first = heatmap_svg(cells, projects, project_labels=labels, title="T <&>", id_prefix="h")
    assert first == heatmap_svg(list(reversed(cells)), projects, project_labels=labels,
                                title="T <&>", id_prefix="h")
    root = ET.fromstring(first)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.get("role") == "img" and root.get("aria-labelledby") == "h-title h-desc"
    assert root.find("s:title", ns).text == "T <&>"
    assert len(root.findall(".//s:rect[@class='cell']", ns)) == len(cells)
    assert len(root.findall(".//s:g[@class='legend-item']", ns)) == len(STATES)
    width, height = int(root.get("width")), int(root.get("height"))
    assert 600 < width < 1600 and 1000 < height < 1400
    rotated = root.findall(".//s:g[@class='columns']/s:text", ns)
    assert len(rotated) == 30 and all("rotate(-45" in t.get("transform") for t in rotated)


def test_the_legend_lists_only_the_states_drawn_with_their_counts():
    cells = [Cell("p", "a", "missing", "mandatory", True, None, None, None),
             Cell("q", "a", "complies", "mandatory", True, None, None, None),
             Cell("q", "b", "missing", "recommended", True, None, None, None)]
    svg = heatmap_svg(cells, ["p", "q"], title="t", state_labels={"missing": "manquant"})
    ns = {"s": "http://www.w3.org/2000/svg"}
    items = ET.fromstring(svg).findall(".//s:g[@class='legend-item']", ns)
    # The palette's order (complies before missing), each with its count.
    assert [i.get("data-state") for i in items] == ["complies", "missing"]
    assert [i.find("s:text[last()]", ns).text for i in items] == ["complies (1)",
                                                                 "manquant (2)"]
    assert "0)" not in svg
    assert "; 1 complies, 2 missing." in heatmap_svg(cells, ["p", "q"], title="t")
    empty = heatmap_svg([], ["p"], title="t")
    assert 'class="legend-item"' not in empty and "No project has a state" in empty
    ET.fromstring(empty)


def test_only_standards_that_appear_in_a_cell_are_columns():
    cells = [Cell("p", "a", "complies", "mandatory", True, None, None, None),
             Cell("q", "b", "missing", "recommended", True, None, None, None),
             Cell("other", "c", "missing", "recommended", True, None, None, None)]
    svg = heatmap_svg(cells, ["p", "q"], ["z", "b", "a"], title="t")
    ns = {"s": "http://www.w3.org/2000/svg"}
    columns = ET.fromstring(svg).findall(".//s:g[@class='columns']/s:text/s:title", ns)
    assert [t.text for t in columns] == ["b", "a"]
    assert 'data-standard="c"' not in svg
    assert "No project has a state" in heatmap_svg([], ["p"], title="t")


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_state_has_a_distinct_glyph_and_accessible_contrast():
    assert set(STYLES) == set(STATES)
    assert len({s.glyph for s in STYLES.values()}) == len(STYLES)
    assert len({s.fill for s in STYLES.values()}) == len(STYLES)
    for style in STYLES.values():
        assert _contrast(style.ink, style.fill) >= 4.5, style
    assert _contrast(OUTLINE, "#FFFFFF") >= 3  # cell outlines, WCAG 1.4.11


def test_one_palette_gives_every_status_and_state_its_own_colour_and_glyph():
    every = {**STYLES, **STATUSES}
    assert len(every) == len(STYLES) + len(STATUSES)  # no name in two families
    assert len({s.fill.upper() for s in every.values()}) == len(every)
    assert len({s.glyph for s in every.values()}) == len(every)
    for style in every.values():
        assert _contrast(style.ink, style.fill) >= 4.5, style
    assert set(PROJECT_STATUS) == set(PROJECT_STATUSES)
    assert set(STANDARD_STATUS) == set(STANDARD_STATUSES)


def test_the_stylesheet_is_the_palette():
    # Lists, badges and pictures read the same colours: palette.css is written from style.py.
    css = (ROOT / "registry/web/static/palette.css").read_text(encoding="utf-8")
    assert css == stylesheet(), "run: python -m registry.svg.style > registry/web/static/palette.css"
    for state, style in STYLES.items():
        assert f"--status-{state}: {style.fill};" in css
        assert f".state-{state} {{ background: var(--status-{state});" in css
    for status in STATUSES:
        assert f".badge-{status} {{ background: var(--status-{status});" in css


def test_a_status_is_drawn_alike_in_a_list_and_in_a_picture(web):
    html = web.get(f"/roadmap?as_of={AS_OF}&lang=en").get_data(as_text=True)
    status = PROJECT_STATUS["in-progress"]
    assert f'fill="{status.fill}"' in html and f"{status.glyph} in progress" in html
    listed = web.get(f"/projects?as_of={AS_OF}&lang=en").get_data(as_text=True)
    assert (f'<span class="badge badge-in-progress"><span class="glyph" aria-hidden="true">'
            f"{status.glyph}</span> in progress</span>") in listed


def test_cell_to_dict_keeps_every_field():
    cell = Cell("p", "s", "explain", "mandatory", True, "cap", "2027-01-01", "note")
    assert cell.to_dict() == dataclasses.asdict(cell)
    assert list(cell.to_dict()) == [f.name for f in dataclasses.fields(Cell)]
