"""Compliance: which project complies with which standard, computed from the catalogue now.

A standard is listed for a project when it applies (its `applies_to` meets the
capabilities the project needs or builds, counting open and personal data as the spec
says) and is mandatory or recommended, or when the project declares it. States:
`complies`, `partial`, `planned`, `explain` (as declared), `expired` (a declaration whose
`until` is past), `missing` (applies, not declared). Because this reads the current
catalogue, a standard turned mandatory shows up at once as missing where it applies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from registry.catalogue.snapshot import Catalogue
from registry.validation.policy import applicable_capabilities

STATES = ("complies", "partial", "planned", "explain", "expired", "missing")
REQUIRED_STATUSES = ("mandatory", "recommended")


# Slots: a worker holds some 50,000 cells at 10,000 projects, 40-50 bytes each less.
@dataclass(frozen=True, slots=True)
class Cell:
    """One project's state for one standard."""

    project: str
    standard: str
    state: str
    status: str
    applies: bool
    capability: str | None
    until: str | None
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the cell as JSON data."""
        # Spelled out rather than dataclasses.asdict, which deep-copies every field and
        # made serialising the 100,000 cells of a 10,000-project roadmap take 0.6 s.
        return {"project": self.project, "standard": self.standard, "state": self.state,
                "status": self.status, "applies": self.applies,
                "capability": self.capability, "until": self.until, "note": self.note}


def _until(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class ComplianceInputs:
    """What the cells of a sheet read of the sheet: nothing of the catalogue.

    Kept for old revisions (the monthly trend), so that a catalogue change recomputes
    their cells without reading the revisions back.
    """

    project: str
    capabilities: tuple[str, ...]  # sorted: the first capability names why one applies
    declared: Mapping[str, Mapping[str, Any]]  # the first declaration of each standard


def compliance_inputs(sheet: Mapping[str, Any]) -> ComplianceInputs:
    """Return what the compliance cells of a sheet read of it."""
    declared: dict[str, Mapping[str, Any]] = {}
    items = sheet.get("standards")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            declared.setdefault(item["id"], item)
    return ComplianceInputs(str(sheet.get("id", "")),
                            tuple(sorted(applicable_capabilities(sheet))), declared)


def project_compliance(sheet: Mapping[str, Any], catalogue: Catalogue, as_of: date
                       ) -> list[Cell]:
    """Return the state of every standard that applies to a sheet or that it declares."""
    return compliance_cells(compliance_inputs(sheet), catalogue, as_of)


def compliance_cells(inputs: ComplianceInputs, catalogue: Catalogue, as_of: date
                     ) -> list[Cell]:
    """Return the cells of a sheet from what they read of it (`compliance_inputs`)."""
    applying: dict[str, str] = {}
    for capability in inputs.capabilities:
        for standard_id in catalogue.standards_by_capability.get(capability, ()):
            applying.setdefault(standard_id, capability)
    cells = []
    for standard_id in sorted(set(applying) | set(inputs.declared)):
        cell = cell_of(inputs, standard_id, applying.get(standard_id),
                     catalogue.standards.get(standard_id), as_of)
        if cell is not None:
            cells.append(cell)
    return cells


def cell_of(inputs: ComplianceInputs, standard_id: str, capability: str | None,
          record: Mapping[str, Any] | None, as_of: date) -> Cell | None:
    """Return one standard's cell of `compliance_cells` (None: it has none), `capability`
    the first of the sheet's that makes it apply (None: it does not apply)."""
    status = record["status"] if record else "unknown"
    declaration = inputs.declared.get(standard_id)
    if declaration is None:
        if status not in REQUIRED_STATUSES:
            return None
        state = "missing"
    else:
        until = _until(declaration.get("until"))
        state = str(declaration.get("conformance", "explain"))
        if state not in STATES:
            state = "explain"
        if until is not None and until < as_of:
            state = "expired"
    return Cell(inputs.project, standard_id, state, status, capability is not None,
                capability,
                str(declaration.get("until")) if declaration and
                declaration.get("until") is not None else None,
                declaration.get("note") if declaration else None)


def compliance_matrix(sheets: Iterable[Mapping[str, Any]], catalogue: Catalogue,
                      as_of: date) -> list[Cell]:
    """Return the cells of every project, project by project."""
    out: list[Cell] = []
    for sheet in sheets:
        out.extend(project_compliance(sheet, catalogue, as_of))
    return out


def summary(cells: Iterable[Cell]) -> dict[str, Any]:
    """Return counts of states overall and for mandatory standards."""
    cells = list(cells)
    mandatory = Counter(c.state for c in cells if c.status == "mandatory" and c.applies)
    return {"states": {s: sum(1 for c in cells if c.state == s) for s in STATES},
            "mandatory": {s: mandatory.get(s, 0) for s in STATES}}


def lapsing(sheets: Iterable[Mapping[str, Any]], as_of: date, days: int = 90
            ) -> list[dict[str, Any]]:
    """Return the planned or explained declarations whose `until` is past or within `days`."""
    horizon = as_of + timedelta(days=days)
    out = []
    for sheet in sheets:
        items = sheet.get("standards")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, Mapping):
                continue
            until = _until(item.get("until"))
            if until is None or until > horizon:
                continue
            out.append({"project": sheet.get("id"), "standard": item.get("id"),
                        "conformance": item.get("conformance"), "until": until.isoformat(),
                        "days_left": (until - as_of).days, "expired": until < as_of,
                        "note": item.get("note"), "path": f"/standards/{index}/until"})
    return sorted(out, key=lambda r: (r["until"], str(r["project"]), str(r["standard"])))


def projects_for_standard(cells: Iterable[Cell], standard_id: str) -> dict[str, list[Cell]]:
    """Return the cells of one standard grouped by state (every state, in STATES order)."""
    groups: dict[str, list[Cell]] = {state: [] for state in STATES}
    for cell in cells:
        if cell.standard == standard_id:
            groups.setdefault(cell.state, []).append(cell)
    return groups


class StateCell(Protocol):
    """What a picture of the matrix reads of a compliance cell."""

    @property
    def project(self) -> str: ...

    @property
    def standard(self) -> str: ...

    @property
    def state(self) -> str: ...


def columns_of(cells: Iterable[StateCell], projects: Sequence[str],
               standards: Sequence[str] = ()) -> list[str]:
    """Return the standards that appear in a cell of these projects, in the given order."""
    rows = set(projects)
    present = {c.standard for c in cells if c.project in rows}
    ordered = [s for s in dict.fromkeys(standards) if s in present]
    return ordered + sorted(present - set(ordered))
