"""Production safety: refuse unsafe configurations, security headers, auth rate limits."""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict, deque
from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from registry.storage.store import Store

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
WEAK_KEYS = {"dev", "development", "secret", "changeme", "change-me", "password", "test"}
MIN_KEY_LENGTH = 32


class UnsafeConfiguration(RuntimeError):
    """The app must not start in production with these settings."""


def check_production(app: Flask, store: Store) -> None:
    """Raise UnsafeConfiguration when a production app is not safe to start."""
    settings = app.config["REGISTRY"]
    problems = []
    if app.debug:
        problems.append("debug mode is on: unset FLASK_DEBUG (it shows code and a console)")
    key = settings["SECRET_KEY"] or ""
    if len(key) < MIN_KEY_LENGTH or key.lower() in WEAK_KEYS or len(set(key)) < 8:
        problems.append(f"REGISTRY_SECRET_KEY is missing or weak: set {MIN_KEY_LENGTH} or "
                        "more random characters, e.g. python -c 'import secrets; "
                        "print(secrets.token_hex(32))'")
    if not settings.get("BASE_IRI"):
        problems.append("REGISTRY_BASE_IRI is not set: set it to the registry's public root "
                        "URL (e.g. https://registry.example.org/), so that IRIs and links "
                        "never come from a request's Host header")
    pending = store.pending_migrations()
    if pending:
        problems.append(f"the database has {len(pending)} pending migration(s) "
                        f"({', '.join(pending)}): run `registry db upgrade` first")
    if problems:
        raise UnsafeConfiguration("the registry refuses to start in production: "
                                  + "; ".join(problems))


class FailureLimiter:
    """Count failed authentications per client address and token prefix in a window.

    The key is the address and the id a token starts with (rgt_<id>_...): guessing the
    secret of one token is stopped, while a valid token sent from the same address
    (behind a reverse proxy, everyone's) keeps working. Kept per process: with N
    workers a client gets at most N times the limit, which still stops guessing at any
    useful rate.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def retry_after(self, key: str) -> int:
        """Return seconds to wait when the client is over the limit, else 0."""
        now = time.monotonic()
        with self._lock:
            times = self._prune(key, now)
            if len(times) < self.limit:
                return 0
            return max(1, int(self.window - (now - times[0])) + 1)

    def fail(self, key: str) -> None:
        """Record one failed authentication."""
        now = time.monotonic()
        with self._lock:
            self._prune(key, now).append(now)
            if len(self._failures) > 10_000:  # bound memory under a spray of addresses
                for stale in [k for k, v in self._failures.items() if not v]:
                    del self._failures[stale]


def init_app(app: Flask) -> None:
    """Add the security headers and cookie settings."""
    production = app.config["REGISTRY"]["PRODUCTION"]
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=bool(production))
    app.session_interface = LazySessionInterface()
    settings = app.config["REGISTRY"]
    app.extensions["auth_failures"] = FailureLimiter(settings["AUTH_FAILURE_LIMIT"],
                                                     settings["AUTH_FAILURE_WINDOW"])

    @app.before_request
    def _no_control_characters() -> Response | None:
        # A NUL or another control character in a path is never an id the registry
        # made: refused here, it can reach neither the database (PostgreSQL refuses
        # NUL in text) nor a response header (a Link header would carry it).
        if _CONTROL.search(request.path):
            from registry.web.shared.errors import ApiError

            raise ApiError(400, "the path contains a control character (U+0000 to U+001F "
                           "or U+007F): no registry resource has one", code="bad-request")
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if production and request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


class LazySessionInterface(SecureCookieSessionInterface):
    """Open the signed-cookie session only when the request carries one.

    API reads never use the session, and building the cookie signer on each of them
    costs a measurable share of a cached read.
    """

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        """Return an empty session without touching the signer when there is no cookie."""
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
