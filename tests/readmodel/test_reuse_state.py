"""The reuse analysis kept write by write equals the analysis recomputed from scratch.

Property-style: a roadmap of example sheets with shuffled owners, then random writes
(capabilities, data entities, reused components, status, standards, titles changed;
projects deleted and created), each applied to the kept state; after every write the
kept opportunities (once the overlaps are refreshed) must equal `find_opportunities`
over every sheet, and every project must find exactly the opportunities it is in.
"""

from __future__ import annotations

import copy
import random
from collections import Counter

import pytest

from registry.analysis.reuse import Thresholds, find_opportunities, read_projects
from registry.catalogue.files import load_catalogue, shipped_root
from registry.readmodel.reuse import ReuseState
from tests.helpers import example_roadmap


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(shipped_root())


def _vocabulary(catalogue, owners: list[str], more_words: tuple[str, ...] | list[str] = ()
                ) -> dict[str, list[str]]:
    """What `_mutate` draws from: the catalogue's concepts and components, some words."""
    return {"capabilities": sorted(catalogue.concepts["capabilities"]),
            "entities": sorted(catalogue.concepts["data-entities"]),
            "components": sorted(catalogue.components), "owners": owners,
            "words": ["parking", "sensor", "air", "quality", "mobility", "portal",
                      *more_words]}


def _mutate(rng: random.Random, sheet: dict, vocab: dict[str, list[str]]) -> dict:
    sheet = copy.deepcopy(sheet)
    what = rng.randrange(7)
    caps = sheet.setdefault("capabilities", {})
    data = sheet.setdefault("data", {})
    if what == 0:
        caps[rng.choice(["needs", "builds"])] = rng.sample(vocab["capabilities"], 2)
    elif what == 1:
        data[rng.choice(["uses", "produces"])] = rng.sample(vocab["entities"], 2)
    elif what == 2:
        sheet.setdefault("components", {})["reuses"] = rng.sample(vocab["components"], 1)
    elif what == 3:
        sheet["status"] = rng.choice(["proposed", "in-progress", "delivered", "stopped"])
    elif what == 4:
        sheet["standards"] = sheet.get("standards", [])[: rng.randrange(4)]
    elif what == 5:
        sheet["title"] = {"en": " ".join(rng.sample(vocab["words"], 4))}
    else:
        sheet["owner"]["organisation"] = rng.choice(vocab["owners"])
    return sheet


def _as_dicts(opportunities):
    return [o.to_dict() for o in opportunities]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_reuse_equals_a_full_recomputation_after_random_writes(catalogue, seed):
    rng = random.Random(seed)
    thresholds = Thresholds(max_group_size=5)  # small groups: the cut lists are exercised
    owners = sorted(catalogue.concepts["organisations"])[:6]
    vocab = _vocabulary(catalogue, owners, ["permit", "waste", "bicycle", "energy"])
    sheets = example_roadmap(rng, owners, 3)
    state = ReuseState.build(sheets.values(), catalogue, thresholds, 1)
    assert _as_dicts(state.opportunities()) == _as_dicts(
        find_opportunities(sheets.values(), catalogue, thresholds))
    for version in range(2, 27):
        changed: dict[str, dict | None] = {}
        for _ in range(rng.randrange(1, 4)):
            action = rng.random()
            if action < 0.1 and sheets:
                pid = rng.choice(sorted(sheets))
                del sheets[pid]
                changed[pid] = None
            elif action < 0.2:
                sheet = copy.deepcopy(sheets[rng.choice(sorted(sheets))])
                sheet["id"] = f"new-{version}-{len(changed)}"
                sheets[sheet["id"]] = changed[sheet["id"]] = sheet
            else:
                pid = rng.choice(sorted(sheets))
                sheets[pid] = changed[pid] = _mutate(rng, sheets[pid], vocab)
        state = state.apply(changed, version)
        state.refresh_overlap(version)
        expected = find_opportunities(sheets.values(), catalogue, thresholds)
        assert _as_dicts(state.opportunities()) == _as_dicts(expected), version
        for pid in sorted(sheets)[::7]:
            mine = [o for o in expected if pid in o.everyone]
            assert _as_dicts(state.of_project(pid)) == _as_dicts(mine), (version, pid)


def _catalogue_changes(catalogue, sheets):
    """Yield (kind, record id, changed catalogue): each record field the analysis reads,
    of the records the sheets read most."""
    from registry.catalogue.snapshot import Catalogue

    def with_record(kind: str, rid: str, record: dict | None) -> Catalogue:
        records = {k: dict(catalogue.records(k)) for k in
                   ("standard", "principle", "component", "vocabulary", "legal")}
        if record is None:
            del records[kind][rid]
        else:
            records[kind][rid] = record
        return Catalogue(standards=records["standard"].values(),
                         principles=records["principle"].values(),
                         components=records["component"].values(),
                         vocabularies=records["vocabulary"].values(),
                         legal=records["legal"].values())

    categories = Thresholds().divergence_categories
    found = find_opportunities(sheets, catalogue, Thresholds())
    declared = Counter(s for o in found if o.type == "standard-divergence"
                       for s in o.link["standards"])
    needed = Counter(c for sheet in sheets for group in ("needs", "builds")
                     for c in sheet.get("capabilities", {}).get(group, ()))
    standard = max((s for s, r in catalogue.standards.items()
                    if r["category"] in categories), key=lambda s: declared[s])
    record = dict(catalogue.standards[standard])
    yield "standard", standard, with_record("standard", standard, {**record,
                                                                  "status": "deprecated"})
    yield "standard", standard, with_record("standard", standard, {**record,
                                                                  "category": "security"})
    other = next(s for s, r in catalogue.standards.items() if r["category"] == "security")
    yield "standard", other, with_record("standard", other, {
        **catalogue.standards[other], "category": categories[0], "acronym": "XYZ"})
    yield "standard", standard, with_record("standard", standard, None)
    cid = max((c for c, r in catalogue.components.items() if r.get("status") == "active"),
              key=lambda c: sum(needed[p] for p in catalogue.components[c]["provides"]))
    yield "component", cid, with_record("component", cid, {**catalogue.components[cid],
                                                          "status": "retired"})
    retired = next(c for c, r in catalogue.components.items() if r.get("status") != "active")
    yield "component", retired, with_record("component", retired, {
        **catalogue.components[retired], "status": "active", "name": {"en": "Renamed"}})
    yield "component", "brand-new", with_record("component", "brand-new", {
        **catalogue.components[retired], "id": "brand-new", "status": "active",
        "provides": ["data-visualisation", "public-api"]})
    principle = next(iter(catalogue.principles))
    yield "principle", principle, with_record("principle", principle, None)


def test_a_catalogue_change_recomputes_the_groups_that_read_it(catalogue):
    rng = random.Random(4)
    thresholds = Thresholds(max_group_size=5)
    owners = sorted(catalogue.concepts["organisations"])[:6]
    sheets = example_roadmap(rng, owners, 3)
    state = ReuseState.build(sheets.values(), catalogue, thresholds, 1)
    for kind, rid, changed in _catalogue_changes(catalogue, sheets.values()):
        patched = state.with_catalogue(changed, {kind: {rid}}, 2)
        assert patched is not None and patched.catalogue is changed
        expected = find_opportunities(sheets.values(), changed, thresholds)
        assert _as_dicts(patched.opportunities()) == _as_dicts(expected), (kind, rid)
        assert [str(o.text) for o in patched.opportunities()] == [
            str(o.text) for o in expected]
        assert patched.overlap_version == 2
        # Then project writes go on from the patched state.
        pid = sorted(sheets)[0]
        sheet = {**sheets[pid], "status": "in-progress"}
        later = patched.apply({pid: sheet}, 3)
        later.refresh_overlap(3)
        assert _as_dicts(later.opportunities()) == _as_dicts(find_opportunities(
            [*[s for p, s in sheets.items() if p != pid], sheet], changed, thresholds))
    vocabulary = next(iter(catalogue.vocabularies))
    assert state.with_catalogue(catalogue, {"vocabulary": {vocabulary}}, 2) is None


def _lookup(sheets: dict):
    return lambda pid: sheets.get(pid)


def test_the_postings_are_sorted_tuples_equal_to_a_full_builds(catalogue):
    rng = random.Random(5)
    thresholds = Thresholds(max_group_size=5)
    owners = sorted(catalogue.concepts["organisations"])[:6]
    vocab = _vocabulary(catalogue, owners)
    sheets = example_roadmap(rng, owners, 2)
    state = ReuseState.build(sheets.values(), catalogue, thresholds, 1)
    for version in range(2, 12):
        pid = rng.choice(sorted(sheets))
        sheets[pid] = _mutate(rng, sheets[pid], vocab)
        state = state.apply({pid: sheets[pid]}, version)
        full = ReuseState.build(sheets.values(), catalogue, thresholds, version)
        assert state.postings == full.postings, version
        for key, ids in state.postings.items():
            # Held as a tuple: no set's hash table, no empty posting left behind.
            assert type(ids) is tuple and ids and list(ids) == sorted(set(ids)), key
    assert not hasattr(state, "keys")  # the order is found by bisection on order_key


def test_a_state_given_the_roadmaps_sheets_holds_no_summaries_and_answers_alike(catalogue):
    rng = random.Random(6)
    thresholds = Thresholds(max_group_size=5)
    owners = sorted(catalogue.concepts["organisations"])[:6]
    vocab = _vocabulary(catalogue, owners)
    sheets = example_roadmap(rng, owners, 3)
    assert any(s.get("summary") for s in sheets.values())
    state = ReuseState.build(sheets.values(), catalogue, thresholds, 1,
                             sheet_of=_lookup(dict(sheets)))
    assert _as_dicts(state.opportunities()) == _as_dicts(
        find_opportunities(sheets.values(), catalogue, thresholds))
    for version in range(2, 10):
        pid = rng.choice(sorted(sheets))
        sheets[pid] = _mutate(rng, sheets[pid], vocab)
        if version % 3 == 0:  # a summary changed: the overlaps read the new one
            sheets[pid] = {**sheets[pid], "summary": {"en": "parking sensor portal air"}}
        with pytest.raises(ValueError):
            state.apply({pid: sheets[pid]}, version)  # its lookup is the old roadmap's
        state = state.apply({pid: sheets[pid]}, version, _lookup(dict(sheets)))
        assert all(not p.summary for p in state.projects.values())
        state.refresh_overlap(version)
        assert _as_dicts(state.opportunities()) == _as_dicts(
            find_opportunities(sheets.values(), catalogue, thresholds)), version


def test_a_build_reads_two_sheets_of_one_id_as_the_analysis_does(catalogue):
    sheets = list(example_roadmap(random.Random(7), sorted(catalogue.concepts["organisations"]),
                                  1).values())
    first = next(s for s in sheets if s["status"] != "stopped")
    twin = {**copy.deepcopy(first), "title": {"en": "The other one"}}
    for given in ([*sheets, twin], [twin, *sheets]):
        state = ReuseState.build(iter(given), catalogue, Thresholds(), 1)
        assert _as_dicts(state.opportunities()) == _as_dicts(
            find_opportunities(given, catalogue, Thresholds()))
        read, _ = read_projects(given)
        assert [state.project(pid) for pid in state.projects] == read


def test_reuse_opportunities_naming_one_component_share_its_wording(catalogue):
    sheets = example_roadmap(random.Random(8), sorted(catalogue.concepts["organisations"]), 3)
    state = ReuseState.build(sheets.values(), catalogue, Thresholds(), 1)
    by_component: dict[str, list] = {}
    for o in state.opportunities():
        if o.type == "reuse":
            by_component.setdefault(o.link["component"], []).append(o.text.params["provider"])
    assert any(len(texts) > 1 for texts in by_component.values())
    for texts in by_component.values():
        assert all(t is texts[0] for t in texts)
    for o in state.opportunities():
        if o.type == "reuse":  # the project's Term holds its title map, not a copy
            project = state.projects[o.projects[0]]
            assert o.text.params["project"].params["title"].texts is project.title


def test_a_state_holds_its_projects_sets_as_shared_sorted_tuples(catalogue):
    sheets = example_roadmap(random.Random(9), sorted(catalogue.concepts["organisations"]), 3)
    state = ReuseState.build(sheets.values(), catalogue, Thresholds(), 1)
    read, _ = read_projects(sheets.values())
    assert [state.project(pid) for pid in sorted(state.projects)] == read
    assert state.project("no-such-project") is None
    seen: dict[tuple[str, ...], tuple[str, ...]] = {}
    for held in state.projects.values():
        # Its entities are made again when read: not held.
        assert held.entities == ()
        assert held.capabilities == tuple(sorted({*held.needs, *held.builds}))
        if not held.builds:
            assert held.capabilities is held.needs
        for name in ("domains", "themes", "needs", "builds", "reuses", "uses", "produces",
                     "implied", "capabilities"):
            ids = getattr(held, name)
            assert type(ids) is tuple and list(ids) == sorted(set(ids)), name
            assert seen.setdefault(ids, ids) is ids  # equal tuples are one object
    whole = state.project(read[0].id)
    assert whole is not None and whole.capabilities == whole.needs | whole.builds


def test_the_overlap_refresh_gives_way_to_requests_while_it_unpacks(catalogue, monkeypatch):
    """A worker's overlap refresh (without the overlap job) unpacks every held project
    first; done in one go, a request after a write waited some 35 ms for it at 10,000
    projects (bench.readmodel_scale: /dashboard 28 -> 64 ms wall, its CPU unchanged)."""
    from registry.readmodel import reuse as kept

    owners = sorted(catalogue.concepts["organisations"])[:6]
    sheets = example_roadmap(random.Random(4), owners, 24)
    state = ReuseState.build(sheets.values(), catalogue, Thresholds(), 1)
    pid = sorted(sheets)[0]
    state = state.apply({pid: {**sheets[pid], "title": {"en": "Changed"}}}, 2)
    assert not state.overlap_fresh and len(state.projects) > 3 * 64
    unpacked: list[str] = []
    real = kept._unpacked
    monkeypatch.setattr(kept, "_unpacked", lambda p: unpacked.append(p.id) or real(p))
    given_way_at: list[int] = []
    state.refresh_overlap(2, pause=lambda: given_way_at.append(len(unpacked)))
    assert len(unpacked) >= len(state.projects)
    marks = [0, *given_way_at, len(unpacked)]
    # Never more than 64 projects unpacked without a chance for requests to go first.
    assert max(b - a for a, b in zip(marks, marks[1:], strict=False)) <= 64
