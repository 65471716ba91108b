"""The request-body limit, enforced on bodies of unknown length too (WSGI middleware).

A chunked request has no Content-Length, so werkzeug can only stop reading at the
limit (MAX_CONTENT_LENGTH): a reader asking for limit + 1 bytes got exactly the limit
and could not tell a body cut short from a body that fits, and a 2 MiB sheet was
stored cut to 1 MiB. This wrapper of the server's input stream looks one byte past
the limit and refuses the request (413) when there is more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge


class LimitedBody:
    """An input stream that raises RequestEntityTooLarge past `limit` bytes."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self.limit = limit
        self._seen = 0
        self._ended = False

    def _count(self, data: bytes) -> bytes:
        self._seen += len(data)
        if self._seen > self.limit:
            raise RequestEntityTooLarge(f"the request body is over the limit of "
                                        f"{self.limit} bytes")
        if self._seen == self.limit and not self._ended:
            # Exactly at the limit: the body fits only if nothing follows.
            if self._stream.read(1):
                raise RequestEntityTooLarge(f"the request body is over the limit of "
                                            f"{self.limit} bytes")
            self._ended = True
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Read at most `size` bytes (all that is left, up to the limit, for -1)."""
        if self._ended:
            return b""
        room = self.limit - self._seen
        wanted = room if size is None or size < 0 else min(size, room)
        if wanted <= 0:
            return self._count(self._stream.read(1))
        return self._count(self._stream.read(wanted))

    def readline(self, size: int | None = -1) -> bytes:
        """Read a line, within the limit."""
        if self._ended:
            return b""
        room = self.limit - self._seen
        wanted = room if size is None or size < 0 else min(size, room)
        return self._count(self._stream.readline(max(wanted, 1)))

    def __iter__(self) -> LimitedBody:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class BodyLimit:
    """WSGI middleware: bodies without Content-Length are held to `limit` bytes."""

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        """Wrap the input stream of a request whose length is not announced."""
        # werkzeug ignores Content-Length beside Transfer-Encoding: chunked, and so here.
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        if (chunked or not environ.get("CONTENT_LENGTH")) and "wsgi.input" in environ:
            environ["wsgi.input"] = LimitedBody(environ["wsgi.input"], self.limit)
        return self.app(environ, start_response)
