"""How a snapshot is held: compact sheets, shared findings, the same answers."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
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
    assert compact < plain / 8, (compact, plain)
    assert [p.sheet for p in stored] == sheets == decoded
    assert list(Roadmap(stored).sheets()[1:3]) == sheets[1:3]
    assert list(Roadmap(stored).sheets()) == sheets
    assert stored[0] == Project("project-000", sheets[0], 1, "d", WHEN, "test")


def test_a_sheet_round_trips_byte_for_byte_through_its_packed_form():
    from registry.analysis.sheet_cache import pack, unpack

    sheet = stored_sheet(EXAMPLE)
    data = orjson.dumps(sheet)
    packed = pack(data)
    assert unpack(packed) == data
    # The template's keys and shape are in the dictionary: a sheet holds some 40% of
    # its JSON, where deflating it alone holds some 55%.
    import zlib

    assert len(packed) < 0.45 * len(data) < len(zlib.compress(data, 1)), len(packed)
    odd = {"id": "x", "title": {"en": "\u00e9t\u00e9 \U0001f600 \\ \"q\"", "fr": ""},
           "n": [1, 2.5, None, True, -0.0, 10**18], "deep": [[[{"a": {}}]]], "": "x" * 70_000}
    for data in (b"{}", orjson.dumps(odd)):
        assert unpack(pack(data)) == data
    project = Project.stored("x", odd, 1, "d", WHEN, "test")
    assert project.sheet == odd
    assert orjson.dumps(project.sheet) == orjson.dumps(odd)
    with pytest.raises(ValueError):
        unpack(packed[:-3])


def test_the_decoded_sheets_kept_serve_a_page_read_row_by_row_and_no_more():
    # A page's row reads its sheet's fields one after another: each sheet is decoded
    # once however many fields a row shows, with far fewer sheets kept than a page has.
    from registry.analysis import roadmap
    from registry.config import SETTINGS

    largest_page = next(s.default for s in SETTINGS if s.name == "MAX_PER_PAGE")
    kept = roadmap._DECODED
    assert 16 <= kept.size <= largest_page // 4
    sheet = stored_sheet(EXAMPLE)
    stored = []
    for number in range(largest_page + 200):
        sheet = {**sheet, "id": f"project-{number:04d}"}
        stored.append(Project.stored(sheet["id"], sheet, 1, "d", WHEN, "test"))
    for project in stored[:largest_page]:
        first = project.sheet  # decoded once: every later read of the row is this object
        assert first["id"] == project.id
        assert project.owner == first["owner"]["organisation"]
        assert project.declared() and project.capabilities() is not None
        assert project.sheet is first
    assert [p.sheet["id"] for p in stored] == [p.id for p in stored]  # a whole pass
    assert len(kept._decoded) == kept.size


def test_stored_projects_of_one_author_share_the_author_string():
    sheet = stored_sheet(EXAMPLE)
    made = ["".join(["an-", "author"]) for _ in range(2)]  # two objects, as two rows give
    assert made[0] is not made[1]
    first, second = (Project.stored(f"p-{n}", {**sheet, "id": f"p-{n}"}, 1, "d", WHEN, made[n])
                     for n in range(2))
    assert first.updated_by == "an-author" and first.updated_by is second.updated_by


def test_equal_timelines_share_one_span():
    from registry.readmodel.derived import span

    first, second = ({"timeline": {"start": "2026-01-01", "end": "".join(["2027-", "12-31"])}}
                     for _ in range(2))
    assert span(first) == (datetime.date(2026, 1, 1), datetime.date(2027, 12, 31))
    assert span(first) is span(second)
    assert span({"timeline": {"start": "2026-01-01"}}) is None
    moment = datetime.datetime(2026, 1, 1, 8, 0)  # a YAML timestamp stays what it is
    held = span({"timeline": {"start": moment, "end": "2027-12-31"}})
    assert held == (moment, datetime.date(2027, 12, 31)) and type(held[0]) is datetime.datetime


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


def test_distinct_findings_share_their_place_and_hint(store):
    # Two projects naming two different unknown concepts at the same place: two
    # findings (their messages name the concept), one string for their place and hint.
    for pid, domain in (("twin-a", "no-such-domain"), ("twin-b", "another-unknown")):
        sheet = stored_sheet(EXAMPLE)
        sheet["id"] = pid
        sheet["domains"] = [domain]
        store.put("project", pid, sheet, author="test")
    snapshot = ReadModel(store, ttl=0).current()
    a, b = ([f for f in snapshot.derived[pid].report.findings if f.path == "/domains/0"][0]
            for pid in ("twin-a", "twin-b"))
    assert a != b and a.message != b.message
    assert a.path is b.path and a.code is b.code
    assert a.hint is not None and a.hint == b.hint and a.hint is b.hint


HEAPS = """
import ctypes, ctypes.util, os, sys, tempfile, threading
from registry.readmodel.memory import limit_arenas
limited = limit_arenas(1) if sys.argv[1] == "limit" else False
libc = ctypes.CDLL(ctypes.util.find_library("c"))
start = threading.Barrier(8)
held = []
def allocate():
    start.wait()
    for _ in range(200):
        held.append(bytearray(20000))  # from malloc, not Python's small-object arenas
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
path = tempfile.mktemp()
libc.fopen.restype = ctypes.c_void_p
stream = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
libc.malloc_info(0, stream)
libc.fclose(stream)
with open(path) as report:
    print(limited, report.read().count("<heap nr="))
os.unlink(path)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's heaps")
def test_the_production_server_has_threads_share_a_bounded_number_of_c_heaps():
    # Eight threads allocating at once get a heap each from glibc unless limited (the
    # production server limits them before forking its workers).
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env["PYTHONPATH"] = str(ROOT)

    def heaps(mode: str) -> tuple[str, int]:
        out = subprocess.run([sys.executable, "-c", HEAPS, mode], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        return out[0], int(out[1])

    assert heaps("plain")[1] > 2
    assert heaps("limit") == ("True", 1)
    env["MALLOC_ARENA_MAX"] = "4"  # an operator's setting is left to decide
    assert heaps("limit")[0] == "False"


def test_a_full_reuse_analysis_gives_the_freed_memory_back_and_a_write_does_not(
        monkeypatch):
    import random

    from registry.analysis.reuse import Thresholds
    from registry.catalogue.files import load_catalogue, shipped_root
    from registry.readmodel import reuse
    from tests.helpers import example_roadmap

    given: list[int] = []
    monkeypatch.setattr(reuse, "give_back", lambda: given.append(1))
    catalogue = load_catalogue(shipped_root())
    sheets = example_roadmap(random.Random(1), sorted(catalogue.concepts["organisations"]), 2)
    state = reuse.ReuseState.build(sheets.values(), catalogue, Thresholds(), 1)
    assert given == [1]
    changed = next(iter(sheets.values()))
    state.apply({changed["id"]: {**changed, "title": {"en": "Changed"}}}, 2)
    assert given == [1]  # a write's groups are few: nothing worth a trim


def test_equal_compliance_inputs_share_their_ids_and_declarations(store):
    # Two projects declaring the same standards the same way, as sheets read from JSON
    # (new strings and dicts each): their kept inputs and cells hold one of each.
    for pid in ("twin-a", "twin-b"):
        sheet = stored_sheet(EXAMPLE)
        sheet["id"] = pid
        store.put("project", pid, orjson.loads(orjson.dumps(sheet)), author="test")
    snapshot = ReadModel(store, ttl=0).current()
    a, b = (snapshot.derived[pid].revisions[-1][1] for pid in ("twin-a", "twin-b"))
    assert a is not None and b is not None and a.declared and a.capabilities
    assert (a.project, b.project) == ("twin-a", "twin-b")
    assert a.capabilities == b.capabilities and a.capabilities is b.capabilities
    assert all(a.declared[sid] is b.declared[sid] for sid in a.declared)
    assert all(x is y for x, y in zip(a.declared, b.declared, strict=True))
    cells_a, cells_b = snapshot.derived["twin-a"].cells, snapshot.derived["twin-b"].cells
    assert [(c.standard, c.state, c.capability) for c in cells_a] == \
        [(c.standard, c.state, c.capability) for c in cells_b]
    assert all(x.state is y.state and x.standard is y.standard
               for x, y in zip(cells_a, cells_b, strict=True))


def test_a_declaration_is_shared_only_with_an_equal_one_of_the_same_types():
    from registry.analysis.compliance import ComplianceInputs
    from registry.readmodel.derived import shared_inputs

    def inputs(declared):
        return shared_inputs(ComplianceInputs("p", ("c",), declared))

    one = inputs({"s": {"id": "s", "conformance": "complies", "level": 1}})
    same = inputs({"s": {"id": "s", "conformance": "complies", "level": 1}})
    as_float = inputs({"s": {"id": "s", "conformance": "complies", "level": 1.0}})
    as_bool = inputs({"s": {"id": "s", "conformance": "complies", "level": True}})
    assert one.declared["s"] is same.declared["s"]
    assert type(as_float.declared["s"]["level"]) is float
    assert type(as_bool.declared["s"]["level"]) is bool
    listed = {"id": "s", "evidence": ["a"]}  # a list inside: kept as it is
    assert inputs({"s": listed}).declared["s"] is listed


def test_the_reuse_analysis_shares_equal_standards_and_declarations():
    import random

    from registry.analysis.reuse import Thresholds
    from registry.catalogue.files import load_catalogue, shipped_root
    from registry.readmodel import reuse
    from tests.helpers import example_roadmap

    catalogue = load_catalogue(shipped_root())
    sheets = example_roadmap(random.Random(1), sorted(catalogue.concepts["organisations"]), 2)
    first = orjson.loads(orjson.dumps(next(iter(sheets.values()))))
    twins = [{**orjson.loads(orjson.dumps(first)), "id": f"twin-{n}"} for n in range(2)]
    state = reuse.ReuseState.build(twins, catalogue, Thresholds(), 1)
    a, b = state.projects["twin-0"], state.projects["twin-1"]
    assert a.standards and a.standards is b.standards
    assert a.owner is b.owner and a.status is b.status
    assert all(x is y for x, y in zip(a.title, b.title, strict=True))
    if "twin-0" in state.declared:
        assert state.declared["twin-0"] is state.declared["twin-1"]



def test_what_a_worker_holds_per_cell_and_project_carries_no_instance_dict(store):
    # A dict (or the room for one) per object: 40-50 bytes each of some 50,000 cells and
    # 10,000 derived projects and chunks at 10,000 projects.
    from registry.linked_data.derived import Chunk

    sheet = stored_sheet(EXAMPLE)
    store.put("project", sheet["id"], sheet, author="test")
    derived = ReadModel(store, ttl=0).current().derived[sheet["id"]]
    assert derived.cells
    for held in (derived, derived.cells[0], Chunk.of("project:x", b"<a> <b> <c> .\n")):
        assert not hasattr(held, "__dict__"), type(held)


def test_a_full_reuse_analysis_peaks_at_about_what_it_keeps():
    # Each sheet read and shared as it comes: the projects were held twice (read, then
    # shared) beside every sheet's JSON, twice what the state keeps at 1,120 projects.
    import gc
    import random

    from registry.analysis.reuse import Thresholds
    from registry.catalogue.files import load_catalogue, shipped_root
    from registry.readmodel.reuse import ReuseState
    from tests.helpers import example_roadmap

    catalogue = load_catalogue(shipped_root())
    sheets = example_roadmap(random.Random(1), sorted(catalogue.concepts["organisations"]), 80)
    roadmap = Roadmap([Project.stored(pid, s, 1, "d", WHEN, "t") for pid, s in sheets.items()])
    del sheets
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        state = ReuseState.build(roadmap.sheets(), catalogue, Thresholds(), 1, (1, ()),
                                 lambda pid: roadmap.projects[pid].sheet)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(state.projects) > 1000
    assert peak - before < 1.25 * (held - before), (peak - before, held - before)


def test_with_the_overlap_job_the_reuse_analysis_holds_no_summaries(store):
    from registry.analysis.reuse import Thresholds, find_opportunities

    sheet = stored_sheet(EXAMPLE)
    for pid in ("a", "b"):
        store.put("project", pid, {**sheet, "id": pid}, author="test")
    snapshot = ReadModel(store, ttl=0).current()
    kept = snapshot.reuse(Thresholds())
    assert all(p.summary for p in kept.projects.values())
    model = ReadModel(store, ttl=0)
    first = model.current()
    # The job's overlaps (none stored yet: the build computes them, then drops the
    # summaries); a write after it reads the new sheet.
    state = first.reuse(Thresholds(), lambda: None)
    assert state.projects and all(not p.summary for p in state.projects.values())
    store.put("project", "a", {**sheet, "id": "a", "summary": {"en": "Changed."}},
              author="test")
    later = model.catch_up()
    state = later.reuse(Thresholds(), lambda: None)
    assert all(not p.summary for p in state.projects.values())
    state.refresh_overlap(later.version)
    assert [o.to_dict() for o in state.opportunities()] == [
        o.to_dict() for o in find_opportunities(later.roadmap.sheets(), later.catalogue)]
