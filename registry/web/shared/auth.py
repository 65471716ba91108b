"""Who is asking: bearer tokens, roles, and the refusals that go with them."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import current_app, request

from registry.storage.tokens import Identity, TokenError, authenticate
from registry.web.shared.errors import ApiError

PREFIX_SHAPE = re.compile(r"rgt_[0-9a-f]{8}(?=_)", re.ASCII)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="registry"'}


def identity() -> Identity:
    """Return the identity of the request's bearer token, or answer 401 (429 when guessing)."""
    limiter = current_app.extensions["auth_failures"]
    client = request.remote_addr or "unknown"
    key = f"{client} {_prefix(request.headers.get('Authorization', ''))}"
    wait = limiter.retry_after(key)
    if wait:
        raise ApiError(429, f"too many failed authentications from {client} with this "
                       f"token: try again in {wait} seconds", code="too-many-requests",
                       headers={"Retry-After": str(wait)})
    try:
        return _identity()
    except ApiError:
        if request.headers.get("Authorization"):  # a wrong credential, not a missing one
            limiter.fail(key)
        raise


def _prefix(header: str) -> str:
    """Return what failures are counted under besides the address: the token's id."""
    secret = header.partition(" ")[2].strip()
    found = PREFIX_SHAPE.match(secret)
    # Malformed credentials share one count per address: they cannot be valid tokens.
    return found.group(0) if found else "(malformed)"


def _identity() -> Identity:
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiError(401, "this request changes data and needs a token: send "
                       "'Authorization: Bearer <token>' (create one with "
                       "`registry token create`)", code="unauthorized", headers=CHALLENGE)
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "the Authorization header must be 'Bearer <token>'",
                       code="unauthorized", headers=CHALLENGE)
    try:
        return authenticate(current_app.extensions["registry"].store, secret.strip())
    except TokenError as exc:
        raise ApiError(401, str(exc), code="unauthorized", headers=CHALLENGE) from None


def require(allowed: Callable[[Identity], bool], what: str) -> Identity:
    """Return the request's identity when `allowed`, else answer 401 or 403."""
    who = identity()
    if not allowed(who):
        raise ApiError(403, f"a {who.role} token may not {what}", code="forbidden",
                       detail={"role": who.role})
    return who
