"""The read model: incremental snapshots equal a rebuild; one snapshot, one version."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path

import pytest

from registry.readmodel import ReadModel
from registry.readmodel.feed import load_state
from registry.readmodel.snapshot import Snapshot
from registry.storage import Store
from tests.helpers import stored_sheet

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def _rebuilt(store: Store, day: datetime.date) -> Snapshot:
    state = load_state(store)
    return Snapshot.build(state.version, state.catalogue, state.projects, state.history, day)


def _same(incremental: Snapshot, rebuilt: Snapshot) -> None:
    assert incremental.version == rebuilt.version
    assert list(incremental.roadmap.projects) == list(rebuilt.roadmap.projects)
    assert incremental.totals == rebuilt.totals
    for pid, item in rebuilt.derived.items():
        assert incremental.derived[pid].cells == item.cells, pid
        assert incremental.derived[pid].report.findings == item.report.findings, pid


def test_incremental_snapshots_equal_a_rebuild(store):
    model = ReadModel(store, ttl=0)
    first = model.current()
    assert first.version == store.head()
    assert len(first.roadmap) == 0
    for path in EXAMPLES:
        sheet = stored_sheet(path)
        store.put("project", sheet["id"], sheet, author="test")
    day = first.day
    after_projects = model.current()
    assert len(after_projects.roadmap) == len(EXAMPLES)
    _same(after_projects, _rebuilt(store, day))

    # A project changes: only its own derived data is new, the others are shared.
    sheet = stored_sheet(EXAMPLES[0])
    sheet["status"] = "selected" if sheet["status"] != "selected" else "in-progress"
    store.put("project", sheet["id"], sheet, author="test")
    after_update = model.current()
    _same(after_update, _rebuilt(store, day))
    assert after_update.roadmap.projects[sheet["id"]].revision == 2
    untouched = [pid for pid in after_update.derived if pid != sheet["id"]]
    assert all(after_update.derived[p] is after_projects.derived[p] for p in untouched)

    # A recommended standard that applies to some projects turns mandatory: the cells
    # of the projects it applies to change, in the same snapshot as the catalogue.
    catalogue = after_update.catalogue
    standard_id = next(sid for sid, record in catalogue.standards.items()
                       if record["status"] == "recommended" and any(
                           cell.standard == sid and cell.applies for cells in
                           (d.cells for d in after_update.derived.values()) for cell in cells))
    record = copy.deepcopy(dict(catalogue.standards[standard_id]))
    record["status"] = "mandatory"
    store.put("standard", standard_id, record, author="test")
    after_catalogue = model.current()
    _same(after_catalogue, _rebuilt(store, day))
    assert after_catalogue.catalogue.standards[standard_id]["status"] == "mandatory"
    assert after_catalogue.catalogue.version == str(after_catalogue.version)
    statuses = {cell.status for d in after_catalogue.derived.values() for cell in d.cells
                if cell.standard == standard_id}
    assert statuses == {"mandatory"}
    def mandatory(snapshot: Snapshot) -> int:
        return sum(snapshot.compliance_summary()["mandatory"].values())

    assert mandatory(after_catalogue) > mandatory(after_update)


def test_one_snapshot_carries_its_catalogue_and_its_version(store):
    """The race of the issue: a catalogue read before its version is never mislabelled."""
    model = ReadModel(store, ttl=0)
    sheet = stored_sheet(EXAMPLES[0])
    store.put("project", sheet["id"], sheet, author="test")
    before = model.current()
    standard_id = next(iter(before.catalogue.standards))
    record = copy.deepcopy(dict(before.catalogue.standards[standard_id]))
    record["status"] = "deprecated" if record["status"] != "deprecated" else "candidate"
    store.put("standard", standard_id, record, author="test")
    # Whatever moved in between, the old snapshot still pairs its own catalogue with
    # its own version, and the new one pairs the new catalogue with the new version.
    assert before.catalogue.standards[standard_id]["status"] != record["status"]
    after = model.current()
    assert after.version == store.head() > before.version
    assert after.catalogue.standards[standard_id]["status"] == record["status"]
    with model.pinned(before):
        assert model.current() is before  # a request reads one snapshot to the end
    assert model.current() is after


def test_reads_never_go_back_and_wait_for_a_version(store):
    model = ReadModel(store, ttl=60)  # no polling: only at_least moves it here
    seen = model.current().version
    sheet = stored_sheet(EXAMPLES[1])
    store.put("project", sheet["id"], sheet, author="test")
    wanted = store.head()
    snapshot = model.at_least(wanted, timeout=5)
    assert snapshot.version >= wanted > seen
    assert model.current().version >= snapshot.version
    from registry.readmodel import Behind

    with pytest.raises(Behind):
        model.at_least(wanted + 1000, timeout=0.1)
    assert model.current().version == snapshot.version


def test_the_kept_trend_equals_a_replay_of_every_revision(store):
    """The monthly trend kept per project adds up to the replay, read in one query."""
    from registry.analysis.indicators import Revision, compliance_trend
    from registry.readmodel.queries import trend_points

    model = ReadModel(store, ttl=0)
    for path in EXAMPLES:
        sheet = stored_sheet(path)
        store.put("project", sheet["id"], sheet, author="test")
    sheet = stored_sheet(EXAMPLES[2])
    sheet["standards"] = []
    store.put("project", sheet["id"], sheet, author="test")
    snapshot = model.current()
    history: dict[str, list[Revision]] = {}
    for change in store.history("project"):
        history.setdefault(change.record_id, []).append(
            Revision(change.created_at, change.data))
    expected = compliance_trend(history, snapshot.catalogue, snapshot.day)
    assert expected and trend_points(snapshot) == expected


def test_many_updates_in_overlays_equal_a_rebuild(store, monkeypatch):
    # Updates replace values in an overlay of the last snapshot's mappings, copied whole
    # once COLLAPSE of them are held: with a small COLLAPSE, both states are crossed.
    from registry.readmodel import overlay

    monkeypatch.setattr(overlay, "COLLAPSE", 3)
    model = ReadModel(store, ttl=0)
    for path in EXAMPLES:
        sheet = stored_sheet(path)
        store.put("project", sheet["id"], sheet, author="test")
    day = model.current().day
    sheets = [stored_sheet(path) for path in EXAMPLES]
    kinds = set()
    for step in range(10):
        sheet = sheets[step % len(sheets)]
        sheet["status"] = "selected" if step % 2 else "in-progress"
        store.put("project", sheet["id"], sheet, author="test")
        snapshot = model.current()
        kinds.add(type(snapshot.derived).__name__)
        _same(snapshot, _rebuilt(store, day))
        assert len(snapshot.derived) == len(snapshot.roadmap.projects) == len(EXAMPLES)
        assert dict(snapshot.roadmap.projects.items()) == {
            pid: snapshot.roadmap.projects[pid] for pid in snapshot.roadmap.projects}
    assert kinds == {"Overlay", "mappingproxy"}, "both an overlay and a full copy were read"
    # A new project (the set moves) and a deleted one: whole copies, still equal.
    extra = {**sheets[0], "id": "aa-extra"}
    store.put("project", "aa-extra", extra, author="test")
    _same(model.current(), _rebuilt(store, day))
    assert next(iter(model.current().roadmap.projects)) == "aa-extra"
    store.put("project", "zz-extra", {**sheets[1], "id": "zz-extra"}, author="test")
    _same(model.current(), _rebuilt(store, day))
    store.delete_where("project", lambda r: r.id != "aa-extra", author="test")
    _same(model.current(), _rebuilt(store, day))
    ids = list(model.current().roadmap.projects)
    assert ids == sorted(ids) and "zz-extra" in ids and "aa-extra" not in ids
    assert list(model.current().derived) == [pid for pid in model.current().derived
                                             if pid in ids]


def test_a_catch_up_reads_the_feed_once_and_a_write_marks_the_model(store):
    from sqlalchemy import event

    # No LISTEN thread: its notification of the write would (rightly) mark the model
    # stale again at a moment the test does not choose.
    model = ReadModel(store, ttl=3600, listen=False)
    model.current()
    reads: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "FROM revisions" in statement and "seq >" in statement:
            reads.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        sheet = stored_sheet(EXAMPLES[0])
        written = store.put("project", sheet["id"], sheet, author="test")
        assert written.seq == store.head()
        # Not noticed yet (no LISTEN, an hour's TTL): the held snapshot answers.
        assert model.current().version < written.seq and not reads
        # The writer notes its write: the next read catches up, with one query (a
        # short batch is the end of the feed), and reads stay at least that new.
        model.written(written.seq)
        assert model.current().version == written.seq
        assert len(reads) == 1
        assert model.current().version == written.seq and len(reads) == 1
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
