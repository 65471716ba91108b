"""After a write, pages made from parts carried over from the last snapshot (the reuse
page's entries, the dashboard's charts: `registry.readmodel.carried`) and from the lists'
marks (needs action, KPIs, examples: `registry.readmodel.lists`) equal the pages a fresh
worker makes from scratch; and only the parts that read the write are made again."""

from __future__ import annotations

import copy

import orjson

from registry.analysis.reuse import Thresholds, overlap_opportunities, read_projects
from registry.analysis.reuse import Words as ReuseWords
from registry.projects import load_examples
from registry.readmodel.inflight import InFlight
from tests.helpers import make_app

PAGES = ("/reuse?lang=en", "/reuse?lang=fr", "/reuse?lang=en&type=data-sharing",
         "/dashboard?lang=en", "/dashboard?lang=nl", "/api/indicators",
         "/api/projects?page=1&per_page=5", "/api/projects?page=3&per_page=5",
         "/roadmap?lang=en", "/compliance?lang=en")


def _pages(app) -> dict[str, bytes]:
    client = app.test_client()
    out = {}
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, path
        out[path] = answer.get_data()
    return out


def _reuse_items(app) -> set:
    carried = app.extensions["registry"].readmodel.carried
    return {key for key in carried._items if key[0] == "reuse-item"}


def _write(svc, pid: str, change) -> None:
    sheet = copy.deepcopy(dict(svc.readmodel.current().roadmap.projects[pid].sheet))
    if change is None:
        svc.store.delete_where("project", lambda record: record.id != pid, author="test")
    else:
        change(sheet)
        svc.store.put("project", pid, sheet, author="test")
    svc.readmodel.catch_up()


def test_pages_after_writes_equal_a_fresh_workers(database_url, tmp_path):
    worker = make_app(database_url, tmp_path / "a")
    svc = worker.extensions["registry"]
    # Loaded as examples: the example notice on every page reads the lists' mark.
    assert load_examples(svc.store, svc.snapshots.get())
    svc.readmodel.catch_up()
    _pages(worker)  # every part of the first snapshot carried
    listed = orjson.loads(worker.test_client().get("/api/reuse").data)["opportunities"]
    named = listed[0]["projects"][0]  # a project the reuse page names
    others = sorted(set(svc.readmodel.current().roadmap.projects) - {named})

    def retitle(sheet):
        sheet["title"] = {"en": "Renamed for the carried parts", "fr": "Renommé"}

    def no_kpis(sheet):
        sheet.pop("kpis", None)
        sheet["status"] = "stopped"

    before = _reuse_items(worker)
    for pid, change in ((named, retitle), (others[0], no_kpis), (others[1], None)):
        _write(svc, pid, change)
        after = _pages(worker)
        fresh = make_app(database_url, tmp_path / f"fresh-{pid}", LOAD_EXAMPLES=False)
        try:
            assert _pages(fresh) == after, pid
        finally:
            fresh.extensions["registry"].readmodel.close()
            fresh.extensions["registry"].store.engine.dispose()
        if change is retitle:
            assert "Renamed for the carried parts" in after["/reuse?lang=en"].decode()
            # Only the entries that read the renamed project were made again.
            made = _reuse_items(worker) - before
            assert 0 < len(made) < len(before)
    worker.extensions["registry"].readmodel.close()
    worker.extensions["registry"].store.engine.dispose()


def test_equal_opportunities_in_new_objects_keep_their_entries(database_url, tmp_path):
    """The overlaps recomputed (new objects, equal values) make no entry of the reuse
    page again: an entry is kept under its opportunity's value, not its object."""
    from registry.services import reuse_thresholds

    worker = make_app(database_url, tmp_path / "a")
    svc = worker.extensions["registry"]
    assert load_examples(svc.store, svc.snapshots.get())
    snapshot = svc.readmodel.catch_up()
    client = worker.test_client()
    first = client.get("/reuse?lang=en&type=overlap")
    assert first.status_code == 200
    state = snapshot.reuse(reuse_thresholds(svc.settings))
    shown = [o for o in state.opportunities() if o.type == "overlap"]
    assert shown  # the examples overlap
    before = _reuse_items(worker)
    state.overlap_fresh = False
    state.refresh_overlap(snapshot.version)
    again = [o for o in state.opportunities() if o.type == "overlap"]
    assert again == shown and not any(a is b for a, b in zip(again, shown, strict=True))
    # Another page query (the page itself is memoised per snapshot and query).
    second = client.get("/reuse?lang=en&type=overlap&overlap_page=1")
    assert second.status_code == 200
    assert _reuse_items(worker) == before
    svc.readmodel.close()
    svc.store.engine.dispose()


def test_overlap_gives_way_at_pauses_and_finds_the_same(catalogue):
    sheets = [orjson.loads(orjson.dumps(s)) for s in _example_sheets()]
    projects, _skipped = read_projects(sheets)
    thresholds, words = Thresholds(), ReuseWords(catalogue)
    pauses = []
    paused = overlap_opportunities(projects, thresholds, words, lambda: pauses.append(1))
    assert pauses
    assert paused == overlap_opportunities(projects, thresholds, words)


def test_in_flight_counts_requests_and_steps_aside_for_a_waiting_one():
    requests = InFlight()
    requests.give_way()  # idle: returns at once
    requests.begin()
    requests.begin()
    assert len(requests) == 2
    with requests.aside():  # this thread waits for the background work: not counted
        assert len(requests) == 0
    assert len(requests) == 2
    requests.end()
    requests.end()
    assert len(requests) == 0


def _example_sheets():
    from pathlib import Path

    import yaml

    folder = Path(__file__).resolve().parents[2] / "examples"
    return [yaml.safe_load(p.read_text("utf-8")) for p in sorted(folder.glob("*.yaml"))]
