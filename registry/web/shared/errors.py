"""One error body for every API error, and HTML error pages for the rest."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from registry.web.shared.http import json_response
from registry.web.shared.i18n import current_lang

CODES = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
         406: "not-acceptable", 409: "conflict", 412: "precondition-failed",
         413: "too-large", 415: "unsupported-media-type", 422: "invalid",
         428: "precondition-required", 429: "too-many-requests", 500: "internal-error",
         503: "unavailable"}


class ApiError(Exception):
    """An error answered with the registry's error body."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 detail: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.detail = detail
        self.headers = headers


def error_body(status: int, message: str, code: str | None = None,
               detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the error body: {"error": {status, code, message, detail}}."""
    return {"error": {"status": status, "code": code or CODES.get(status, "error"),
                      "message": message, "detail": detail}}


def wants_json() -> bool:
    """Return True when the request should be answered in JSON rather than HTML."""
    if request.path.startswith(("/api/", "/openapi", "/health", "/schemas/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _answer(status: int, message: str, code: str | None = None,
            detail: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Response | tuple[str, int]:
    if wants_json():
        return json_response(error_body(status, message, code, detail), status, headers)
    # The message is the API's (English); the page says so with lang="en" on it.
    html = render_template("error.html", status=status, message=message, message_lang="en")
    response = Response(html, status=status, headers=headers or {}, mimetype="text/html")
    response.headers["Content-Language"] = current_lang()
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Any:
        return _answer(error.status, error.message, error.code, error.detail, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        messages = {
            404: f"nothing at {request.path}: see /openapi.json for the API's routes",
            405: f"{request.method} is not allowed on {request.path}",
            413: "the request body is too large",
        }
        headers = {}
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return _answer(status, messages.get(status, error.description or error.name),
                       headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return _answer(500, "the registry failed to answer this request; it was logged")
