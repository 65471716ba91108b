"""The open-loop generator of bench/open_loop.py counts every request it was due to send.

Against a small local HTTP/1.1 server: every request answered 2xx is timed, one
answered otherwise or never is an error, and what it reports is consistent. No figure
here depends on how fast the machine is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.open_loop import _answer_end, percentile, run

ASKED: list[str] = []  # the paths asked, in order of arrival


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept-alive connections, as the generator uses them

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        ASKED.append(self.path)
        status = 500 if self.path == "/fail" else 304 if self.path == "/same" else 200
        body = b"" if status == 304 else b'{"ok": true}'
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_request_due_is_sent_and_timed(base: str) -> None:
    figures = run(base + "/ok?x=1", rate=400.0, duration=0.25, connections=4)
    assert figures["requests"] == figures["answered"] == 100
    assert figures["errors"] == 0
    assert 0 <= figures["p50_ms"] <= figures["p99_ms"] <= figures["p999_ms"] <= figures["max_ms"]
    assert run(base + "/same", rate=400.0, duration=0.05, connections=2)["answered"] == 20


def test_several_urls_are_asked_in_turn(base: str) -> None:
    ASKED.clear()
    paths = ["/a", "/b?page=1", "/c"]
    figures = run([base + p for p in paths], rate=400.0, duration=0.15, connections=3)
    assert figures["requests"] == figures["answered"] == 60
    assert figures["url"] == [base + p for p in paths]
    assert sorted(ASKED) == sorted(paths * 20), "each URL asked as often"
    with pytest.raises(ValueError, match="one server"):
        run([base + "/a", "http://127.0.0.1:1/b"], rate=10.0, duration=0.1)


def test_an_answer_other_than_2xx_or_3xx_is_an_error(base: str) -> None:
    figures = run(base + "/fail", rate=400.0, duration=0.05, connections=2)
    assert (figures["answered"], figures["errors"]) == (0, 20)


def test_an_answer_is_complete_only_with_its_whole_body() -> None:
    answer = bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc")
    assert _answer_end(answer) is None
    answer += b"deHTTP/1.1"
    assert _answer_end(answer) == (200, len(answer) - len(b"HTTP/1.1"))
    assert _answer_end(bytearray(b"HTTP/1.1 304 Not Modified\r\n\r\n")) == (304, 29)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0)) == (
        50.0, 99.0, 100.0)
