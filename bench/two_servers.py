"""Two servers over one PostgreSQL database at 10,000 projects: propagation and a read mix.

    .venv/bin/python -m bench.two_servers [--projects 10000] [--runs 3]
        [--database NAME] [--ports FIRST-LAST] [--reuse] [--sparql-shared-pool]

Issue 11's measurements. Two servers A and B, each the README's production command
(`registry serve --production --workers 4`), over one PostgreSQL database holding the
shipped catalogue, the example mobility-data-hub and N synthetic projects
(bench.reuse_scale's generator, stored as bench.readmodel_scale does). Then, each run:

1. **Propagation.** 20 times: a new project (a copy of the hub under a new id) is PUT on
   A; from A's answer on, each view of B is read every 20 ms on fresh connections (so on
   any of its workers) until it shows the project, and 0.3 s more. The views: the
   project, `/api/compliance?project=`, `/api/reuse?project=`, the indicators' total
   and a SPARQL query naming the project's IRI. Reported: the time
   until the last view showed it (p50 and p99 over the writes), and every read of B that
   showed an older state after that view had shown the new one (must be 0).
2. **Read mix under writes.** wrk drives both servers with one standard, projects page 1
   and compliance page 1 in turn while 20 project updates a second (32 client threads
   sharing one schedule) go to A and B in turn; reported: the requests/s of both
   servers together (saturation: the throughput target is judged here), the worse p99
   of the two, the writes done and refused, non-2xx answers. Then the same mix at a
   fixed rate (`--mix-rate`, default the target's 2,000 req/s, half on each server;
   bench/open_loop.py) under the same writes: each request is timed from when it was
   due, and the p99 target is judged there, at the rate it names. wrk's closed loop
   at saturation measures the queue its 32 connections keep full and sends nothing
   while a worker stalls (see bench/README.md, two_servers).
3. **A mandatory standard.** A standard the hub declares goes from recommended to mandatory
   on A; reported: the time until B's compliance of the hub shows it. Then it goes back,
   and the run waits until B shows that too.
4. **Memory.** The resident memory (VmRSS) of every worker of both servers (printed after
   warming and after each phase too; the target is judged on the largest of them all), and of the
   SPARQL processes below each (each worker's fork server and SPARQL workers; with
   --sparql-shared-pool, the server's one pool), with each server's total. Before it, 40 SPARQL
   queries naming the hub, one after the other on B: their p50 and p99.

Targets (issue 11): every view within 1 s (p99), no older state afterwards, the standard's
change within 1 s, at least 2,000 req/s with p99 at most 50 ms, at most 250 MB a worker.
Medians of the runs are printed; raw figures go to bench/out/two_servers.json. The
machine's load is printed with them: the servers, wrk and the client share its CPUs.

The database (default `registry_two_servers` on postgresql+psycopg://postgres@127.0.0.1:5432)
is dropped and made again unless --reuse finds it holding the projects already.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = REPO / "bench" / "out" / "two_servers.json"
HOST = "127.0.0.1"
BASE_IRI = "https://registry.example.org/"
HUB_ID = "mobility-data-hub"
HUB = (REPO / "examples" / f"{HUB_ID}.yaml").read_text(encoding="utf-8")
MIX = ("/api/standards/ngsi-ld", "/api/projects?page=1", "/api/compliance?page=1")
TARGETS = {"propagation_p99_s": 1.0, "status_change_s": 1.0, "mix_rps": 2000.0,
           "mix_p99_ms": 50.0, "worker_rss_mb": 250.0}
PORTS: list[int] = []
# Client threads sharing the write schedule of the read mix: enough that the schedule,
# not the client, sets the pace (8 held at most 8 writes in flight: at 0.5-1 s a write
# under load, 8-16 writes/s of the 20 asked went through whatever the servers could do).
WRITERS = 32
TICKS = os.sysconf("SC_CLK_TCK")
POLL = 0.02  # seconds between two reads of one view of B while waiting for a write


# -- the database --------------------------------------------------------------------


def database_url(admin: str, name: str) -> str:
    """Return the URL of database `name` on the server of `admin`."""
    return admin.rstrip("/") + "/" + name


def project_count(url: str) -> int:
    """Return how many projects the database holds (-1 when it cannot be read)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(
                text("SELECT count(*) FROM records WHERE kind = 'project'")).scalar_one())
    except Exception:  # noqa: BLE001 - no such database or schema yet
        return -1
    finally:
        engine.dispose()


def make_database(admin: str, name: str, projects: int, folder: Path) -> dict[str, str]:
    """Create the database anew with the catalogue, the hub and N projects; return tokens."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url(admin, "postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    import orjson

    from bench.reuse_scale import Generator
    from registry import create_app
    from registry.catalogue.files import load_catalogue, shipped_root
    from registry.documents.parse import parse_document

    app = create_app({"DATABASE_URL": database_url(admin, name),
                      "INSTANCE_PATH": str(folder / "setup"), "LOAD_EXAMPLES": False})
    services = app.extensions["registry"]
    try:
        started = time.perf_counter()
        sheets, _ = Generator(load_catalogue(shipped_root())).roadmap(projects)
        sheets = [orjson.loads(orjson.dumps(s)) for s in sheets]
        sheets.append(parse_document(HUB.encode()).value)
        services.store.import_records({"project": sheets}, author="bench.two_servers")
        print(f"stored {len(sheets)} projects in {time.perf_counter() - started:.0f} s",
              flush=True)
        return tokens_for(services.store)
    finally:
        services.readmodel.close()
        services.store.engine.dispose()


def tokens_for(store: Any) -> dict[str, str]:
    """Create an office and an architect token; return their Authorization headers."""
    from registry.storage.tokens import create_token

    out = {}
    for role in ("office", "architect"):
        secret, _ = create_token(store, role=role, organisations=[],
                                 name=f"bench.two_servers {role}")
        out[role] = f"Bearer {secret}"
    return out


def reuse_database(admin: str, name: str, folder: Path) -> dict[str, str]:
    """Return fresh tokens on the database kept from an earlier run."""
    from registry.storage.store import Store

    store = Store(database_url(admin, name))
    try:
        store.migrate()  # `registry db upgrade`: the code may be newer than the database
        return tokens_for(store)
    finally:
        store.engine.dispose()


# -- servers and clients -------------------------------------------------------------


def free_port() -> int:
    """Return a free port of 127.0.0.1, from --ports when given."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            PORTS.remove(port)
            PORTS.append(port)
            return port
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 60.0
            ) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection (so it may reach any worker of the server)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body,
                           headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        connection.close()


@contextmanager
def server(name: str, url: str, folder: Path, workers: int, options: Sequence[str] = ()
           ) -> Iterator[tuple[int, int]]:
    """Run `registry serve --production` for the block; yield (port, master pid)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update({"REGISTRY_DATABASE_URL": url, "REGISTRY_INSTANCE_PATH": str(folder / name),
                "REGISTRY_PRODUCTION": "true", "REGISTRY_SECRET_KEY": secrets.token_hex(32),
                "REGISTRY_BASE_IRI": BASE_IRI, "REGISTRY_LOAD_EXAMPLES": "false",
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH"))
                                              if p)})
    log = folder / f"{name}.log"
    command = [str(BIN / "registry"), "serve", "--production", "--host", HOST, "--port",
               str(port), "--workers", str(workers), *options]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server {name} exited:\n{log.read_text()[-3000:]}")
            with suppress(OSError, http.client.HTTPException):
                if request(port, "GET", "/health", timeout=5)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port, process.pid
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def warm(port: int, paths: Sequence[str], rounds: int) -> None:
    """Read every path many times at once so that every worker has built its state."""
    errors: list[str] = []

    deadline = time.monotonic() + 900

    def loop() -> None:
        for _ in range(rounds):
            for path in paths:
                while True:
                    status, _, body = request(port, "GET", path, timeout=600)
                    # A busy SPARQL pool (its workers building the graph) answers 503
                    # with Retry-After: ask again, as a client would.
                    if status != 503 or time.monotonic() > deadline:
                        break
                    time.sleep(1.0)
                if status != 200:
                    errors.append(f"{path}: {status} {body[:200]!r}")

    threads = [threading.Thread(target=loop) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("warming up failed: " + "; ".join(errors[:3]))


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _sidecar(pid: int) -> bool:
    """Return True for the overlap job or the SPARQL pool beside the workers."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    return b"overlaps" in command or b"shared_pool" in command


def worker_rss_mb(master: int) -> list[float]:
    """Return the VmRSS of each child of `master` (the workers), in MB."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != master or _sidecar(int(entry)):
                continue
            out.append(_rss_mb(int(entry)))
    return sorted(out)


def phase_rss(phase: str, a_pid: int, b_pid: int) -> dict[str, list[float]]:
    """Print and return the workers' VmRSS after a phase: a worker's largest VmRSS
    follows what it did, so each phase's is kept to find which one set it."""
    rss = {"a": worker_rss_mb(a_pid), "b": worker_rss_mb(b_pid)}
    print(f"  workers' RSS MB after {phase}: A {[round(r) for r in rss['a']]}, "
          f"B {[round(r) for r in rss['b']]}", flush=True)
    return rss


def sparql_rss_mb(master: int) -> list[float]:
    """Return the VmRSS of each SPARQL process below `master`, in MB.

    The server's one pool (registry.linked_data.shared_pool) and any query child of it;
    or, where each web worker runs a pool of its own, its fork server and the workers.
    """
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if stat[0] != "Z":
                    parents[int(entry)] = int(stat[1])
    below: set[int] = set()
    level = {master}
    while level:
        level = {p for p, parent in parents.items() if parent in level}
        below |= level
    out = []
    for pid in below:
        with suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"shared_pool" in command or b"multiprocessing" in command:
                out.append(_rss_mb(pid))
    return sorted(out)


def sparql_latency(port: int, count: int = 40) -> dict[str, float]:
    """Time `count` SPARQL queries naming the hub, one after the other, on B."""
    seconds = []
    for _ in range(count):
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        started = time.perf_counter()
        connection.request("GET", sparql_path(HUB_ID),
                           headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        seconds.append(time.perf_counter() - started)
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"SPARQL answered {response.status}")
    return {"p50_ms": 1000 * statistics.median(seconds),
            "p99_ms": 1000 * percentile(seconds, 0.99)}


def workers_cpu_s(master: int) -> float:
    """Return the CPU seconds (user + system) spent so far by the children of `master`."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (p99 of 20 values is the largest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = int(-(-len(ordered) * share // 1))  # ceil
    return ordered[max(0, min(len(ordered), rank) - 1)]


# -- 1. propagation --------------------------------------------------------------------


def sparql_path(project_id: str) -> str:
    query = f"SELECT ?p WHERE {{ <{BASE_IRI}projects/{project_id}> ?p ?o }} LIMIT 1"
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def views(project_id: str, total: int) -> dict[str, tuple[str, Callable[[Any], bool]]]:
    """The views of B that must show a new project, and how each shows it."""
    return {
        "project": (f"/api/projects/{project_id}", lambda b: b["project"]["id"] == project_id),
        "compliance": (f"/api/compliance?project={project_id}", lambda b: b["total"] > 0),
        "reuse": (f"/api/reuse?project={project_id}", lambda b: bool(b["opportunities"])),
        "indicators total": ("/api/indicators", lambda b: b["projects"]["total"] >= total),
        "sparql": (sparql_path(project_id), lambda b: bool(b["results"]["bindings"])),
    }


@dataclass
class Watch:
    """One view of B read over and over: when it first showed the write, and regressions."""

    shown_after: float | None = None
    reads: int = 0
    older_after_shown: int = 0
    errors: list[str] = field(default_factory=list)


def watch(port: int, path: str, shows: Callable[[Any], bool], since: float,
          stop: threading.Event, out: Watch) -> None:
    headers = {"Accept": "application/sparql-results+json"} if path.startswith("/sparql") \
        else {}
    while not stop.is_set():
        try:
            status, _, body = request(port, "GET", path, headers=headers, timeout=30)
            shown = status == 200 and shows(json.loads(body))
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            out.errors.append(repr(exc))
            continue
        out.reads += 1
        if status not in (200, 404):
            out.errors.append(f"{status}")  # busy (503) or failed: no state shown
            time.sleep(0.05)
            continue
        if shown and out.shown_after is None:
            out.shown_after = time.monotonic() - since
        elif not shown and out.shown_after is not None:
            out.older_after_shown += 1
        # A client asking again every POLL seconds, not a loop that would itself load B
        # (five of them share the machine with both servers).
        time.sleep(POLL)


def propagation(a: int, b: int, tokens: dict[str, str], writes: int, run_id: str
                ) -> dict[str, Any]:
    """Create `writes` projects on A; time until every view of B shows each."""
    status, _, body = request(b, "GET", "/api/indicators")
    total = json.loads(body)["projects"]["total"]
    rows: list[dict[str, Any]] = []
    etags: dict[str, str] = {}
    for index in range(writes):
        project_id = f"two-servers-{run_id}-{index:02d}"
        sheet = HUB.replace(f"id: {HUB_ID}", f"id: {project_id}")
        status, headers, body = request(a, "PUT", f"/api/projects/{project_id}",
                                        sheet.encode(), {"Authorization": tokens["office"],
                                                         "Content-Type": "application/yaml",
                                                         "If-None-Match": "*"})
        since = time.monotonic()
        if status != 201:
            raise RuntimeError(f"PUT {project_id} on A: {status} {body[:300]!r}")
        etags[project_id] = headers["etag"]
        total += 1
        stop = threading.Event()
        watches = {name: Watch() for name in views(project_id, total)}
        threads = [threading.Thread(target=watch, args=(b, path, shows, since, stop,
                                                          watches[name]))
                   for name, (path, shows) in views(project_id, total).items()]
        for thread in threads:
            thread.start()
        deadline = since + 10.0
        while time.monotonic() < deadline and any(w.shown_after is None
                                                   for w in watches.values()):
            time.sleep(0.005)
        time.sleep(0.3)  # and go on reading a while: nothing may go back
        stop.set()
        for thread in threads:
            thread.join()
        shown = [w.shown_after for w in watches.values()]
        rows.append({"project": project_id,
                     "views_s": {n: w.shown_after for n, w in watches.items()},
                     "all_s": None if None in shown else max(s for s in shown if s is not None),
                     "reads": sum(w.reads for w in watches.values()),
                     "older_after_shown": sum(w.older_after_shown for w in watches.values()),
                     "errors": [e for w in watches.values() for e in w.errors][:5]})
    times = [r["all_s"] for r in rows if r["all_s"] is not None]
    per_view = {name: percentile([r["views_s"][name] for r in rows
                                  if r["views_s"][name] is not None], 0.99)
                for name in rows[0]["views_s"]}
    return {"writes": rows, "etags": etags, "missing": writes - len(times),
            "p50_s": statistics.median(times) if times else None,
            "p99_s": percentile(times, 0.99) if len(times) == writes else float("inf"),
            "p99_by_view_s": per_view,
            "older_after_shown": sum(r["older_after_shown"] for r in rows),
            "reads": sum(r["reads"] for r in rows)}


# -- 2. a standard made mandatory ------------------------------------------------------


def status_change(a: int, b: int, tokens: dict[str, str]) -> dict[str, Any]:
    """Make a recommended standard the hub declares mandatory on A; time it on B."""
    _, _, body = request(b, "GET", f"/api/compliance?project={HUB_ID}&per_page=500")
    candidates = sorted({c["standard"] for c in json.loads(body)["cells"]
                         if c["status"] == "recommended"})
    if not candidates:
        raise RuntimeError("the hub declares no recommended standard")
    standard = candidates[0]
    _, headers, body = request(a, "GET", f"/api/standards/{standard}")
    original = json.loads(body)["standard"]
    changed = {**original, "status": "mandatory",
               "status_since": datetime.date.today().isoformat()}
    path = f"/api/compliance?project={HUB_ID}&standard={standard}"

    def put(record: dict[str, Any], etag: str) -> str:
        status, answer, body = request(a, "PUT", f"/api/standards/{standard}",
                                       json.dumps(record).encode(),
                                       {"Authorization": tokens["architect"],
                                        "Content-Type": "application/json",
                                        "If-Match": etag})
        if status != 200:
            raise RuntimeError(f"PUT standard {standard}: {status} {body[:300]!r}")
        return answer["etag"]

    etag = put(changed, headers["etag"])
    since = time.monotonic()
    seen = None
    reads = 0
    while time.monotonic() - since < 120:
        try:
            _, _, body = request(b, "GET", path, timeout=300)
        except (OSError, http.client.HTTPException):
            continue  # a worker still recomputing past the client's patience: again
        reads += 1
        cells = json.loads(body)["cells"]
        if cells and cells[0]["status"] == "mandatory":
            seen = time.monotonic() - since
            break
    put({**original}, etag)  # back as it was, for the next run
    back = time.monotonic()
    while time.monotonic() - back < 300:  # and wait until B has it (its workers are busy)
        with suppress(OSError, http.client.HTTPException):
            _, _, body = request(b, "GET", path, timeout=300)
            cells = json.loads(body)["cells"]
            if cells and cells[0]["status"] == original["status"]:
                break
        time.sleep(0.5)
    return {"standard": standard, "shown_after_s": seen, "reads": reads,
            "reverted_after_s": time.monotonic() - back}


# -- 3. the read mix under writes ------------------------------------------------------

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def parse_wrk(output: str) -> dict[str, Any]:
    def ms(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = ms(re.search(r"\n\s+50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"\n\s+99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else ""}


@contextmanager
def writes_going_on(ports: Sequence[int], tokens: dict[str, str], etags: dict[str, str],
                    write_rate: float, writers: int = WRITERS) -> Iterator[dict[str, Any]]:
    """Update projects on the servers in turn at `write_rate` a second during the block.

    Yields the figures, filled in when the block ends: writes/s over the block's time,
    refused writes (412s: two slow writes of one project collide), write latencies.
    """
    stop = threading.Event()
    written: dict[str, Any] = {"ok": 0, "refused": 0, "seconds": [], "statuses": {}}
    projects = sorted(etags)
    slots: dict[str, Any] = {"next": 0, "at": time.monotonic()}
    slot_lock = threading.Lock()

    def writer() -> None:
        # Writers share one schedule of write_rate slots a second: a slow write (its
        # worker catching up) does not hold the next ones back, as one writer would.
        while not stop.is_set():
            with slot_lock:
                step = slots["next"]
                slots["next"] += 1
                slots["at"] += 1.0 / write_rate
                at = slots["at"]
            time.sleep(max(0.0, at - time.monotonic()))
            if stop.is_set():
                return
            project_id = projects[step % len(projects)]
            port = ports[step % len(ports)]
            sheet = HUB.replace(f"id: {HUB_ID}", f"id: {project_id}")
            if step // len(projects) % 2 == 0:
                sheet = sheet.replace("status: proposed", "status: selected")
            started = time.monotonic()
            try:
                status, headers, _ = request(port, "PUT", f"/api/projects/{project_id}",
                                             sheet.encode(),
                                             {"Authorization": tokens["office"],
                                              "Content-Type": "application/yaml",
                                              "If-Match": etags[project_id]})
            except (OSError, http.client.HTTPException):
                status, headers = -1, {}
            written["seconds"].append(time.monotonic() - started)
            if status in (200, 201):
                written["ok"] += 1
                etags[project_id] = headers["etag"]
            else:
                # 412: another writer changed it first (its ETag says the current one).
                written["refused"] += 1
                written["statuses"][status] = written["statuses"].get(status, 0) + 1
                if "etag" in headers:
                    etags[project_id] = headers["etag"]

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    figures: dict[str, Any] = {}
    started = time.monotonic()
    slots["at"] = started
    for thread in threads:
        thread.start()
    try:
        yield figures
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        figures.update({
            "writes_per_s": written["ok"] / elapsed, "writes_refused": written["refused"],
            "refused_statuses": written["statuses"],
            "write_p50_ms": 1000 * statistics.median(written["seconds"] or [0.0]),
            "write_p99_ms": 1000 * percentile(written["seconds"] or [0.0], 0.99)})


def read_mix(ports: Sequence[int], tokens: dict[str, str], etags: dict[str, str],
             seconds: float, connections: int, write_rate: float, folder: Path,
             writers: int = WRITERS) -> dict[str, Any]:
    """wrk on both servers (saturation) while writers update projects on A and B in turn."""
    script = folder / "mix.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in MIX))
    per_server = max(1, connections // len(ports))
    with writes_going_on(ports, tokens, etags, write_rate, writers) as written:
        runs = [subprocess.Popen(["wrk", "-t1", f"-c{per_server}", f"-d{round(seconds)}s",
                                  "--latency", "-s", str(script), f"http://{HOST}:{port}"],
                                 stdout=subprocess.PIPE, text=True) for port in ports]
        outputs = [run.communicate()[0] for run in runs]
    results = [parse_wrk(o) for o in outputs]
    return {"servers": results, "rps": sum(r["rps"] for r in results),
            "p99_ms": max(r["p99_ms"] for r in results),
            "p50_ms": max(r["p50_ms"] for r in results),
            "non_2xx": sum(r["non_2xx"] for r in results), **written}


def open_mix(ports: Sequence[int], tokens: dict[str, str], etags: dict[str, str],
             seconds: float, rate: float, connections: int, write_rate: float,
             writers: int = WRITERS, sessions: Sequence[int] = ()) -> dict[str, Any]:
    """The same mix at a fixed rate (bench/open_loop.py), half on each server, under the
    same writes: each request timed from when it was due, so a stall counts in every
    request due during it (wrk's closed loop sends nothing meanwhile).

    Also the share of the machine's CPU time that other work took meanwhile (not the
    servers' sessions, this process or its children; PostgreSQL's backends count as
    other work): at 2,000 req/s the servers leave CPU free, which other work takes,
    and the tail moves with it.
    """
    from bench.catalogue_http import cpu_sample, cpu_shares

    per_server = max(1, connections // len(ports))
    started = time.time()  # to find the mix in the servers' logs
    before = cpu_sample(sessions)
    with writes_going_on(ports, tokens, etags, write_rate, writers) as written:
        runs = [subprocess.Popen(
            [sys.executable, "-m", "bench.open_loop",
             *(f"http://{HOST}:{port}{path}" for path in MIX),
             "--rate", f"{rate / len(ports):.1f}", "--duration", f"{seconds:g}",
             "--connections", str(per_server)],
            cwd=REPO, stdout=subprocess.PIPE, text=True) for port in ports]
        outputs = [run.communicate()[0] for run in runs]
    shares = cpu_shares(before, cpu_sample(sessions))
    if any(run.returncode != 0 for run in runs):
        raise RuntimeError(f"bench.open_loop failed: {outputs}")
    results = [json.loads(o) for o in outputs]
    return {"servers": results, "rate": rate, "started_at": started,
            "others_cpu": None if shares is None else shares.others,
            "rps": sum(r["achieved_rate"] for r in results),
            "p50_ms": max(r["p50_ms"] for r in results),
            "p99_ms": max(r["p99_ms"] for r in results),
            "p999_ms": max(r["p999_ms"] for r in results),
            "max_ms": max(r["max_ms"] for r in results),
            "errors": sum(r["errors"] for r in results), **written}


# -- the run ---------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-two-servers-"))
    url = database_url(args.admin_url, args.database)
    held = project_count(url) if args.reuse else -1
    if held >= args.projects:
        print(f"reusing {args.database}: {held} projects", flush=True)
        tokens = reuse_database(args.admin_url, args.database, folder)
    else:
        print(f"making {args.database} with {args.projects} projects ...", flush=True)
        tokens = make_database(args.admin_url, args.database, args.projects, folder)
    result: dict[str, Any] = {
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "projects": project_count(url), "workers": args.workers,
        "sparql_shared_pool": args.sparql_shared_pool, "targets": TARGETS,
        "loadavg_before": os.getloadavg(), "cpus": os.cpu_count(), "runs": []}
    with ExitStack() as stack:
        started = time.monotonic()
        options = ["--sparql-shared-pool"] if args.sparql_shared_pool else []
        a, a_pid = stack.enter_context(server("a", url, folder, args.workers, options))
        b, b_pid = stack.enter_context(server("b", url, folder, args.workers, options))
        print(f"servers A :{a} and B :{b} up in {time.monotonic() - started:.0f} s; "
              "warming every worker ...", flush=True)
        started = time.monotonic()
        paths = [*MIX, f"/api/projects/{HUB_ID}", f"/api/compliance?project={HUB_ID}",
                 f"/api/reuse?project={HUB_ID}", "/api/indicators", sparql_path(HUB_ID)]
        for port in (a, b):
            warm(port, paths, 2)
        result["warm_s"] = time.monotonic() - started
        print(f"warm in {result['warm_s']:.0f} s", flush=True)
        result["rss_after_warm_mb"] = phase_rss("warm", a_pid, b_pid)
        for number in range(args.runs):
            run_id = secrets.token_hex(3)
            print(f"run {number + 1}/{args.runs}: propagation of {args.writes} writes ...",
                  flush=True)
            spread = propagation(a, b, tokens, args.writes, run_id)
            print(f"  every view of B within p50 {spread['p50_s']:.3f} s, p99 "
                  f"{spread['p99_s']:.3f} s; by view (p99): "
                  + ", ".join(f"{k} {v:.3f}" for k, v in spread["p99_by_view_s"].items())
                  + f"; older state read after shown: {spread['older_after_shown']} of "
                  f"{spread['reads']} reads", flush=True)
            phases = {"propagation": phase_rss("propagation", a_pid, b_pid)}
            # The mix before the standard's change: after it, every worker recomputes
            # the projects that read the standard, twice (made mandatory, then back).
            cpu = workers_cpu_s(a_pid) + workers_cpu_s(b_pid)
            spread_etags = spread.pop("etags")
            mix = read_mix((a, b), tokens, spread_etags, args.mix_seconds,
                           args.connections, args.write_rate, folder, args.writers)
            answered = mix["rps"] * args.mix_seconds + mix["writes_per_s"] * args.mix_seconds
            mix["cpu_ms_per_request"] = 1000 * (workers_cpu_s(a_pid) + workers_cpu_s(b_pid)
                                                - cpu) / max(1.0, answered)
            print(f"  read mix: {mix['rps']:.0f} req/s, p50 {mix['p50_ms']:.1f} ms, p99 "
                  f"{mix['p99_ms']:.1f} ms, non-2xx {mix['non_2xx']}; writes "
                  f"{mix['writes_per_s']:.1f}/s ({mix['writes_refused']} refused, p50 "
                  f"{mix['write_p50_ms']:.0f} ms, p99 {mix['write_p99_ms']:.0f} ms); "
                  f"{mix['cpu_ms_per_request']:.2f} ms of the workers' CPU a request",
                  flush=True)
            phases["mix"] = phase_rss("mix (saturation)", a_pid, b_pid)
            if args.mix_rate > 0:
                mix["open_loop"] = opened = open_mix(
                    (a, b), tokens, spread_etags, args.mix_seconds, args.mix_rate,
                    args.connections, args.write_rate, args.writers, (a_pid, b_pid))
                print(f"  read mix at {args.mix_rate:.0f} req/s (open loop): achieved "
                      f"{opened['rps']:.0f} req/s, p50 {opened['p50_ms']:.1f} ms, p99 "
                      f"{opened['p99_ms']:.1f} ms, p99.9 {opened['p999_ms']:.1f} ms, max "
                      f"{opened['max_ms']:.0f} ms, errors {opened['errors']}; writes "
                      f"{opened['writes_per_s']:.1f}/s ({opened['writes_refused']} refused); "
                      + ("other work's CPU share unknown" if opened["others_cpu"] is None
                         else f"other work took {opened['others_cpu']:.0%} of the CPU"),
                      flush=True)
                phases["open_mix"] = phase_rss("mix (open loop)", a_pid, b_pid)
            change = status_change(a, b, tokens)
            shown = change["shown_after_s"]
            print(f"  standard {change['standard']} made mandatory on A: in B's compliance "
                  + (f"after {shown:.3f} s" if shown is not None else "NOT within 120 s")
                  + f"; back to recommended, seen on B after {change['reverted_after_s']:.1f} s",
                  flush=True)
            phases["status_change"] = phase_rss("standard's change", a_pid, b_pid)
            latency = sparql_latency(b)
            print(f"  a SPARQL query on B, one at a time: p50 {latency['p50_ms']:.1f} ms, "
                  f"p99 {latency['p99_ms']:.1f} ms", flush=True)
            rss = {"a": worker_rss_mb(a_pid), "b": worker_rss_mb(b_pid)}
            sparql_rss = {"a": sparql_rss_mb(a_pid), "b": sparql_rss_mb(b_pid)}
            print(f"  worker RSS MB: A {[round(r) for r in rss['a']]}, "
                  f"B {[round(r) for r in rss['b']]}", flush=True)
            print(f"  SPARQL processes' RSS MB: A {[round(r) for r in sparql_rss['a']]}, "
                  f"B {[round(r) for r in sparql_rss['b']]}; each server's total (workers + "
                  f"SPARQL): A {sum(rss['a']) + sum(sparql_rss['a']):.0f}, "
                  f"B {sum(rss['b']) + sum(sparql_rss['b']):.0f}", flush=True)
            phases["end"] = rss
            result["runs"].append({"propagation": spread, "status_change": change,
                                   "mix": mix, "rss_mb": rss, "sparql_rss_mb": sparql_rss,
                                   "rss_by_phase_mb": phases,
                                   "sparql_latency": latency,
                                   "loadavg": os.getloadavg()})
    return result


def summary(result: dict[str, Any]) -> dict[str, float]:
    """Medians over the runs of each figure the targets name."""
    runs = result["runs"]

    def med(values: list[float]) -> float:
        return statistics.median(values)

    return {
        "propagation_p50_s": med([r["propagation"]["p50_s"] for r in runs]),
        "propagation_p99_s": med([r["propagation"]["p99_s"] for r in runs]),
        "older_after_shown": sum(r["propagation"]["older_after_shown"] for r in runs),
        "status_change_s": med([r["status_change"]["shown_after_s"] or float("inf")
                                for r in runs]),
        "mix_rps": med([r["mix"]["rps"] for r in runs]),
        "mix_saturated_p99_ms": med([r["mix"]["p99_ms"] for r in runs]),
        # The p99 target is judged at the rate it names (the open loop), as
        # bench.catalogue_http does; at saturation when the open loop was skipped.
        "mix_p99_ms": med([r["mix"].get("open_loop", r["mix"])["p99_ms"] for r in runs]),
        "mix_open_rps": med([r["mix"].get("open_loop", {}).get("rps", float("nan"))
                             for r in runs]),
        "mix_writes_per_s": med([r["mix"]["writes_per_s"] for r in runs]),
        # The largest any worker was after any phase of any run (and after warming).
        "worker_rss_mb_max": max(
            [max(r["a"] + r["b"]) for r in (
                [result["rss_after_warm_mb"]] if "rss_after_warm_mb" in result else [])]
            + [max(p["a"] + p["b"]) for r in runs
               for p in r.get("rss_by_phase_mb", {"end": r["rss_mb"]}).values()]),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--writes", type=int, default=20, help="propagation writes a run")
    parser.add_argument("--workers", type=int, default=4, help="workers of each server")
    parser.add_argument("--mix-seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32, help="wrk, both servers")
    parser.add_argument("--mix-rate", type=float, default=TARGETS["mix_rps"],
                        help="req/s of the open-loop mix over both servers, where the p99 "
                        "target is judged (default the target's 2,000; 0 skips it)")
    parser.add_argument("--write-rate", type=float, default=20.0, help="writes/s in the mix")
    parser.add_argument("--writers", type=int, default=WRITERS,
                        help="client threads sharing the mix's writes")
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432",
                        help="the PostgreSQL server (its database `postgres` makes ours)")
    parser.add_argument("--database", default="registry_two_servers")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database when it holds the projects already")
    parser.add_argument("--ports", metavar="FIRST-LAST", help="take ports from this range")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--sparql-shared-pool", action="store_true",
                        help="serve with --sparql-shared-pool (one SPARQL pool a server)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database takes a lower-case SQL name")
    if args.ports:
        first, _, last = args.ports.partition("-")
        PORTS[:] = range(int(first), int(last) + 1)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    result["summary"] = summary(result)
    result["loadavg_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    s = result["summary"]
    print(f"\nmedians of {len(result['runs'])} runs ({result['projects']} projects, "
          f"2 servers x {args.workers} workers, {os.cpu_count()} CPUs, load average "
          f"{result['loadavg_before'][0]:.1f} before, {result['loadavg_after'][0]:.1f} after):")
    checks = [
        ("every view of B shows a write on A, p99", f"{s['propagation_p99_s']:.3f} s",
         s["propagation_p99_s"] <= TARGETS["propagation_p99_s"]),
        ("reads of B showing an older state afterwards", f"{s['older_after_shown']}",
         s["older_after_shown"] == 0),
        ("a standard made mandatory on A, in B's compliance", f"{s['status_change_s']:.3f} s",
         s["status_change_s"] <= TARGETS["status_change_s"]),
        ("read mix req/s at saturation (wrk, both servers)", f"{s['mix_rps']:.0f}",
         s["mix_rps"] >= TARGETS["mix_rps"]),
        ("read mix p99 at saturation (wrk; not the target's)",
         f"{s['mix_saturated_p99_ms']:.1f} ms",
         s["mix_saturated_p99_ms"] <= TARGETS["mix_p99_ms"]),
        (f"read mix p99 at {args.mix_rate:.0f} req/s (open loop)" if args.mix_rate > 0
         else "read mix p99 (saturation: no open loop)", f"{s['mix_p99_ms']:.1f} ms",
         s["mix_p99_ms"] <= TARGETS["mix_p99_ms"]
         and (args.mix_rate <= 0 or s["mix_open_rps"] >= 0.98 * TARGETS["mix_rps"])),
        ("largest worker RSS", f"{s['worker_rss_mb_max']:.0f} MB",
         s["worker_rss_mb_max"] <= TARGETS["worker_rss_mb"]),
    ]
    for name, value, met in checks:
        print(f"  {name:<52} {value:>12}  {'met' if met else 'MISSED'}")
    print(f"  (writes during the mix: {s['mix_writes_per_s']:.1f}/s; raw figures: {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
