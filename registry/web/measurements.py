"""Reporting KPI values: PUT and GET /api/projects/{id}/kpis/{kpi}/measurements/{date}."""

from __future__ import annotations

import datetime

from flask import Blueprint, Response, request

from registry.measurements import (
    authorise,
    check_body,
    check_note,
    check_value,
    find_kpi,
    kpi_ids,
    parse_day,
)
from registry.storage import measurements as stored
from registry.web.shared.auth import identity
from registry.web.shared.context import services
from registry.web.shared.errors import ApiError
from registry.web.shared.http import json_response, strong_etag_matches
from registry.web.shared.params import no_params
from registry.web.shared.writes import parse_body

bp = Blueprint("measurements", __name__)
PATH = "/api/projects/<project_id>/kpis/<kpi_id>/measurements/<date>"


def _target(project_id: str, kpi_id: str) -> tuple[object, dict]:
    roadmap = services().roadmap.get()
    project = roadmap.projects.get(project_id)
    if project is None:
        raise ApiError(404, f"no project with id {project_id!r}: list them at /api/projects",
                       detail={"id": project_id})
    kpi = find_kpi(project.sheet, kpi_id)
    if kpi is None:
        raise ApiError(422, f"project {project_id!r} has no KPI {kpi_id!r}: its sheet "
                       f"lists {', '.join(kpi_ids(project.sheet)) or 'no KPI'}",
                       detail={"kpi": kpi_id, "kpis": kpi_ids(project.sheet)})
    return project, dict(kpi)


@bp.get(PATH)
def get_measurement(project_id: str, kpi_id: str, date: str) -> Response:
    """Answer one reported value with its ETag (what a replacement's If-Match names)."""
    no_params()
    _target(project_id, kpi_id)
    day = parse_day(date, datetime.date.max)
    found = stored.get(services().store, project_id, kpi_id, day)
    if found is None:
        raise ApiError(404, f"no value of KPI {kpi_id!r} reported for {day.isoformat()}",
                       detail={"kpi": kpi_id, "date": day.isoformat()})
    return json_response({"project": project_id, "kpi": kpi_id, **found.to_dict()},
                         headers={"ETag": found.etag, "Cache-Control": "no-cache"})


@bp.put(PATH)
def put_measurement(project_id: str, kpi_id: str, date: str) -> Response:
    """Report a KPI's value for a day: create freely, replace with If-Match."""
    svc = services()
    no_params()
    who = identity()
    project, kpi = _target(project_id, kpi_id)
    authorise(who, project.sheet)  # type: ignore[attr-defined]
    day = parse_day(date, datetime.date.today())
    body = parse_body().value
    raw_value, raw_note = check_body(body)
    value, note = check_value(kpi, raw_value), check_note(raw_note)
    current = stored.get(svc.store, project_id, kpi_id, day)
    based_on = _preconditions(current)
    try:
        saved = stored.put(svc.store, project_id, kpi_id, day, value, note,
                           author=who.actor, based_on=based_on)
    except stored.StaleMeasurement as exc:
        headers = {"ETag": exc.current.etag} if exc.current else {}
        raise ApiError(412, "someone else reported this value at the same moment: read it "
                       "again and redo your change", headers=headers) from None
    svc.roadmap.invalidate()
    return json_response({"project": project_id, "kpi": kpi_id, **saved.to_dict()},
                         201 if current is None else 200,
                         {"ETag": saved.etag, "Location": request.path})


def _preconditions(current: stored.Measurement | None) -> int | None:
    """Return the revision the write is based on: If-Match is required to replace."""
    if_match = request.headers.get("If-Match")
    if current is None:
        if if_match and if_match.strip() != "*":
            raise ApiError(412, "If-Match names a value, but none is reported for this "
                           "date yet: leave If-Match out to create it")
        if if_match:
            raise ApiError(412, "If-Match: * asks for an existing value, and there is "
                           "none for this date yet")
        return None
    headers = {"ETag": current.etag}
    if not if_match:
        raise ApiError(428, "a value is already reported for this date: replacing it needs "
                       "If-Match with the ETag you read, so that nobody's report is lost",
                       headers=headers, detail={"current_etag": current.etag})
    if not strong_etag_matches(if_match, current.etag):
        raise ApiError(412, f"the value changed since you read it (now revision "
                       f"{current.revision}, by {current.recorded_by}): read it again",
                       headers=headers, detail={"current_etag": current.etag,
                                                "revision": current.revision})
    return current.revision
