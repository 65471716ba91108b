"""The roadmap's projects: their pages, and the API to submit sheets and read them.

The pages list the projects with filters, validity and finding counts, and show one
project with its sheet, findings, compliance and revisions; the API stores sheets
(validated first), answers them with validation and compliance, and their history.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, abort, request

from registry.analysis.reuse import STATUSES as PROJECT_STATUSES
from registry.analysis.roadmap import Project
from registry.catalogue.query import QueryError, page_count, paginate, parse_paging
from registry.documents.findings import FileReport
from registry.documents.parse import Limits
from registry.projects import (
    FILTERS,
    Forbidden,
    authorise,
    project_summary,
    project_view,
    stored_findings,
    token_organisations,
)
from registry.readmodel import queries
from registry.readmodel.reads import Reads, projects_read
from registry.storage import measurements as stored_measurements
from registry.storage.store import Conflict, NotFound, PreconditionFailed, StoredRecord
from registry.validation.pipeline import validate_and_load
from registry.web.shared.auth import identity
from registry.web.shared.consistency import answered_with, caught_up
from registry.web.shared.context import services
from registry.web.shared.derived import of_project
from registry.web.shared.errors import ApiError
from registry.web.shared.http import body_etag, cached_json, dumps, json_response
from registry.web.shared.i18n import LANGUAGES
from registry.web.shared.localized import add_localized, report_body
from registry.web.shared.params import (
    as_of,
    check_params,
    page_args,
    roadmap_filter_error,
)
from registry.web.shared.render import page_as_of, render_page
from registry.web.shared.writes import preconditions, read_body, record_etag

bp = Blueprint("projects", __name__)
PER_PAGE = 25


# --- HTML pages -------------------------------------------------------------------------

@bp.get("/projects")
def projects() -> Response:
    """Show the roadmap's projects with filters, validity and finding counts."""
    svc = services()
    catalogue = svc.snapshots.get()
    args = page_args()
    date = page_as_of()
    filters: dict[str, str] = {k: args[k] for k in ("owner", "status", "domain") if k in args}
    error = roadmap_filter_error(filters, catalogue)
    try:
        page_number, per_page = parse_paging(args, 500, default=PER_PAGE)
    except QueryError as exc:
        error, page_number, per_page = exc.message, 1, PER_PAGE
    if error:
        filters = {}
    # Findings are kept per project by the read model: no sheet is validated here.
    items: list[tuple[Project, FileReport]] = queries.select_projects(
        svc.readmodel.current(), date, filters)
    valid = sum(1 for _, report in items if report.valid)
    pages = page_count(len(items), per_page)
    return render_page("projects.html", status=400 if error else 200, error=error,
                       items=paginate(items, page_number, per_page), total=len(items),
                       valid=valid, page=page_number, pages=pages, args=args,
                       statuses=PROJECT_STATUSES, as_of=date)


@bp.get("/projects/<project_id>")
def project(project_id: str) -> Response:
    """Show one project: its sheet, findings, compliance and revisions."""
    svc = services()
    date = page_as_of()
    roadmap = svc.roadmap.get()
    if project_id not in roadmap.projects and caught_up():
        roadmap = svc.roadmap.get()
    if project_id not in roadmap.projects:
        abort(404)
    catalogue = svc.snapshots.get()
    measured = [{"kpi": m.kpi, **m.to_dict()}
                for m in stored_measurements.of_projects(svc.store, [project_id])
                if m.day <= date]
    # The findings as objects (view["validation"] has their JSON), to say them in the
    # page's language.
    report = stored_findings(roadmap.projects[project_id].sheet, catalogue, date)
    view = project_view(roadmap.projects[project_id], catalogue, date, measured, report)
    own = of_project(project_id)
    kpis = [{**k, "latest": (view["measurements"].get(k.get("id")) or [None])[-1]}
            for k in view["project"].get("kpis") or [] if isinstance(k, Mapping)]
    return render_page("project.html", v=view, p=view["project"], catalogue=catalogue,
                       revisions=svc.store.revisions("project", project_id), as_of=date,
                       opportunities=own, kpis=kpis, findings=report.findings)


# --- the API ----------------------------------------------------------------------------

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
        raise ApiError(403, f"a {who.role} token of {token_organisations(who)} may not write a project "
                       f"owned by {owner}", code="forbidden")
    data, _fmt = read_body()
    catalogue = svc.snapshots.get()
    limit = svc.settings["MAX_UPLOAD_BYTES"]
    report, sheet = validate_and_load(data, catalogue, as_of=as_of(),
                                      path=f"projects/{project_id}",
                                      limits=Limits(max_bytes=limit))
    if not report.valid:
        raise ApiError(422, f"the sheet has {report.errors} error(s): nothing was stored",
                       code="invalid", detail=report_body(report))
    if sheet.get("id") != project_id:
        raise ApiError(422, f"the sheet's id ({sheet.get('id')!r}) differs from the id in "
                       f"the URL ({project_id!r}): a project's id never changes",
                       code="invalid", detail=report_body(report))
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
    # Every worker of this server catches up to the write before its next read (the
    # request need not wait for this one's catch-up); the answer names the version.
    svc.readmodel.written(stored.seq or svc.store.head())
    return json_response({"project": stored.data, "revision": stored.revision,
                          "validation": report_body(report)},
                         201 if current is None else 200,
                         {"ETag": record_etag(stored),
                          "Location": f"/api/projects/{project_id}",
                          "Vary": "Accept-Language"})


@bp.get("/api/projects")
def list_projects() -> Response:
    """List projects (filters owner, status, domain, capability, standard, validity)."""
    svc = services()
    args = check_params((*FILTERS, "as_of", "page", "per_page"))
    if args.get("validity") not in (None, "valid", "invalid"):
        raise ApiError(400, "validity takes valid or invalid",
                       detail={"parameter": "validity", "allowed": ["valid", "invalid"]})
    try:
        page_number, per_page = parse_paging(args, svc.settings["MAX_PER_PAGE"])
    except QueryError as exc:
        raise ApiError(400, exc.message, detail={"parameter": exc.param}) from None
    date = as_of()
    filters = {k: v for k, v in args.items() if k in FILTERS and v}
    snapshot = svc.readmodel.current()

    def compute() -> tuple[bytes, Reads]:
        # Findings are kept per project by the read model: a page costs its own rows.
        found = queries.projects_page(snapshot, date, filters, page_number, per_page)
        body = dumps({"total": found.total, "page": page_number, "per_page": per_page,
                      "projects": [project_summary(p, r) for p, r in found.items]})
        # Without a filter every project is listed by id: the answer reads the set of
        # projects (its total, the page's place) and the page's own projects.
        return body, projects_read(snapshot, None if filters else [p.id for p, _ in found.items])

    key = ("projects", date, tuple(sorted(args.items())))
    body, reads = snapshot.memo(key, compute)
    answered_with(reads)
    return cached_json(body)


def _project(project_id: str) -> Any:
    roadmap = services().roadmap.get()
    if project_id not in roadmap.projects and caught_up():
        roadmap = services().roadmap.get()
    if project_id not in roadmap.projects:
        raise ApiError(404, f"no project with id {project_id!r}: list them at /api/projects",
                       detail={"id": project_id})
    return roadmap.projects[project_id]


@bp.get("/api/projects/<project_id>")
def get_project(project_id: str) -> Response:
    """Answer a project: its sheet, current validation and compliance.

    Its findings say their text in the language asked (`localized`), if any.
    """
    svc = services()
    args = check_params(("as_of", "lang"))
    if args.get("lang", "en") not in LANGUAGES:
        raise ApiError(400, f"lang takes {', '.join(LANGUAGES)}",
                       detail={"parameter": "lang", "allowed": list(LANGUAGES)})
    project = _project(project_id)
    date = as_of()
    catalogue = svc.snapshots.get()
    measured = [{"kpi": m.kpi, **m.to_dict()}
                for m in stored_measurements.of_projects(svc.store, [project_id])]
    report = stored_findings(project.sheet, catalogue, date)
    view = project_view(project, catalogue, date, measured, report)
    lang = add_localized(view["validation"]["findings"], report.findings)
    # The record's part first (what If-Match is checked against, whatever language the
    # writer read in), then what else the answer shows: catalogue revision, date, the
    # reported KPI values and the language of `localized`.
    etag = (f'"r{project.revision}-{project.digest[:12]}.c{catalogue.version}.{date}'
            f'.m{body_etag(dumps(measured)).strip(chr(34))[:12]}'
            f'{"" if lang is None else "." + lang}"')
    response = cached_json(dumps(view), etag)
    response.vary.add("Accept-Language")
    return response


@bp.get("/api/projects/<project_id>/revisions")
def project_revisions(project_id: str) -> Response:
    """List a project's revisions: who, when, what message."""
    check_params(())
    _project(project_id)
    revisions = services().store.revisions("project", project_id)
    shown = _author_shown()
    response = json_response({"revisions": [
        {"revision": r["revision"], "action": r["action"], "author": shown(r["author"]),
         "message": r["message"], "created_at": r["created_at"].isoformat()}
        for r in revisions]})
    response.vary.add("Authorization")
    return response


def _author_shown() -> Callable[[str], str]:
    """Return how authors are shown: in full to the Office, else without role and token.

    A revision's author is recorded as "Name (role, token id)"; which token wrote is the
    audit's business, not the public's.
    """
    if request.headers.get("Authorization") and identity().can_read_audit():
        return lambda author: author
    return public_author


def public_author(author: str) -> str:
    """Return an author as the public sees it: the name, without role and token id."""
    return _ACTOR.sub("", author)


_ACTOR = re.compile(r" \((?:lead|architect|office|admin), token [0-9a-f]+\)\Z")
MAX_REVISION = 2**31 - 1  # the column's range: larger numbers name no revision


def _revision(project_id: str, number: int) -> dict[str, Any]:
    if 1 <= number <= MAX_REVISION:
        for r in services().store.revisions("project", project_id):
            if r["revision"] == number:
                return r
    shown = number if -MAX_REVISION <= number <= MAX_REVISION else "so large"
    raise ApiError(404, f"project {project_id!r} has no revision {shown}",
                   detail={"id": project_id, "revision": str(number)[:20]})


@bp.get("/api/projects/<project_id>/revisions/<int:number>")
def project_revision(project_id: str, number: int) -> Response:
    """Answer the sheet of one revision of a project."""
    check_params(())
    _project(project_id)
    r = _revision(project_id, number)
    return json_response({"revision": number, "author": public_author(r["author"]),
                          "created_at": r["created_at"].isoformat(), "project": r["data"]})


@bp.get("/api/projects/<project_id>/diff")
def project_diff(project_id: str) -> Response:
    """Answer what changed between two revisions (?from=N&to=M, default the last two)."""
    args = check_params(("from", "to"))
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
