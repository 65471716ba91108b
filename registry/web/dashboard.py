"""The Office's dashboard: the indicators as charts, each followed by its table, and as JSON.

Thin: the numbers come from `registry.analysis.indicators`, the pictures from
`registry.svg.charts`; this module picks the snapshots, translates the UI words
the pictures draw (the core takes them as strings) and memoises per stored version, as
the other roadmap pages do.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from babel.numbers import format_percent
from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from registry.analysis.compliance import STATES
from registry.analysis.compliance import lapsing as lapsing_declarations
from registry.analysis.indicators import LAPSING_DAYS, Revision, indicators
from registry.analysis.roadmap import Roadmap
from registry.analysis.todo import needs_action
from registry.catalogue.query import QueryError, parse_paging
from registry.catalogue.snapshot import localized
from registry.readmodel import queries
from registry.readmodel.indicators import indicators_today, needs_action_today
from registry.storage import measurements as stored_measurements
from registry.svg import charts
from registry.svg.style import STYLES
from registry.web.shared.context import services
from registry.web.shared.derived import compliance_cells, opportunities
from registry.web.shared.errors import ApiError
from registry.web.shared.http import cached_json, dumps
from registry.web.shared.i18n import current_lang, gettext
from registry.web.shared.labels import acronym, project_title
from registry.web.shared.params import parse_as_of
from registry.web.shared.render import page_as_of, page_error, render_page, snapshot_page
from registry.web.shared.terms import term

bp = Blueprint("dashboard", __name__)
TOP_STANDARDS = 15  # the adoption chart shows the most declared; the table lists all
CHARTED = ("projects", "mandatory_compliance", "trend", "standards_adoption",
           "component_reuse", "opportunities")  # the parts of the indicators `_charts` draws
KPI_ROWS = 50  # the KPI table a page at a time (?kpi_page=): a roadmap may have thousands


def compute_indicators(as_of: datetime.date) -> dict[str, Any]:
    """Return the indicators of the stored roadmap, computed once per snapshot."""
    svc = services()
    snapshot = svc.readmodel.current()

    def measurements() -> dict[tuple[str, str], list[dict[str, Any]]]:
        measured: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for m in stored_measurements.of_projects(svc.store):
            measured.setdefault((m.project, m.kpi), []).append(
                {"date": m.day.isoformat(), "value": m.value, "note": m.note})
        return measured

    def build() -> dict[str, Any]:
        if as_of == snapshot.day:
            # Today every count is kept by the read model: no pass over the roadmap.
            return indicators_today(snapshot, opportunities(), measurements())
        roadmap, catalogue = snapshot.roadmap, snapshot.catalogue
        valid = {p.id: queries.report(snapshot, p, as_of).valid
                 for p in roadmap.projects.values()}
        # Another day replays every project's revisions, read in one query (never one
        # a project).
        history: dict[str, list[Revision]] = {}
        for change in svc.store.history("project"):
            history.setdefault(change.record_id, []).append(
                Revision(change.created_at, change.data))
        return indicators(roadmap, catalogue, as_of, cells=compliance_cells(as_of)[0],
                          valid=valid, opportunities=opportunities(), history=history,
                          measured=measurements())

    return snapshot.memo(("indicators", as_of), build)  # type: ignore[no-any-return]


@bp.get("/api/indicators")
def api_indicators() -> Response:
    """Answer the dashboard's indicators as JSON."""
    for name in request.args:
        if name != "as_of":
            raise ApiError(400, f"unknown query parameter {name!r}; this resource accepts "
                           "as_of", detail={"parameter": name, "allowed": ["as_of"]})
    return cached_json(dumps(compute_indicators(parse_as_of(request.args.get("as_of")))))


def _pct(value: float | None) -> str:
    # Babel writes a share the page language's way: "70%" in English, "70 %" in French.
    return "\u2013" if value is None else format_percent(value, locale=current_lang())


def _charts(data: dict[str, Any], lang: str) -> dict[str, Markup | None]:
    """Draw the dashboard's charts with translated words."""
    svc = services()
    catalogue = svc.snapshots.get()

    def concept(scheme: str, cid: str) -> str:
        found = catalogue.concept(scheme, cid)
        return localized(found.label, lang)[0] if found else cid or "\u2013"

    projects = gettext("Projects")
    out: dict[str, str | None] = {}
    by = data["projects"]
    for key, items, title, colour, description in (
            ("status", [(term(s), n) for s, n in by["by_status"].items()],
             gettext("Projects by status"), charts.PALETTE[0],
             gettext("Number of projects in each status; the table below gives the same "
                     "numbers.")),
            ("domain", [(concept("domains", d), n) for d, n in by["by_domain"].items()],
             gettext("Projects by domain"), charts.PALETTE[2],
             gettext("Number of projects in each domain (a project may have several); the "
                     "table below gives the same numbers.")),
            ("owner", [(concept("organisations", o), n) for o, n in by["by_owner"].items()],
             gettext("Projects by owner"), charts.PALETTE[3],
             gettext("Number of projects each organisation owns; the table below gives "
                     "the same numbers."))):
        out[key] = charts.bar_chart(items, title=title, legend=projects,
                                    id_prefix=f"chart-{key}", colour=colour,
                                    description=description)
    m = data["mandatory_compliance"]
    out["compliance"] = charts.stacked_bar(
        [charts.Segment(s, term(s), m["by_state"][s], STYLES[s].fill,
                        STYLES[s].glyph, STYLES[s].ink) for s in STATES],
        title=gettext("Applicable mandatory standards by state"), id_prefix="chart-compliance",
        description=gettext("%(n)d pairs of a project and an applicable mandatory standard: "
                            "%(c)s complied with, %(e)s explained, %(x)s expired, %(m)s "
                            "missing.", n=m["applicable"], c=_pct(m["shares"]["complies"]),
                            e=_pct(m["shares"]["explained"]), x=_pct(m["shares"]["expired"]),
                            m=_pct(m["shares"]["missing"])))
    points = data["trend"]["points"]
    # A trend needs two months: one point is said in words by the page, not drawn.
    out["trend"] = None if len(points) < 2 else charts.line_chart(
        [p["month"] for p in points],
        [(gettext("Complied with"), [p["complies_share"] for p in points]),
         (gettext("Complied with or explained"), [p["addressed_share"] for p in points])],
        title=gettext("Compliance with the mandatory standards by month"),
        id_prefix="chart-trend",
        description=gettext("Share of the applicable mandatory standards complied with, and "
                            "complied with or explained, at each month end; the table below "
                            "gives the same numbers."))
    adopted = [a for a in data["standards_adoption"] if a["projects"]][:TOP_STANDARDS]
    out["adoption"] = charts.bar_chart(
        [(acronym(catalogue, a["standard"]), a["projects"]) for a in adopted],
        title=gettext("Standards adoption: the %(n)d most declared", n=len(adopted)),
        legend=gettext("Projects declaring the standard"), id_prefix="chart-adoption",
        description=gettext("Number of projects that declare each standard; the table below "
                            "lists every standard."))
    reused = [c for c in data["component_reuse"]["by_component"] if c["projects"]]
    out["reuse"] = charts.bar_chart(
        [(localized(catalogue.components[c["component"]]["name"], lang)[0]
          if c["component"] in catalogue.components else c["component"], c["projects"])
         for c in reused],
        title=gettext("Components reused by projects"), colour=charts.PALETTE[4],
        legend=gettext("Projects reusing the component"), id_prefix="chart-reuse",
        description=gettext("Number of projects that reuse each component; components no "
                            "project reuses are listed in the table below."))
    out["opportunities"] = charts.bar_chart(
        [(term(t), n) for t, n in data["opportunities"]["by_type"].items()],
        title=gettext("Open opportunities by type"), colour=charts.PALETTE[1],
        legend=gettext("Opportunities"), id_prefix="chart-opportunities",
        description=gettext("Number of reuse and pooling opportunities of each type; the "
                            "table below gives the same numbers."))
    # Every chart function escapes the text it draws, so the SVG is safe to inline.
    return {k: Markup(v) if v is not None else None for k, v in out.items()}


@bp.get("/dashboard")
@snapshot_page
def page() -> Response:
    """Show the Office's dashboard: indicators as charts, each followed by its table."""
    svc = services()
    as_of = page_as_of()
    lang = current_lang()
    data = compute_indicators(as_of)
    snapshot = svc.readmodel.current()
    # The charts read these numbers, the catalogue's labels and the language: a write
    # that moves none of them (a title, a summary) draws nothing again.
    read = hashlib.blake2b(dumps([data[k] for k in CHARTED]), digest_size=16).digest()
    svgs = svc.readmodel.carried.get(
        ("dashboard-charts", read, snapshot.catalogue.version, lang),
        lambda: _charts(data, lang))
    roadmap = snapshot.roadmap
    titles = _Titles(roadmap, lang)  # only the projects the page names are looked up
    catalogue = svc.snapshots.get()
    if as_of == snapshot.day:
        todo = snapshot.memo(("needs-action", as_of), lambda: needs_action_today(
            snapshot, opportunities()))
    else:
        todo = snapshot.memo(("needs-action", as_of), lambda: needs_action(
            roadmap, compliance_cells(as_of)[0],
            lapsing_declarations(roadmap.sheets(), as_of, LAPSING_DAYS), opportunities()))
    try:
        kpi_page, _unused = parse_paging({"page": request.args.get("kpi_page", "")}, 1,
                                         default=1)
    except QueryError as exc:
        raise ApiError(400, exc.message.replace("page", "kpi_page")) from None
    kpi_pages = max(1, -(-len(data["kpis"]) // KPI_ROWS))
    if kpi_page > kpi_pages:
        raise page_error(400, gettext("kpi_page must be from 1 to %(pages)d", pages=kpi_pages))
    kpis = data["kpis"][(kpi_page - 1) * KPI_ROWS:kpi_page * KPI_ROWS]
    as_of_arg = request.args.get("as_of")

    def figures() -> Markup:
        # The figures' tables read what the charts read, and the date argument of their
        # links: hundreds of rows (an organisation each) made once, not after each write.
        return svc.readmodel.carried.get(  # type: ignore[no-any-return]
            ("dashboard-figures", read, snapshot.catalogue.version, lang, as_of_arg),
            lambda: Markup(render_template(
                "_dashboard_figures.html", d=data, svgs=svgs, pct=_pct, catalogue=catalogue,
                acronym=lambda sid: acronym(catalogue, sid), as_of_arg=as_of_arg)))

    return render_page("dashboard.html", d=data, svgs=svgs, as_of=as_of, titles=titles,
                       figures=figures,
                       kpis=kpis, kpi_page=kpi_page, kpi_pages=kpi_pages, kpi_rows=KPI_ROWS,
                       any_measured=any(k["current"] is not None for k in data["kpis"]),
                       kpi_args={k: v for k, v in request.args.items() if v},
                       catalogue=catalogue, acronym=lambda sid: acronym(catalogue, sid),
                       pct=_pct, as_of_arg=request.args.get("as_of"), todo=todo,
                       organisation=lambda oid: concept_label(catalogue, "organisations",
                                                              oid, lang))


class _Titles:
    """Project titles in the page language, looked up when the page names a project."""

    def __init__(self, roadmap: Roadmap, lang: str) -> None:
        self.roadmap = roadmap
        self.lang = lang

    def get(self, pid: str, default: str) -> str:
        project = self.roadmap.projects.get(pid)
        return project_title(project, self.lang) if project else default


def concept_label(catalogue: Any, scheme: str, concept_id: Any, lang: str) -> str:
    """Return a concept's label in the page language, or its id."""
    concept = catalogue.concept(scheme, concept_id) if isinstance(concept_id, str) else None
    return localized(concept.label, lang)[0] if concept else str(concept_id or "")
