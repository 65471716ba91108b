"""A cache of public answers in front of the app, never staler than the app (no Flask).

Every public read is answered from one read-model snapshot, pinned to the request
(registry.web.shared.consistency), which puts in the WSGI environ as SNAPSHOT_KEY what
the answer read of it (registry.readmodel.reads): by default everything (its version
and day); a view that read less (the catalogue alone, a page of projects) says so.
This WSGI middleware keeps the answers the app itself marks as storable by a shared
cache (`200`, `Cache-Control: public` with a strong ETag, no Set-Cookie, varying on no
more than what the key holds) with those reads, and serves them again, or `304` to a
matching If-None-Match, without running the app, only while they hold in the snapshot
the app would answer from now. So the cache is correct by construction:

* an answer is never kept with reads of a snapshot it was not computed from (a request
  that caught up with the feed mid-way, or raced a write, is kept with the newer one);
* a write, here or on any other server, that changes what an answer read makes the
  next request miss; one that does not (a project update, for a standard's answer)
  leaves it served, because the app would answer the very same bytes;
* the answer then reflects the newer version too, and says so: its `Registry-Version`
  is the newer one (never lower than the one it was kept with), so what a worker
  answers stays monotonic, and the ETag, a function of the bytes, stays true;
* only 200s are kept: a 404 is never served from here, so a lookup that misses always
  reaches the app, which asks the feed once before answering it.

A hit costs a few microseconds instead of several hundred for Flask. Requests with a
Cookie, an Authorization or a Registry-Min-Version header always reach the app.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# Request headers an answer may vary on and still be cached: the key holds them.
KEY_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_HOST")
VARY_OK = {"accept", "accept-language", "host"}
MAX_ENTRY_BYTES = 4 * 1024 * 1024
# Set by the app in the environ: what the answer read of its snapshot, an object with
# `holds(state) -> bool` (the answer is the same in that state) and `version`.
SNAPSHOT_KEY = "registry.snapshot"


@dataclass(frozen=True)
class _Entry:
    reads: Any
    status: str
    headers: list[tuple[str, str]]
    not_modified: list[tuple[str, str]]
    etag: str
    body: bytes
    cost: int = 0  # bytes counted against the budget (see _cost)


# What an entry holds besides its body and its header pairs, in bytes (CPython 3.11,
# 64 bits): the entry object and its attributes, two lists, the key tuple and the
# cache's table slot (tracemalloc: 770 bytes for a 2-byte answer with 8 header pairs
# of shared strings). An answer of a few bytes still costs that much, so the budget
# bounds what the cache holds, not only its bodies: counting bodies alone, answers of
# a few bytes under distinct query strings could hold 30 times the budget.
ENTRY_OVERHEAD = 400
PAIR_OVERHEAD = 2 * 49 + 56  # two str objects and their tuple


def _cost(key: tuple[Any, ...], headers: list[tuple[str, str]],
          not_modified: list[tuple[str, str]], body: bytes, reads: Any) -> int:
    """Return the bytes an entry holds of its own, counted against the budget.

    The reads' own objects are counted (`held_bytes`, when they say); the snapshot
    objects they refer to are not: an entry that holds is current, so those are
    the current snapshot's, and a stale one is dropped when it is next asked for.
    """
    pairs = [*headers, *not_modified]
    return (len(body) + ENTRY_OVERHEAD + len(pairs) * PAIR_OVERHEAD
            + sum(len(n) + len(v) for n, v in pairs)
            + sum(len(part) + 49 for part in key if isinstance(part, str))
            + int(getattr(reads, "held_bytes", lambda: 0)()))


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
            # does, by its snapshot check, before every reuse.
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
    """WSGI middleware: serve stored public answers while what they read holds.

    `current` returns the state (with a `version`) a request would be answered from
    now; the app puts what its answer read of the state it did answer from in the
    environ under SNAPSHOT_KEY. `version_header`, when given, is the answer header that
    names the version: a kept answer served at a newer state says the newer one.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], current: Callable[[], Any],
                 max_bytes: int = 64 * 1024 * 1024, version_header: str | None = None,
                 fresh: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.current = current
        # The state `current` would return now without waiting (reading the feed), or
        # None when it would wait: for callers that must not (kept(wait=False)).
        self.fresh = fresh
        self.max_bytes = max_bytes
        self.version_header = version_header
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

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
        try:
            kept = self.kept(key, environ.get("HTTP_IF_NONE_MATCH"))
        except Exception:  # noqa: BLE001 - the store failed: let the app answer (503)
            return self.app(environ, start_response)
        if kept is not None:
            status, headers, body = kept
            start_response(status, headers)
            return [body] if body else []
        self.misses += 1
        return self._fill(environ, start_response, key)

    @staticmethod
    def key_headers() -> tuple[str, ...]:
        """Return the environ names of the request headers a key holds, in its order."""
        return KEY_HEADERS

    def kept(self, key: tuple[Any, ...], if_none_match: str | None, wait: bool = True
             ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Return the kept answer to a GET (status, headers, body) as the app would give
        it now, or None when it must run.

        The key is (url scheme, path, query string, *the KEY_HEADERS values). With
        wait=False, only from the state `fresh` holds now: None when that would take
        reading the feed first (the caller sends the request through the app, which
        does), so no answer is older than one the app would give.
        """
        if wait:
            current = self.current()
        else:
            current = self.fresh() if self.fresh is not None else None
            if current is None:
                return None
        entry = self._entries.get(key)
        if entry is not None and not entry.reads.holds(current):
            # Stale: its reads refer to objects of an older snapshot (a catalogue, the
            # member set, projects), which it would keep alive until replaced, and the
            # answer the app gives now may not be kept (a 404, a 503).
            self._drop(key, entry)
            entry = None
        if entry is None:
            return None
        self.hits += 1
        if if_none_match and _matches(if_none_match, entry.etag):
            return ("304 Not Modified", self._labelled(entry.not_modified, entry, current),
                    b"")
        return entry.status, self._labelled(entry.headers, entry, current), entry.body

    def _fill(self, environ: dict[str, Any], start_response: Callable[..., Any],
              key: tuple[Any, ...]) -> Iterable[bytes]:
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
        # Read once the answer is complete: what it read of the snapshot it was
        # computed from, which may be newer than the one current when the request came
        # in. A request that pinned none (a static file, an answer given before the
        # pin) is not kept.
        reads = environ.get(SNAPSHOT_KEY)
        if reads is not None and len(body) <= MAX_ENTRY_BYTES:
            headers = list(seen["headers"])
            keep = {"etag", "cache-control", "vary", "content-location", "link"}
            if self.version_header:
                keep.add(self.version_header.lower())
            kept = [(n, v) for n, v in headers if n.lower() in keep]
            self._store(key, _Entry(reads, seen["status"], headers, kept, etag, body,
                                    _cost(key, headers, kept, body, reads)))
        return [body]

    def _labelled(self, headers: list[tuple[str, str]], entry: _Entry, current: Any
                  ) -> list[tuple[str, str]]:
        """Return the headers saying the newest version the kept answer reflects."""
        name = self.version_header
        version = max(entry.reads.version, current.version)
        if name is None or version == entry.reads.version:
            return headers
        lower = name.lower()
        return [(n, str(version) if n.lower() == lower else v) for n, v in headers]

    @property
    def held_bytes(self) -> int:
        """Return what the kept answers cost, as counted against `max_bytes`."""
        return self._bytes

    def _drop(self, key: tuple[Any, ...], entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
                self._bytes -= entry.cost

    def _store(self, key: tuple[Any, ...], entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.cost
            self._entries[key] = entry
            self._bytes += entry.cost
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.cost
