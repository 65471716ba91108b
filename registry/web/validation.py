"""Validation for project leads: `POST /api/validate`, the `/validate` page, the schemas."""

from __future__ import annotations

import datetime
import json
import re
from functools import cache
from typing import Any

from flask import Blueprint, Response, current_app, request
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from registry.documents.findings import FileReport, Finding
from registry.documents.parse import Limits
from registry.paths import schemas_dir
from registry.validation.pipeline import validate_bytes
from registry.web.shared.context import services
from registry.web.shared.errors import ApiError
from registry.web.shared.http import cached_json, json_response
from registry.web.shared.i18n import gettext as _
from registry.web.shared.localized import report_body
from registry.web.shared.params import parse_as_of
from registry.web.shared.render import render_page
from registry.web.shared.writes import JSON_TYPES, YAML_TYPES

bp = Blueprint("validation", __name__)
SCHEMAS = schemas_dir()
SHEET_FILES = {
    "v1.json": "application/schema+json",
    "v1.context.jsonld": "application/ld+json",
    "v1.shapes.ttl": "text/turtle",
}


def _limit() -> int:
    return int(current_app.config["REGISTRY"]["MAX_UPLOAD_BYTES"])


def _validate(data: bytes, name: str, as_of: datetime.date) -> FileReport:
    catalogue = services().snapshots.get()
    return validate_bytes(data, catalogue, as_of=as_of, path=name,
                          limits=Limits(max_bytes=_limit()))


def _too_large() -> ApiError:
    return ApiError(413, f"the sheet is over the limit of {_limit()} bytes: a project "
                    "sheet is a few kilobytes", detail={"limit": _limit()})


def _upload() -> tuple[bytes, str]:
    """Return the bytes and name of the uploaded file of a multipart form."""
    try:
        files = request.files
    except RequestEntityTooLarge:
        raise _too_large() from None
    upload = files.get("file") or next(iter(files.values()), None)
    if upload is None:
        raise ApiError(400, "the form has no file: send the sheet in a field named 'file'",
                       detail={"parameter": "file"})
    data = upload.stream.read(_limit() + 1)
    return data, upload.filename or "upload"


@bp.post("/api/validate")
def api_validate() -> Response:
    """Validate one project sheet sent as YAML, JSON or a multipart file upload."""
    as_of = parse_as_of(request.args.get("as_of"))
    mimetype = request.mimetype
    if request.content_length is not None and request.content_length > _limit() + 64 * 1024:
        raise _too_large()
    if mimetype == "multipart/form-data":
        data, name = _upload()
    elif mimetype in JSON_TYPES or mimetype in YAML_TYPES:
        data, name = request.stream.read(_limit() + 1), "-"
    else:
        raise ApiError(415, f"send the sheet as application/yaml, application/json or a "
                       f"multipart/form-data upload, not {mimetype or 'no media type'}",
                       detail={"accepted": [*YAML_TYPES, *JSON_TYPES, "multipart/form-data"]})
    if len(data) > _limit():
        raise _too_large()
    report = _validate(data, name, as_of)
    # The findings' `localized` text follows ?lang= and Accept-Language.
    return json_response(report_body(report), headers={"Cache-Control": "no-store",
                                                       "Vary": "Accept-Language"})


@cache
def _schema_file(name: str) -> bytes:
    return (SCHEMAS / "project-sheet" / name).read_bytes()


@bp.get("/schemas/project-sheet/<name>")
def sheet_schema(name: str) -> Response:
    """Serve the project sheet's JSON Schema, JSON-LD context or SHACL shapes."""
    if name not in SHEET_FILES:
        raise ApiError(404, f"no schema file {name!r}; there are {', '.join(SHEET_FILES)}")
    return cached_json(_schema_file(name), mimetype=SHEET_FILES[name])


@bp.get("/schemas/catalogue/<name>")
def catalogue_schema(name: str) -> Response:
    """Serve a JSON Schema of the catalogue records."""
    names = sorted(p.name for p in (SCHEMAS / "catalogue").glob("*.schema.json"))
    if name not in names:
        raise ApiError(404, f"no schema file {name!r}; there are {', '.join(names)}")
    return cached_json((SCHEMAS / "catalogue" / name).read_bytes(),
                       mimetype="application/schema+json")


def annotate(text: str, findings: list[Finding]) -> dict[str, Any]:
    """Return the source lines with the findings that point at each, for the page.

    Findings are numbered in report order (the summary links to `#f-N`); one past the
    last line (a YAML error at the end of the file) is shown on the last line.
    """
    lines = text.splitlines() or [""]
    by_line: dict[int, list[tuple[int, Finding]]] = {}
    unplaced = []
    for number, f in enumerate(findings, 1):
        line = min(f.line, len(lines)) if f.line and f.line >= 1 else None
        if line:
            by_line.setdefault(line, []).append((number, f))
        else:
            unplaced.append((number, f))
    return {"lines": [(n, line, by_line.get(n, [])) for n, line in enumerate(lines, 1)],
            "unplaced": unplaced,
            "numbered": list(enumerate(findings, 1))}


SHEET_ID = re.compile(r"^id:\s*['\"]?([a-z0-9][a-z0-9-]{1,62}[a-z0-9])['\"]?\s*$", re.M)


@bp.app_template_filter("code_spans")
def code_spans(text: object) -> Markup:
    """Return a message with its `backticked` parts as <code> (the rest escaped)."""
    escaped = str(Markup.escape("" if text is None else text))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


@bp.get("/project-sheet-template.yaml")
def template() -> Response:
    """Serve a valid project sheet to start from, commented in English, French and Dutch."""
    text = (SCHEMAS / "project-sheet" / "template.yaml").read_text(encoding="utf-8")
    # Point the editor's schema line at this registry rather than at an example host.
    text = text.replace("https://registry.example.brussels/", request.url_root, 1)
    return cached_json(text.encode("utf-8"), mimetype="application/yaml")


@bp.route("/validate", methods=["GET", "POST"])
def page() -> Response | tuple[str, int]:
    """Show the validation form; on submit, the report beside the source."""
    context: dict[str, Any] = {"text": "", "as_of": request.values.get("as_of", ""),
                               "report": None, "error": None}
    status = 200
    if request.method == "POST":
        try:
            upload = request.files.get("file")
            text = request.form.get("text", "")
        except RequestEntityTooLarge:
            upload, text = None, ""
            context["error"] = _("The file is over the limit of %(limit)d bytes.",
                                 limit=_limit())
            status = 413
        data = b""
        name = _("pasted text")
        if upload is not None and upload.filename:
            data = upload.stream.read(_limit() + 1)
            name = upload.filename
        elif text:
            data = text.encode("utf-8", "surrogatepass")
        if status == 200 and not data:
            context["error"] = _("Choose a file or paste the text of a project sheet.")
            status = 400
        if status == 200:
            try:
                as_of = parse_as_of(context["as_of"])
            except ApiError:
                context["error"] = _("as_of=%(value)s is not a date: write it as YYYY-MM-DD",
                                     value=repr(context["as_of"]))
                status = 400
            else:
                report = _validate(data, name, as_of)
                source = data[: _limit()].decode("utf-8", "replace")
                found = SHEET_ID.search(source)
                context.update(report=report, name=name,
                               text=source if upload is None or not upload.filename else "",
                               annotated=annotate(source, report.findings),
                               as_of=as_of.isoformat(),
                               sheet_id=found.group(1) if found else None,
                               root=request.url_root.rstrip("/"),
                               contact=current_app.config["REGISTRY"]["CONTACT_EMAIL"])
    return render_page("validate.html", status=status, **context)


def schema_json() -> dict[str, Any]:
    """Return the project sheet's JSON Schema."""
    return json.loads(_schema_file("v1.json"))
