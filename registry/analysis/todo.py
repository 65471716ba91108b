"""What needs the Office's action, each line with the project and whom to contact (no Flask).

Four kinds, most urgent first: explanations or plans lapsing soon (or lapsed), mandatory
standards that apply and are not declared, deprecated standards still declared, and open
reuse or pooling opportunities. Each list is cut at `limit` lines with the full count
kept, so the dashboard stays short however large the roadmap; the pages behind the
counts (lapsing, compliance, reuse) list everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from registry.analysis.compliance import Cell
from registry.analysis.roadmap import Roadmap

KINDS = ("lapsing", "missing", "deprecated", "opportunity")


def contact(roadmap: Roadmap, project_id: str) -> dict[str, Any]:
    """Return a project's owner organisation and contact person (name and e-mail)."""
    project = roadmap.projects.get(project_id)
    found = project.sheet.get("owner") if project else None
    owner: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    said = owner.get("contact")
    person: Mapping[str, Any] = said if isinstance(said, Mapping) else {}
    return {"project": project_id, "organisation": owner.get("organisation"),
            "name": person.get("name"), "email": person.get("email")}


def needs_action(roadmap: Roadmap, cells: Iterable[Cell],
                 lapsing_rows: Iterable[Mapping[str, Any]],
                 opportunities: Iterable[Mapping[str, Any]], *, limit: int = 10
                 ) -> dict[str, dict[str, Any]]:
    """Return, per kind, {total, items}: the first `limit` lines, each with its contact."""
    lists: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for row in lapsing_rows:
        lists["lapsing"].append({**contact(roadmap, str(row["project"])),
                                 "standard": row["standard"], "until": row["until"],
                                 "expired": row["expired"], "days_left": row["days_left"]})
    for cell in cells:
        if cell.status == "mandatory" and cell.applies and cell.state == "missing":
            lists["missing"].append({**contact(roadmap, cell.project),
                                     "standard": cell.standard,
                                     "capability": cell.capability})
        elif cell.status == "deprecated" and cell.state != "missing":
            lists["deprecated"].append({**contact(roadmap, cell.project),
                                        "standard": cell.standard, "state": cell.state})
    for o in opportunities:
        projects: Sequence[str] = o.get("projects") or []
        lists["opportunity"].append({
            **contact(roadmap, projects[0] if projects else ""),
            "type": o.get("type"), "projects": list(projects), "score": o.get("score"),
            "explanation": o.get("explanation")})
    # Lapsed first, then the nearest date; the others by project, as the pages sort them.
    lists["lapsing"].sort(key=lambda r: (not r["expired"], r["until"], r["project"]))
    lists["missing"].sort(key=lambda r: (r["project"], r["standard"]))
    lists["deprecated"].sort(key=lambda r: (r["project"], r["standard"]))
    lists["opportunity"].sort(key=lambda r: -(r["score"] or 0))
    return {kind: {"total": len(items), "items": items[:limit]}
            for kind, items in lists.items()}
