"""The catalogue: standards, principles, components and vocabularies.

Its HTML pages (browsing, with no JavaScript needed), its JSON reads (`/api/...`,
filtered, paginated, cached per catalogue revision) and its writes (architects change
records through the API, never losing a change).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, request

from registry.analysis.compliance import projects_for_standard
from registry.catalogue import details
from registry.catalogue.files import check_change
from registry.catalogue.query import (
    COMPONENT_STATUSES,
    JURISDICTIONS,
    LAYERS,
    LEGAL_TYPES,
    SOURCES,
    STATUSES,
    QueryError,
    page_count,
    paginate,
    parse_filters,
    parse_paging,
    select,
)
from registry.catalogue.records import RecordError, api_path
from registry.catalogue.snapshot import Catalogue
from registry.readmodel.reads import catalogue_only
from registry.storage.store import (
    Conflict,
    NotFound,
    PreconditionFailed,
    StoredRecord,
    digest,
)
from registry.storage.tokens import Identity
from registry.web.shared.auth import require
from registry.web.shared.consistency import answered_with, caught_up
from registry.web.shared.context import services
from registry.web.shared.derived import compliance_cells
from registry.web.shared.errors import ApiError
from registry.web.shared.http import body_etag, cached_json, dumps, json_response
from registry.web.shared.params import no_params
from registry.web.shared.render import page_as_of, render_page
from registry.web.shared.writes import parse_body, preconditions, problems, record_etag

bp = Blueprint("catalogue", __name__)
PER_PAGE = 25


# --- HTML pages -------------------------------------------------------------------------

def _listing(kind: str, template: str, **extra: Any) -> Response:
    catalogue = services().snapshots.get()
    args = {k: v for k, v in request.args.to_dict().items() if v != ""}
    error = None
    try:
        filters = parse_filters(kind, args, catalogue, ignore=("lang",))
        page_number, per_page = parse_paging(args, 500, default=PER_PAGE)
    except QueryError as exc:
        error, filters, page_number, per_page = exc.message, {}, 1, PER_PAGE
    items = select(kind, filters, catalogue)
    pages = page_count(len(items), per_page)
    return render_page(template, status=400 if error else 200, catalogue=catalogue,
                items=paginate(items, page_number, per_page), total=len(items),
                page=page_number, pages=pages, args=args, error=error, **extra)


@bp.get("/")
def home() -> Response:
    """Show the registry's home page."""
    catalogue = services().snapshots.get()
    counts = {s: sum(1 for r in catalogue.standards.values() if r["status"] == s)
              for s in STATUSES}
    return render_page("home.html", catalogue=catalogue, counts=counts)


@bp.get("/standards")
def standards() -> Response:
    """Show the standards, with filters and search."""
    catalogue = services().snapshots.get()
    return _listing("standard", "standards.html", statuses=STATUSES, layers=LAYERS,
                    categories=catalogue.concepts.get("standard-categories", {}),
                    capabilities=catalogue.concepts.get("capabilities", {}))


@bp.get("/standards/<record_id>")
def standard(record_id: str) -> Response:
    """Show one standard."""
    svc = services()
    catalogue = svc.snapshots.get()
    if record_id not in catalogue.standards:
        abort(404)
    data = details.standard_detail(catalogue, record_id,
                                   svc.store.revisions("standard", record_id))
    as_of = page_as_of()
    return render_page("standard.html", d=data, s=data["standard"], catalogue=catalogue,
                projects=projects_for_standard(compliance_cells(as_of)[0], record_id),
                roadmap=svc.roadmap.get(), as_of=as_of)


@bp.get("/principles")
def principles() -> Response:
    """Show the architecture principles."""
    return _listing("principle", "principles.html", sources=SOURCES)


def _page_detail(kind: str, record_id: str, build: Any) -> dict[str, Any]:
    """Return a record's detail view, or answer 404."""
    svc = services()
    catalogue = svc.snapshots.get()
    if record_id not in catalogue.records(kind) and caught_up():
        catalogue = svc.snapshots.get()
    if record_id not in catalogue.records(kind):
        abort(404)
    return build(catalogue, record_id, svc.store.revisions(kind, record_id))  # type: ignore[no-any-return]


@bp.get("/principles/<record_id>")
def principle(record_id: str) -> Response:
    """Show one principle."""
    data = _page_detail("principle", record_id, details.principle_detail)
    return render_page("principle.html", d=data, p=data["principle"])


@bp.get("/components")
def components() -> Response:
    """Show the reusable components."""
    catalogue = services().snapshots.get()
    return _listing("component", "components.html", statuses=COMPONENT_STATUSES,
                    capabilities=catalogue.concepts.get("capabilities", {}),
                    organisations=catalogue.concepts.get("organisations", {}))


@bp.get("/components/<record_id>")
def component(record_id: str) -> Response:
    """Show one component."""
    data = _page_detail("component", record_id, details.component_detail)
    return render_page("component.html", d=data, c=data["component"])


@bp.get("/legal")
def legal_acts() -> Response:
    """Show the legal acts of the EIF legal layer."""
    return _listing("legal", "legal_acts.html", jurisdictions=JURISDICTIONS,
                    types=LEGAL_TYPES)


@bp.get("/legal/<record_id>")
def legal_act(record_id: str) -> Response:
    """Show one legal act and what it mandates."""
    data = _page_detail("legal", record_id, details.legal_detail)
    return render_page("legal_act.html", d=data, a=data["legal"])


@bp.get("/lint")
def lint_page() -> Response:
    """Show the catalogue's own health for architects: reviews due, contradictions."""
    from registry.catalogue.lint import lint

    as_of = page_as_of()
    return render_page("lint.html", report=lint(services().snapshots.get(), as_of),
                       as_of=as_of)


@bp.get("/vocabularies")
def vocabularies() -> Response:
    """Show the concept schemes."""
    catalogue = services().snapshots.get()
    return render_page("vocabularies.html", items=details.vocabulary_summaries(catalogue))


@bp.get("/vocabularies/<scheme>")
def vocabulary(scheme: str) -> Response:
    """Show one concept scheme."""
    catalogue = services().snapshots.get()
    if scheme not in catalogue.vocabularies:
        abort(404)
    return render_page("vocabulary.html", d=details.vocabulary_detail(catalogue, scheme),
                scheme=scheme)


@bp.get("/vocabularies/<scheme>/<concept>")
def concept(scheme: str, concept: str) -> Response:
    """Show one concept and what refers to it."""
    catalogue = services().snapshots.get()
    if catalogue.concept(scheme, concept) is None:
        abort(404)
    return render_page("concept.html", d=details.concept_detail(catalogue, scheme, concept),
                scheme=scheme, vocab=catalogue.vocabularies[scheme])


# --- JSON reads -------------------------------------------------------------------------

def _api_list(kind: str, plural: str) -> Response:
    svc = services()
    catalogue = svc.snapshots.get()
    args = request.args.to_dict(flat=True)
    for name in request.args:
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, f"{name} is given more than once: separate several values "
                           "with commas in one parameter", detail={"parameter": name})

    def compute() -> tuple[str, bytes]:
        try:
            filters = parse_filters(kind, args, catalogue)
            page_number, per_page = parse_paging(args, svc.settings["MAX_PER_PAGE"])
        except QueryError as exc:
            detail: dict[str, Any] = {"parameter": exc.param}
            if exc.allowed is not None:
                detail["allowed"] = exc.allowed
            raise ApiError(400, exc.message, detail=detail) from None
        items = select(kind, filters, catalogue)
        body = dumps({"total": len(items), "page": page_number, "per_page": per_page,
                      plural: paginate(items, page_number, per_page)})
        return body_etag(body), body

    # Identical queries between two catalogue revisions share one serialised answer.
    etag, body = svc.snapshots.memo((kind, "list", tuple(sorted(args.items()))), compute)
    answered_with(catalogue_only(svc.readmodel.current()))
    return cached_json(body, etag)


def _record_tag(catalogue: Catalogue, kind: str, record_id: str, revision: int) -> str:
    # The record's own revision (what If-Match is checked against) plus the catalogue
    # revision, since the answer also shows linked records.
    record = catalogue.records(kind)[record_id]
    return f'"r{revision}-{digest(record)[:12]}.c{catalogue.version}"'


def _api_detail(kind: str, record_id: str, build: Callable[..., dict[str, Any]]) -> Response:
    svc = services()
    catalogue = svc.snapshots.get()
    if record_id not in catalogue.records(kind) and caught_up():
        catalogue = svc.snapshots.get()
    if record_id not in catalogue.records(kind):
        raise ApiError(404, f"no {kind} with id {record_id!r}: list them at "
                       f"{api_path(kind)}", detail={"id": record_id})

    def compute() -> tuple[str, bytes]:
        revisions = svc.store.revisions(kind, record_id)
        body = dumps(build(catalogue, record_id, revisions))
        revision = revisions[-1]["revision"] if revisions else 0
        return _record_tag(catalogue, kind, record_id, revision), body

    etag, body = svc.snapshots.memo((kind, "detail", record_id), compute)
    # The answer reads the catalogue (and the record's revisions, which move with it).
    answered_with(catalogue_only(svc.readmodel.current()))
    return cached_json(body, etag)


@bp.get("/api/standards")
def api_standards() -> Response:
    """List standards, filtered and paginated."""
    return _api_list("standard", "standards")


@bp.get("/api/standards/<record_id>")
def api_standard(record_id: str) -> Response:
    """Answer one standard with its links and history."""
    return _api_detail("standard", record_id, details.standard_detail)


@bp.get("/api/principles")
def api_principles() -> Response:
    """List architecture principles."""
    return _api_list("principle", "principles")


@bp.get("/api/principles/<record_id>")
def api_principle(record_id: str) -> Response:
    """Answer one principle with the standards that realise it."""
    return _api_detail("principle", record_id, details.principle_detail)


@bp.get("/api/components")
def api_components() -> Response:
    """List reusable components."""
    return _api_list("component", "components")


@bp.get("/api/components/<record_id>")
def api_component(record_id: str) -> Response:
    """Answer one component with its capabilities and standards."""
    return _api_detail("component", record_id, details.component_detail)


@bp.get("/api/legal")
def api_legal_acts() -> Response:
    """List legal acts (EU, federal, Brussels), filtered and paginated."""
    return _api_list("legal", "legal")


@bp.get("/api/legal/<record_id>")
def api_legal_act(record_id: str) -> Response:
    """Answer one legal act with the standards and principles it mandates."""
    return _api_detail("legal", record_id, details.legal_detail)


@bp.get("/api/vocabularies")
def api_vocabularies() -> Response:
    """List the concept schemes."""
    svc = services()
    no_params()
    return cached_json(svc.snapshots.memo(("vocabularies",), lambda: dumps(
        {"vocabularies": details.vocabulary_summaries(svc.snapshots.get())})))


@bp.get("/api/vocabularies/<scheme>")
def api_vocabulary(scheme: str) -> Response:
    """Answer one concept scheme with its concepts."""
    svc = services()
    no_params()
    catalogue = svc.snapshots.get()
    if scheme not in catalogue.vocabularies:
        raise ApiError(404, f"no vocabulary {scheme!r}; the vocabularies are "
                       f"{', '.join(catalogue.vocabularies)}", detail={"id": scheme})

    def compute() -> tuple[str, bytes]:
        revision = svc.store.get("vocabulary", scheme).revision
        return (_record_tag(catalogue, "vocabulary", scheme, revision),
                dumps(details.vocabulary_detail(catalogue, scheme)))

    etag, body = svc.snapshots.memo(("vocabulary", scheme), compute)
    return cached_json(body, etag)


@bp.get("/api/vocabularies/<scheme>/<concept>")
def api_concept(scheme: str, concept: str) -> Response:
    """Answer one concept with the records that refer to it."""
    svc = services()
    no_params()
    catalogue = svc.snapshots.get()
    if catalogue.concept(scheme, concept) is None:
        raise ApiError(404, f"no concept {concept!r} in vocabulary {scheme!r}",
                       detail={"scheme": scheme, "id": concept})
    return cached_json(svc.snapshots.memo(("concept", scheme, concept), lambda: dumps(
        details.concept_detail(catalogue, scheme, concept))))


# --- writes -----------------------------------------------------------------------------

def _current(kind: str, record_id: str) -> StoredRecord | None:
    try:
        return services().store.get(kind, record_id)
    except NotFound:
        return None


def save(kind: str, record_id: str, data: Any, who: Identity,
         current: StoredRecord | None, *, message: str | None = None) -> Response:
    """Check a catalogue record against its schema and links, then store a revision."""
    svc = services()
    if not isinstance(data, dict):
        raise ApiError(422, f"a {kind} must be an object", detail=problems(
            [RecordError(kind, "", "the body is not an object")]))
    if data.get("id") != record_id:
        raise ApiError(422, f"the id in the body ({data.get('id')!r}) differs from the id "
                       f"in the URL ({record_id!r})", detail=problems(
                           [RecordError(kind, "/id", "must equal the id in the URL")]))
    errors = check_change(kind, data, svc.snapshots.get())
    if errors:
        raise ApiError(422, f"the {kind} is not valid: {errors[0].path} {errors[0].message}",
                       detail=problems(errors))
    base, create_only = preconditions(current)
    try:
        stored = svc.store.put(kind, record_id, data, author=who.actor, if_match=base,
                               create_only=create_only, message=message)
    except (PreconditionFailed, Conflict) as exc:
        now = exc.current
        headers = {"ETag": record_etag(now)} if now else {}
        raise ApiError(412, "someone else changed this record at the same moment: read it "
                       "again and redo your change", headers=headers) from None
    svc.snapshots.invalidate()
    status = 201 if current is None else 200
    headers = {"ETag": record_etag(stored), "Location": f"{api_path(kind)}/{record_id}"}
    if kind == "vocabulary":
        headers["Location"] = f"/api/vocabularies/{record_id}"
    return json_response({kind: stored.data, "revision": stored.revision}, status, headers)


def _message() -> str | None:
    value = request.headers.get("X-Change-Message", "")[:500]
    return value or None


def _put(kind: str, record_id: str) -> Response:
    who = require(lambda i: i.can_write_catalogue(), f"change the catalogue's {kind}s")
    parsed = parse_body()
    return save(kind, record_id, parsed.value, who, _current(kind, record_id),
                message=_message())


@bp.put("/api/standards/<record_id>")
def put_standard(record_id: str) -> Response:
    """Create or update a standard."""
    return _put("standard", record_id)


@bp.put("/api/principles/<record_id>")
def put_principle(record_id: str) -> Response:
    """Create or update a principle."""
    return _put("principle", record_id)


@bp.put("/api/components/<record_id>")
def put_component(record_id: str) -> Response:
    """Create or update a component."""
    return _put("component", record_id)


@bp.put("/api/legal/<record_id>")
def put_legal(record_id: str) -> Response:
    """Create or update a legal act."""
    return _put("legal", record_id)


@bp.put("/api/vocabularies/<scheme>")
def put_vocabulary(scheme: str) -> Response:
    """Create or update a whole concept scheme."""
    return _put("vocabulary", scheme)


@bp.put("/api/vocabularies/<scheme>/<concept>")
def put_concept(scheme: str, concept: str) -> Response:
    """Create or update one concept; it is stored as a new revision of its scheme."""
    who = require(lambda i: i.can_write_catalogue(), "change the catalogue's concepts")
    current = _current("vocabulary", scheme)
    if current is None:
        raise ApiError(404, f"no vocabulary {scheme!r}: create the scheme first")
    parsed = parse_body()
    item = parsed.value
    if not isinstance(item, dict) or item.get("id") != concept:
        raise ApiError(422, "the body must be a concept object whose id equals the id in "
                       "the URL", detail=problems(
                           [RecordError("concept", "/id", "must equal the id in the URL")]))
    data = copy.deepcopy(current.data)
    concepts = data.setdefault("concepts", [])
    index = next((i for i, c in enumerate(concepts) if c.get("id") == concept), None)
    if index is None:
        concepts.append(item)
    else:
        concepts[index] = item
    return save("vocabulary", scheme, data, who, current, message=_message())
