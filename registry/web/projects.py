"""The roadmap's API: submit project sheets, read them with validation and compliance."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request

from registry.analysis.compliance import STATES, lapsing
from registry.catalogue.query import QueryError, paginate, parse_paging
from registry.documents.findings import single_report_dict
from registry.documents.parse import Limits
from registry.projects import (
    FILTERS,
    Forbidden,
    _orgs,
    authorise,
    project_summary,
    project_view,
)
from registry.readmodel import queries
from registry.services import Services
from registry.storage import measurements as stored_measurements
from registry.storage.store import Conflict, NotFound, PreconditionFailed, StoredRecord
from registry.validation.pipeline import validate_and_load
from registry.web.auth import identity
from registry.web.errors import ApiError
from registry.web.http import (
    body_etag,
    cached_json,
    dumps,
    etag_matches,
    json_response,
    parse_as_of,
)
from registry.web.writes import preconditions, read_body, record_etag

bp = Blueprint("projects", __name__)


def services() -> Services:
    """Return the registry's services of the current app."""
    return current_app.extensions["registry"]


def as_of() -> datetime.date:
    """Return the date validation is relative to: ?as_of=YYYY-MM-DD, else today."""
    return parse_as_of(request.args.get("as_of"))


def _check_params(allowed: tuple[str, ...]) -> dict[str, str]:
    args = request.args.to_dict()
    for name in args:
        if name not in allowed:
            raise ApiError(400, f"unknown query parameter {name!r}; this resource accepts "
                           f"{', '.join(allowed)}", detail={"parameter": name,
                                                            "allowed": list(allowed)})
    return args


@bp.put("/api/projects/<project_id>")
def put_project(project_id: str) -> Response:
    """Create or update a project from its sheet (JSON or YAML): validated, then stored."""
    svc = services()
    who = identity()
    if who.role not in ("lead", "office", "admin"):
        raise ApiError(403, f"a {who.role} token may not write projects", code="forbidden")
    try:
        current: StoredRecord | None = svc.store.get("project", project_id)
    except NotFound:
        current = None
    owner = (current.data.get("owner") or {}).get("organisation") if current else None
    if current is not None and not who.can_write_project(owner):
        raise ApiError(403, f"a {who.role} token of {_orgs(who)} may not write a project "
                       f"owned by {owner}", code="forbidden")
    data, _fmt = read_body()
    catalogue = svc.snapshots.get()
    limit = svc.settings["MAX_UPLOAD_BYTES"]
    report, sheet = validate_and_load(data, catalogue, as_of=as_of(),
                                      path=f"projects/{project_id}",
                                      limits=Limits(max_bytes=limit))
    if not report.valid:
        raise ApiError(422, f"the sheet has {report.errors} error(s): nothing was stored",
                       code="invalid", detail=single_report_dict(report))
    if sheet.get("id") != project_id:
        raise ApiError(422, f"the sheet's id ({sheet.get('id')!r}) differs from the id in "
                       f"the URL ({project_id!r}): a project's id never changes",
                       code="invalid", detail=single_report_dict(report))
    try:
        authorise(who, sheet, current.data if current else None)
    except Forbidden as exc:
        raise ApiError(403, str(exc), code="forbidden") from None
    base, create_only = preconditions(current)
    try:
        stored = svc.store.put("project", project_id, sheet, author=who.actor,
                               if_match=base, create_only=create_only,
                               message=request.headers.get("X-Change-Message", "")[:500] or None)
    except (PreconditionFailed, Conflict) as exc:
        headers = {"ETag": record_etag(exc.current)} if exc.current else {}
        raise ApiError(412, "someone else changed this project at the same moment: read it "
                       "again and redo your change", headers=headers) from None
    svc.roadmap.invalidate()
    return json_response({"project": stored.data, "revision": stored.revision,
                          "validation": single_report_dict(report)},
                         201 if current is None else 200,
                         {"ETag": record_etag(stored),
                          "Location": f"/api/projects/{project_id}"})


@bp.get("/api/projects")
def list_projects() -> Response:
    """List projects (filters owner, status, domain, capability, standard, validity)."""
    svc = services()
    args = _check_params((*FILTERS, "as_of", "page", "per_page"))
    if args.get("validity") not in (None, "valid", "invalid"):
        raise ApiError(400, "validity takes valid or invalid",
                       detail={"parameter": "validity", "allowed": ["valid", "invalid"]})
    try:
        page, per_page = parse_paging(args, svc.settings["MAX_PER_PAGE"])
    except QueryError as exc:
        raise ApiError(400, exc.message, detail={"parameter": exc.param}) from None
    date = as_of()
    filters = {k: v for k, v in args.items() if k in FILTERS and v}

    def compute() -> bytes:
        # Findings are kept per project by the read model: a page costs its own rows.
        items = queries.select_projects(svc.readmodel.current(), date, filters)
        return dumps({"total": len(items), "page": page, "per_page": per_page,
                      "projects": [project_summary(p, r)
                                   for p, r in paginate(items, page, per_page)]})

    key = ("projects", date, tuple(sorted(args.items())))
    return cached_json(svc.roadmap.memo(key, compute))


def _project(project_id: str) -> Any:
    roadmap = services().roadmap.get()
    if project_id not in roadmap.projects:
        raise ApiError(404, f"no project with id {project_id!r}: list them at /api/projects",
                       detail={"id": project_id})
    return roadmap.projects[project_id]


@bp.get("/api/projects/<project_id>")
def get_project(project_id: str) -> Response:
    """Answer a project: its sheet, current validation and compliance."""
    svc = services()
    _check_params(("as_of",))
    project = _project(project_id)
    date = as_of()
    catalogue = svc.snapshots.get()
    measured = [{"kpi": m.kpi, **m.to_dict()}
                for m in stored_measurements.of_projects(svc.store, [project_id])]
    body = dumps(project_view(project, catalogue, date, measured))
    # The record's part first (what If-Match is checked against), then what else the
    # answer shows: catalogue revision, date and the reported KPI values.
    etag = (f'"r{project.revision}-{project.digest[:12]}.c{catalogue.version}.{date}'
            f'.m{body_etag(dumps(measured)).strip(chr(34))[:12]}"')
    return cached_json(body, etag)


@bp.get("/api/projects/<project_id>/revisions")
def project_revisions(project_id: str) -> Response:
    """List a project's revisions: who, when, what message."""
    _check_params(())
    _project(project_id)
    revisions = services().store.revisions("project", project_id)
    return json_response({"revisions": [
        {"revision": r["revision"], "action": r["action"], "author": r["author"],
         "message": r["message"], "created_at": r["created_at"].isoformat()}
        for r in revisions]})


def _revision(project_id: str, number: int) -> dict[str, Any]:
    for r in services().store.revisions("project", project_id):
        if r["revision"] == number:
            return r
    raise ApiError(404, f"project {project_id!r} has no revision {number}",
                   detail={"id": project_id, "revision": number})


@bp.get("/api/projects/<project_id>/revisions/<int:number>")
def project_revision(project_id: str, number: int) -> Response:
    """Answer the sheet of one revision of a project."""
    _check_params(())
    _project(project_id)
    r = _revision(project_id, number)
    return json_response({"revision": number, "author": r["author"],
                          "created_at": r["created_at"].isoformat(), "project": r["data"]})


@bp.get("/api/projects/<project_id>/diff")
def project_diff(project_id: str) -> Response:
    """Answer what changed between two revisions (?from=N&to=M, default the last two)."""
    args = _check_params(("from", "to"))
    project = _project(project_id)
    try:
        to = int(args.get("to", project.revision))
        start = int(args.get("from", max(1, to - 1)))
    except ValueError:
        raise ApiError(400, "from and to are revision numbers",
                       detail={"parameter": "from"}) from None
    old, new = _revision(project_id, start)["data"], _revision(project_id, to)["data"]
    return json_response({"from": start, "to": to, "changes": diff(old, new)})


def diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Return the changes between two JSON values as {op, path, old, new} items."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in new:
                out.append({"op": "remove", "path": sub, "old": old[key], "new": None})
            elif key not in old:
                out.append({"op": "add", "path": sub, "old": None, "new": new[key]})
            else:
                out.extend(diff(old[key], new[key], sub))
        return out
    if old != new:
        return [{"op": "replace", "path": path, "old": old, "new": new}]
    return []


COMPLIANCE_FILTERS = ("project", "standard", "state")


def _compliance_filters(args: dict[str, str]) -> dict[str, str]:
    if args.get("state") and args["state"] not in STATES:
        raise ApiError(400, f"state takes one of {', '.join(STATES)}",
                       detail={"parameter": "state", "allowed": list(STATES)})
    return {k: args[k] for k in COMPLIANCE_FILTERS if args.get(k)}


@bp.get("/api/compliance")
def compliance() -> Response:
    """Answer a page of the projects' states for the standards that apply or are declared."""
    svc = services()
    args = _check_params(("as_of", *COMPLIANCE_FILTERS, "page", "per_page"))
    filters = _compliance_filters(args)
    try:
        page, per_page = parse_paging(args, svc.settings["MAX_PER_PAGE"])
    except QueryError as exc:
        raise ApiError(400, exc.message, detail={"parameter": exc.param}) from None
    date = as_of()
    snapshot = svc.readmodel.current()

    def compute() -> bytes:
        found = queries.compliance_page(snapshot, date, filters, page, per_page)
        return dumps({"as_of": date.isoformat(), "summary": queries.summary(snapshot, date),
                      "total": found.total, "page": page, "per_page": per_page,
                      "cells": [c.to_dict() for c in found.items]})

    key = ("api-compliance", date, tuple(sorted(args.items())))
    return cached_json(snapshot.memo(key, compute))


CSV_COLUMNS = ["project", "standard", "status", "state", "applies", "capability", "until",
               "note"]


@bp.get("/api/compliance.csv")
def compliance_csv() -> Response:
    """Stream every cell of the matrix as CSV (one row per project and standard)."""
    args = _check_params(("as_of", *COMPLIANCE_FILTERS))
    filters = _compliance_filters(args)
    date = as_of()
    snapshot = services().readmodel.current()

    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for index, c in enumerate(queries.iter_cells(snapshot, date, filters)):
            writer.writerow([c.project, c.standard, c.status, c.state, c.applies,
                             c.capability or "", c.until or "", _csv_safe(c.note or "")])
            if index % 1000 == 999:  # chunks of a thousand rows, not one answer in memory
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return _stream(rows(), "text/csv; charset=utf-8", snapshot.version, date)


@bp.get("/api/compliance.jsonl")
def compliance_jsonl() -> Response:
    """Stream every cell of the matrix as JSON lines (one object per line)."""
    args = _check_params(("as_of", *COMPLIANCE_FILTERS))
    filters = _compliance_filters(args)
    date = as_of()
    snapshot = services().readmodel.current()

    def lines() -> Iterator[bytes]:
        chunk: list[bytes] = []
        for cell in queries.iter_cells(snapshot, date, filters):
            chunk.append(dumps(cell.to_dict()) + b"\n")
            if len(chunk) == 1000:
                yield b"".join(chunk)
                chunk = []
        yield b"".join(chunk)

    return _stream(lines(), "application/jsonl", snapshot.version, date)


def _stream(body: Iterator[Any], mimetype: str, version: int, date: datetime.date
            ) -> Response:
    # The snapshot is captured above: the stream reads one version even after the
    # request context is gone. Its tag names that version, so a revalidation is cheap.
    etag = f'"v{version}.{date.isoformat()}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype=mimetype, headers=headers)


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets: neutralise it.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@bp.get("/api/compliance/lapsing")
def compliance_lapsing() -> Response:
    """Answer the explanations and plans that lapse within ?days= (default 90)."""
    args = _check_params(("as_of", "days"))
    try:
        days = int(args.get("days", "90"))
    except ValueError:
        days = -1
    if not 0 <= days <= 3650:
        raise ApiError(400, "days must be a whole number from 0 to 3650",
                       detail={"parameter": "days"})
    return json_response({"as_of": as_of().isoformat(), "days": days,
                          "declarations": lapsing(services().roadmap.get().sheets(), as_of(),
                                                  days)})
