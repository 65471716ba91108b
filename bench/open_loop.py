"""An open-loop load generator: GETs at a fixed rate, each timed from when it was due.

    .venv/bin/python -m bench.open_loop URL [URL ...] --rate 3000 --duration 5 [--connections 32]

wrk runs a closed loop: each connection sends its next request when the answer to the
previous one came, so a server that stalls for 50 ms is simply sent nothing meanwhile,
and the requests that would have waited through the stall are never timed (coordinated
omission). At saturation its latencies also measure the queue it keeps full itself:
mean latency = connections / throughput. Here request i is due at start + i / rate
whatever the server does; it goes out on an idle kept-alive connection as soon as one
is free, and its latency runs from when it was due to the end of its answer. A stall
then shows in every request due during it. Requests due while all connections are
busy wait in order (their wait counts). The generator's own delays count against the
server too, so the figures are an upper bound.

Several URLs (of one server) are asked in turn, as wrk's mix scripts do.

Prints one JSON object: the rate asked and achieved, answers, errors (no answer, or a
status other than 2xx/3xx), and p50, p99, p99.9 and the maximum, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import sys
import time
import urllib.parse
from collections import deque
from collections.abc import Sequence
from typing import Any

GRACE_S = 30.0  # after the last request is due, how long answers are awaited


def _answer_end(buffer: bytearray) -> tuple[int, int] | None:
    """Return (status, bytes) of the complete answer at the buffer's start, else None."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buffer[:head_end]).split(b"\r\n")
    status = int(head[0].split()[1])
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    end = head_end + 4 + length
    return (status, end) if len(buffer) >= end else None


def percentile(values: Sequence[float], share: float) -> float:
    """Return the value below which `share` of the sorted values lie (nearest rank)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, int(share * len(values) + 0.5) - 1))]


def run(url: str | Sequence[str], rate: float, duration: float, connections: int = 32
        ) -> dict[str, Any]:
    """Send GET url at `rate` per second for `duration` seconds; return the figures.

    With several URLs (one host and port), request i asks URL i modulo their number.
    """
    urls = [url] if isinstance(url, str) else list(url)
    requests = []
    for each in urls:
        parts = urllib.parse.urlsplit(each)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        requests.append(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    parts = urllib.parse.urlsplit(urls[0])
    if any(urllib.parse.urlsplit(u).netloc != parts.netloc for u in urls):
        raise ValueError("the URLs of one generator name one server")
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    selector = selectors.DefaultSelector()
    idle: deque[socket.socket] = deque()
    due_of: dict[socket.socket, float] = {}
    buffers: dict[socket.socket, bytearray] = {}
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        buffers[sock] = bytearray()
        idle.append(sock)
    total = max(1, round(rate * duration))
    latencies: list[float] = []
    errors = 0
    waiting: deque[float] = deque()  # due times of requests no connection was free for
    most_waiting = 0
    start = time.perf_counter() + 0.05
    sent = 0
    asked = 0  # requests sent so far: which URL the next one asks
    last = start
    give_up = start + duration + GRACE_S
    try:
        while len(latencies) + errors < total:
            now = time.perf_counter()
            if now > give_up:
                errors += total - len(latencies) - errors  # never answered
                break
            while sent < total and start + sent / rate <= now:
                waiting.append(start + sent / rate)
                sent += 1
            most_waiting = max(most_waiting, len(waiting))
            while waiting and idle:
                sock = idle.popleft()
                due_of[sock] = waiting.popleft()
                try:
                    sock.sendall(requests[asked % len(requests)])
                    asked += 1  # a few dozen bytes: the buffer takes them
                except OSError:
                    errors += 1
                    selector.unregister(sock)
                    sock.close()
                    del due_of[sock]
            wait = (start + sent / rate - time.perf_counter()) if sent < total else 0.1
            for key, _ in selector.select(max(0.0, wait)):
                sock = key.fileobj  # type: ignore[assignment]
                try:
                    data = sock.recv(262144)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # closed by the server: what it owed is lost
                    errors += 1 if sock in due_of else 0
                    due_of.pop(sock, None)
                    selector.unregister(sock)
                    sock.close()
                    continue
                buffer = buffers[sock]
                buffer += data
                answered = _answer_end(buffer)
                if answered is None or sock not in due_of:
                    continue
                status, end = answered
                del buffer[:end]
                last = time.perf_counter()
                if 200 <= status < 400:
                    latencies.append(last - due_of.pop(sock))
                else:
                    errors += 1
                    due_of.pop(sock)
                idle.append(sock)
            if not idle and not due_of and sent < total:
                errors += total - len(latencies) - errors  # every connection closed
                break
    finally:
        for sock in list(buffers):
            sock.close()
        selector.close()
    latencies.sort()
    return {
        "url": url if isinstance(url, str) else urls, "rate": rate, "duration_s": duration, "connections": connections,
        "requests": total, "answered": len(latencies), "errors": errors,
        "achieved_rate": len(latencies) / max(1e-9, last - start),
        "most_waiting_for_a_connection": most_waiting,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "p999_ms": 1000 * percentile(latencies, 0.999),
        "max_ms": 1000 * latencies[-1] if latencies else float("nan"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the generator and print its figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.open_loop",
                                     description="GETs at a fixed rate (open loop).")
    parser.add_argument("url", nargs="+", help="one or more URLs of one server, in turn")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds (default 5)")
    parser.add_argument("--connections", type=int, default=32,
                        help="kept-alive connections (default 32)")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or args.connections < 1:
        parser.error("rate, duration and connections must be positive")
    urls = args.url[0] if len(args.url) == 1 else args.url
    print(json.dumps(run(urls, args.rate, args.duration, args.connections)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
