"""What one web worker holds at 10,000 projects, and where it goes.

Run from the repository root:  .venv/bin/python -m bench.worker_memory [--projects N]
                                [--database-url URL] [--keep PATH] [--trace] [--peaks]

What it does: stores the shipped catalogue and N synthetic projects (bench.reuse_scale's
generator, stored as bench.readmodel_scale stores them) in a fresh SQLite file, or in a
fresh schema of the PostgreSQL database given by --database-url (`--keep PATH` keeps a
SQLite file between runs and reuses it). Then a separate process, as a gunicorn worker
would be (the production settings: response cache on, its default size), builds the read
model, requests every view once through the Flask test client (dashboard, indicators,
compliance page 1, /compliance, /reuse, /roadmap, projects page 1, a project page, a
standard), waits for the reuse overlaps, asks /sparql once (the derived graph and a SPARQL
worker process), and prints its VmRSS (/proc/self/status) and PSS (/proc/self/smaps_rollup)
at each step; then it writes 5 projects and a standard's status (as another server would,
through the store), answers every view again and prints them once more. `--threads N`
asks each view N times from N threads at once (a gunicorn worker's request threads);
`--arenas glibc` leaves glibc's heaps at one per thread instead of the production
server's two (registry.readmodel.memory.limit_arenas).

The split walks what the worker holds, object by object (each object counted once, in
the order printed: what the catalogue shares with the sheets counts as catalogue), and
gives Python's own allocations (tracemalloc's current total, when --trace) beside it.
"Libraries" is the VmRSS of the same process before the first snapshot (interpreter,
imports, the app, the catalogue as the app loads it). --trace also prints tracemalloc's
top 15 holders by line; it slows the run and adds its own memory to VmRSS, so the RSS
figures of a --trace run are not the ones to quote.

`--peaks` (tracemalloc too, so its RSS figures are not to quote either) prints, after
each view of the first pass and of the passes after the writes and the standard's
change, what Python holds then (traced MB) and the peak reached since the previous
line (tracemalloc's peak, reset after each): a view whose peak is far above what it
leaves held built a transient working set, which glibc's and CPython's heaps keep
as VmRSS. The first line is the first snapshot's build, and each write's catch-up
has a line of its own.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import copy
import gc
import os
import subprocess
import sys
import tempfile
import time
import types
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from bench.scratch import scratch_database

VIEWS = ("/dashboard", "/api/indicators", "/api/compliance?page=1", "/compliance",
         "/reuse", "/roadmap", "/api/projects?page=1")
TARGET_MB = 250.0
BASE_IRI = "https://registry.example.org/"


def vm_rss_mb(pid: int | str = "self") -> float:
    """Return a process's resident memory in MB (VmRSS: shared pages count in full)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pss_mb(pid: int | str = "self") -> float:
    """Return a process's proportional set size in MB (a page shared by n counts 1/n)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def descendants_rss_mb() -> list[float]:
    """Return the VmRSS of this process's descendants (fork server, SPARQL workers), MB."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    mine = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, ppid in parent.items() if ppid in mine} - mine
        grew = bool(found)
        mine |= found
    mine.discard(os.getpid())
    return sorted(vm_rss_mb(pid) for pid in mine)


class Walker:
    """Sum the sizes of objects reachable from roots, each object counted once overall."""

    # Reached through these, an object is not the read model's (modules, classes, code).
    STOP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.CodeType, types.MethodType)

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def size(self, *roots: Any) -> int:
        total = 0
        stack = list(roots)
        seen = self.seen
        while stack:
            obj = stack.pop()
            if id(obj) in seen or isinstance(obj, self.STOP):
                continue
            seen.add(id(obj))
            total += sys.getsizeof(obj)
            if isinstance(obj, dict):
                stack.extend(obj.keys())
                stack.extend(obj.values())
            elif isinstance(obj, (list, tuple, set, frozenset)):
                stack.extend(obj)
            elif isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
                continue
            else:
                stack.extend(gc.get_referents(obj))
        return total


def worker(url: str, folder: str, trace: bool, threads: int, arenas: str,
           job: bool = False, peaks: bool = False) -> None:
    """Be one web worker: print VmRSS at each step and what the read model holds.

    `job`: the overlaps come from the overlap job (a process of their own, started by
    main), as under `registry serve --production`, instead of the worker's thread.
    """
    if arenas == "server":
        from registry.readmodel.memory import limit_arenas

        limit_arenas()  # as `registry serve --production` does before forking
    if trace or peaks:
        import tracemalloc

        tracemalloc.start(1)
    from registry import create_app
    from registry.linked_data.iris import project_iri
    from registry.services import reuse_thresholds

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "LOAD_EXAMPLES": False,
                      "REUSE_OVERLAP_WAIT": 600.0, "BASE_IRI": BASE_IRI,
                      "REUSE_OVERLAP_JOB": job})
    services = app.extensions["registry"]
    readmodel = services.readmodel
    figures: dict[str, tuple[float, float]] = {}

    def measure(step: str) -> None:
        figures[step] = (vm_rss_mb(), pss_mb())

    def peak(what: str) -> None:
        # Peak since the last line: what `what` built beyond what it left held.
        if not peaks:
            return
        import tracemalloc

        held, top = tracemalloc.get_traced_memory()
        print(f"  peak {what[:60]:60} traced {held / 2**20:6.1f} MB, peak "
              f"{top / 2**20:6.1f} MB (+{(top - held) / 2**20:.1f})", flush=True)
        tracemalloc.reset_peak()

    measure("libraries (before the first snapshot)")
    if peaks:
        import tracemalloc

        tracemalloc.reset_peak()
    snapshot = readmodel.catch_up()
    peak("the first snapshot")
    measure("after the first snapshot")
    # Without cookies, as the public clients the response cache serves (a page that
    # sets one would make every later request of a cookie-keeping client bypass it).
    project = next(iter(snapshot.roadmap.projects))
    standard = next(iter(snapshot.catalogue.standards))
    views = (*VIEWS, f"/projects/{project}", f"/api/projects/{project}",
             f"/standards/{standard}", f"/api/standards/{standard}")
    sparql = "/sparql?" + urllib.parse.urlencode(
        {"query": f"ASK {{ <{project_iri(BASE_IRI, project)}> ?p ?o }}"})

    def get(view: str, peaked: bool = False) -> int:
        answer = app.test_client(use_cookies=False).get(
            view, headers={"Accept": "application/sparql-results+json"}
            if view == sparql else {})
        if peaked:
            peak(view)
        return int(answer.status_code)

    def every_view(with_sparql: bool = True, peaked: bool = False) -> None:
        # Several at once from `threads` threads, as a worker's request threads would;
        # SPARQL once (its pool admits a few queries at a time, then answers 503).
        asked = list(views) * threads + ([sparql] if with_sparql else [])
        if threads == 1:
            statuses = [get(view, peaked) for view in asked]
        else:
            with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                statuses = list(pool.map(get, asked))
        for view, status in zip(asked, statuses, strict=True):
            if status != 200:
                raise SystemExit(f"{view} answered {status}")
        current = readmodel.current()
        state = current.reuse(reuse_thresholds(services.settings))
        if job:
            readmodel.overlaps.refresh(state, current.version, 600.0)
        else:
            state.refresh_overlap_within(current.version, 600.0)
        peak("(the overlaps)")

    every_view(with_sparql=False, peaked=True)
    measure("after every view once (not /sparql)")
    every_view(peaked=True)
    measure("after a SPARQL query too (the derived graph)")
    sheets = [copy.deepcopy(dict(p.sheet)) for p in
              list(readmodel.current().roadmap.projects.values())[:5]]
    cpu = time.process_time()  # every thread of the worker: its overlap thread too
    for number, sheet in enumerate(sheets):
        sheet["title"] = {**sheet.get("title", {}), "en": f"Changed {number}"}
        services.store.put("project", sheet["id"], sheet, author="bench")
        peak(f"(write {number + 1})")
        readmodel.catch_up()
        peak(f"(write {number + 1}'s catch-up)")
        every_view(peaked=True)
    cpu = time.process_time() - cpu
    gc.collect()
    measure("after 5 project writes, every view after each")
    catalogue = readmodel.current().catalogue
    sid = next(s for s, r in catalogue.standards.items() if r["status"] == "recommended")
    record = copy.deepcopy(dict(catalogue.standards[sid]))
    record["status"] = "mandatory"
    services.store.put("standard", sid, record, author="bench")
    peak("(the standard's write)")
    readmodel.catch_up()
    peak("(the standard's catch-up)")
    gc.collect()
    measure("a standard's status change caught up (no view yet)")
    every_view(peaked=True)
    gc.collect()
    measure("after a standard's status change too, every view again")
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)
    print(f"(diagnostic: {vm_rss_mb():.0f} MB after glibc's malloc_trim(0))")
    for name, (rss, pss) in figures.items():
        print(f"VmRSS {name}: {rss:.0f} MB (PSS {pss:.0f})")
    largest = max(rss for rss, _ in figures.values())
    print(f"largest: {largest:.0f} MB (target {TARGET_MB:.0f} MB)")
    print(f"worker CPU over the 5 project writes (catch-up, every view, overlaps): "
          f"{cpu:.2f} s")
    print(f"SPARQL worker processes and their fork server (not counted above): "
          f"{[round(mb) for mb in descendants_rss_mb()]} MB")
    split(readmodel.current(), app)
    if trace:
        import tracemalloc

        current, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc: {current / 2**20:.0f} MB held, peak {peak / 2**20:.0f} MB; "
              "top holders by line:")
        stats = tracemalloc.take_snapshot().statistics("lineno")
        for stat in stats[:15]:
            frame = stat.traceback[0]
            print(f"  {stat.size / 2**20:7.1f} MB {stat.count:9,d} blocks  "
                  f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}")
    readmodel.close()


def split(snapshot: Any, app: Any) -> None:
    """Print what the snapshot's parts hold, each object counted once, in this order."""
    walker = Walker()
    derived = snapshot.derived.values()
    reuse = list(snapshot._reuse.values())
    cache = _response_cache(app)
    linked = app.extensions["linked_data"]
    parts: list[tuple[str, Iterable[Any]]] = [
        ("catalogue", [snapshot.catalogue]),
        ("sheets (roadmap)", [snapshot.roadmap]),
        ("findings/reports", [getattr(d, "report", None) for d in derived]),
        ("compliance cells", [d.cells for d in derived]),
        ("trend history", [d.history for d in derived]),
        ("contributions and totals", [[d.contribution for d in derived], snapshot.totals]),
        ("derived (the rest)", [snapshot.derived]),
        ("lists", [snapshot.lists]),
        ("reuse state", reuse),
        ("page memo", [snapshot._memo]),
        ("derived graph (linked data)", [linked._graphs, linked.builder]),
        ("response cache", [cache._entries] if cache is not None else []),
    ]
    total = 0
    for name, roots in parts:
        size = walker.size(*roots)
        total += size
        print(f"  {name:28} {size / 2**20:7.1f} MB")
    print(f"  {'total walked':28} {total / 2**20:7.1f} MB")
    if cache is not None:
        print(f"  response cache: {len(cache._entries)} answers, {cache.held_bytes / 2**20:.1f}"
              f" MB counted against its budget of {cache.max_bytes / 2**20:.0f} MB")


def _response_cache(app: Any) -> Any:
    from registry.response_cache import ResponseCache

    layer = app.wsgi_app
    while layer is not None and not isinstance(layer, ResponseCache):
        layer = getattr(layer, "app", None)
    return layer


def prepare(url: str, folder: Path, projects: int) -> None:
    """Store the catalogue and `projects` synthetic projects."""
    from bench.reuse_scale import Generator
    from registry import create_app
    from registry.catalogue.files import load_catalogue, shipped_root

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder),
                      "LOAD_EXAMPLES": False, "RESPONSE_CACHE_MB": 0})
    services = app.extensions["registry"]
    sheets, _ = Generator(load_catalogue(shipped_root())).roadmap(projects)
    sheets = [orjson.loads(orjson.dumps(s)) for s in sheets]
    services.store.import_records({"project": sheets}, author="bench")
    services.store.engine.dispose()


def main() -> None:
    """Prepare the database, run the worker in a process of its own, print its figures."""
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], sys.argv[3], sys.argv[4] == "trace", int(sys.argv[5]),
               sys.argv[6], sys.argv[7:8] == ["job"], sys.argv[8:9] == ["peaks"])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", default="", help="a SQLite file to make once and reuse")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--peaks", action="store_true",
                        help="tracemalloc: after each view, what Python holds and the peak "
                             "since the last view")
    parser.add_argument("--threads", type=int, default=1,
                        help="ask every view this many times from as many threads at once")
    parser.add_argument("--arenas", choices=("server", "glibc"), default="server",
                        help="C heaps as the production server limits them, or glibc's "
                             "default (one a thread, up to 8 a core)")
    parser.add_argument("--overlap-job", action="store_true",
                        help="the overlaps from the overlap job, a process beside the "
                             "worker (as `serve --production` runs them)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    scratch = contextlib.ExitStack()
    if args.database_url:
        url = scratch.enter_context(scratch_database(args.database_url, folder))
        prepare(url, folder, args.projects)
    else:
        path = Path(args.keep) if args.keep else folder / "registry.sqlite"
        url = f"sqlite:///{path}"
        if not path.exists():
            prepare(url, folder, args.projects)
        else:
            # A kept file is written by the worker's writes: work on a copy of it.
            copied = folder / "registry.sqlite"
            copied.write_bytes(path.read_bytes())
            url = f"sqlite:///{copied}"
    print(f"{args.projects} projects, {url.split('?')[0].rsplit('/', 1)[0]}...; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    job = None
    if args.overlap_job:
        job = subprocess.Popen(
            [sys.executable, "-c", "from registry.cli import main; main()", "overlaps"],
            env={**os.environ, "REGISTRY_DATABASE_URL": url})
    try:
        subprocess.run([sys.executable, "-m", "bench.worker_memory", "--worker", url,
                        str(folder), "trace" if args.trace else "plain",
                        str(args.threads), args.arenas, "job" if job else "thread",
                        "peaks" if args.peaks else "plain"],
                       check=True)
    finally:
        if job is not None:
            with open(f"/proc/{job.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{job.pid}/status") as status:
                rss = next(line.split()[1] for line in status if line.startswith("VmRSS"))
            ticks = os.sysconf("SC_CLK_TCK")
            print(f"the overlap job (its own process): CPU "
                  f"{(int(fields[11]) + int(fields[12])) / ticks:.1f} s in all, "
                  f"VmRSS {int(rss) / 1024:.0f} MB")
            job.terminate()
            job.wait(30)
        scratch.close()


if __name__ == "__main__":
    main()
