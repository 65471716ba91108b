"""Kept answers sent straight from a request's bytes, without gunicorn's parser or WSGI.

A read the response cache (registry.response_cache) holds costs the cache a few
microseconds, but gunicorn several hundred around it: parsing the request into a
message object, building the WSGI environ, processing the answer's headers one by
one, a thread of the pool woken for it and handed back. For the plainest requests,
which are what API clients, load balancers and benchmarks send, this module reads the
request line and headers itself and, when the cache holds the answer in the state the
app would answer from now, writes the very bytes gunicorn would have written: its
status line, `Server`, `Date` and `Connection: keep-alive`, then the app's headers and
body, or the `304` to a matching If-None-Match.

Anything else is left to gunicorn, unread: a method other than GET, HTTP/1.0, a
percent-encoded path (gunicorn decodes it), a header outside a short list of those that
neither gunicorn nor the cache's bypass reads (so a Cookie, Authorization,
Registry-Min-Version, Content-Length, Transfer-Encoding, Expect, Upgrade, Connection
other than keep-alive, any forwarding header), a repeated header, a byte outside
printable ASCII, a request not complete in what arrived, or more than one request.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.utils import formatdate

from gunicorn import SERVER

from registry.response_cache import ResponseCache

# Headers a plain request may carry; the others send it through gunicorn.
PLAIN_HEADERS = {
    "host": "HTTP_HOST",
    "accept": "HTTP_ACCEPT",
    "accept-language": "HTTP_ACCEPT_LANGUAGE",
    "accept-encoding": None,  # the app compresses nothing
    "user-agent": None,
    "if-none-match": "HTTP_IF_NONE_MATCH",
    "cache-control": None,
    "pragma": None,
    "referer": None,
    "connection": None,  # keep-alive only (checked below)
}
MAX_REQUEST_BYTES = 8190  # gunicorn's limit_request_line: a longer request goes to it
# The request line: GET, a path without %-escapes (gunicorn decodes those) or fragment,
# a query left as it is (as gunicorn leaves QUERY_STRING), HTTP/1.1.
_REQUEST_LINE = re.compile(
    rb"GET (/[A-Za-z0-9\-._~/!$&'()*+,;=:@]*)(?:\?([A-Za-z0-9\-._~/!$&'()*+,;=:@?%]*))?"
    rb" HTTP/1\.1")
_VALUE = re.compile(rb"[\x20-\x7e\t]*")
_BLANKS = " \t"  # stripped from header values, as gunicorn does
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
               "te", "trailers", "transfer-encoding", "upgrade"}


@dataclass(frozen=True)
class PlainGet:
    """A plain GET request: the cache's key and its If-None-Match."""

    key: tuple[str | None, ...]
    if_none_match: str | None


def parse_plain_get(data: bytes) -> PlainGet | None:
    """Return the request in `data` if it is one complete plain GET, else None."""
    if len(data) > MAX_REQUEST_BYTES or not data.endswith(b"\r\n\r\n"):
        return None
    lines = data[:-4].split(b"\r\n")
    if b"\r\n\r\n" in data[:-4] or b"\n" in data[:-4].replace(b"\r\n", b""):
        return None  # a second request, or a bare line feed
    match = _REQUEST_LINE.fullmatch(lines[0])
    if match is None:
        return None
    values: dict[str, str] = {}
    seen: set[str] = set()
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _VALUE.fullmatch(value):
            return None
        lower = name.decode("latin-1").lower()
        field = PLAIN_HEADERS.get(lower, "")
        if field == "" or lower in seen:
            return None  # not plain, or repeated (gunicorn joins or refuses those)
        seen.add(lower)
        text = value.decode("latin-1").strip(" \t")
        if lower == "connection" and text.lower() != "keep-alive":
            return None
        if field is not None:
            values[field] = text
    if "HTTP_HOST" not in values:
        return None
    path, query = match.group(1), match.group(2)
    key = ("http", path.decode("latin-1"),
           "" if query is None else query.decode("latin-1"),
           *(values.get(h) for h in ResponseCache.key_headers()))
    return PlainGet(key, values.get("HTTP_IF_NONE_MATCH"))


class HitWriter:
    """Answers plain GETs from a response cache, as gunicorn would write them."""

    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache
        self._date: tuple[int, bytes] = (-1, b"")

    def answer(self, data: bytes) -> bytes | None:
        """Return the bytes answering the request in `data`, or None (gunicorn answers).

        Only from a state the read model holds fresh now (ResponseCache.kept with
        wait=False): a request that would make the app read the feed first is left to
        a thread, which does.
        """
        request = parse_plain_get(data)
        if request is None:
            return None
        kept = self.cache.kept(request.key, request.if_none_match, wait=False)
        if kept is None:
            return None
        status, headers, body = kept
        lines = [f"HTTP/1.1 {status}\r\nServer: {SERVER}\r\nDate: ".encode("latin-1"),
                 self._now(), b"\r\nConnection: keep-alive\r\n"]
        has_length = False
        for name, value in headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                return None
            has_length = has_length or lower == "content-length"
            lines.append(f"{name}: {value.strip(_BLANKS)}\r\n".encode("latin-1"))
        if not has_length and not status.startswith("304"):
            return None  # gunicorn would send it chunked
        lines.append(b"\r\n")
        if not status.startswith("304"):
            lines.append(body)
        return b"".join(lines)

    def _now(self) -> bytes:
        # gunicorn's Date (util.http_date), formatted once a second.
        second = int(time.time())
        stamp = self._date  # one tuple: threads share it
        if stamp[0] != second:
            stamp = (second, formatdate(second, localtime=False, usegmt=True).encode("ascii"))
            self._date = stamp
        return stamp[1]
