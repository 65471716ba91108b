"""One immutable state of the registry: catalogue, roadmap, derived data and version together.

A view reads one `Snapshot` from start to end, so what it shows comes from a single
version of the change feed: a compliance answer can never mix a new catalogue with an
old roadmap, or be labelled with a version it was not computed from.

`Snapshot.apply` returns the next snapshot from a batch of changes, recomputing only the
projects they touch (and, for a catalogue change, only the projects that read the changed
records); everything else is shared with the previous snapshot.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

from registry.analysis.compliance import STATES
from registry.analysis.reuse import OverlapPair, Thresholds
from registry.analysis.roadmap import Project, Roadmap
from registry.catalogue.records import KINDS
from registry.catalogue.snapshot import Catalogue
from registry.projects import hint_reads, refreshed_findings
from registry.readmodel.derived import (
    KeptRevision,
    ProjectDerived,
    derive,
    kept_revisions,
    month_ends,
)
from registry.readmodel.lists import Lists
from registry.readmodel.overlay import flattened, replaced
from registry.readmodel.reuse import ReuseState
from registry.readmodel.standard_change import StandardChange
from registry.storage.store import Change
from registry.validation.policy import applicable_capabilities

CATALOGUE_KINDS = tuple(KINDS)
# Which field of a catalogue record makes a project depend on it (beyond naming it).
_CAPABILITY_FIELDS = {"standard": "applies_to", "component": "provides"}

HistoryLoader = Callable[[Iterable[str]], Mapping[str, Sequence[Change]]]


class Snapshot:
    """The catalogue, the roadmap and what is derived from them, at one feed version."""

    def __init__(self, version: int, catalogue: Catalogue, roadmap: Roadmap, day: date,
                 derived: Mapping[str, ProjectDerived], totals: Counter[Any],
                 lists: Lists | None = None, members: object | None = None) -> None:
        self.version = version
        self.catalogue = catalogue
        self.roadmap = roadmap
        self.day = day
        self.derived = derived
        self.totals = totals
        # The same object while the set of projects (and so their order) is the same: a
        # cached page of the roadmap's order is reused only while it is (readmodel.reads).
        self.members = members if members is not None else object()
        self.lists = lists if lists is not None else Lists.build(roadmap.projects, derived)
        # The reuse analysis, per thresholds, derived from the last snapshot that has it
        # (`reuse`); the changed projects since that one, and the changed catalogue
        # records by kind.
        self._reuse: dict[Thresholds, ReuseState] = {}
        self._reuse_base: Snapshot | None = None
        self._reuse_changed: frozenset[str] = frozenset()
        self._reuse_catalogue: dict[str, frozenset[str]] = {}
        self._memo: dict[Any, Any] = {}
        self._memo_lock = threading.Lock()
        self._computing: dict[Any, threading.RLock] = {}

    # -- reading ----------------------------------------------------------------------

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return a value derived from this snapshot, computed once (concurrent callers wait)."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        with self._memo_lock:
            # Re-entrant: a computation may ask for another value under the same key.
            lock = self._computing.setdefault(key, threading.RLock())
        with lock:
            if key not in self._memo:
                value = compute()
                with self._memo_lock:
                    if len(self._memo) > 512:  # an as_of per day asked: keep it bounded
                        self._memo.clear()
                    self._memo[key] = value
            return self._memo[key]

    def cells(self, project_id: str) -> Sequence[Any]:
        """Return a project's compliance cells at the snapshot's day."""
        found = self.derived.get(project_id)
        return found.cells if found else ()

    def compliance_summary(self) -> dict[str, Any]:
        """Return the counts of every state, and of the applicable mandatory standards."""
        return {"states": {s: self.totals["cells", s] for s in STATES},
                "mandatory": {s: self.totals["mandatory", s] for s in STATES}}

    def trend_points(self) -> list[tuple[date, int, Counter[str]]]:
        """Return (month end, projects, states) of each month since the first revision."""
        points: list[tuple[date, int, Counter[str]]] = []
        for index, end in enumerate(month_ends(self.day)):
            projects = self.totals["trend-projects", index]
            if not projects and not points:
                continue  # before the first project was written
            states: Counter[str] = Counter({s: self.totals["trend", index, s]
                                            for s in STATES})
            points.append((end, projects, states))
        return points

    # -- building ---------------------------------------------------------------------

    @classmethod
    def build(cls, version: int, catalogue: Catalogue, projects: Iterable[Project],
              history: Mapping[str, Sequence[KeptRevision]], day: date) -> Snapshot:
        """Build a snapshot from every project and what is kept of its revisions."""
        roadmap = Roadmap(projects)
        derived: dict[str, ProjectDerived] = {}
        totals: Counter[Any] = Counter()
        for pid, project in roadmap.projects.items():
            item = derive(project, history.get(pid, ()), catalogue, day)
            derived[pid] = item
            totals.update(item.contribution)
        return cls(version, catalogue, roadmap, day, MappingProxyType(derived), totals)

    def rebuild_for(self, day: date, load_history: HistoryLoader) -> Snapshot:
        """Return this snapshot recomputed for another day (every project: dates moved)."""
        kept = {pid: kept_revisions(changes)
                for pid, changes in load_history(self.roadmap.projects).items()}
        return Snapshot.build(self.version, self.catalogue, self.roadmap.projects.values(),
                              kept, day)

    def apply(self, changes: Sequence[Change], load_history: HistoryLoader) -> Snapshot:
        """Return the snapshot after `changes` (oldest first), recomputing what they touch."""
        if not changes:
            return self
        version = max(c.seq for c in changes)
        catalogue = self.catalogue
        catalogue_changes = [c for c in changes if c.kind in CATALOGUE_KINDS]
        touched: set[str] = set()
        if catalogue_changes:
            catalogue = self._next_catalogue(catalogue_changes,
                                             max(c.seq for c in catalogue_changes))
            touched |= self._depending_on(catalogue_changes, catalogue)
        project_changes = {c.record_id: c for c in changes if c.kind == "project"}
        old_projects = self.roadmap.projects
        # Whether the set of projects moves (a create or a delete, not an update): only
        # then are the roadmap and the derived data copied whole (see overlay.py).
        members_moved = any((change.data is None) == (pid in old_projects)
                            for pid, change in project_changes.items())
        replacing = {pid: Project.stored(pid, change.data, change.revision,
                                         _digest(change.data), change.created_at,
                                         change.author)
                     for pid, change in project_changes.items() if change.data is not None}
        projects: Mapping[str, Project]
        if members_moved:
            # A create or a delete: a new dict in id order (the roadmap's), made by a
            # C-level copy, never a pass over every project's pair through the overlay
            # (13 ms of CPU per worker for each project created at 10,000, now 7 ms).
            moved = flattened(old_projects)
            for pid, change in project_changes.items():
                if change.data is None:
                    moved.pop(pid, None)
            created = any(pid not in moved for pid in replacing)
            moved.update(replacing)
            # Created ids go to the end of the copy: put them in their place (sorting
            # the ids alone; sorting the pairs made 10,000 tuples a write, food for the
            # garbage collector's full collections).
            projects = {pid: moved[pid] for pid in sorted(moved)} if created else moved
        else:
            projects = replaced(old_projects, replacing)
        touched |= set(project_changes)
        recomputed: dict[str, ProjectDerived] = {}
        totals = Counter(self.totals)
        kinds = {c.kind for c in catalogue_changes}
        written: dict[str, list[Change]] = {}
        for change in changes:
            if change.kind == "project":
                written.setdefault(change.record_id, []).append(change)
        # The kept revisions of a project die with its derived data when it is deleted:
        # one created again (its revisions go on) has its older ones read back.
        reread = {pid for pid in touched if pid not in self.derived and pid in projects
                  and min(c.revision for c in changes if c.kind == "project"
                          and c.record_id == pid) > 1}
        histories = load_history(reread) if reread else {}
        patch = None
        if kinds == {"standard"}:
            patch = StandardChange.of({c.record_id for c in catalogue_changes},
                                      self.catalogue, catalogue, self.day)
        shifted: Counter[Any] = Counter()  # what the patched projects moved the totals by
        for pid in sorted(touched):
            old = self.derived.get(pid)
            project = projects.get(pid)
            patched = None
            if (patch is not None and old is not None and project is not None
                    and pid not in written and pid not in histories):
                patched = patch.patch(project, old)
            if patched is not None:
                # Only the standard's cell, trend entries and finding moved.
                recomputed[pid], delta = patched
                shifted.update(delta)
                continue
            if old is not None:
                totals.subtract(old.contribution)
            if project is None:
                continue
            if pid in histories:
                item = derive(project, kept_revisions(histories[pid]), catalogue, self.day)
            elif old is not None and pid not in written:
                item = _after_catalogue_change(project, old, catalogue, kinds, self.day)
            else:
                before = old.revisions if old else ()
                revisions = [*before, *kept_revisions(written.get(pid, ()), before)]
                item = derive(project, revisions, catalogue, self.day)
            recomputed[pid] = item
            totals.update(item.contribution)
        totals.update(shifted)
        derived: Mapping[str, ProjectDerived]
        if members_moved:
            kept = flattened(self.derived)
            for pid in project_changes:
                if pid not in projects:
                    kept.pop(pid, None)
            kept.update(recomputed)
            derived = MappingProxyType(kept)
        else:
            derived = replaced(self.derived, recomputed)
        roadmap, members = self.roadmap, self.members
        if members_moved:
            roadmap, members = _replaced(MappingProxyType(projects)), object()
        elif project_changes:
            roadmap = _replaced(projects)
        lists = self.lists.apply(touched, (self.roadmap.projects, self.derived),
                                 (roadmap.projects, derived),
                                 frozenset(touched - set(project_changes)))
        new = Snapshot(version, catalogue, roadmap, self.day, derived, +totals, lists,
                       members)
        # The reuse analysis is derived lazily from the last snapshot that holds one
        # (never a chain of snapshots: a snapshot without it passes its base on).
        since: dict[str, frozenset[str]] = {} if self._reuse else self._reuse_catalogue
        if self._reuse:
            new._reuse_base, new._reuse_changed = self, frozenset(project_changes)
        else:
            new._reuse_base = self._reuse_base
            new._reuse_changed = self._reuse_changed | set(project_changes)
        new._reuse_catalogue = {kind: since.get(kind, frozenset()) | {
            c.record_id for c in catalogue_changes if c.kind == kind}
            for kind in {*since, *kinds}}
        return new

    def reuse(self, thresholds: Thresholds,
              stored: Callable[[], tuple[int, Sequence[OverlapPair]] | None] | None = None
              ) -> ReuseState:
        """Return the reuse analysis of this snapshot (maintained from the last one).

        `stored`: when given, returns the overlaps the overlap job stored (the version
        of their roadmap and their pairs) for a full build to show instead of computing
        them; asked only when the analysis is built in full.
        """
        found = self._reuse.get(thresholds)
        if found is not None:
            return found

        def compute() -> ReuseState:
            base = self._reuse_base
            previous = base._reuse.get(thresholds) if base is not None else None
            if previous is not None and self._reuse_catalogue:
                # Only the groups that read the changed records (None: all of them).
                previous = previous.with_catalogue(self.catalogue, self._reuse_catalogue,
                                                   self.version)
                if previous is None:
                    # Built afresh: let the old snapshot (and its analysis) go first,
                    # not after this one's is built beside it.
                    self._reuse_base = base = None
            projects = self.roadmap.projects

            def sheet_of(pid: str) -> Mapping[str, Any] | None:
                # A state holding no summaries reads them from here for its overlaps.
                return projects[pid].sheet if pid in projects else None

            if previous is not None and not self._reuse_changed:
                state = previous
                if state.sheet_of is not None:  # the same sheets, this roadmap's
                    state.sheet_of = sheet_of
            elif previous is not None:
                state = previous.apply(
                    {pid: projects[pid].sheet if pid in projects else None
                     for pid in sorted(self._reuse_changed)}, self.version,
                    sheet_of if previous.sheet_of is not None else None)
            else:
                # With the overlap job (`stored`), the worker never computes overlaps
                # but in this build: the summaries, which only they read, are not held.
                # Without it, each write's overlap refresh would read every summary
                # back from the sheets (a worker's CPU over 5 writes 4.7 -> 9.3 s at
                # 10,000 projects, bench.worker_memory): they are held.
                state = ReuseState.build(self.roadmap.sheets(), self.catalogue, thresholds,
                                         self.version, stored() if stored else None,
                                         sheet_of if stored is not None else None)
            self._reuse[thresholds] = state
            self._reuse_base = None  # the old snapshot may go
            return state

        return self.memo(("reuse-state", thresholds), compute)  # type: ignore[no-any-return]

    def _next_catalogue(self, changes: Sequence[Change], version: int) -> Catalogue:
        records: dict[str, dict[str, Any]] = {
            kind: dict(self.catalogue.records(kind)) for kind in CATALOGUE_KINDS}
        for change in changes:
            if change.data is None:
                records[change.kind].pop(change.record_id, None)
            else:
                records[change.kind][change.record_id] = change.data
        return Catalogue(standards=records["standard"].values(),
                         principles=records["principle"].values(),
                         components=records["component"].values(),
                         vocabularies=records["vocabulary"].values(),
                         legal=records["legal"].values(), version=str(version))

    def _depending_on(self, changes: Sequence[Change], catalogue: Catalogue) -> set[str]:
        """Return the projects whose derived data reads one of the changed records."""
        if any(c.kind == "vocabulary" for c in changes):
            return set(self.roadmap.projects)  # concepts are checked in every sheet
        named: dict[str, set[str]] = {"standard": set(), "component": set()}
        capabilities: dict[str, set[str]] = {"standard": set(), "component": set()}
        for change in changes:
            if change.kind not in _CAPABILITY_FIELDS:
                continue  # principles: no project finding or cell reads them
            named[change.kind].add(change.record_id)
            field = _CAPABILITY_FIELDS[change.kind]
            old = self.catalogue.records(change.kind).get(change.record_id) or {}
            new = catalogue.records(change.kind).get(change.record_id) or {}
            capabilities[change.kind].update(old.get(field) or ())
            capabilities[change.kind].update(new.get(field) or ())
        kinds = {kind for kind, ids in named.items() if ids}

        standards = frozenset(named["standard"])
        applying = frozenset(capabilities["standard"])

        def reads_standard(item: ProjectDerived) -> bool:
            # The trend counts old revisions too: one of them may read the standard.
            if not standards:
                return False
            for _, inputs in item.revisions:
                if inputs is not None and not (standards.isdisjoint(inputs.declared)
                                               and applying.isdisjoint(inputs.capabilities)):
                    return True
            return False

        def reads_component(project: Project) -> bool:
            return "component" in kinds and bool(
                named["component"].intersection(project.listed("components", "reuses"))
                or capabilities["component"].intersection(
                    applicable_capabilities(project.sheet)))

        hinting: dict[str, bool] = {}

        def hint_reads_kind(item: ProjectDerived) -> bool:
            # Hints read other records of the kind: the ids close to an unknown one, the
            # active components that replace a retired one.
            for found in item.report.findings:
                code = found.code
                if code not in hinting:
                    hinting[code] = hint_reads(code) in kinds
                if hinting[code]:
                    return True
            return False

        out = set()
        for pid, project in self.roadmap.projects.items():
            item = self.derived.get(pid)
            if item is not None and (reads_standard(item) or reads_component(project)
                                     or hint_reads_kind(item)):
                out.add(pid)
        return out


def _after_catalogue_change(project: Project, old: ProjectDerived, catalogue: Catalogue,
                            kinds: set[str], day: date) -> ProjectDerived:
    """Return a project's derived data after a change to catalogue records of `kinds`.

    Only what reads those kinds is computed again: the findings of the checks that read
    them; the cells and the trend (from the kept revisions, never read back) only when
    a standard changed, since they read no other record.
    """
    report = refreshed_findings(old.report, project.sheet, catalogue, day, kinds)
    if "standard" in kinds:
        return derive(project, old.revisions, catalogue, day, report=report)
    return derive(project, old.revisions, catalogue, day, report=report, cells=old.cells,
                  history=old.history)


def _replaced(projects: Mapping[str, Project]) -> Roadmap:
    """Return a roadmap of `projects`: the ids (and order) of the last one, some replaced."""
    new = Roadmap.__new__(Roadmap)
    new.projects = projects
    return new


def _digest(data: Mapping[str, Any]) -> str:
    from registry.storage.store import digest

    return digest(data)

