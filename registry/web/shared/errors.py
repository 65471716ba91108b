"""The one error handler: every error answered as the error body (JSON) or an HTML page.

Views raise `RegistryError` (`ApiError` is the same class, the name the web layer has
always raised it under); werkzeug's HTTP errors (404, 405...) and unexpected exceptions
go through the same answer. Which form: the API's paths always get JSON; elsewhere the
client's Accept header decides, HTML by default.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from registry.documents.findings import M_, Text
from registry.documents.localize import render
from registry.errors import RegistryError
from registry.web.shared.http import json_response
from registry.web.shared.i18n import current_lang, typeset

ApiError = RegistryError

# The messages of the errors werkzeug raises and of an unexpected failure: English in the
# API's error body, in the page's language on an error page.
MESSAGES = {
    404: M_("nothing at {path}: see /openapi.json for the API's routes"),
    405: M_("{method} is not allowed on {path}"),
    413: M_("the request body is too large"),
    500: M_("the registry failed to answer this request; it was logged"),
}


def wants_json() -> bool:
    """Return True when the request should be answered in JSON rather than HTML."""
    if request.path.startswith(("/api/", "/openapi", "/health", "/schemas/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def json_error(error: RegistryError) -> Response:
    """Return the error body of an error, with its status and headers."""
    return json_response(error.body(), error.status, error.headers)


def html_error(error: RegistryError) -> Response:
    """Return the HTML error page of an error, in the page language."""
    # An API message is English: the page says it in its language when the message has
    # a template, else marks it lang="en" when the page is not English.
    message, message_lang = error.message, error.lang
    if error.text is not None:
        said = render(error.text, current_lang())
        message, message_lang = said.text, said.lang
    try:
        html = typeset(render_template("error.html", status=error.status,
                                       message=message, message_lang=message_lang))
    except Exception:  # noqa: BLE001 - the page's context needs the store that failed
        from markupsafe import escape

        html = (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>'
                f'{error.status}</title><main><h1>{error.status}</h1><p>'
                f'{escape(error.message)}</p></main></html>')
    response = Response(html, status=error.status, headers=error.headers or {},
                        mimetype="text/html")
    response.headers["Content-Language"] = current_lang()
    return response


def answer(error: RegistryError) -> Response:
    """Answer an error as JSON or as an HTML page, whichever the request asks for."""
    return json_error(error) if wants_json() else html_error(error)


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(RegistryError)
    def _registry_error(error: RegistryError) -> Any:
        return answer(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        headers = {}
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        if status in MESSAGES:
            text = Text(MESSAGES[status], path=request.path, method=request.method)
            return answer(RegistryError(status, str(text), headers=headers, text=text))
        return answer(RegistryError(status, error.description or error.name,
                                    headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        from registry.storage.trouble import classify

        store = app.extensions["registry"].store
        trouble = classify(error, store.timeouts)
        if trouble is not None:
            # Contention or an unreachable database: the client may try again later.
            app.logger.warning("database trouble on %s %s: %s", request.method,
                               request.path, error)
            if trouble.code == "database-damaged":
                store.damaged = trouble.detail
            return answer(RegistryError(503, trouble.message, code=trouble.code,
                                        headers={"Retry-After": str(trouble.retry_after)}))
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        text = Text(MESSAGES[500])
        return answer(RegistryError(500, str(text), text=text))
