"""Bounded questions to a snapshot: pages of the matrix and of projects, indexes, streams.

At the snapshot's day (today) every answer reads what `Snapshot.apply` keeps derived
per project; another `as_of` computes that day's cells once per snapshot. No answer
builds more than it returns, except the filters that must look at every project, which
read the kept cells (no validation, no compliance computed on the request).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.analysis.compliance import STATES, Cell, project_compliance
from registry.analysis.compliance import summary as compliance_summary
from registry.analysis.indicators import trend_point
from registry.analysis.roadmap import Project
from registry.documents.findings import FileReport
from registry.projects import matches, stored_findings
from registry.readmodel.snapshot import Snapshot

PROJECT_FILTERS = ("owner", "status", "domain", "capability", "standard", "validity")


def cells_by_project(snapshot: Snapshot, as_of: datetime.date
                     ) -> Mapping[str, Sequence[Cell]]:
    """Return every project's cells at `as_of` (kept for today, computed once otherwise)."""
    if as_of == snapshot.day:
        return _KeptCells(snapshot)

    def compute() -> dict[str, Sequence[Cell]]:
        catalogue = snapshot.catalogue
        return {pid: project_compliance(p.sheet, catalogue, as_of)
                for pid, p in snapshot.roadmap.projects.items()}

    return snapshot.memo(("cells", as_of), compute)  # type: ignore[no-any-return]


class _KeptCells(Mapping[str, Sequence[Cell]]):
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def __getitem__(self, pid: str) -> Sequence[Cell]:
        return self.snapshot.derived[pid].cells

    def __iter__(self) -> Iterator[str]:
        return iter(self.snapshot.roadmap.projects)

    def __len__(self) -> int:
        return len(self.snapshot.roadmap.projects)


def summary(snapshot: Snapshot, as_of: datetime.date) -> dict[str, Any]:
    """Return the counts of every state and of the applicable mandatory standards."""
    if as_of == snapshot.day:
        return snapshot.compliance_summary()
    return snapshot.memo(("summary", as_of), lambda: compliance_summary(  # type: ignore[no-any-return]
        c for cells in cells_by_project(snapshot, as_of).values() for c in cells))


def iter_cells(snapshot: Snapshot, as_of: datetime.date,
               filters: Mapping[str, str] | None = None) -> Iterator[Cell]:
    """Yield the cells matching `filters` (project, standard, state), project by project."""
    filters = filters or {}
    by_project = cells_by_project(snapshot, as_of)
    wanted = filters.get("project")
    ids: Sequence[str] | Any = ([wanted] if wanted in by_project else []) if wanted \
        else by_project
    standard, state = filters.get("standard"), filters.get("state")
    for pid in ids:
        for cell in by_project[pid]:
            if (standard is None or cell.standard == standard) and (
                    state is None or cell.state == state):
                yield cell


@dataclass(frozen=True)
class Page:
    """One page of a list and how many items the whole list holds.

    `read`: the projects whose derived data the page was computed from, in the order of
    the roadmap up to the page's end (None: every project), for `readmodel.reads`.
    """

    total: int
    items: list[Any]
    read: tuple[str, ...] | None = None


# The kept totals that the compliance summary and a page's total read.
SUMMARY_TOTALS = tuple((kind, state) for kind in ("cells", "mandatory") for state in STATES)


def compliance_page(snapshot: Snapshot, as_of: datetime.date, filters: Mapping[str, str],
                    page: int, per_page: int) -> Page:
    """Return one page of the matrix's cells and the number of matching cells."""
    start = (page - 1) * per_page
    items: list[Cell] = []
    if set(filters) <= {"state"} and as_of == snapshot.day:
        # The total is kept: only the cells up to the page's end are visited.
        state = filters.get("state")
        total = snapshot.totals["cells", state] if state else sum(
            snapshot.totals["cells", s] for s in STATES)
        read: list[str] = []
        index = 0
        # Project by project, so that the projects visited are known, a project without
        # a matching cell included (one that gains a cell moves the page).
        for pid in snapshot.roadmap.projects:
            if index >= start + per_page:
                break
            read.append(pid)
            for cell in snapshot.derived[pid].cells:
                if state is not None and cell.state != state:
                    continue
                if start <= index < start + per_page:
                    items.append(cell)
                index += 1
        return Page(total, items, tuple(read))
    total = 0
    for cell in iter_cells(snapshot, as_of, filters):
        if start <= total < start + per_page:
            items.append(cell)
        total += 1
    return Page(total, items)


def report(snapshot: Snapshot, project: Project, as_of: datetime.date) -> FileReport:
    """Return a project's findings at `as_of` (kept for today)."""
    if as_of == snapshot.day and project.id in snapshot.derived:
        return snapshot.derived[project.id].report
    return stored_findings(project.sheet, snapshot.catalogue, as_of)


def select_projects(snapshot: Snapshot, as_of: datetime.date, filters: Mapping[str, str]
                    ) -> list[tuple[Project, FileReport]]:
    """Return the projects (with their findings) that match every filter, by id."""
    def compute() -> list[tuple[Project, FileReport]]:
        out = []
        for project in snapshot.roadmap.projects.values():
            if not matches(project, filters):
                continue
            found = report(snapshot, project, as_of)
            if "validity" in filters and found.valid != (filters["validity"] == "valid"):
                continue
            out.append((project, found))
        return out

    if not filters and as_of == snapshot.day:
        return compute()  # a pass over kept reports: no need to hold a copy
    return snapshot.memo(("selected-projects", as_of, tuple(sorted(filters.items()))),  # type: ignore[no-any-return]
                         compute)


def projects_page(snapshot: Snapshot, as_of: datetime.date, filters: Mapping[str, str],
                  page: int, per_page: int) -> Page:
    """Return one page of `select_projects` (by id) and how many projects match.

    Without filters, today, the page is read where it lies in the roadmap (its findings
    are kept): no pass over the other projects.
    """
    if filters or as_of != snapshot.day:
        found = select_projects(snapshot, as_of, filters)
        start = (page - 1) * per_page
        return Page(len(found), found[start:start + per_page])
    projects = snapshot.roadmap.projects
    start = (page - 1) * per_page
    rows = itertools.islice(projects.values(), start, start + per_page)
    return Page(len(projects), [(p, report(snapshot, p, as_of)) for p in rows])


def trend_points(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Return the monthly trend from the totals the read model keeps."""
    return [trend_point(end, projects, states)
            for end, projects, states in snapshot.trend_points()]
