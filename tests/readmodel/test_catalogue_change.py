"""A catalogue change recomputes only what reads it, and the result equals a full rebuild.

The roadmap: the example sheets, each written several times over several months (the
trend counts the revision in force at each month end), some with unknown or deprecated
references (their findings' hints read the catalogue), one deleted and created again.
After each catalogue change the worker's snapshot, moved forward by `Snapshot.apply`
from the revisions it keeps, must equal `Snapshot.build` from the database.
"""

from __future__ import annotations

import copy
import datetime
from pathlib import Path

from sqlalchemy import select, update

from registry.analysis.reuse import Thresholds, find_opportunities
from registry.readmodel import ReadModel
from registry.readmodel.feed import load_state
from registry.readmodel.snapshot import Snapshot
from registry.storage import Store
from registry.storage.tables import revisions
from tests.helpers import stored_sheet

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DAY = datetime.date(2026, 11, 26)


class Day(datetime.date):
    """The worker's today, fixed: the month ends of the trend do not move during a test."""

    @classmethod
    def today(cls) -> datetime.date:  # type: ignore[override]
        return DAY


def _variants(sheet: dict, number: int) -> list[dict]:
    """Return the successive revisions of one sheet: each reads the catalogue otherwise."""
    out = [sheet]
    first = copy.deepcopy(sheet)
    first["standards"] = first.get("standards", [])[1:]  # a standard no longer declared
    out.append(first)
    second = copy.deepcopy(first)
    second["standards"].append({"id": "smart-data-modelz", "conformance": "complies"})
    second.setdefault("components", {}).setdefault("reuses", []).append("fixmystret")
    second["data"] = {**second.get("data", {}), "open_data": True, "personal_data": True}
    out.append(second)
    third = copy.deepcopy(sheet)
    third["standards"] = [{**item, "conformance": "planned", "until": "2026-01-31",
                           "note": "late"} if index == 0 else item
                          for index, item in enumerate(sheet.get("standards", []))]
    out.append(third)
    return out[:1 + number % len(out)] if number % 3 else out


def _roadmap(store: Store) -> None:
    """Write every example several times, then spread the revisions over 14 months."""
    for number, path in enumerate(EXAMPLES):
        for sheet in _variants(stored_sheet(path), number):
            store.put("project", sheet["id"], sheet, author="test")
    gone = stored_sheet(EXAMPLES[1])["id"]
    store.delete_where("project", lambda record: record.id != gone, author="test")
    store.put("project", gone, stored_sheet(EXAMPLES[1]), author="test")
    with store.engine.begin() as connection:
        seqs = connection.execute(select(revisions.c.seq)
                                  .where(revisions.c.kind == "project")
                                  .order_by(revisions.c.seq)).scalars().all()
        start = datetime.datetime(2025, 9, 3, 12, tzinfo=datetime.UTC)
        step = (datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC) - start) / len(seqs)
        for index, seq in enumerate(seqs):
            connection.execute(update(revisions).where(revisions.c.seq == seq)
                               .values(created_at=start + step * index))


def _rebuilt(store: Store) -> Snapshot:
    state = load_state(store)
    return Snapshot.build(state.version, state.catalogue, state.projects, state.history, DAY)


def _same(kept: Snapshot, rebuilt: Snapshot) -> None:
    assert kept.version == rebuilt.version
    assert kept.catalogue.version == rebuilt.catalogue.version
    assert list(kept.roadmap.projects) == list(rebuilt.roadmap.projects)
    assert kept.totals == rebuilt.totals
    assert kept.derived.keys() == rebuilt.derived.keys()
    for pid, item in rebuilt.derived.items():
        mine = kept.derived[pid]
        assert mine.report.findings == item.report.findings, pid
        assert mine.cells == item.cells, pid
        assert mine.history == item.history, pid
        assert mine.revisions == item.revisions, pid
        assert mine.contribution == item.contribution, pid
        assert mine.span == item.span, pid
    assert kept.trend_points() == rebuilt.trend_points()
    assert kept.compliance_summary() == rebuilt.compliance_summary()


# Small groups: the cut member lists are exercised too.
THRESHOLDS = Thresholds(max_group_size=3)


def _same_reuse(snapshot: Snapshot) -> None:
    """The snapshot's reuse analysis (patched from the last one) equals a full one."""
    state = snapshot.reuse(THRESHOLDS)
    state.refresh_overlap(snapshot.version)
    expected = find_opportunities(snapshot.roadmap.sheets(), snapshot.catalogue, THRESHOLDS)
    assert [o.to_dict() for o in state.opportunities()] == [o.to_dict() for o in expected]
    assert [str(o.text) for o in state.opportunities()] == [str(o.text) for o in expected]


def _changed(snapshot: Snapshot, kind: str, record_id: str, **fields) -> dict:
    record = copy.deepcopy(dict(snapshot.catalogue.records(kind)[record_id]))
    record.update(fields)
    return record


def _applying(snapshot: Snapshot, status: str) -> str:
    """Return the standard of `status` that applies to the most projects."""
    counts: dict[str, int] = {}
    for item in snapshot.derived.values():
        for cell in item.cells:
            if cell.applies:
                counts[cell.standard] = counts.get(cell.standard, 0) + 1
    return max((sid for sid, record in snapshot.catalogue.standards.items()
                if record["status"] == status and sid in counts), key=counts.__getitem__)


def test_catalogue_changes_equal_a_rebuild(store):
    _roadmap(store)
    model = ReadModel(store, ttl=0, today=Day)
    first = model.current()
    assert any(len(item.revisions) > 2 for item in first.derived.values())
    assert len(first.trend_points()) >= 12
    first.reuse(THRESHOLDS)  # each next snapshot derives its analysis from the last one

    def check() -> Snapshot:
        snapshot = model.current()
        assert snapshot.version == store.head()
        _same(snapshot, _rebuilt(store))
        _same_reuse(snapshot)
        return snapshot

    # A standard's status: recommended to mandatory, then a declared one deprecated.
    sid = _applying(first, "recommended")
    store.put("standard", sid, _changed(first, "standard", sid, status="mandatory"),
              author="test")
    after = check()
    assert after.compliance_summary() != first.compliance_summary()
    assert {c.status for d in after.derived.values() for c in d.cells
            if c.standard == sid} == {"mandatory"}
    declared = _applying(after, "mandatory")
    store.put("standard", declared, _changed(after, "standard", declared,
                                             status="deprecated"), author="test")
    check()

    # A standard's applies_to widens (projects that did not read it now do).
    current = model.current()
    store.put("standard", sid, _changed(current, "standard", sid,
                                        applies_to=["open-data-publication"]),
              author="test")
    check()

    # A standard close to an unknown declared id is added: the hint changes.
    record = _changed(current, "standard", sid, id="smart-data-modelx", status="candidate")
    store.put("standard", "smart-data-modelx", record, author="test")
    check()

    # A standard removed.
    removed = _applying(model.current(), "mandatory")
    store.delete_where("standard", lambda r: r.id != removed, author="test")
    after_removal = check()
    assert removed not in after_removal.catalogue.standards

    # A component retired, and a component close to an unknown one added.
    reused = next(cid for cid in ("fixmystreet", "csam-fas", "opendata-portal")
                  if cid in after_removal.catalogue.components)
    store.put("component", reused, _changed(after_removal, "component", reused,
                                            status="retired"), author="test")
    check()
    store.put("component", "fixmystrees", _changed(after_removal, "component", reused,
                                                   id="fixmystrees", status="active"),
              author="test")
    check()

    # A vocabulary: a concept used by the sheets deprecated.
    vocabulary = _changed(model.current(), "vocabulary", "domains")
    vocabulary["concepts"][0]["deprecated"] = True
    store.put("vocabulary", "domains", vocabulary, author="test")
    check()

    # One batch: project writes and catalogue changes read by one catch-up.
    current = model.current()
    sheet = stored_sheet(EXAMPLES[3])
    sheet["standards"] = sheet.get("standards", [])[:1]
    store.put("project", sheet["id"], sheet, author="test")
    other = _applying(current, "candidate")
    store.put("standard", other, _changed(current, "standard", other, status="mandatory"),
              author="test")
    store.put("project", sheet["id"], stored_sheet(EXAMPLES[3]), author="test")
    gone = stored_sheet(EXAMPLES[5])["id"]
    store.delete_where("project", lambda r: r.id != gone, author="test")
    check()
    store.put("standard", other, _changed(current, "standard", other, status="recommended"),
              author="test")
    store.put("project", gone, stored_sheet(EXAMPLES[5]), author="test")
    check()


def test_a_catalogue_change_touches_only_the_projects_that_read_it(store):
    _roadmap(store)
    model = ReadModel(store, ttl=0, today=Day)
    before = model.current()
    sid = _applying(before, "recommended")
    store.put("standard", sid, _changed(before, "standard", sid, status="mandatory"),
              author="test")
    after = model.current()
    applies_to = set(before.catalogue.standards[sid].get("applies_to", ()))
    # Its current sheet or an older revision the trend counts declares it or needs it.
    reading = {pid for pid, item in before.derived.items()
               if any(inputs is not None and (sid in inputs.declared
                                              or applies_to & set(inputs.capabilities))
                      for _, inputs in item.revisions)}
    shared = set(after.derived) - reading
    assert reading and shared
    for pid in reading:
        assert after.derived[pid] is not before.derived[pid]
    for pid in shared:
        if not any(f.code == "catalogue.unknown-standard"
                   for f in after.derived[pid].report.findings):
            assert after.derived[pid] is before.derived[pid], pid  # not recomputed
    # Of those that read it, only what reads that standard moved: a project declaring it
    # keeps its findings (the same report), and every other standard's cell.
    declaring = {pid for pid in reading
                 if sid in before.derived[pid].revisions[-1][1].declared
                 and not any(f.code == "catalogue.unknown-standard"
                             for f in before.derived[pid].report.findings)}
    assert declaring
    for pid in declaring:
        assert after.derived[pid].report is before.derived[pid].report, pid
        kept = [c for c in after.derived[pid].cells if c.standard != sid]
        assert all(any(c is old for old in before.derived[pid].cells) for c in kept), pid


def test_a_catalogue_change_recomputes_only_the_reuse_groups_that_read_it(store):
    _roadmap(store)
    model = ReadModel(store, ttl=0, today=Day)
    before = model.current()
    kept = before.reuse(THRESHOLDS)
    kept.refresh_overlap(before.version)
    sid = _applying(before, "recommended")
    store.put("standard", sid, _changed(before, "standard", sid, status="mandatory"),
              author="test")
    after = model.current()
    state = after.reuse(THRESHOLDS)
    # A standard's status is read by no opportunity: every group is the one held before,
    # the overlaps included (they read no record), and they are still those of now.
    assert state.groups.keys() == kept.groups.keys()
    assert all(state.groups[key] is kept.groups[key] for key in kept.groups)
    assert state.overlap_fresh and state.overlap_version == after.version
    _same_reuse(after)
