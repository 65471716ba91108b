"""A shared cache of public answers in front of the app, never staler than the app (no Flask).

The registry's public reads are built from the catalogue and roadmap snapshots, which
every worker follows within REGISTRY_SNAPSHOT_TTL of a write (at once for its own
writes). This WSGI middleware keeps the answers the app itself marks as storable by a
shared cache (`Cache-Control: public` with an ETag, no Set-Cookie, varying on no more
than what the key holds) and serves them again, or 304 to a matching If-None-Match,
without running the app, for as long as the stored versions and the date are those
it was built under. A write moves the version, and the next request misses: the cache
answers exactly what the app would, only without running Flask (a cached read costs
a few microseconds instead of a few hundred).

Requests with a Cookie, an Authorization or a Registry-Min-Version header always reach
the app.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

# Request headers an answer may vary on and still be cached: the key holds them.
KEY_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_HOST")
VARY_OK = {"accept", "accept-language", "host"}
MAX_ENTRY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class _Entry:
    generation: Hashable
    status: str
    headers: list[tuple[str, str]]
    not_modified: list[tuple[str, str]]
    etag: str
    body: bytes


def _storable(status: str, headers: list[tuple[str, str]]) -> str | None:
    """Return the ETag when a shared cache may store this answer, else None."""
    if not status.startswith("200"):
        return None
    etag = None
    public = False
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            return None
        if lower == "cache-control":
            directives = {d.strip().split("=", 1)[0].lower() for d in value.split(",")}
            # `public, no-cache` is storable: clients must revalidate, and this cache
            # does, by its generation check, before every reuse.
            if "public" not in directives or directives & {"private", "no-store"}:
                return None
            public = True
        elif lower == "vary":
            if {v.strip().lower() for v in value.split(",")} - VARY_OK:
                return None
        elif lower == "etag":
            etag = value
    return etag if public and etag and not etag.startswith("W/") else None


def _matches(header: str, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


class ResponseCache:
    """WSGI middleware: serve stored public answers while their generation is current."""

    def __init__(self, app: Callable[..., Iterable[bytes]], generation: Callable[[], Hashable],
                 max_bytes: int = 64 * 1024 * 1024) -> None:
        self.app = app
        self.generation = generation
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        """Answer from the cache, or run the app and keep what it allows."""
        if (environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ
                or "HTTP_AUTHORIZATION" in environ
                # The app may have to wait for that version (or answer 503).
                or "HTTP_REGISTRY_MIN_VERSION" in environ):
            return self.app(environ, start_response)
        key = (environ.get("wsgi.url_scheme"), environ.get("PATH_INFO"),
               environ.get("QUERY_STRING"), *(environ.get(h) for h in KEY_HEADERS))
        # Read before the app runs: an answer built while a write lands is kept under
        # the older generation, so it is never served after the write.
        try:
            generation = (self.generation(), datetime.date.today())
        except Exception:  # noqa: BLE001 - the store failed: let the app answer (503)
            return self.app(environ, start_response)
        entry = self._entries.get(key)
        if entry is not None and entry.generation == generation:
            self.hits += 1
            condition = environ.get("HTTP_IF_NONE_MATCH")
            if condition and _matches(condition, entry.etag):
                start_response("304 Not Modified", entry.not_modified)
                return []
            start_response(entry.status, entry.headers)
            return [entry.body]
        return self._fill(environ, start_response, key, generation)

    def _fill(self, environ: dict[str, Any], start_response: Callable[..., Any],
              key: tuple[Any, ...], generation: Hashable) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None
                    ) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        etag = _storable(seen.get("status", ""), seen.get("headers", []))
        if etag is None:
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if len(body) <= MAX_ENTRY_BYTES:
            headers = list(seen["headers"])
            keep = {"etag", "cache-control", "vary", "content-location", "link"}
            self._store(key, _Entry(generation, seen["status"], headers,
                                    [(n, v) for n, v in headers if n.lower() in keep],
                                    etag, body))
        return [body]

    def _store(self, key: tuple[Any, ...], entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)
