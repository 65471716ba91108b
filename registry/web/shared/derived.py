"""What several resources show, read from the request's read-model snapshot."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.analysis.compliance import Cell
from registry.documents.findings import Text
from registry.readmodel import queries
from registry.readmodel.reuse import ReuseState
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
    state: ReuseState
    overlap_version: int  # the version the overlaps shown were computed for
    source: Sequence[Any]  # the state's list these were read from (keeps its id unique)

    def of_project(self, project_id: str) -> list[dict[str, Any]]:
        """Return the opportunities a project is in, whether its group's list names it."""
        return [o.as_dict for o in self.state.of_project(project_id)]

    @functools.cached_property
    def _texts(self) -> dict[int, Text | None]:
        return {id(o.as_dict): o.text for o in self.source}

    def text(self, opportunity: dict[str, Any]) -> Text | None:
        """Return the explanation template of an opportunity dict given by this Found
        (None when it cannot be told: the page then shows the English)."""
        found = self._texts.get(id(opportunity))
        if found is None and opportunity.get("projects"):
            found = next((o.text for o in self.state.of_project(opportunity["projects"][0])
                          if o.as_dict is opportunity), None)
        return found


def found() -> Found:
    """Return every opportunity of the request's snapshot (maintained write by write)."""
    svc = services()
    snapshot = svc.readmodel.current()
    thresholds = reuse_thresholds(svc.settings)
    wait = float(svc.settings["REUSE_OVERLAP_WAIT"])
    job = svc.readmodel.overlaps
    if job.enabled:  # the overlap job computes them, once for every worker
        state = snapshot.reuse(thresholds, lambda: job.for_build(thresholds, snapshot.version))
        job.refresh(state, snapshot.version, wait)
    else:
        state = snapshot.reuse(thresholds)
        state.refresh_overlap_within(snapshot.version, wait, svc.readmodel.in_flight)
    items = state.opportunities()  # one read: a finished refresh swaps the list whole
    version = state.overlap_version
    return snapshot.memo(("reuse", id(items)), lambda: Found(  # type: ignore[no-any-return]
        [o.as_dict for o in items], state, version, items))


def opportunities() -> list[dict[str, Any]]:
    """Return every opportunity of the request's snapshot."""
    return found().items


def of_project(project_id: str) -> list[dict[str, Any]]:
    """Return the opportunities a project is in, whether its group's list names it or not."""
    return found().of_project(project_id)
