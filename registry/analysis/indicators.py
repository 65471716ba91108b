"""The Smart City Office's indicators: the state of the roadmap at a glance (no Flask).

Computed from the roadmap snapshot, the catalogue snapshot, the reuse opportunities and
the stored project revisions. Every project counts, whatever its status (as in the
compliance matrix and `/api/compliance`), so the numbers add up with the other views.

Choices, documented because they change the numbers:
- *Explained* groups `partial`, `planned` and `explain`: the project has said what it
  does about the standard; *expired* is such a declaration whose `until` is past;
  *missing* is an applicable mandatory standard not declared at all.
- KPIs: a sheet gives `baseline`, `target` and `due`; measured values are reported apart
  (`registry.measurements`). Progress is computed from the latest value reported on or
  before `as_of`; a KPI without one is shown as baseline -> target with its due date and
  no invented progress.
- Trend: for each month end (the last point is `as_of`), each project's revision valid
  then (the latest one created on or before that day; a deleted record counts as absent)
  is replayed against the *current* catalogue, with that day as the date for expiry. So
  the trend shows how the projects' declarations moved, not how the catalogue moved; a
  standard made mandatory today shows as missing in the past months too, which is what
  the Office asks ("how far are we from today's rules").
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from registry.analysis.compliance import STATES, Cell, lapsing, project_compliance
from registry.analysis.reuse import OPPORTUNITY_TYPES, STATUSES
from registry.analysis.roadmap import Roadmap
from registry.catalogue.snapshot import Catalogue

EXPLAINED = ("partial", "planned", "explain")
LAPSING_DAYS = 90
TREND_MONTHS = 24  # at most two years of monthly points: enough to see a direction
TREND_METHOD = ("For each month end (the last point is as_of), each project's revision "
                "valid that day is replayed against the current catalogue; shares are of "
                "the applicable mandatory standards.")


@dataclass(frozen=True)
class Revision:
    """One stored revision of a project: when it was written and its sheet (None: deleted)."""

    created_at: datetime
    sheet: Mapping[str, Any] | None


def _share(part: int, whole: int) -> float | None:
    """Return part / whole rounded to 4 decimals, or None when there is no whole."""
    return round(part / whole, 4) if whole else None


def _counts(values: Iterable[str]) -> dict[str, int]:
    """Return counts, most frequent first, ties by key."""
    counter = Counter(values)
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def mandatory_breakdown(cells: Iterable[Cell]) -> dict[str, Any]:
    """Return the states of the applicable mandatory standards, grouped and as shares."""
    states = Counter(c.state for c in cells if c.status == "mandatory" and c.applies)
    total = sum(states.values())
    explained = sum(states[s] for s in EXPLAINED)
    return {"applicable": total, "complies": states["complies"], "explained": explained,
            "expired": states["expired"], "missing": states["missing"],
            "by_state": {s: states[s] for s in STATES},
            "shares": {"complies": _share(states["complies"], total),
                       "explained": _share(explained, total),
                       "expired": _share(states["expired"], total),
                       "missing": _share(states["missing"], total)}}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def project_kpis(roadmap: Roadmap, as_of: date,
                 measured: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]] | None = None
                 ) -> list[dict[str, Any]]:
    """Return every project's KPIs with baseline, target, due and progress where measurable.

    `measured` maps (project, KPI) to its reported values ({date, value, note}, oldest
    first); the latest one dated on or before `as_of` is the KPI's current value.
    """
    out: list[dict[str, Any]] = []
    measured = measured or {}
    for project in roadmap.projects.values():
        items = project.sheet.get("kpis")
        for kpi in items if isinstance(items, list) else []:
            if not isinstance(kpi, Mapping):
                continue
            baseline, target = _number(kpi.get("baseline")), _number(kpi.get("target"))
            values = [m for m in measured.get((project.id, str(kpi.get("id"))), ())
                      if str(m["date"]) <= as_of.isoformat()]
            latest = values[-1] if values else None
            current = _number(latest["value"]) if latest else None
            progress = None
            if current is not None and target is not None:
                start = baseline if baseline is not None else 0.0
                if target != start:
                    progress = round(max(0.0, min(1.0, (current - start) / (target - start))),
                                     4)
            due = kpi.get("due")
            due_text = due.isoformat() if isinstance(due, date) else (
                due if isinstance(due, str) else None)
            try:
                days_left = (date.fromisoformat(due_text) - as_of).days if due_text else None
            except ValueError:
                days_left = None
            out.append({"project": project.id, "id": kpi.get("id"),
                        "name": kpi.get("name") if isinstance(kpi.get("name"), Mapping) else {},
                        "unit": kpi.get("unit"), "baseline": baseline, "target": target,
                        "current": current,
                        "current_date": str(latest["date"]) if latest else None,
                        "progress": progress, "due": due_text,
                        "days_left": days_left, "measurements": list(values)})
    return out


def _month_ends(first: date, as_of: date, months: int) -> list[date]:
    """Return the month ends from `first`'s month to `as_of` (clamped), at most `months`."""
    ends: list[date] = []
    year, month = as_of.year, as_of.month
    while len(ends) < months:
        end = date(year, month, calendar.monthrange(year, month)[1])
        ends.append(min(end, as_of))
        if (year, month) <= (first.year, first.month):
            break
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return ends[::-1]


def compliance_trend(history: Mapping[str, Sequence[Revision]], catalogue: Catalogue,
                     as_of: date, months: int = TREND_MONTHS) -> list[dict[str, Any]]:
    """Return the mandatory-standards compliance at each month end, replaying revisions."""
    dated = {pid: sorted(revs, key=lambda r: r.created_at) for pid, revs in history.items()}
    firsts = [revs[0].created_at.date() for revs in dated.values() if revs]
    if not firsts:
        return []
    ends = _month_ends(min(firsts), as_of, months)
    # Compliance of each revision, computed once with no expiry (date.min): expiry is
    # applied per month end below, so a revision valid for 24 months costs one run.
    undated: dict[tuple[str, int], list[Cell]] = {}
    points = []
    for end in ends:
        cutoff = datetime.combine(end, time.max, tzinfo=UTC)
        states: Counter[str] = Counter()
        projects = 0
        for pid, revs in dated.items():
            index = None
            for k, rev in enumerate(revs):
                created = rev.created_at if rev.created_at.tzinfo else \
                    rev.created_at.replace(tzinfo=UTC)
                if created > cutoff:
                    break
                index = k
            if index is None or revs[index].sheet is None:
                continue
            projects += 1
            key = (pid, index)
            if key not in undated:
                undated[key] = project_compliance(revs[index].sheet or {}, catalogue,
                                                  date.min)
            for cell in undated[key]:
                if cell.status != "mandatory" or not cell.applies:
                    continue
                state = cell.state
                if cell.until is not None and state in EXPLAINED:
                    try:
                        if date.fromisoformat(cell.until) < end:
                            state = "expired"
                    except ValueError:
                        pass
                states[state] += 1
        points.append(trend_point(end, projects, states))
    return points


def trend_point(end: date, projects: int, states: Mapping[str, int]) -> dict[str, Any]:
    """Return one month of the trend: its end, projects, and the mandatory cells by state.

    Shared by the replay above and the read model, which keeps the month totals.
    """
    total = sum(states.values())
    explained = sum(states[s] for s in EXPLAINED)
    return {"month": end.strftime("%Y-%m"), "date": end.isoformat(),
            "projects": projects, "applicable": total,
            "complies": states["complies"], "explained": explained,
            "expired": states["expired"], "missing": states["missing"],
            "complies_share": _share(states["complies"], total),
            "addressed_share": _share(states["complies"] + explained, total)}


def indicators(roadmap: Roadmap, catalogue: Catalogue, as_of: date, *,
               cells: Sequence[Cell], valid: Mapping[str, bool],
               opportunities: Iterable[Mapping[str, Any]],
               history: Mapping[str, Sequence[Revision]],
               measured: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]] | None = None
               ) -> dict[str, Any]:
    """Return every indicator of the dashboard as JSON data.

    `cells` is the compliance matrix as of `as_of`, `valid` says per project whether its
    stored sheet has no error now (`registry.projects.stored_findings`), both passed in so
    the caller's memoised copies are reused.
    """
    projects = list(roadmap.projects.values())
    total = len(projects)
    status_counts = Counter(str(p.sheet.get("status")) for p in projects)
    by_status = {s: status_counts.get(s, 0) for s in STATUSES}
    by_status.update({s: n for s, n in sorted(status_counts.items()) if s not in by_status})
    without_errors = sum(1 for p in projects if valid.get(p.id, False))

    declared: Counter[str] = Counter()
    complying: Counter[str] = Counter()
    for cell in cells:
        if cell.state != "missing":
            declared[cell.standard] += 1
            if cell.state == "complies":
                complying[cell.standard] += 1
    adoption: list[dict[str, Any]] = [{"standard": sid, "status": record["status"], "projects": declared[sid],
                 "complies": complying[sid]} for sid, record in catalogue.standards.items()]
    adoption.sort(key=lambda a: (-a["projects"], a["standard"]))

    reusers: dict[str, set[str]] = {cid: set() for cid in catalogue.components}
    for p in projects:
        for cid in p.listed("components", "reuses"):
            reusers.setdefault(cid, set()).add(p.id)
    reuses = sum(len(v) for v in reusers.values())
    reusing_projects = sum(1 for p in projects if p.listed("components", "reuses"))
    by_component: list[dict[str, Any]] = sorted(
        ({"component": cid, "projects": len(ps)} for cid, ps in reusers.items()),
        key=lambda c: (-c["projects"], c["component"]))

    opportunity_types = Counter(o.get("type") for o in opportunities)
    lapsing_rows = lapsing(roadmap.sheets(), as_of, LAPSING_DAYS)

    return {
        "as_of": as_of.isoformat(),
        "projects": {"total": total, "by_status": by_status,
                     "by_domain": _counts(d for p in projects for d in
                                          dict.fromkeys(p.listed("domains"))),
                     "by_owner": _counts(p.owner or "" for p in projects)},
        "validation": {"projects": total, "without_errors": without_errors,
                       "share": _share(without_errors, total)},
        "mandatory_compliance": mandatory_breakdown(cells),
        "lapsing": {"days": LAPSING_DAYS,
                    "count": sum(1 for r in lapsing_rows if not r["expired"]),
                    "expired": sum(1 for r in lapsing_rows if r["expired"])},
        "standards_adoption": adoption,
        "component_reuse": {
            "components": len(catalogue.components), "reuses": reuses,
            "per_component": round(reuses / len(catalogue.components), 4)
            if catalogue.components else None,
            "projects_reusing": reusing_projects,
            "projects_share": _share(reusing_projects, total),
            "by_component": by_component},
        "opportunities": {"total": sum(opportunity_types.values()),
                          "by_type": {t: opportunity_types.get(t, 0)
                                      for t in OPPORTUNITY_TYPES}},
        "kpis": project_kpis(roadmap, as_of, measured),
        "trend": {"method": TREND_METHOD,
                  "points": compliance_trend(history, catalogue, as_of)},
    }
