"""The Office's pages: the indicators dashboard, the roadmap timeline, the architecture map.

Thin: the numbers come from `registry.analysis.indicators`, the pictures from
`registry.analysis.charts` and `registry.analysis.architecture`; this module picks the
snapshots, translates the UI words the pictures draw (the core takes them as strings)
and memoises per stored version, as the other roadmap pages do.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from babel.numbers import format_percent
from flask import Blueprint, Response, request
from markupsafe import Markup

from registry.analysis import charts
from registry.analysis.architecture import architecture, architecture_svg
from registry.analysis.compliance import STATES
from registry.analysis.compliance import lapsing as lapsing_declarations
from registry.analysis.heatmap import STYLES
from registry.analysis.indicators import LAPSING_DAYS, Revision, indicators
from registry.analysis.reuse import OPPORTUNITY_TYPES
from registry.analysis.reuse import STATUSES as PROJECT_STATUSES
from registry.analysis.todo import needs_action
from registry.catalogue.query import LAYERS
from registry.catalogue.query import STATUSES as STANDARD_STATUSES
from registry.catalogue.snapshot import localized
from registry.projects import stored_findings
from registry.storage import measurements as stored_measurements
from registry.web.errors import ApiError
from registry.web.http import cached_json, dumps, parse_as_of
from registry.web.i18n import gettext
from registry.web.pages import _page, compliance_cells, current_lang, page_as_of, services
from registry.web.reuse import opportunities
from registry.web.roadmap_pages import _filter_error, _title
from registry.web.terms import term

bp = Blueprint("dashboard", __name__)
TOP_STANDARDS = 15  # the adoption chart shows the most declared; the table lists all


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Mark a message for extraction; it is translated where it is shown."""
    return text


LAYER_WORDS = {"legal": N_("Legal interoperability"),
               "organisational": N_("Organisational interoperability"),
               "semantic": N_("Semantic interoperability"),
               "technical": N_("Technical interoperability")}


def _words(mapping: Mapping[str, str]) -> dict[str, str]:
    """Return a mapping of keys to their translated UI word."""
    return {k: gettext(v) for k, v in mapping.items()}


@bp.app_context_processor
def _office_words() -> dict[str, Any]:
    """Give templates the translated names of the EIF layers."""
    return {"layer_word": lambda s: gettext(LAYER_WORDS[s]) if s in LAYER_WORDS else s}


def _terms(codes: Any) -> dict[str, str]:
    """Return the interface names of coded values (statuses, states, types)."""
    return {code: term(code) for code in codes}


def compute_indicators(as_of: datetime.date) -> dict[str, Any]:
    """Return the indicators of the stored roadmap, computed once per stored version."""
    svc = services()
    catalogue = svc.snapshots.get()

    def build() -> dict[str, Any]:
        roadmap = svc.roadmap.get()
        valid = {p.id: stored_findings(p.sheet, catalogue, as_of).valid
                 for p in roadmap.projects.values()}
        # One query per project: memoised with the roadmap version, so a roadmap of
        # 10,000 projects pays it once per change, not per page view.
        history = {pid: [Revision(r["created_at"], r["data"])
                         for r in svc.store.revisions("project", pid)]
                   for pid in roadmap.projects}
        measured: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for m in stored_measurements.of_projects(svc.store):
            measured.setdefault((m.project, m.kpi), []).append(
                {"date": m.day.isoformat(), "value": m.value, "note": m.note})
        return indicators(roadmap, catalogue, as_of, cells=compliance_cells(as_of)[0],
                          valid=valid, opportunities=opportunities(), history=history,
                          measured=measured)

    return svc.roadmap.memo(("indicators", svc.snapshots.version, as_of), build)


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


def _charts(data: dict[str, Any], lang: str) -> dict[str, Markup]:
    """Draw the dashboard's charts with translated words."""
    svc = services()
    catalogue = svc.snapshots.get()

    def concept(scheme: str, cid: str) -> str:
        found = catalogue.concept(scheme, cid)
        return localized(found.label, lang)[0] if found else cid or "\u2013"

    projects = gettext("Projects")
    out: dict[str, str] = {}
    out["status"] = charts.bar_chart(
        [(term(s), n) for s, n in data["projects"]["by_status"].items()],
        title=gettext("Projects by status"), legend=projects, id_prefix="chart-status",
        description=gettext("Number of projects in each status; the table below gives the "
                            "same numbers."))
    out["domain"] = charts.bar_chart(
        [(concept("domains", d), n) for d, n in data["projects"]["by_domain"].items()],
        title=gettext("Projects by domain"), legend=projects, id_prefix="chart-domain",
        colour=charts.PALETTE[2],
        description=gettext("Number of projects in each domain (a project may have "
                            "several); the table below gives the same numbers."))
    out["owner"] = charts.bar_chart(
        [(concept("organisations", o), n) for o, n in data["projects"]["by_owner"].items()],
        title=gettext("Projects by owner"), legend=projects, id_prefix="chart-owner",
        colour=charts.PALETTE[3],
        description=gettext("Number of projects each organisation owns; the table below "
                            "gives the same numbers."))
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
    out["trend"] = charts.line_chart(
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
        [(_acronym(catalogue, a["standard"]), a["projects"]) for a in adopted],
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
    return {k: Markup(v) for k, v in out.items()}


def _acronym(catalogue: Any, standard_id: str) -> str:
    record = catalogue.standards.get(standard_id) or {}
    acronym = record.get("acronym")
    return acronym if isinstance(acronym, str) and acronym else standard_id


@bp.get("/dashboard")
def page() -> Response:
    """Show the Office's dashboard: indicators as charts, each followed by its table."""
    svc = services()
    as_of = page_as_of()
    lang = current_lang()
    data = compute_indicators(as_of)
    svgs = svc.roadmap.memo(("dashboard-charts", svc.snapshots.version, as_of, lang),
                            lambda: _charts(data, lang))
    roadmap = svc.roadmap.get()
    titles = {pid: _title(p, lang) for pid, p in roadmap.projects.items()}
    catalogue = svc.snapshots.get()
    todo = svc.roadmap.memo(("needs-action", svc.snapshots.version, as_of), lambda: needs_action(
        roadmap, compliance_cells(as_of)[0],
        lapsing_declarations(roadmap.sheets(), as_of, LAPSING_DAYS), opportunities()))
    return _page("dashboard.html", d=data, svgs=svgs, as_of=as_of, titles=titles,
                 catalogue=catalogue, acronym=lambda sid: _acronym(catalogue, sid),
                 pct=_pct, as_of_arg=request.args.get("as_of"), todo=todo,
                 organisation=lambda oid: concept_label(catalogue, "organisations", oid,
                                                        lang))


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
    args = {k: v for k, v in request.args.to_dict().items() if v != ""}
    filters: dict[str, str] = {k: args[k] for k in ("domain", "owner", "status") if k in args}
    error = _filter_error(filters, catalogue)
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
        rows.append(charts.GanttRow(p.id, _title(p, lang), start, end, status,
                                    term(status), tuple(phases)))
    rows.sort(key=lambda r: (r.start, r.end, r.key))
    svg = charts.gantt_chart(
        rows, today=as_of, today_label=gettext("Today: %(date)s", date=as_of.isoformat()),
        legend=_terms(PROJECT_STATUSES), id_prefix="gantt",
        title=gettext("Roadmap timeline as of %(date)s", date=as_of.isoformat()),
        description=gettext("%(n)d projects, one row each, from start to end, with their "
                            "phases below the bar; a dashed line marks %(date)s. The table "
                            "below gives the same dates and links.", n=len(rows),
                            date=as_of.isoformat()))
    return _page("timeline.html", status=400 if error else 200, error=error, rows=rows,
                 svg=Markup(svg), args=args, statuses=PROJECT_STATUSES, as_of=as_of,
                 owners={p.id: p.owner for p in projects},
                 as_of_arg=request.args.get("as_of"))


@bp.get("/architecture")
def architecture_map() -> Response:
    """Show the reference architecture: capabilities by EIF layer, standards, components."""
    svc = services()
    catalogue = svc.snapshots.get()
    lang = current_lang()

    def build() -> tuple[Any, str]:
        groups = architecture(catalogue, svc.roadmap.get().sheets(), lang)
        domains = {c.id: localized(c.label, lang)[0]
                   for c in catalogue.concepts.get("domains", {}).values()}
        count = sum(len(b) for b in groups.values())
        svg = architecture_svg(
            groups, title=gettext("Reference architecture map"),
            description=gettext("%(n)d capabilities in four bands, one per EIF layer, each "
                                "with the standards that apply to it (letter and colour: "
                                "status) and the components that provide it. The list "
                                "below gives the same content.", n=count),
            layer_labels=_words(LAYER_WORDS), domain_labels=domains,
            status_labels=_terms(STANDARD_STATUSES),
            words={"component": gettext("component"), "domains": gettext("Domains"),
                   "none": gettext("No capability in this layer."),
                   "empty": gettext("No standard or component yet.")},
            link_suffix=f"?lang={lang}")
        return groups, svg

    groups, svg = svc.roadmap.memo(("architecture", svc.snapshots.version, lang), build)
    return _page("architecture.html", groups=groups, svg=Markup(svg), layers=LAYERS,
                 total=sum(len(b) for b in groups.values()),
                 opportunity_types=OPPORTUNITY_TYPES)


def concept_label(catalogue: Any, scheme: str, concept_id: Any, lang: str) -> str:
    """Return a concept's label in the page language, or its id."""
    concept = catalogue.concept(scheme, concept_id) if isinstance(concept_id, str) else None
    return localized(concept.label, lang)[0] if concept else str(concept_id or "")
