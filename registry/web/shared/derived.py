"""What several resources show, read from the request's read-model snapshot."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from registry.analysis.compliance import Cell
from registry.analysis.reuse import find_opportunities
from registry.readmodel import queries
from registry.services import reuse_thresholds
from registry.web.shared.context import services


def compliance_cells(as_of: datetime.date) -> tuple[list[Cell], dict[str, Any]]:
    """Return the roadmap's compliance cells and summary (kept per project for today)."""
    snapshot = services().readmodel.current()
    return snapshot.memo(("compliance-cells", as_of), lambda: (  # type: ignore[no-any-return]
        list(queries.iter_cells(snapshot, as_of)), queries.summary(snapshot, as_of)))


@dataclass(frozen=True)
class Found:
    """The opportunities of one snapshot, and which ones each project is in."""

    items: list[dict[str, Any]]
    by_project: dict[str, list[int]]  # project -> positions in items, listed or not


def found() -> Found:
    """Return every opportunity of the stored roadmap, computed once per snapshot."""
    svc = services()
    snapshot = svc.readmodel.current()

    def compute() -> Found:
        result = find_opportunities(snapshot.roadmap.sheets(), snapshot.catalogue,
                                    reuse_thresholds(svc.settings))
        by_project: dict[str, list[int]] = {}
        for index, opportunity in enumerate(result):
            for pid in opportunity.everyone:
                by_project.setdefault(pid, []).append(index)
        return Found([o.to_dict() for o in result], by_project)

    return snapshot.memo("reuse", compute)  # type: ignore[no-any-return]


def opportunities() -> list[dict[str, Any]]:
    """Return every opportunity of the stored roadmap, computed once per snapshot."""
    return found().items


def of_project(project_id: str) -> list[dict[str, Any]]:
    """Return the opportunities a project is in, whether its group's list names it or not."""
    every = found()
    return [every.items[i] for i in every.by_project.get(project_id, ())]
