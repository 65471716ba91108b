"""What every write shares: reading the body safely, and the If-Match rules."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from registry.documents.parse import Limits, ParseResult, parse_document
from registry.storage.store import StoredRecord
from registry.web.shared.errors import ApiError
from registry.web.shared.http import etag_matches
from registry.web.shared.localized import finding_dicts

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
JSON_TYPES = ("application/json",)


def record_etag(stored: StoredRecord) -> str:
    """Return the entity tag of a stored record's revision."""
    return f'"r{stored.revision}-{stored.digest[:12]}"'


def revision_tag_matches(header: str, stored: StoredRecord) -> bool:
    """Return True when an If-Match header names the record's current revision.

    Only a strong tag counts: `*` (any revision) and weak `W/` tags would let a write
    through without proof that it was based on the latest data. Read answers may
    append `.cN` (the catalogue revision the answer was built from); only the record's
    own part decides whether a write is based on the latest data.
    """
    wanted = record_etag(stored).strip('"')
    for tag in header.split(","):
        tag = tag.strip()
        if len(tag) < 2 or not tag.startswith('"') or not tag.endswith('"'):
            continue  # `*`, a weak tag, or no entity tag at all
        if tag.strip('"').split(".", 1)[0] == wanted:
            return True
    return False


def preconditions(current: StoredRecord | None) -> tuple[int | None, bool]:
    """Apply If-Match / If-None-Match; return (revision the write is based on, create_only).

    A new record needs no precondition (If-None-Match: * makes the intent explicit);
    an existing one needs If-Match with its current ETag: 428 without, 412 when stale.
    """
    if_match = request.headers.get("If-Match")
    if_none_match = request.headers.get("If-None-Match")
    if current is None:
        if if_match:
            raise ApiError(412, "If-Match names a revision, but this record does not exist "
                           "yet: leave If-Match out to create it")
        return None, True
    headers = {"ETag": record_etag(current)}
    if if_none_match and etag_matches(if_none_match, record_etag(current)):
        raise ApiError(412, "the record already exists (If-None-Match: *): read it and "
                       "update it with If-Match", headers=headers,
                       detail={"current_etag": record_etag(current)})
    if not if_match:
        raise ApiError(428, "updating an existing record needs If-Match with the ETag you "
                       "read, so that nobody's change is lost", headers=headers,
                       detail={"current_etag": record_etag(current)})
    if not revision_tag_matches(if_match, current):
        if if_match.strip() == "*" or "W/" in if_match:
            raise ApiError(412, "If-Match must name the current strong ETag you read "
                           "(not * and not a weak W/ tag), so that nobody's change is "
                           "lost", headers=headers,
                           detail={"current_etag": record_etag(current)})
        raise ApiError(412, f"the record changed since you read it (now revision "
                       f"{current.revision}, by {current.updated_by}): read it again and "
                       "redo your change", headers=headers,
                       detail={"current_etag": record_etag(current),
                               "revision": current.revision})
    return current.revision, False


def body_format() -> str:
    """Return 'yaml' or 'json' from the Content-Type, or answer 415."""
    mimetype = request.mimetype
    if mimetype in JSON_TYPES:
        return "json"
    if mimetype in YAML_TYPES:
        return "yaml"
    raise ApiError(415, f"send the body as application/json or application/yaml, not "
                   f"{mimetype or 'an unnamed media type'}",
                   detail={"accepted": [*JSON_TYPES, *YAML_TYPES]})


def read_body() -> tuple[bytes, str]:
    """Return the raw body and its format, refusing oversized bodies before reading them."""
    fmt = body_format()
    limit = current_app.config["REGISTRY"]["MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"the body is {request.content_length} bytes; the limit is "
                       f"{limit}", detail={"limit": limit})
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the body is over the limit of {limit} bytes",
                       detail={"limit": limit})
    return data, fmt


def parse_body() -> ParseResult:
    """Parse the request body as YAML or JSON with the registry's limits, or answer 422."""
    data, _fmt = read_body()
    parsed = parse_document(data, Limits(max_bytes=current_app.config["REGISTRY"][
        "MAX_UPLOAD_BYTES"]))
    if parsed.findings:
        raise ApiError(422, "the body could not be read: " + parsed.findings[0].message,
                       detail={"findings": finding_dicts(parsed.findings)})
    return parsed


def problems(errors: list[Any]) -> dict[str, Any]:
    """Return the 422 detail of record problems."""
    return {"errors": [{"path": e.path, "message": e.message, "line": e.line,
                        "column": e.column} for e in errors]}
