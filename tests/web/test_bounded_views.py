"""The roadmap's pages stay bounded at a few hundred projects: a page of at most its size,
with links to the next and previous, filters, and every project reachable exactly once.

The roadmap: the example sheets copied 16 times with new ids (230 projects), stored
straight through the store as an import would.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from tests.helpers import stored_sheet

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
COPIES = 16
ROWS = 50  # registry.web.roadmap.TIMELINE_ROWS


def _sheets() -> list[dict]:
    sheets = []
    for copy in range(COPIES):
        for number, path in enumerate(EXAMPLES):
            # Stored as JSON: dates as ISO strings, as the API stores them.
            sheet = stored_sheet(path)
            sheet["id"] = f"{sheet['id']}-{copy:02d}"
            timeline = sheet["timeline"]
            # Many projects share a start date: the order must still be total (by id).
            start = datetime.date(2025, 1 + (copy + number) % 12, 1)
            timeline["start"] = start.isoformat()
            timeline.pop("phases", None)
            sheets.append(sheet)
    return sheets


@pytest.fixture(scope="module")
def many(read_app):
    """Store 230 projects in the shared app; return their sheets by id."""
    sheets = _sheets()
    svc = read_app.extensions["registry"]
    svc.store.import_records({"project": sheets}, author="test")
    svc.readmodel.catch_up()
    return {s["id"]: s for s in sheets}


def _keys(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-key="([^"]+)"', body)


def _next(html: str) -> str | None:
    found = re.search(r'<a href="\?([^"]+)">Next<', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _walk(client, path: str, query: str, table: str) -> list[list[str]]:
    pages, seen_queries = [], set()
    query = query or "lang=en"
    while query is not None:
        assert query not in seen_queries
        seen_queries.add(query)
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 200, (query, answer.status_code)
        html = answer.get_data(as_text=True)
        pages.append(_keys(html, table))
        if len(pages) > 1:
            assert ">Previous<" in html
        query = _next(html)
    return pages


def test_roadmap_pages_are_bounded_and_cover_every_project_once(read_client, many):
    pages = _walk(read_client, "/roadmap", "lang=en", "t-timeline")
    assert len(pages) == -(-len(many) // ROWS) > 1
    assert all(len(page) <= ROWS for page in pages)
    assert all(len(page) == ROWS for page in pages[:-1])
    listed = [pid for page in pages for pid in page]
    assert sorted(listed) == sorted(many)  # every project once
    # Ordered by start, end, then id.
    key = [(many[p]["timeline"]["start"], str(many[p]["timeline"]["end"]), p) for p in listed]
    assert key == sorted(key)


def test_roadmap_filters_page_through_the_matching_projects_only(read_client, many):
    status = "in-progress"
    wanted = sorted(p for p, s in many.items() if s["status"] == status)
    assert len(wanted) > ROWS  # more than one page
    pages = _walk(read_client, "/roadmap", f"lang=en&status={status}", "t-timeline")
    assert sorted(p for page in pages for p in page) == wanted
    html = read_client.get(f"/roadmap?lang=en&status={status}").get_data(as_text=True)
    assert f"{len(wanted)} projects" in html


def test_roadmap_page_out_of_range_is_refused(read_client, many):
    answer = read_client.get("/roadmap?lang=en&page=99")
    assert answer.status_code == 400
    assert "page must be from 1 to 5" in answer.get_data(as_text=True)
    assert read_client.get("/roadmap?lang=en&page=0").status_code == 400


def test_reuse_page_lists_a_page_of_each_type_with_links_to_the_next(read_client, many):
    every = read_client.get("/api/reuse").get_json()["opportunities"]
    by_type: dict[str, int] = {}
    for o in every:
        by_type[o["type"]] = by_type.get(o["type"], 0) + 1
    kind, count = max(by_type.items(), key=lambda kv: kv[1])
    assert count > 20  # more than one page of that type
    html = read_client.get("/reuse?lang=en").get_data(as_text=True)
    section = html.split(f'id="h-{kind}"', 1)[1].split("</section>", 1)[0]
    assert f"({count})" in section  # the heading counts them all
    assert section.count('class="opportunity"') == 20
    assert f"{kind}_page=2" in section
    last = -(-count // 20)
    html = read_client.get(f"/reuse?lang=en&{kind}_page={last}").get_data(as_text=True)
    section = html.split(f'id="h-{kind}"', 1)[1].split("</section>", 1)[0]
    assert section.count('class="opportunity"') == count - 20 * (last - 1)
    assert read_client.get(f"/reuse?lang=en&{kind}_page={last + 1}").status_code == 400


def test_dashboard_is_bounded_and_counts_every_project(read_client, many):
    html = read_client.get("/dashboard?lang=en").get_data(as_text=True)
    assert f'id="ind-projects">{len(many)}<' in html
    kpis = html.split('id="t-kpis"', 1)[1].split("</table>", 1)[0]
    assert kpis.count("<tr data-key=") <= 50
    total = read_client.get("/api/indicators").get_json()["kpis"]
    if len(total) > 50:
        assert "kpi_page=2" in html
