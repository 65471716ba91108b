"""What several resources show, computed once per stored catalogue and roadmap version."""

from __future__ import annotations

import datetime
from typing import Any

from registry.analysis.compliance import Cell, compliance_matrix
from registry.analysis.compliance import summary as compliance_summary
from registry.analysis.reuse import find_opportunities
from registry.services import reuse_thresholds
from registry.web.shared.context import services


def compliance_cells(as_of: datetime.date) -> tuple[list[Cell], dict[str, Any]]:
    """Return the roadmap's compliance cells and summary, computed once per stored version."""
    svc = services()
    catalogue = svc.snapshots.get()

    def compute() -> tuple[list[Cell], dict[str, Any]]:
        cells = compliance_matrix(svc.roadmap.get().sheets(), catalogue, as_of)
        return cells, compliance_summary(cells)

    # One key for the pages and the API, so a worker computes the 100,000 cells of a
    # 10,000-project roadmap once for both; the catalogue version is in the key because
    # the roadmap cache only keys on its own.
    return svc.roadmap.memo(("compliance", svc.snapshots.version, as_of), compute)


def opportunities() -> list[dict[str, Any]]:
    """Return every opportunity of the stored roadmap, computed once per revision."""
    svc = services()
    catalogue = svc.snapshots.get()

    def compute() -> list[dict[str, Any]]:
        found = find_opportunities(svc.roadmap.get().sheets(), catalogue,
                                   reuse_thresholds(svc.settings))
        return [o.to_dict() for o in found]

    return svc.roadmap.memo(("reuse", svc.snapshots.version), compute)
