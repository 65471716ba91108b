"""The roadmap's HTML pages: projects, their compliance heatmap and lapsing explanations.

Every page reads the roadmap and catalogue snapshots and derives what it shows through
the core (`registry.projects`, `registry.analysis`), memoised per stored version, so a
page of a 10,000-project roadmap costs a lookup once the first request built the index.

Large roadmaps: the heatmap and its table show HEATMAP_ROWS projects per page (paged
with ?page=), because a 10,000-row picture would be megabytes that nobody can read; the
summary always counts every project, and the CSV and JSON links give the whole matrix.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, request
from markupsafe import Markup

from registry.analysis.compliance import STATES, Cell
from registry.analysis.compliance import lapsing as lapsing_declarations
from registry.analysis.heatmap import STYLES, columns_of, heatmap_svg
from registry.analysis.reuse import STATUSES as PROJECT_STATUSES
from registry.analysis.roadmap import Project, Roadmap
from registry.catalogue.query import QueryError, paginate, parse_paging
from registry.catalogue.snapshot import Catalogue, localized
from registry.documents.findings import FileReport
from registry.projects import project_view, select_projects
from registry.storage import measurements as stored_measurements
from registry.web.i18n import gettext as _
from registry.web.pages import (
    _page,
    compliance_cells,
    current_lang,
    error_page,
    page_as_of,
    services,
)
from registry.web.reuse import of_project
from registry.web.terms import meaning, term

bp = Blueprint("roadmap", __name__)
PER_PAGE = 25
HEATMAP_ROWS = 50  # projects per heatmap page: 50 x 30 cells stay readable on a screen
MAX_DAYS = 3650
DEFAULT_DAYS = 90
# Standards are columns in this order: the ones that oblige first.
STATUS_ORDER = {"mandatory": 0, "recommended": 1, "candidate": 2, "deprecated": 3}


@bp.app_context_processor
def _state_helpers() -> dict[str, Any]:
    """Give every template the compliance states and how they are drawn."""
    return {"state_styles": STYLES, "compliance_states": STATES}


def _args() -> dict[str, str]:
    """Return the query parameters that have a value."""
    return {k: v for k, v in request.args.to_dict().items() if v != ""}


def _titles(roadmap: Roadmap, ids: Iterable[str]) -> dict[str, Mapping[str, str]]:
    """Return the multilingual titles of projects (for t(), which marks a fallback)."""
    out = {}
    for pid in ids:
        project = roadmap.projects.get(pid)
        title = project.sheet.get("title") if project else None
        if isinstance(title, Mapping) and title:
            out[pid] = title
    return out


def _title(project: Project | None, lang: str) -> str:
    """Return a project's title in the page language (falling back), or its id."""
    if project is None:
        return ""
    title = project.sheet.get("title")
    text = localized(title, lang)[0] if isinstance(title, Mapping) else ""
    return text or project.id


@bp.get("/projects")
def projects() -> Response:
    """Show the roadmap's projects with filters, validity and finding counts."""
    svc = services()
    catalogue = svc.snapshots.get()
    args = _args()
    as_of = page_as_of()
    filters: dict[str, str] = {k: args[k] for k in ("owner", "status", "domain") if k in args}
    error = _filter_error(filters, catalogue)
    try:
        page, per_page = parse_paging(args, 500, default=PER_PAGE)
    except QueryError as exc:
        error, page, per_page = exc.message, 1, PER_PAGE
    if error:
        filters = {}
    key = ("page-projects", catalogue.version, as_of, tuple(sorted(filters.items())))
    items: list[tuple[Project, FileReport]] = svc.roadmap.memo(key, lambda: list(
        select_projects(svc.roadmap.get(), catalogue, as_of, filters)))
    valid = sum(1 for _, report in items if report.valid)
    pages = max(1, -(-len(items) // per_page))
    return _page("projects.html", status=400 if error else 200, error=error,
                 items=paginate(items, page, per_page), total=len(items), valid=valid,
                 page=page, pages=pages, args=args, statuses=PROJECT_STATUSES,
                 as_of=as_of)


def _filter_error(filters: Mapping[str, str], catalogue: Catalogue) -> str | None:
    """Return why a filter value is unknown, or None."""
    if "status" in filters and filters["status"] not in PROJECT_STATUSES:
        return _("status takes one of %(values)s", values=", ".join(PROJECT_STATUSES))
    for name, scheme in (("owner", "organisations"), ("domain", "domains")):
        if name in filters and catalogue.concept(scheme, filters[name]) is None:
            return _("%(name)s=%(value)s is not a concept of the %(scheme)s vocabulary",
                     name=name, value=repr(filters[name]), scheme=scheme)
    return None


@bp.get("/projects/<project_id>")
def project(project_id: str) -> Response:
    """Show one project: its sheet, findings, compliance and revisions."""
    svc = services()
    as_of = page_as_of()
    roadmap = svc.roadmap.get()
    if project_id not in roadmap.projects:
        abort(404)
    catalogue = svc.snapshots.get()
    measured = [{"kpi": m.kpi, **m.to_dict()}
                for m in stored_measurements.of_projects(svc.store, [project_id])
                if m.day <= as_of]
    view = project_view(roadmap.projects[project_id], catalogue, as_of, measured)
    own = of_project(project_id)
    kpis = [{**k, "latest": (view["measurements"].get(k.get("id")) or [None])[-1]}
            for k in view["project"].get("kpis") or [] if isinstance(k, Mapping)]
    return _page("project.html", v=view, p=view["project"], catalogue=catalogue,
                 revisions=svc.store.revisions("project", project_id), as_of=as_of,
                 opportunities=own, kpis=kpis)


@dataclass(frozen=True)
class MatrixIndex:
    """The compliance matrix of one roadmap and catalogue version, ready for pages."""

    projects: list[str]
    by_project: dict[str, list[Cell]]
    summary: dict[str, Any]


def _matrix_index(as_of: datetime.date) -> MatrixIndex:
    """Return the matrix grouped by project, built once per stored version and date."""
    svc = services()
    catalogue = svc.snapshots.get()

    def build() -> MatrixIndex:
        cells, totals = compliance_cells(as_of)
        by_project: dict[str, list[Cell]] = {}
        for cell in cells:
            by_project.setdefault(cell.project, []).append(cell)
        return MatrixIndex(list(svc.roadmap.get().projects), by_project, totals)

    return svc.roadmap.memo(("page-compliance-index", catalogue.version, as_of), build)


def _standard_order(catalogue: Catalogue) -> Callable[[str], tuple[int, str]]:
    """Return a sort key putting the standards that oblige first."""
    def key(standard_id: str) -> tuple[int, str]:
        record = catalogue.standards.get(standard_id)
        return STATUS_ORDER.get(record["status"] if record else "", 9), standard_id
    return key


def _standard_labels(catalogue: Catalogue, standard_ids: Sequence[str]) -> dict[str, str]:
    """Return the short label of each standard: its acronym, else its id."""
    labels = {}
    for sid in standard_ids:
        record = catalogue.standards.get(sid) or {}
        acronym = record.get("acronym")
        labels[sid] = acronym if isinstance(acronym, str) and acronym else sid
    return labels


@bp.get("/compliance")
def compliance() -> Response:
    """Show the compliance heatmap, the same data as a table, and the summary."""
    svc = services()
    catalogue = svc.snapshots.get()
    lang = current_lang()
    args = _args()
    as_of = page_as_of()
    try:
        page, _unused = parse_paging({"page": args.get("page", "")}, 1, default=1)
    except QueryError as exc:
        abort(error_page(400, exc.message))
    index = _matrix_index(as_of)
    pages = max(1, -(-len(index.projects) // HEATMAP_ROWS))
    if page > pages:
        abort(error_page(400, _("page must be from 1 to %(pages)d", pages=pages)))
    rows = paginate(index.projects, page, HEATMAP_ROWS)
    cells = [c for p in rows for c in index.by_project.get(p, [])]
    columns = sorted(columns_of(cells, rows), key=_standard_order(catalogue))
    roadmap: Roadmap = svc.roadmap.get()
    project_labels = {p: _title(roadmap.projects.get(p), lang) or p for p in rows}
    standard_labels = _standard_labels(catalogue, columns)
    title = _("Compliance of the roadmap's projects with the standards, as of %(date)s",
              date=as_of.isoformat())
    if pages > 1:
        title += " " + _("(projects %(first)d to %(last)d of %(total)d)",
                         first=(page - 1) * HEATMAP_ROWS + 1,
                         last=(page - 1) * HEATMAP_ROWS + len(rows), total=len(index.projects))
    svg = heatmap_svg(cells, rows, columns, project_labels=project_labels,
                      standard_labels=standard_labels, title=title,
                      state_labels={s: term(s) for s in STATES},
                      meanings={s: meaning(s) for s in STATES},
                      empty_text=_("No project has a state for any standard."))
    grid = {(c.project, c.standard): c for c in cells}
    # heatmap_svg escapes every text it draws, so its output is safe to inline.
    return _page("compliance.html", svg=Markup(svg), rows=rows, columns=columns,
                 grid=grid, project_labels=project_labels, standard_labels=standard_labels,
                 project_titles=_titles(roadmap, rows),
                 summary=index.summary, total=len(index.projects), page=page, pages=pages,
                 args=args, as_of=as_of, catalogue=catalogue, per_page=HEATMAP_ROWS)


@bp.get("/compliance/lapsing")
def lapsing() -> Response:
    """Show the explanations and plans that lapse within ?days= (and the expired ones)."""
    svc = services()
    args = _args()
    as_of = page_as_of()
    raw = args.get("days", str(DEFAULT_DAYS))
    try:
        days = int(raw)
    except ValueError:
        days = -1
    error = None
    if not 0 <= days <= MAX_DAYS:
        error = _("days must be a whole number from 0 to %(max)d (you gave %(value)s)",
                  max=MAX_DAYS, value=repr(raw))
    roadmap = svc.roadmap.get()
    rows = [] if error else lapsing_declarations(roadmap.sheets(), as_of, days)
    lang = current_lang()
    titles = {p: _title(roadmap.projects.get(p), lang) for p in {r["project"] for r in rows}}
    catalogue = svc.snapshots.get()
    return _page("lapsing.html", status=400 if error else 200, error=error, rows=rows,
                 days=raw if error else days, titles=titles, as_of=as_of, args=args,
                 project_titles=_titles(roadmap, titles),
                 expired=sum(1 for r in rows if r["expired"]),
                 labels=_standard_labels(catalogue, [r["standard"] for r in rows
                                                     if r["standard"] in catalogue.standards]))
