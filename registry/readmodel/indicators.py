"""The dashboard's indicators and its "needs action" lists, read from kept totals.

At the snapshot's day every count is already kept (`Snapshot.totals`, moved by each
project's contribution on a write), so an indicator costs a pass over the catalogue and
the kept keys, never over the roadmap; the "needs action" lists visit only the projects
whose contribution says they have a line to show, and stop at `limit` where the order
allows. Another day goes through `registry.analysis.indicators` as before.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from registry.analysis.compliance import STATES
from registry.analysis.compliance import lapsing as lapsing_declarations
from registry.analysis.indicators import (
    EXPLAINED,
    LAPSING_DAYS,
    TREND_METHOD,
    project_kpis,
)
from registry.analysis.reuse import OPPORTUNITY_TYPES, STATUSES
from registry.analysis.roadmap import Roadmap
from registry.analysis.todo import KINDS, contact
from registry.readmodel.queries import trend_points
from registry.readmodel.snapshot import Snapshot


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _keyed(totals: Mapping[Any, int], name: str) -> dict[str, int]:
    """Return the kept counts of one kind (`(name, value)` keys), most first, ties by value."""
    found = {key[1]: n for key, n in totals.items()
             if isinstance(key, tuple) and len(key) == 2 and key[0] == name and n}
    return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


def indicators_today(snapshot: Snapshot, opportunities: Iterable[Mapping[str, Any]],
                     measured: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]
                     ) -> dict[str, Any]:
    """Return what `registry.analysis.indicators.indicators` returns, from kept totals."""
    totals, catalogue = snapshot.totals, snapshot.catalogue
    total = totals["projects"]
    statuses = _keyed(totals, "status")
    by_status = {s: statuses.get(s, 0) for s in STATUSES}
    by_status.update({s: n for s, n in sorted(statuses.items()) if s not in by_status})
    states = {s: totals["mandatory", s] for s in STATES}
    applicable = sum(states.values())
    explained = sum(states[s] for s in EXPLAINED)
    adoption: list[dict[str, Any]] = [
        {"standard": sid, "status": record["status"], "projects": totals["declared", sid],
         "complies": totals["complies", sid]} for sid, record in catalogue.standards.items()]
    adoption.sort(key=lambda a: (-a["projects"], a["standard"]))
    reused = _keyed(totals, "reuse")
    by_component: list[dict[str, Any]] = sorted(
        ({"component": cid, "projects": reused.get(cid, 0)}
         for cid in {**dict.fromkeys(catalogue.components), **reused}),
        key=lambda c: (-c["projects"], c["component"]))
    reuses = sum(reused.values())
    reusing = totals["reusing"]
    types: dict[str, int] = dict.fromkeys(OPPORTUNITY_TYPES, 0)
    for o in opportunities:
        types[o["type"]] = types.get(o["type"], 0) + 1
    return {
        "as_of": snapshot.day.isoformat(),
        "projects": {"total": total, "by_status": by_status,
                     "by_domain": _keyed(totals, "domain"),
                     "by_owner": _keyed(totals, "owner")},
        "validation": {"projects": total, "without_errors": totals["valid"],
                       "share": _share(totals["valid"], total)},
        "mandatory_compliance": {
            "applicable": applicable, "complies": states["complies"],
            "explained": explained, "expired": states["expired"],
            "missing": states["missing"], "by_state": states,
            "shares": {"complies": _share(states["complies"], applicable),
                       "explained": _share(explained, applicable),
                       "expired": _share(states["expired"], applicable),
                       "missing": _share(states["missing"], applicable)}},
        "lapsing": {"days": LAPSING_DAYS, "count": totals["lapsing"],
                    "expired": totals["lapsed"]},
        "standards_adoption": adoption,
        "component_reuse": {
            "components": len(catalogue.components), "reuses": reuses,
            "per_component": round(reuses / len(catalogue.components), 4)
            if catalogue.components else None,
            "projects_reusing": reusing, "projects_share": _share(reusing, total),
            "by_component": by_component},
        "opportunities": {"total": sum(types.values()), "by_type": types},
        # The projects with KPIs alone (the lists mark them), in the roadmap's order.
        "kpis": project_kpis(Roadmap(snapshot.roadmap.projects[pid]
                                     for pid in snapshot.lists.marked("kpis")),
                             snapshot.day, measured),
        "trend": {"method": TREND_METHOD, "points": trend_points(snapshot)},
    }


def needs_action_today(snapshot: Snapshot, opportunities: Sequence[Mapping[str, Any]],
                       limit: int = 10) -> dict[str, dict[str, Any]]:
    """Return what `registry.analysis.todo.needs_action` returns, from kept data."""
    roadmap, totals, derived = snapshot.roadmap, snapshot.totals, snapshot.derived
    lists: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    # Lapsing: nearest first over every project that has one (the lists mark them).
    rows = []
    for pid in snapshot.lists.marked("todo", "lapsing"):
        rows += lapsing_declarations([roadmap.projects[pid].sheet], snapshot.day,
                                     LAPSING_DAYS)
    for row in heapq.nsmallest(limit, rows, key=lambda r: (
            not r["expired"], r["until"], str(r["project"]), str(r["standard"]))):
        lists["lapsing"].append({**contact(roadmap, str(row["project"])),
                                 "standard": row["standard"], "until": row["until"],
                                 "expired": row["expired"], "days_left": row["days_left"]})
    # Missing and deprecated: by project then standard, so the first `limit` marked
    # projects in id order (the roadmap's) have every line that can be shown.
    for kind in ("missing", "deprecated"):
        for pid in sorted(heapq.nsmallest(limit, snapshot.lists.marked("todo", kind))):
            if len(lists[kind]) >= limit:
                break
            for cell in sorted(derived[pid].cells, key=lambda c: c.standard):
                if kind == "missing" and (cell.status == "mandatory" and cell.applies
                                          and cell.state == "missing"):
                    lists[kind].append({**contact(roadmap, pid), "standard": cell.standard,
                                        "capability": cell.capability})
                elif kind == "deprecated" and (cell.status == "deprecated"
                                               and cell.state != "missing"):
                    lists[kind].append({**contact(roadmap, pid), "standard": cell.standard,
                                        "state": cell.state})
    # The best `limit` (ties in the analysis' order, as a stable sort keeps them),
    # without sorting the thousands of opportunities of a large roadmap after each write.
    ranked = heapq.nsmallest(limit, range(len(opportunities)),
                             key=lambda i: -(opportunities[i].get("score") or 0))
    for i in ranked:
        o = opportunities[i]
        projects: Sequence[str] = o.get("projects") or []
        lists["opportunity"].append({
            **contact(roadmap, projects[0] if projects else ""),
            "type": o.get("type"), "projects": list(projects), "score": o.get("score"),
            "explanation": o.get("explanation")})
    counts = {"lapsing": totals["lapsing"] + totals["lapsed"],
              "missing": totals["mandatory", "missing"],
              "deprecated": totals["deprecated-declared"],
              "opportunity": len(opportunities)}
    return {kind: {"total": counts[kind], "items": items[:limit]}
            for kind, items in lists.items()}
