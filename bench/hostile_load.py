"""Availability under attack: /health and a cheap read while slow SPARQL and slowloris run.

    .venv/bin/python -m bench.hostile_load [--workers 2] [--slow-queries 8] [--slowloris 20]
                                           [--probes 20] [--server production|gunicorn-sync]

Serves the shipped catalogue from a temporary instance (SQLite) with the README's
production command, `registry serve --production --workers N`, then:

1. probes `/health` and `GET /api/standards/ngsi-ld` `--probes` times each, alternating,
   each on a new connection as a load balancer would (the quiet baseline);
2. starts the attack: `--slow-queries` clients that each send the slow query of
   issue 14 (`SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }`) and send it
   again as soon as it is answered, and `--slowloris` clients that each open a
   connection, send a request line and then one header byte a second, and open a new
   connection whenever the server drops theirs;
3. after `--settle` seconds of attack, probes again the same way, while it goes on.

It reports the worst and median latency of each probe series, every probe that failed
or timed out (the probe's own timeout is `--probe-timeout`, 30 s), what the attackers
got (SPARQL answers by status, slowloris connections the server dropped), and whether
the issue's targets hold under attack: `/health` worst case at most 500 ms, the
standard at most 200 ms. `--server gunicorn-sync` runs the issue's old setup
(`gunicorn -w 4 'registry:create_app()'`, sync workers) instead, for comparison.

The servers, the attackers and the probes share the machine: run it when nothing else
does, and read the load average printed with the figures. Raw figures go to
bench/out/hostile_load.json. Traffic goes to 127.0.0.1 only; every server is stopped
on the way out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.catalogue_http import BIN, HOST, REPO, child_env, free_port, run_cli, running, wait_ready

OUT = REPO / "bench" / "out" / "hostile_load.json"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
STANDARD = "/api/standards/ngsi-ld"
TARGET_HEALTH_MS = 500.0
TARGET_READ_MS = 200.0


@dataclass
class Probe:
    """One probe: what was asked, how long the answer took, and its status (0: none)."""

    path: str
    ms: float
    status: int
    error: str = ""


@dataclass
class AttackLog:
    """What the attackers saw."""

    sparql: Counter[str] = field(default_factory=Counter)
    slowloris_connections: int = 0
    slowloris_dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str) -> None:
        with self.lock:
            self.sparql[key] += 1


def probe(port: int, path: str, timeout: float) -> Probe:
    """GET a path on a new connection; return how long the whole answer took."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return Probe(path, (time.perf_counter() - started) * 1000, response.status)
    except (OSError, http.client.HTTPException) as exc:
        return Probe(path, (time.perf_counter() - started) * 1000, 0, type(exc).__name__)
    finally:
        connection.close()


def probe_series(port: int, count: int, timeout: float, gap: float) -> list[Probe]:
    """Probe /health and the standard `count` times each, alternating."""
    found = []
    for _ in range(count):
        for path in ("/health", STANDARD):
            found.append(probe(port, path, timeout))
            time.sleep(gap)
    return found


def slow_query_client(port: int, stop: threading.Event, log: AttackLog) -> None:
    """Send the slow query again and again, each on a new connection."""
    path = "/sparql?" + urllib.parse.urlencode({"query": SLOW_QUERY})
    while not stop.is_set():
        connection = http.client.HTTPConnection(HOST, port, timeout=120)
        try:
            connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            response = connection.getresponse()
            body = response.read()
            code = ""
            if response.status >= 400:
                try:
                    code = json.loads(body)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "?"
            log.count(f"{response.status} {code}".strip())
            if response.status == 503:
                # What a polite client does; an impolite one only adds more cheap 503s.
                stop.wait(float(response.getheader("Retry-After") or 1) / 10)
        except (OSError, http.client.HTTPException) as exc:
            log.count(type(exc).__name__)
            stop.wait(0.2)
        finally:
            connection.close()


def slowloris_client(port: int, stop: threading.Event, log: AttackLog) -> None:
    """Hold a connection open by sending a header byte a second; reconnect when dropped."""
    while not stop.is_set():
        try:
            sock = socket.create_connection((HOST, port), timeout=5)
        except OSError:
            stop.wait(0.5)
            continue
        with log.lock:
            log.slowloris_connections += 1
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
            sock.settimeout(1.0)
            while not stop.is_set():
                sock.sendall(b"X")
                try:
                    # Wait a second, watching for the server closing the connection.
                    if sock.recv(4096) == b"":
                        raise ConnectionResetError
                except TimeoutError:
                    pass
        except OSError:
            if not stop.is_set():
                with log.lock:
                    log.slowloris_dropped += 1
        finally:
            sock.close()


def summary(probes: Sequence[Probe]) -> dict[str, dict[str, Any]]:
    """Return worst, median and failures per path."""
    out = {}
    for path in ("/health", STANDARD):
        mine = [p for p in probes if p.path == path]
        times = [p.ms for p in mine]
        out[path] = {"probes": len(mine), "worst_ms": round(max(times), 1),
                     "median_ms": round(statistics.median(times), 1),
                     "failed": [asdict(p) for p in mine if p.status != 200]}
    return out


def server_command(args: argparse.Namespace, port: int) -> list[str]:
    """Return the command of the server under test."""
    if args.server == "gunicorn-sync":
        return [str(BIN / "gunicorn"), "-w", "4", "-b", f"{HOST}:{port}",
                "--no-control-socket", "registry:create_app()"]
    return [str(BIN / "registry"), "serve", "--production", "--host", HOST,
            "--port", str(port), "--workers", str(args.workers)]


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Start the server, probe it quiet and under attack; return the figures."""
    env = child_env(work / "instance", work / "pycache")
    env.update({"REGISTRY_PRODUCTION": "true", "REGISTRY_SECRET_KEY": secrets.token_hex(32),
                "REGISTRY_BASE_IRI": "https://registry.example.org/"})
    run_cli(["db", "upgrade"], env)
    run_cli(["import", str(REPO)], env)
    port = free_port()
    log_path = work / "server.log"
    with running(server_command(args, port), env, REPO, log_path) as process:
        wait_ready(f"http://{HOST}:{port}/health", process, log_path, timeout=120)
        for _ in range(3):  # warm every worker's snapshot and response cache
            probe(port, STANDARD, 10)
        quiet = probe_series(port, args.probes, args.probe_timeout, args.gap)
        stop = threading.Event()
        log = AttackLog()
        attackers = [threading.Thread(target=slow_query_client, args=(port, stop, log),
                                      daemon=True) for _ in range(args.slow_queries)]
        attackers += [threading.Thread(target=slowloris_client, args=(port, stop, log),
                                       daemon=True) for _ in range(args.slowloris)]
        for thread in attackers:
            thread.start()
        time.sleep(args.settle)
        load_during = os.getloadavg()
        attacked = probe_series(port, args.probes, args.probe_timeout, args.gap)
        stop.set()
        for thread in attackers:
            thread.join(15)
    under = summary(attacked)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "server": " ".join(server_command(args, 0)).replace(str(BIN) + "/", ""),
        "options": {k: v for k, v in vars(args).items() if k != "func"},
        "cpus": os.cpu_count(),
        "load_average_under_attack": [round(x, 2) for x in load_during],
        "quiet": summary(quiet),
        "under_attack": under,
        "attack": {"sparql_answers": dict(log.sparql),
                   "slowloris_connections": log.slowloris_connections,
                   "slowloris_dropped_by_server": log.slowloris_dropped},
        "targets": {
            "health_worst_ms": TARGET_HEALTH_MS, "read_worst_ms": TARGET_READ_MS,
            "health_met": under["/health"]["worst_ms"] <= TARGET_HEALTH_MS
            and not under["/health"]["failed"],
            "read_met": under[STANDARD]["worst_ms"] <= TARGET_READ_MS
            and not under[STANDARD]["failed"]},
    }


def report(result: dict[str, Any]) -> str:
    """Return the figures as a table."""
    lines = [f"server: {result['server']}  ({result['cpus']} CPUs, load average under "
             f"attack {result['load_average_under_attack']})",
             f"{'':24} {'quiet worst':>12} {'median':>8} {'attack worst':>13} "
             f"{'median':>8}  failed"]
    for path in ("/health", STANDARD):
        q, a = result["quiet"][path], result["under_attack"][path]
        lines.append(f"{path:24} {q['worst_ms']:>10.1f}ms {q['median_ms']:>6.1f}ms "
                     f"{a['worst_ms']:>11.1f}ms {a['median_ms']:>6.1f}ms  "
                     f"{len(a['failed'])}/{a['probes']}")
    attack = result["attack"]
    lines.append(f"SPARQL answers to the attackers: {attack['sparql_answers']}")
    lines.append(f"slowloris: {attack['slowloris_connections']} connections, "
                 f"{attack['slowloris_dropped_by_server']} dropped by the server")
    t = result["targets"]
    lines.append(f"target /health worst <= {t['health_worst_ms']:.0f} ms: "
                 f"{'met' if t['health_met'] else 'MISSED'}; standard worst <= "
                 f"{t['read_worst_ms']:.0f} ms: {'met' if t['read_met'] else 'MISSED'}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_load",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=("production", "gunicorn-sync"),
                        default="production")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slow-queries", type=int, default=8)
    parser.add_argument("--slowloris", type=int, default=20)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.25,
                        help="seconds between two probes")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds of attack before the probes start")
    parser.add_argument("--probe-timeout", type=float, default=30.0)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="registry-hostile-") as folder:
        result = measure(args, Path(folder))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    met = result["targets"]["health_met"] and result["targets"]["read_met"]
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
