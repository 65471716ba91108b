"""Compliance of the roadmap's projects with the standards: the heatmap, lapsing
explanations, and the same data as JSON and CSV.

Every page reads the roadmap and catalogue snapshots and derives what it shows through
the core (`registry.analysis`), memoised per stored version, so a page of a
10,000-project roadmap costs a lookup once the first request built the index.

Large roadmaps: the heatmap and its table show HEATMAP_ROWS projects per page (paged
with ?page=), because a 10,000-row picture would be megabytes that nobody can read; the
summary always counts every project, and the CSV and JSON links give the whole matrix.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request
from markupsafe import Markup

from registry.analysis.compliance import STATES, Cell, columns_of
from registry.analysis.compliance import lapsing as lapsing_declarations
from registry.analysis.roadmap import Roadmap
from registry.catalogue.query import QueryError, paginate, parse_paging
from registry.catalogue.snapshot import Catalogue
from registry.csv_cells import safe_row
from registry.readmodel import queries
from registry.readmodel.reads import Reads, projects_read
from registry.readmodel.snapshot import Snapshot
from registry.svg.heatmap import heatmap_svg
from registry.web.shared.consistency import answered_with
from registry.web.shared.context import services
from registry.web.shared.errors import ApiError
from registry.web.shared.http import cached_json, dumps, etag_matches, json_response
from registry.web.shared.i18n import current_lang
from registry.web.shared.i18n import gettext as _
from registry.web.shared.labels import project_title, project_titles, standard_labels
from registry.web.shared.params import as_of, check_params, page_args
from registry.web.shared.render import (
    chart_page,
    chart_pages,
    page_as_of,
    render_page,
    snapshot_page,
)
from registry.web.shared.terms import meaning, term

bp = Blueprint("compliance", __name__)
HEATMAP_ROWS = 50  # projects per heatmap page: 50 x 30 cells stay readable on a screen
MAX_DAYS = 3650
DEFAULT_DAYS = 90
# Standards are columns in this order: the ones that oblige first.
STATUS_ORDER = {"mandatory": 0, "recommended": 1, "candidate": 2, "deprecated": 3}


# --- HTML pages -------------------------------------------------------------------------

@dataclass(frozen=True)
class MatrixIndex:
    """The compliance matrix of one snapshot and date, ready for pages."""

    projects: list[str]
    by_project: Mapping[str, Sequence[Cell]]
    summary: dict[str, Any]


def _matrix_index(date: datetime.date) -> MatrixIndex:
    """Return the matrix by project: the read model's kept cells, read where they are."""
    snapshot = services().readmodel.current()
    return snapshot.memo(("page-compliance-index", date), lambda: MatrixIndex(  # type: ignore[no-any-return]
        list(snapshot.roadmap.projects), queries.cells_by_project(snapshot, date),
        queries.summary(snapshot, date)))


def _standard_order(catalogue: Catalogue) -> Callable[[str], tuple[int, str]]:
    """Return a sort key putting the standards that oblige first."""
    def key(standard_id: str) -> tuple[int, str]:
        record = catalogue.standards.get(standard_id)
        return STATUS_ORDER.get(record["status"] if record else "", 9), standard_id
    return key


@bp.get("/compliance")
@snapshot_page
def compliance() -> Response:
    """Show the compliance heatmap, the same data as a table, and the summary."""
    svc = services()
    catalogue = svc.snapshots.get()
    lang = current_lang()
    args = page_args()
    date = page_as_of()
    page_number = chart_page(args)
    index = _matrix_index(date)
    pages = chart_pages(page_number, len(index.projects), HEATMAP_ROWS)
    rows = paginate(index.projects, page_number, HEATMAP_ROWS)
    cells = [c for p in rows for c in index.by_project.get(p, [])]
    columns = sorted(columns_of(cells, rows), key=_standard_order(catalogue))
    roadmap: Roadmap = svc.roadmap.get()
    project_labels = {p: project_title(roadmap.projects.get(p), lang) or p for p in rows}
    labels = standard_labels(catalogue, columns)
    title = _("Compliance of the roadmap's projects with the standards, as of %(date)s",
              date=date.isoformat())
    if pages > 1:
        title += " " + _("(projects %(first)d to %(last)d of %(total)d)",
                         first=(page_number - 1) * HEATMAP_ROWS + 1,
                         last=(page_number - 1) * HEATMAP_ROWS + len(rows),
                         total=len(index.projects))
    svg = heatmap_svg(cells, rows, columns, project_labels=project_labels,
                      standard_labels=labels, title=title,
                      state_labels={s: term(s) for s in STATES},
                      meanings={s: meaning(s) for s in STATES},
                      empty_text=_("No project has a state for any standard."),
                      description=_("%(rows)d projects (rows) by %(columns)d standards "
                                    "(columns); each cell shows the state of the pair by "
                                    "its colour and its symbol, the table below gives the "
                                    "same data.", rows=len(rows), columns=len(columns)))
    grid = {(c.project, c.standard): c for c in cells}
    # heatmap_svg escapes every text it draws, so its output is safe to inline.
    return render_page("compliance.html", svg=Markup(svg), rows=rows, columns=columns,
                grid=grid, project_labels=project_labels, standard_labels=labels,
                project_titles=project_titles(roadmap, rows),
                summary=index.summary, total=len(index.projects), page=page_number,
                pages=pages, args=args, as_of=date, catalogue=catalogue,
                per_page=HEATMAP_ROWS)


@bp.get("/compliance/lapsing")
def lapsing() -> Response:
    """Show the explanations and plans that lapse within ?days= (and the expired ones)."""
    svc = services()
    args = page_args()
    date = page_as_of()
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
    rows = [] if error else lapsing_declarations(roadmap.sheets(), date, days)
    lang = current_lang()
    titles = {p: project_title(roadmap.projects.get(p), lang)
              for p in {r["project"] for r in rows}}
    catalogue = svc.snapshots.get()
    return render_page("lapsing.html", status=400 if error else 200, error=error, rows=rows,
                days=raw if error else days, titles=titles, as_of=date, args=args,
                project_titles=project_titles(roadmap, titles),
                expired=sum(1 for r in rows if r["expired"]),
                labels=standard_labels(catalogue, [r["standard"] for r in rows
                                                   if r["standard"] in catalogue.standards]))


# --- the API ----------------------------------------------------------------------------

COMPLIANCE_FILTERS = ("project", "standard", "state")
CSV_COLUMNS = ["project", "standard", "status", "state", "applies", "capability", "until",
               "note"]


def _compliance_filters(args: dict[str, str]) -> dict[str, str]:
    if args.get("state") and args["state"] not in STATES:
        raise ApiError(400, f"state takes one of {', '.join(STATES)}",
                       detail={"parameter": "state", "allowed": list(STATES)})
    return {k: args[k] for k in COMPLIANCE_FILTERS if args.get(k)}


@bp.get("/api/compliance")
def api_compliance() -> Response:
    """Answer a page of the projects' states for the standards that apply or are declared."""
    svc = services()
    args = check_params(("as_of", *COMPLIANCE_FILTERS, "page", "per_page"))
    filters = _compliance_filters(args)
    try:
        page, per_page = parse_paging(args, svc.settings["MAX_PER_PAGE"])
    except QueryError as exc:
        raise ApiError(400, exc.message, detail={"parameter": exc.param}) from None
    date = as_of()
    snapshot = svc.readmodel.current()

    def compute() -> tuple[bytes, Reads]:
        # The read model keeps every project's cells: a page visits its own cells (and,
        # with a project or standard filter, the kept cells), never computes the matrix.
        found = queries.compliance_page(snapshot, date, filters, page, per_page)
        body = dumps({"as_of": date.isoformat(), "summary": queries.summary(snapshot, date),
                      "total": found.total, "page": page, "per_page": per_page,
                      "cells": [c.to_dict() for c in found.items]})
        # What the answer read: the summary's totals and the projects up to the page's
        # end (the response cache keeps it across writes that leave those unchanged).
        return body, projects_read(snapshot, found.read, queries.SUMMARY_TOTALS)

    body, reads = snapshot.memo(("api-compliance", date, tuple(sorted(args.items()))),
                                compute)
    answered_with(reads)
    return cached_json(body)


@bp.get("/api/compliance.csv")
def api_compliance_csv() -> Response:
    """Stream every cell of the matrix as CSV (one row per project and standard)."""
    filters, date, snapshot = _export_request()

    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for index, c in enumerate(queries.iter_cells(snapshot, date, filters)):
            # Every cell, not only the note: ids and capabilities come from sheets too.
            writer.writerow(safe_row([c.project, c.standard, c.status, c.state, c.applies,
                                      c.capability or "", c.until or "", c.note or ""]))
            if index % 1000 == 999:  # chunks of a thousand rows, not one answer in memory
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return _stream(rows(), "text/csv; charset=utf-8", snapshot.version, date)


@bp.get("/api/compliance.jsonl")
def api_compliance_jsonl() -> Response:
    """Stream every cell of the matrix as JSON lines (one object a line)."""
    filters, date, snapshot = _export_request()

    def lines() -> Iterator[bytes]:
        chunk: list[bytes] = []
        for cell in queries.iter_cells(snapshot, date, filters):
            chunk.append(dumps(cell.to_dict()) + b"\n")
            if len(chunk) == 1000:
                yield b"".join(chunk)
                chunk = []
        yield b"".join(chunk)

    return _stream(lines(), "application/jsonl", snapshot.version, date)


def _export_request() -> tuple[dict[str, str], datetime.date, Snapshot]:
    """Return what an export of the matrix reads: its filters, date and read-model snapshot."""
    filters = _compliance_filters(check_params(("as_of", *COMPLIANCE_FILTERS)))
    return filters, as_of(), services().readmodel.current()


def _stream(body: Iterator[Any], mimetype: str, version: int, date: datetime.date
            ) -> Response:
    # The snapshot is captured above: the stream reads one version even after the
    # request context is gone. Its tag names that version, so a revalidation is cheap.
    etag = f'"v{version}.{date.isoformat()}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype=mimetype, headers=headers)


@bp.get("/api/compliance/lapsing")
def api_lapsing() -> Response:
    """Answer the explanations and plans that lapse within ?days= (default 90)."""
    args = check_params(("as_of", "days"))
    try:
        days = int(args.get("days", "90"))
    except ValueError:
        days = -1
    if not 0 <= days <= 3650:
        raise ApiError(400, "days must be a whole number from 0 to 3650",
                       detail={"parameter": "days"})
    sheets = services().roadmap.get().sheets()
    return json_response({"as_of": as_of().isoformat(), "days": days,
                          "declarations": lapsing_declarations(sheets, as_of(), days)})
