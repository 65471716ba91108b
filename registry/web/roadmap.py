"""The roadmap timeline: a Gantt chart of the projects and their phases, filterable."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, request
from markupsafe import Markup

from registry.analysis.reuse import STATUSES as PROJECT_STATUSES
from registry.svg import charts
from registry.web.shared.context import services
from registry.web.shared.i18n import current_lang, gettext
from registry.web.shared.labels import project_title
from registry.web.shared.params import page_args, roadmap_filter_error
from registry.web.shared.render import page_as_of, render_page
from registry.web.shared.terms import term, terms

bp = Blueprint("roadmap", __name__)


def _day(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


@bp.get("/roadmap")
def timeline() -> Response:
    """Show the roadmap as a Gantt chart of the projects and their phases, filterable."""
    svc = services()
    catalogue = svc.snapshots.get()
    as_of = page_as_of()
    lang = current_lang()
    args = page_args()
    filters: dict[str, str] = {k: args[k] for k in ("domain", "owner", "status") if k in args}
    error = roadmap_filter_error(filters, catalogue)
    if error:
        filters = {}
    roadmap = svc.roadmap.get()
    projects = [p for p in roadmap.projects.values()
                if ("owner" not in filters or p.owner == filters["owner"])
                and ("status" not in filters or p.sheet.get("status") == filters["status"])
                and ("domain" not in filters or filters["domain"] in p.listed("domains"))]
    rows: list[charts.GanttRow] = []
    for p in projects:
        timeline_ = p.sheet.get("timeline")
        timeline_ = timeline_ if isinstance(timeline_, Mapping) else {}
        start, end = _day(timeline_.get("start")), _day(timeline_.get("end"))
        if start is None or end is None:
            continue  # stored sheets have both; a malformed one is left out, not guessed
        phases = []
        for phase in timeline_.get("phases") or []:
            if isinstance(phase, Mapping):
                p_start, p_end = _day(phase.get("start")), _day(phase.get("end"))
                if p_start and p_end:
                    phases.append((str(phase.get("name", "")), p_start, p_end))
        status = str(p.sheet.get("status", ""))
        rows.append(charts.GanttRow(p.id, project_title(p, lang), start, end, status,
                                    term(status), tuple(phases)))
    rows.sort(key=lambda r: (r.start, r.end, r.key))
    svg = charts.gantt_chart(
        rows, today=as_of, today_label=gettext("Today: %(date)s", date=as_of.isoformat()),
        legend=terms(PROJECT_STATUSES), id_prefix="gantt",
        title=gettext("Roadmap timeline as of %(date)s", date=as_of.isoformat()),
        description=gettext("%(n)d projects, one row each, from start to end, with their "
                            "phases below the bar; a dashed line marks %(date)s. The table "
                            "below gives the same dates and links.", n=len(rows),
                            date=as_of.isoformat()))
    return render_page("timeline.html", status=400 if error else 200, error=error, rows=rows,
                svg=Markup(svg), args=args, statuses=PROJECT_STATUSES, as_of=as_of,
                owners={p.id: p.owner for p in projects},
                as_of_arg=request.args.get("as_of"))
