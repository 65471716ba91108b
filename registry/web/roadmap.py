"""The roadmap timeline: a Gantt chart of the projects and their phases, filterable.

Paged: TIMELINE_ROWS projects a page (by start, end and id), so the page stays readable
and cheap at 10,000 projects; the order comes from the read model
(`registry.readmodel.timeline`).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, request
from markupsafe import Markup

from registry.analysis.reuse import STATUSES as PROJECT_STATUSES
from registry.analysis.roadmap import Project
from registry.readmodel.derived import as_day
from registry.readmodel.timeline import TIMELINE_FILTERS, timeline_page
from registry.svg import charts
from registry.web.shared.context import services
from registry.web.shared.i18n import current_lang, gettext
from registry.web.shared.labels import project_title
from registry.web.shared.params import page_args, roadmap_filter_error
from registry.web.shared.render import (
    chart_page,
    chart_pages,
    page_as_of,
    render_page,
    snapshot_page,
)
from registry.web.shared.terms import term, terms

bp = Blueprint("roadmap", __name__)
TIMELINE_ROWS = 50  # projects a page: a Gantt chart of 50 rows still reads on a screen


@bp.get("/roadmap")
@snapshot_page
def timeline() -> Response:
    """Show the roadmap as a Gantt chart of the projects and their phases, a page at a time."""
    svc = services()
    snapshot = svc.readmodel.current()
    catalogue = snapshot.catalogue
    as_of = page_as_of()
    lang = current_lang()
    args = page_args()
    filters: dict[str, str] = {k: args[k] for k in TIMELINE_FILTERS if k in args}
    error = roadmap_filter_error(filters, catalogue)
    if error:
        filters = {}
    page_number = chart_page(args)
    found = timeline_page(snapshot, filters, page_number, TIMELINE_ROWS)
    pages = chart_pages(page_number, found.total, TIMELINE_ROWS)
    projects: list[Project] = found.items
    rows: list[charts.GanttRow] = []
    for p in projects:
        span = snapshot.derived[p.id].span
        assert span is not None  # timeline_page lists only projects with both dates
        timeline_ = p.sheet.get("timeline")
        phases = []
        for phase in timeline_.get("phases") or [] if isinstance(timeline_, Mapping) else []:
            if isinstance(phase, Mapping):
                p_start, p_end = as_day(phase.get("start")), as_day(phase.get("end"))
                if p_start and p_end:
                    phases.append((str(phase.get("name", "")), p_start, p_end))
        status = str(p.sheet.get("status", ""))
        rows.append(charts.GanttRow(p.id, project_title(p, lang), span[0], span[1], status,
                                    term(status), tuple(phases)))
    first = (page_number - 1) * TIMELINE_ROWS + 1
    title = gettext("Roadmap timeline as of %(date)s", date=as_of.isoformat())
    if pages > 1:
        title += " " + gettext("(projects %(first)d to %(last)d of %(total)d)", first=first,
                               last=first + len(rows) - 1, total=found.total)
    svg = charts.gantt_chart(
        rows, today=as_of, today_label=gettext("Today: %(date)s", date=as_of.isoformat()),
        legend=terms(PROJECT_STATUSES), id_prefix="gantt", title=title,
        description=gettext("%(n)d projects, one row each, from start to end, with their "
                            "phases below the bar; a dashed line marks %(date)s. The table "
                            "below gives the same dates and links.", n=len(rows),
                            date=as_of.isoformat()))
    return render_page("timeline.html", status=400 if error else 200, error=error, rows=rows,
                svg=Markup(svg), args=args, statuses=PROJECT_STATUSES, as_of=as_of,
                owners={p.id: p.owner for p in projects}, total=found.total,
                page=page_number, pages=pages, per_page=TIMELINE_ROWS,
                as_of_arg=request.args.get("as_of"))
