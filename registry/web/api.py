"""The JSON API: catalogue reads (and validation, projects... as they land)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request

from registry.catalogue import details
from registry.catalogue.query import (
    QueryError,
    paginate,
    parameters,
    parse_filters,
    parse_paging,
    select,
)
from registry.catalogue.snapshot import Catalogue
from registry.services import Services
from registry.storage.store import digest
from registry.web.errors import ApiError
from registry.web.http import body_etag, cached_json, dumps, json_response
from registry.web.openapi import openapi_document

bp = Blueprint("api", __name__)


def services() -> Services:
    """Return the registry's services of the current app."""
    return current_app.extensions["registry"]


def _list(kind: str, plural: str) -> Response:
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
            page, per_page = parse_paging(args, svc.settings["MAX_PER_PAGE"])
        except QueryError as exc:
            detail: dict[str, Any] = {"parameter": exc.param}
            if exc.allowed is not None:
                detail["allowed"] = exc.allowed
            raise ApiError(400, exc.message, detail=detail) from None
        items = select(kind, filters, catalogue)
        body = dumps({"total": len(items), "page": page, "per_page": per_page,
                      plural: paginate(items, page, per_page)})
        return body_etag(body), body

    # Identical queries between two catalogue revisions share one serialised answer.
    etag, body = svc.snapshots.memo((kind, "list", tuple(sorted(args.items()))), compute)
    return cached_json(body, etag)


def _record_tag(catalogue: Catalogue, kind: str, record_id: str, revision: int) -> str:
    # The record's own revision (what If-Match is checked against) plus the catalogue
    # revision, since the answer also shows linked records.
    record = catalogue.records(kind)[record_id]
    return f'"r{revision}-{digest(record)[:12]}.c{catalogue.version}"'


def _detail(kind: str, record_id: str, build: Callable[..., dict[str, Any]]) -> Response:
    svc = services()
    catalogue = svc.snapshots.get()
    if record_id not in catalogue.records(kind):
        raise ApiError(404, f"no {kind} with id {record_id!r}: list them at "
                       f"/api/{kind}s", detail={"id": record_id})

    def compute() -> tuple[str, bytes]:
        revisions = svc.store.revisions(kind, record_id)
        body = dumps(build(catalogue, record_id, revisions))
        revision = revisions[-1]["revision"] if revisions else 0
        return _record_tag(catalogue, kind, record_id, revision), body

    etag, body = svc.snapshots.memo((kind, "detail", record_id), compute)
    return cached_json(body, etag)


@bp.get("/api/standards")
def standards() -> Response:
    """List standards, filtered and paginated."""
    return _list("standard", "standards")


@bp.get("/api/standards/<record_id>")
def standard(record_id: str) -> Response:
    """Answer one standard with its links and history."""
    return _detail("standard", record_id, details.standard_detail)


@bp.get("/api/principles")
def principles() -> Response:
    """List architecture principles."""
    return _list("principle", "principles")


@bp.get("/api/principles/<record_id>")
def principle(record_id: str) -> Response:
    """Answer one principle with the standards that realise it."""
    return _detail("principle", record_id, details.principle_detail)


@bp.get("/api/components")
def components() -> Response:
    """List reusable components."""
    return _list("component", "components")


@bp.get("/api/components/<record_id>")
def component(record_id: str) -> Response:
    """Answer one component with its capabilities and standards."""
    return _detail("component", record_id, details.component_detail)


@bp.get("/api/vocabularies")
def vocabularies() -> Response:
    """List the concept schemes."""
    svc = services()
    _no_params()
    return cached_json(svc.snapshots.memo(("vocabularies",), lambda: dumps(
        {"vocabularies": details.vocabulary_summaries(svc.snapshots.get())})))


@bp.get("/api/vocabularies/<scheme>")
def vocabulary(scheme: str) -> Response:
    """Answer one concept scheme with its concepts."""
    svc = services()
    _no_params()
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
def concept(scheme: str, concept: str) -> Response:
    """Answer one concept with the records that refer to it."""
    svc = services()
    _no_params()
    catalogue = svc.snapshots.get()
    if catalogue.concept(scheme, concept) is None:
        raise ApiError(404, f"no concept {concept!r} in vocabulary {scheme!r}",
                       detail={"scheme": scheme, "id": concept})
    return cached_json(svc.snapshots.memo(("concept", scheme, concept), lambda: dumps(
        details.concept_detail(catalogue, scheme, concept))))


def _no_params() -> None:
    if request.args:
        name = next(iter(request.args))
        raise ApiError(400, f"unknown query parameter {name!r}: this resource takes none",
                       detail={"parameter": name})


@bp.get("/health")
def health() -> Response:
    """Answer whether the store can be read, with the catalogue revision."""
    svc = services()
    try:
        version = svc.store.catalogue_version()
    except Exception:
        current_app.logger.exception("health check failed")
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "ok", "catalogue_version": version},
                         headers={"Cache-Control": "no-store"})


@bp.get("/openapi.json")
def openapi() -> Response:
    """Answer the OpenAPI 3.1 document of the API."""
    return cached_json(dumps(openapi_document()), fixed=True)


def list_parameters() -> dict[str, list[str]]:
    """Return the query parameters of each list endpoint (for the OpenAPI document)."""
    return {k: parameters(k) for k in ("standard", "principle", "component")}
