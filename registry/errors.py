"""The one error type every entry point answers with: status, code, message and detail.

No Flask here: the core raises it too (the SPARQL endpoint's refusals), and the web
layer's one handler (`registry.web.shared.errors`) answers it as JSON or as an HTML
page, by content negotiation.
"""

from __future__ import annotations

from typing import Any

from registry.documents.findings import Text

CODES = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
         405: "method-not-allowed", 406: "not-acceptable", 409: "conflict",
         412: "precondition-failed", 413: "too-large", 415: "unsupported-media-type",
         422: "invalid", 428: "precondition-required", 429: "too-many-requests",
         500: "internal-error", 503: "unavailable"}


class RegistryError(Exception):
    """An error answered to the client with the registry's error body or error page.

    `lang` is the language of the message: API messages are English; a page's own
    message is written in the page language (the HTML page marks any other language).
    `text`, when given, is the message as a template with its parameters (`str(text)`
    is `message`): the HTML page says it in the page's language.
    """

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 detail: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, lang: str = "en",
                 text: Text | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.detail = detail
        self.headers = headers
        self.lang = lang
        self.text = text

    def body(self) -> dict[str, Any]:
        """Return the error body: {"error": {status, code, message, detail}}."""
        return {"error": {"status": self.status, "code": self.code,
                          "message": self.message, "detail": self.detail}}
