"""Mixed load: reads, validations and writes from 50 clients against gunicorn, per backend.

    .venv/bin/python -m bench.load [--seconds 60] [--clients 50] [--workers 4]
                                   [--backends sqlite,postgresql] [--pg-url URL] [--check]

For each backend (SQLite; PostgreSQL when --pg-url or REGISTRY_TEST_DATABASE_URL names
a server, in a schema of its own that is dropped afterwards) it prepares a fresh store
(migrations, the shipped catalogue, the example roadmap submitted through the API),
starts `gunicorn -w 4 'registry:create_app()'` (sync workers, as the README's production
recipe) on 127.0.0.1, and runs `--clients` threads, each with its own HTTP/1.1
connection, drawing operations at random:

* 70% reads: one standard (25), a filtered list of standards (15), one project with its
  validation and compliance (20), the list of projects (10);
* 20% `POST /api/validate` of an example sheet (YAML);
* 10% updates: read a project (3 in 4) or a standard, then PUT it back changed with
  If-Match. A 412 (someone else wrote first) is the API working, counted apart.

After `--warmup` seconds that are not measured it measures `--seconds` seconds and prints,
per operation, the count, requests/s, p50/p95/p99 latency, 5xx and other unexpected
answers; then the memory of the server: the RSS of the gunicorn master and workers read
from /proc every second, the mean of the first and of the last quarter of the run (15 s
of a 60 s run) compared (flat when within 10%). Raw figures go to bench/out/load.json.

Exit status 1 when any answer was a 5xx, an unexpected status or a dropped connection
(and with --check when memory was not flat). Latencies are measured by the client
threads, which share the machine's CPUs with the server: on a small machine they
include the client's own queueing.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = REPO / "bench" / "out" / "load.json"
HOST = "127.0.0.1"
AS_OF = "2026-11-26"  # the date the example sheets are valid on
FLAT_WITHIN = 0.10

READ_STANDARD = "GET /api/standards/{id}"
READ_STANDARDS = "GET /api/standards?filter"
READ_PROJECT = "GET /api/projects/{id}"
READ_PROJECTS = "GET /api/projects"
VALIDATE = "POST /api/validate"
WRITE_PROJECT = "PUT /api/projects/{id}"
WRITE_STANDARD = "PUT /api/standards/{id}"
OPERATIONS = (READ_STANDARD, READ_STANDARDS, READ_PROJECT, READ_PROJECTS, VALIDATE,
              WRITE_PROJECT, WRITE_STANDARD)
# What a client does next, by weight out of 100: reads 70, validations 20, updates 10.
MIX = {READ_STANDARD: 25, READ_STANDARDS: 15, READ_PROJECT: 20, READ_PROJECTS: 10,
       VALIDATE: 20, "update": 10}
LIST_QUERIES = ("status=mandatory", "status=recommended,candidate", "layer=semantic",
                "applies_to=open-data-publication", "q=data", "category=metadata")


# -- the store and the server -------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    """Bearer headers of the writers: architects (standards) and the Office (projects)."""

    architect: dict[str, str]
    office: dict[str, str]


@contextmanager
def fresh_store(backend: str, folder: Path, pg_url: str) -> Iterator[str]:
    """Yield the URL of an empty database of the backend; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'registry.sqlite'}"
        return
    from registry.storage.scratch import scratch_schema

    with scratch_schema(pg_url, "bench_load_") as url:
        yield url


def prepare(url: str, instance: Path) -> Tokens:
    """Migrate the store, import the shipped catalogue, create the writers' tokens.

    Done here, once, before the workers start, as the README's production recipe does,
    so that the figures are those of a running server, not of its first start.
    """
    from registry import create_app
    from registry.storage.tokens import create_token

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    store = app.extensions["registry"].store
    try:
        architect, _ = create_token(store, role="architect", organisations=[],
                                    name="bench.load architect")
        office, _ = create_token(store, role="office", organisations=[],
                                 name="bench.load office")
    finally:
        store.engine.dispose()
    return Tokens({"Authorization": f"Bearer {architect}"},
                  {"Authorization": f"Bearer {office}"})


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def gunicorn_command(workers: int, port: int) -> list[str]:
    """Return the gunicorn command line of the server under load."""
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"{HOST}:{port}",
               "--timeout", "120"]
    with suppress(ImportError):
        from gunicorn.config import KNOWN_SETTINGS

        # gunicorn 25+ opens a control socket in ~/.gunicorn shared by all the user's
        # servers; the benchmark's server must not take another one's.
        if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
            command.append("--no-control-socket")
    return [*command, "registry:create_app()"]


@contextmanager
def server(url: str, folder: Path, workers: int) -> Iterator[tuple[subprocess.Popen[bytes], int,
                                                                 Path]]:
    """Run gunicorn on the store for the duration of the block: (process, port, log)."""
    port = free_port()
    log = folder / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update({"REGISTRY_DATABASE_URL": url, "REGISTRY_INSTANCE_PATH": str(folder / "instance"),
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH"))
                                              if p)})
    with log.open("wb") as out:
        process = subprocess.Popen(gunicorn_command(workers, port), cwd=REPO, env=env,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
            probe = Client(port, timeout=5)
            with suppress(OSError, http.client.HTTPException):
                if probe.request("GET", "/health")[0] == 200:
                    probe.close()
                    break
            probe.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /health in 120 s:\n{tail(log)}")
            time.sleep(0.1)
        yield process, port, log
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(30)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever outlived the master
        process.wait()


def tail(path: Path, lines: int = 30) -> str:
    """Return the last lines of a log."""
    with suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def rss_bytes(master: int) -> int:
    """Return the resident memory of a process and its children (the workers), from /proc."""
    pids = [master]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry))
    total = 0
    for pid in pids:
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


# -- clients -----------------------------------------------------------------------


class Client:
    """One HTTP/1.1 connection, kept alive when the server allows it, reopened otherwise."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """Send a request; return (status, headers with lower-case names, body)."""
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except Exception:
            self.connection.close()
            raise
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


@dataclass(frozen=True)
class Workload:
    """What the clients draw from: record ids, example sheets, bases of the updates."""

    standards: list[str]
    projects: dict[str, dict[str, Any]]  # id -> the sheet as submitted
    sheets: list[bytes]  # example files, for validation
    writable_standards: dict[str, dict[str, Any]]  # id -> the record as read
    tokens: Tokens


@dataclass
class Samples:
    """Every answer: (start, end, operation, status); statuses -1 for a connection error."""

    rows: list[tuple[float, float, str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def setup(port: int, tokens: Tokens) -> Workload:
    """Submit the example roadmap and read the catalogue the clients will use."""
    from registry.documents.parse import parse_document

    client = Client(port)
    projects: dict[str, dict[str, Any]] = {}
    sheets = []
    for path in sorted((REPO / "examples").glob("*.yaml")):
        raw = path.read_bytes()
        sheet = parse_document(raw).value
        status, _, body = client.request(
            "PUT", f"/api/projects/{sheet['id']}?as_of={AS_OF}", raw,
            {**tokens.office, "Content-Type": "application/yaml", "If-None-Match": "*"})
        if status != 201:
            raise RuntimeError(f"submitting {path.name}: {status} {body[:500]!r}")
        projects[sheet["id"]] = sheet
        sheets.append(raw)
    status, _, body = client.request("GET", "/api/standards?per_page=500")
    standards = [s["id"] for s in json.loads(body)["standards"]]
    writable = {}
    for standard_id in standards[:12]:
        _, _, body = client.request("GET", f"/api/standards/{standard_id}")
        writable[standard_id] = json.loads(body)["standard"]
    return Workload(standards, projects, sheets, writable, tokens)


def client_loop(port: int, work: Workload, samples: Samples, stop: threading.Event,
                seed: int) -> None:
    """Draw operations from MIX until `stop`, recording each answer."""
    rng = random.Random(seed)
    client = Client(port)
    names, weights = list(MIX), list(MIX.values())
    rows: list[tuple[float, float, str, int]] = []
    count = 0

    def call(operation: str, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
        started = time.monotonic()
        try:
            status, answer_headers, _ = client.request(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            rows.append((started, time.monotonic(), operation, -1))
            samples.errors.append(f"{method} {path}: {exc!r}")
            return -1, {}
        rows.append((started, time.monotonic(), operation, status))
        return status, answer_headers

    while not stop.is_set():
        count += 1
        choice = rng.choices(names, weights)[0]
        if choice == READ_STANDARD:
            call(choice, "GET", f"/api/standards/{rng.choice(work.standards)}")
        elif choice == READ_STANDARDS:
            call(choice, "GET", f"/api/standards?{rng.choice(LIST_QUERIES)}")
        elif choice == READ_PROJECT:
            call(choice, "GET", f"/api/projects/{rng.choice(list(work.projects))}?as_of={AS_OF}")
        elif choice == READ_PROJECTS:
            call(choice, "GET", f"/api/projects?as_of={AS_OF}")
        elif choice == VALIDATE:
            call(choice, "POST", f"/api/validate?as_of={AS_OF}", rng.choice(work.sheets),
                 {"Content-Type": "application/yaml"})
        elif rng.random() < 0.75:  # an update of a project
            project_id = rng.choice(list(work.projects))
            url = f"/api/projects/{project_id}?as_of={AS_OF}"
            status, headers = call(READ_PROJECT, "GET", url)
            if status == 200:
                # Always from the submitted sheet, so that sizes stay the same all along.
                sheet = copy.deepcopy(work.projects[project_id])
                sheet["summary"]["en"] += f" (load {seed}-{count})"
                call(WRITE_PROJECT, "PUT", url,
                     yaml.safe_dump(sheet, sort_keys=False, allow_unicode=True).encode(),
                     {**work.tokens.office, "Content-Type": "application/yaml",
                      "If-Match": headers.get("etag", "")})
        else:  # an update of a standard
            standard_id = rng.choice(list(work.writable_standards))
            url = f"/api/standards/{standard_id}"
            status, headers = call(READ_STANDARD, "GET", url)
            if status == 200:
                record = copy.deepcopy(work.writable_standards[standard_id])
                record["description"]["en"] += f" (load {seed}-{count})"
                call(WRITE_STANDARD, "PUT", url, json.dumps(record).encode(),
                     {**work.tokens.architect, "Content-Type": "application/json",
                      "If-Match": headers.get("etag", "")})
    client.close()
    samples.rows.extend(rows)  # list.extend is atomic under the GIL


# -- measuring ---------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile of sorted values (0 when there are none)."""
    if not values:
        return 0.0
    index = max(0, min(len(values) - 1, math.ceil(share * len(values)) - 1))
    return values[index]


def summarise(rows: Sequence[tuple[float, float, str, int]], seconds: float
              ) -> list[dict[str, Any]]:
    """Return one line per operation (and `all`): count, rate, percentiles, odd answers."""
    by_operation: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for started, ended, operation, status in rows:
        by_operation[operation].append(((ended - started) * 1000, status))
        by_operation["all"].append(((ended - started) * 1000, status))
    lines = []
    for operation in (*OPERATIONS, "all"):
        items = by_operation.get(operation, [])
        latencies = sorted(ms for ms, _ in items)
        statuses = Counter(status for _, status in items)
        expected = {200, 201, 304} | ({412} if operation.startswith("PUT") or
                                      operation == "all" else set())
        lines.append({
            "operation": operation, "count": len(items),
            "per_second": len(items) / seconds if seconds else 0.0,
            "p50_ms": percentile(latencies, 0.50), "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99),
            "status_5xx": sum(n for s, n in statuses.items() if s >= 500),
            "refused_412": statuses.get(412, 0) if operation.startswith("PUT") or
            operation == "all" else 0,
            "unexpected": sum(n for s, n in statuses.items()
                              if s not in expected and not s >= 500),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
        })
    return lines


def memory_verdict(memory: Sequence[tuple[float, int]], start: float, end: float
                   ) -> dict[str, Any]:
    """Compare the mean RSS of the first and last quarter of the run (15 s of 60 s)."""
    window = (end - start) / 4
    first = [rss for t, rss in memory if start <= t < start + window]
    last = [rss for t, rss in memory if end - window <= t <= end]
    if not first or not last:
        return {"window_s": window, "flat": None}
    first_mean, last_mean = sum(first) / len(first), sum(last) / len(last)
    change = last_mean / first_mean - 1
    return {"window_s": window, "first_mib": first_mean / 2**20,
            "last_mib": last_mean / 2**20, "change": change,
            "flat": abs(change) <= FLAT_WITHIN, "samples": len(memory)}


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Prepare a store and a server, run the load, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        folder = Path(tmp)
        with fresh_store(backend, folder, args.pg_url) as url:
            tokens = prepare(url, folder / "instance")
            with server(url, folder, args.workers) as (process, port, log):
                work = setup(port, tokens)
                samples = Samples()
                stop = threading.Event()
                memory: list[tuple[float, int]] = []
                threads = [threading.Thread(target=client_loop,
                                            args=(port, work, samples, stop, i), daemon=True)
                           for i in range(args.clients)]
                for thread in threads:
                    thread.start()
                started = time.monotonic()
                measure_from = started + args.warmup
                measure_to = measure_from + args.seconds
                while (now := time.monotonic()) < measure_to:
                    memory.append((now, rss_bytes(process.pid)))
                    if process.poll() is not None:
                        break
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
                stop.set()
                for thread in threads:
                    thread.join(timeout=120)
                tracebacks = tail(log, 200) if "Traceback" in log.read_text(
                    errors="replace") else ""
        rows = [r for r in samples.rows if r[0] >= measure_from and r[1] <= measure_to]
        return {"backend": backend, "workers": args.workers, "clients": args.clients,
                "seconds": args.seconds, "warmup": args.warmup,
                "operations": summarise(rows, args.seconds),
                "memory": memory_verdict(memory, measure_from, measure_to),
                "connection_errors": samples.errors[:50],
                "connection_error_count": len(samples.errors),
                "server_tracebacks": tracebacks}


def table(results: Sequence[dict[str, Any]]) -> str:
    """Return the figures as a plain-text table, with the memory verdict of each backend."""
    header = (f"{'backend':<11} {'operation':<26} {'count':>7} {'req/s':>7} {'p50 ms':>8} "
              f"{'p95 ms':>8} {'p99 ms':>8} {'5xx':>4} {'412':>5} {'other':>5}")
    lines = [header, "-" * len(header)]
    for result in results:
        for line in result["operations"]:
            lines.append(
                f"{result['backend']:<11} {line['operation']:<26} {line['count']:>7} "
                f"{line['per_second']:>7.1f} {line['p50_ms']:>8.1f} {line['p95_ms']:>8.1f} "
                f"{line['p99_ms']:>8.1f} {line['status_5xx']:>4} {line['refused_412']:>5} "
                f"{line['unexpected']:>5}")
        memory = result["memory"]
        if memory.get("flat") is None:
            lines.append(f"{result['backend']:<11} memory: too few samples to compare")
        else:
            lines.append(
                f"{result['backend']:<11} memory (RSS, gunicorn master + workers): first "
                f"{memory['window_s']:.0f} s {memory['first_mib']:.1f} MiB, last "
                f"{memory['window_s']:.0f} s {memory['last_mib']:.1f} MiB: "
                f"{memory['change']:+.1%} "
                f"({'within' if memory['flat'] else 'NOT within'} {FLAT_WITHIN:.0%})")
        if result["connection_error_count"]:
            lines.append(f"{result['backend']:<11} connection errors: "
                         f"{result['connection_error_count']}, e.g. "
                         f"{result['connection_errors'][0]}")
        lines.append("")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.load",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="measured seconds per backend (default 60)")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="unmeasured seconds of the same load first (default 5)")
    parser.add_argument("--clients", type=int, default=50,
                        help="concurrent client threads (default 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default both)")
    parser.add_argument("--pg-url", default=os.environ.get("REGISTRY_BENCH_DATABASE_URL")
                        or os.environ.get("REGISTRY_TEST_DATABASE_URL", ""),
                        help="PostgreSQL server to use (a schema is created and dropped); "
                        "default $REGISTRY_BENCH_DATABASE_URL or $REGISTRY_TEST_DATABASE_URL")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 also when memory is not flat within 10%%")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load on each backend, print the table, return 1 on any 5xx or error."""
    args = parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        print(f"unknown backend(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "postgresql" in backends and not args.pg_url:
        print("postgresql skipped: give --pg-url or set REGISTRY_TEST_DATABASE_URL",
              file=sys.stderr)
        backends.remove("postgresql")
    print(f"load: {args.clients} clients, gunicorn -w {args.workers} (sync workers), "
          f"{args.warmup:.0f} s warm-up then {args.seconds:.0f} s measured per backend; "
          f"mix: reads 70%, validations 20%, updates 10%; {os.cpu_count()} CPUs, load "
          f"average before {os.getloadavg()[0]:.2f}", flush=True)
    results = []
    for backend in backends:
        print(f"-- {backend} ...", flush=True)
        results.append(run_backend(backend, args))
    print()
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"results": results, "loadavg_after": os.getloadavg()},
                                   indent=2))
    failed = False
    for result in results:
        everything = result["operations"][-1]
        if everything["status_5xx"] or everything["unexpected"] or \
                result["connection_error_count"]:
            failed = True
            print(f"{result['backend']}: {everything['status_5xx']} answers 5xx, "
                  f"{everything['unexpected']} unexpected, "
                  f"{result['connection_error_count']} connection errors", file=sys.stderr)
            if result["server_tracebacks"]:
                print(result["server_tracebacks"], file=sys.stderr)
        if args.check and not result["memory"].get("flat"):
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
