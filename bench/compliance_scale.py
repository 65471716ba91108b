"""Compliance at scale on PostgreSQL: 1,000 and 10,000 projects, and concurrent updates.

Run from the repository root:  .venv/bin/python -m bench.compliance_scale

What it does, against a PostgreSQL server (default: the `test` database on 127.0.0.1):

1. creates a schema of its own (`bench_<random>`, dropped at the end), migrates it and
   loads the shipped catalogue;
2. writes synthetic project sheets straight through `Store.put` (kind "project"): each
   is one of the example sheets (`examples/*.yaml`) with a new id and title, another
   status and reshuffled conformance of the declarations that are not mandatory, so
   every sheet stays valid (a sample is validated to prove it);
3. starts `gunicorn -w 4` on 127.0.0.1 with REGISTRY_DATABASE_URL pointing at the schema
   and times `GET /api/compliance` and `GET /compliance` at 1,000 and 10,000 projects,
   each on a freshly started server: the first request (cold: the worker loads the
   catalogue and every project from PostgreSQL and computes the matrix), then, once
   every worker has answered it, the median of 5 (warm: the per-process caches);
4. sends 200 concurrent updates to 20 projects (each thread: GET the project, then PUT
   a changed sheet with If-Match; half start at once, half within 1.5 s, so both races
   and successive updates happen) and checks that no update was lost: every 200 answer
   is a stored revision, every other answer is 412, and each project has exactly
   1 + (acknowledged updates) revisions.

The issue's target: both reads under 1 second at 10,000 projects, checked on the warm
answers (what users get between roadmap changes); cold answers are reported beside them.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import yaml
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = (1_000, 10_000)
TARGET_SECONDS = 1.0
WORKERS = 4
UPDATES = 200
UPDATED_PROJECTS = 20
WARM_RUNS = 5
SEED = 20261126
LOAD_THREADS = 8
UPDATE_SPREAD = 1.5  # seconds over which half of the updates start
STATUSES = ("proposed", "selected", "in-progress", "delivered", "stopped")


def example_sheets() -> list[dict[str, Any]]:
    """Return the example sheets as plain JSON data, as the API stores them."""
    return [orjson.loads(orjson.dumps(yaml.safe_load(p.read_text(encoding="utf-8")),
                                      default=str))
            for p in sorted((ROOT / "examples").glob("*.yaml"))]


def synthetic_sheet(base: dict[str, Any], number: int, rng: random.Random,
                    status_of: dict[str, str]) -> dict[str, Any]:
    """Return a valid variation of an example sheet, numbered `number`."""
    sheet = orjson.loads(orjson.dumps(base))
    sheet["id"] = f"{base['id']}-{number:05d}"
    sheet["title"] = {lang: f"{text} #{number}" for lang, text in base["title"].items()}
    sheet["status"] = rng.choice(STATUSES)
    declarations = []
    for item in sheet.get("standards", []):
        # Mandatory declarations stay as they are (dropping one would be an error);
        # the others change conformance or go, which only moves cells and warnings.
        if status_of.get(item["id"]) != "mandatory":
            roll = rng.random()
            if roll < 0.15:
                continue
            if roll < 0.5:
                conformance = rng.choice(("complies", "partial", "planned", "explain"))
                item = {"id": item["id"], "conformance": conformance}
                if conformance != "complies":
                    item["note"] = f"Synthetic declaration {number}."
                if conformance in ("planned", "explain"):
                    item["until"] = (datetime.date(2027, 1, 1)
                                     + datetime.timedelta(days=rng.randrange(1000))).isoformat()
        declarations.append(item)
    sheet["standards"] = declarations
    return sheet


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 120.0
            ) -> tuple[int, dict[str, str], bytes]:
    """Send one HTTP request to the local server; return status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def timed_get(port: int, path: str) -> tuple[float, int, int]:
    """Return (seconds, status, bytes) of one GET."""
    start = time.perf_counter()
    status, _, body = request(port, "GET", path)
    return time.perf_counter() - start, status, len(body)


class Bench:
    """One run: a schema of its own, a gunicorn server on it, and the measurements."""

    def __init__(self, base_url: str, workers: int) -> None:
        self.schema = "bench_" + uuid.uuid4().hex[:12]
        self.admin = create_engine(base_url)
        separator = "&" if "?" in base_url else "?"
        self.url = f"{base_url}{separator}options=-csearch_path%3D{self.schema}"
        self.workers = workers
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        self.instance = tempfile.mkdtemp(prefix="bench-registry-")
        self.log = Path(self.instance) / "gunicorn.log"

    def setup(self) -> Any:
        """Create the schema, migrate it, load the shipped catalogue; return the store."""
        from registry.catalogue.files import read_records, shipped_root
        from registry.storage.store import Store

        with self.admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {self.schema}")
        self.store = Store(self.url)
        self.store.migrate()
        self.store.import_records(read_records([shipped_root()]), author="bench")
        return self.store

    def start(self) -> None:
        """Start gunicorn with 4 workers on the schema and wait until it answers."""
        env = {**os.environ, "REGISTRY_DATABASE_URL": self.url,
               "REGISTRY_INSTANCE_PATH": self.instance, "REGISTRY_AUTO_IMPORT": "false",
               "REGISTRY_SECRET_KEY": uuid.uuid4().hex * 2}
        self.server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", str(self.workers),
             "-b", f"127.0.0.1:{self.port}", "--timeout", "120", "--backlog", "1024",
             "registry:create_app()"],
            cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if self.server.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self.log}:\n"
                           + self.log.read_text(errors="replace")[-2000:])

    def stop_server(self) -> None:
        """Stop the gunicorn server this run started, if it runs."""
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def stop(self) -> None:
        """Stop the server and drop the schema."""
        self.stop_server()
        if hasattr(self, "store"):
            self.store.engine.dispose()
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        self.admin.dispose()


def load(store: Any, sheets: list[dict[str, Any]], threads: int = LOAD_THREADS) -> float:
    """Write sheets through Store.put (a few threads: each put is a round-trip bound
    transaction); return the seconds it took."""
    start = time.perf_counter()

    def put(sheet: dict[str, Any]) -> None:
        store.put("project", sheet["id"], sheet, author="bench (synthetic)",
                  create_only=True, message="synthetic project")

    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(put, sheets):
            pass
    return time.perf_counter() - start


def measure_reads(port: int, path: str, workers: int) -> dict[str, Any]:
    """Time the first (cold) answer, warm every worker, then time WARM_RUNS answers."""
    cold, status, size = timed_get(port, path)
    assert status == 200, (path, status)
    # Sync workers answer one request at a time: enough parallel requests reach each.
    threads = [threading.Thread(target=timed_get, args=(port, path))
               for _ in range(workers * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    warm = [timed_get(port, path)[0] for _ in range(WARM_RUNS)]
    return {"path": path, "cold": cold, "median": statistics.median(warm), "max": max(warm),
            "bytes": size}


def concurrent_updates(bench: Bench, project_ids: list[str], updates: int
                       ) -> dict[str, Any]:
    """Send `updates` concurrent GET-then-PUT updates spread over the projects."""
    from registry.storage.tokens import create_token

    secret, _ = create_token(bench.store, role="office", organisations=[], name="bench office")
    auth = {"Authorization": f"Bearer {secret}"}
    before = {pid: len(bench.store.revisions("project", pid)) for pid in project_ids}
    answers: list[tuple[str, int, int | None, int]] = []
    lock = threading.Lock()
    start_line = threading.Barrier(updates)
    jitter = random.Random(SEED)
    delays = [0.0 if n % 2 else jitter.uniform(0, UPDATE_SPREAD) for n in range(updates)]

    def update(number: int) -> None:
        pid = project_ids[number % len(project_ids)]
        budget = 1_000_000 + number  # a distinct change per update, to find it again
        start_line.wait()  # every thread starts at once...
        time.sleep(delays[number])  # ...then some wait a little: races and successions mix
        try:
            status, headers, body = request(bench.port, "GET", f"/api/projects/{pid}",
                                            headers=auth)
            sheet = orjson.loads(body)["project"]
            sheet["budget_eur"] = budget
            status, _, body = request(
                bench.port, "PUT", f"/api/projects/{pid}", body=orjson.dumps(sheet),
                headers={**auth, "If-Match": headers.get("ETag", ""),
                         "Content-Type": "application/json",
                         "X-Change-Message": f"bench update {number}"})
            revision = orjson.loads(body).get("revision") if status == 200 else None
        except Exception:  # a transport failure counts as an unexpected answer
            status, revision = -1, None
        with lock:
            answers.append((pid, status, revision, budget))

    threads = [threading.Thread(target=update, args=(n,)) for n in range(updates)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    codes = Counter(status for _, status, _, _ in answers)
    acknowledged = Counter(pid for pid, status, _, _ in answers if status == 200)
    problems = []
    for pid in project_ids:
        revisions = bench.store.revisions("project", pid)
        if len(revisions) != before[pid] + acknowledged[pid]:
            problems.append(f"{pid}: {len(revisions)} revisions, expected "
                            f"{before[pid]} + {acknowledged[pid]}")
        # Each acknowledged write is in the store, as the revision it was told, intact.
        stored = {r["revision"]: r["data"].get("budget_eur") for r in revisions
                  if r["revision"] > before[pid]}
        answered = {rev: budget for p, s, rev, budget in answers if p == pid and s == 200}
        if stored != answered:
            problems.append(f"{pid}: acknowledged {sorted(answered.items())} but stored "
                            f"{sorted(stored.items())}")
    others = {code: n for code, n in codes.items() if code not in (200, 412)}
    if others:
        problems.append(f"unexpected answers: {others}")
    return {"updates": len(answers), "ok": codes[200], "refused": codes[412],
            "others": others, "seconds": seconds, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; exit 1 when a target or a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help="SQLAlchemy URL of a PostgreSQL database to create a schema in")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated roadmap sizes, ascending")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--updates", type=int, default=UPDATES)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    from registry.validation.pipeline import validate_bytes

    bench = Bench(args.url, args.workers)
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    began = time.perf_counter()
    try:
        store = bench.setup()
        catalogue = store.load_catalogue()
        status_of = {sid: r["status"] for sid, r in catalogue.standards.items()}
        rng = random.Random(SEED)
        examples = example_sheets()
        sheets = [synthetic_sheet(examples[n % len(examples)], n, rng, status_of)
                  for n in range(max(sizes))]
        for sheet in sheets[:: max(1, len(sheets) // 50)]:
            report = validate_bytes(orjson.dumps(sheet), catalogue, as_of=datetime.date.today())
            assert report.valid, (sheet["id"], [f.to_dict() for f in report.findings])
        loaded = 0
        for size in sizes:
            seconds = load(store, sheets[loaded:size])
            print(f"loaded {size - loaded} projects in {seconds:.1f} s "
                  f"({(size - loaded) / seconds:.0f}/s)", flush=True)
            loaded = size
            for path in ("/api/compliance", "/compliance"):
                # A fresh server per measurement: "cold" is a worker that has to load
                # the catalogue and the roadmap from the store and compute the matrix.
                bench.stop_server()
                bench.start()
                row = {"projects": size, **measure_reads(bench.port, path, args.workers)}
                rows.append(row)
                print(f"  {path}: cold {row['cold']:.3f} s, warm median "
                      f"{row['median']:.3f} s", flush=True)
        if bench.server is None:
            bench.start()
        result = concurrent_updates(bench, [s["id"] for s in sheets[:UPDATED_PROJECTS]],
                                    args.updates)
    finally:
        bench.stop()

    print()
    print(f"Compliance reads on PostgreSQL, gunicorn -w {args.workers} "
          f"(target: under {TARGET_SECONDS:.0f} s at {max(sizes):,} projects)")
    print(f"{'projects':>9} {'request':<20} {'cold s':>8} {'warm median s':>14} "
          f"{'warm max s':>11} {'body':>10}")
    for row in rows:
        print(f"{row['projects']:>9,} {'GET ' + row['path']:<20} {row['cold']:>8.3f} "
              f"{row['median']:>14.3f} {row['max']:>11.3f} {row['bytes'] / 1e6:>8.2f} MB")
        if row["projects"] == max(sizes) and row["median"] >= TARGET_SECONDS:
            failures.append(f"GET {row['path']} warm median {row['median']:.3f} s at "
                            f"{row['projects']:,} projects")
    slow_cold = [r for r in rows if r["cold"] >= TARGET_SECONDS]
    if slow_cold:
        print("Note: the first answer of a fresh worker (cold) took over "
              f"{TARGET_SECONDS:.0f} s for " + ", ".join(
                  f"GET {r['path']} at {r['projects']:,} ({r['cold']:.2f} s)"
                  for r in slow_cold) + ": it loads every project from the store.")
    print()
    print(f"Concurrent updates: {result['updates']} updates of {UPDATED_PROJECTS} projects "
          f"in {result['seconds']:.1f} s: {result['ok']} acknowledged (200), "
          f"{result['refused']} refused (412), other answers: {result['others'] or 'none'}")
    print("No lost update: every acknowledged write is a stored revision, revisions per "
          "project = 1 + acknowledged" if not result["problems"] else
          "LOST OR UNEXPLAINED UPDATES:\n  " + "\n  ".join(result["problems"]))
    failures.extend(result["problems"])
    print(f"\nTotal {time.perf_counter() - began:.0f} s. " + (
        "All targets met." if not failures else "FAILED: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
