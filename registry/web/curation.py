"""Catalogue curation: architects change records through the API, never losing a change."""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Response, current_app, request

from registry.catalogue.files import check_change
from registry.catalogue.records import RecordError, api_path
from registry.services import Services
from registry.storage.store import Conflict, NotFound, PreconditionFailed, StoredRecord
from registry.storage.tokens import Identity
from registry.web.auth import require
from registry.web.errors import ApiError
from registry.web.http import json_response
from registry.web.writes import parse_body, preconditions, problems, record_etag

bp = Blueprint("curation", __name__)


def services() -> Services:
    """Return the registry's services of the current app."""
    return current_app.extensions["registry"]


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


@bp.get("/api/audit")
def audit() -> Response:
    """List the latest changes: who changed what and when (office and admin)."""
    require(lambda i: i.can_read_audit(), "read the audit trail")
    try:
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        raise ApiError(400, "limit must be a whole number from 1 to 1000",
                       detail={"parameter": "limit"})
    events = services().store.audit(limit)
    for event in events:
        event["at"] = event["at"].isoformat()
    return json_response({"events": events}, headers={"Cache-Control": "no-store"})
