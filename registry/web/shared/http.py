"""HTTP helpers: JSON bodies, entity tags and conditional reads."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from flask import Response, current_app, request


def dumps(data: Any) -> bytes:
    """Serialise data as JSON (dates as ISO strings)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def body_etag(body: bytes) -> str:
    """Return a strong entity tag for a response body."""
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Return True when an If-None-Match / If-Match header names this entity tag."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def strong_etag_matches(header: str | None, etag: str) -> bool:
    """Return True when an If-Match header names exactly this strong entity tag.

    For writes: `*` and weak `W/` tags never match, so a write always proves it was
    based on the current revision.
    """
    if not header or etag.startswith("W/"):
        return False
    return any(tag.strip() == etag for tag in header.split(","))


def cached_json(body: bytes, etag: str | None = None, status: int = 200,
                mimetype: str = "application/json", *, fixed: bool = False) -> Response:
    """Answer a read with ETag and Cache-Control, or 304 when the client's copy is current.

    Any write may change a read at any moment, so clients revalidate every time
    (`public, no-cache` with the ETag: a 304 costs no body); only `fixed` answers, which
    change with a release alone, may be kept CACHE_MAX_AGE seconds.
    """
    etag = etag or body_etag(body)
    if fixed:
        max_age = current_app.config["REGISTRY"]["CACHE_MAX_AGE"]
        cache_control = f"public, max-age={max_age}"
    else:
        cache_control = "public, no-cache"
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers=headers)
    return Response(body, status=status, mimetype=mimetype, headers=headers)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    """Answer with a JSON body, uncached."""
    return Response(dumps(data), status=status, mimetype="application/json",
                    headers=headers or {})

