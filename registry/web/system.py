"""The service itself: its health, its OpenAPI document and its audit trail."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from registry.web.openapi import openapi_document
from registry.web.shared.auth import require
from registry.web.shared.context import services
from registry.web.shared.errors import ApiError
from registry.web.shared.http import cached_json, dumps, json_response

bp = Blueprint("system", __name__)


@bp.get("/health")
def health() -> Response:
    """Answer whether the store answers a read within REGISTRY_HEALTH_TIMEOUT (else 503)."""
    ready, body = current_app.extensions["readiness"].check()
    headers = {"Cache-Control": "no-store"}
    if not ready:
        current_app.logger.warning("health check failed: %s", body.get("message"))
        headers["Retry-After"] = "5"
    return json_response(body, 200 if ready else 503, headers=headers)


@bp.get("/openapi.json")
def openapi() -> Response:
    """Answer the OpenAPI 3.1 document of the API."""
    return cached_json(dumps(openapi_document()), fixed=True)


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
