"""The read model at scale: first and warm answers of each view after a write, in-process.

Run from the repository root:  .venv/bin/python -m bench.readmodel_scale [--projects N]
                                [--database-url URL]

What it does: loads the shipped catalogue and N synthetic projects (bench.reuse_scale's
generator) into a fresh SQLite file (or a fresh PostgreSQL schema with --database-url),
starts one app (Flask test client, no HTTP server: this isolates the registry's own
work from the network), warms every view, then for each of 5 rounds writes one project
through the API and times, on the same worker, the first request of each view after
the write (stored through Store.put, then the catch-up the API's PUT does) and then the
warm one; and once a mandatory standard's status change. The reuse analysis kept write
by write is timed against its full recomputation on the same roadmap (the ratio is
printed), and the overlap refresh (the one part recomputed in full, in a background
thread) on its own. RSS: a separate worker process (no generator, no benchmark data)
opens the same database, builds its snapshot, answers every view once, and reports its
resident memory. Medians are printed. It does NOT measure two servers, the read mix
under write load or propagation across servers: those need bench/load.py-style HTTP
runs that this module does not do.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench.reuse_scale import Generator
from bench.scratch import scratch_database
from registry import create_app
from registry.catalogue.files import load_catalogue, shipped_root
from registry.readmodel.reuse import ReuseState
from registry.services import reuse_thresholds

VIEWS = ("/dashboard", "/api/indicators", "/api/compliance?page=1", "/compliance",
         "/reuse", "/roadmap", "/api/projects?page=1")


# The CPU time of the request's own thread, per view: on a shared machine the wall time
# mostly says how loaded it was, this says what the request itself cost.
CPU: dict[str, list[float]] = {}


def _timed(client, path: str, headers: dict[str, str] | None = None) -> float:
    start, cpu = time.perf_counter(), time.thread_time()
    answer = client.get(path, headers=headers or {})
    elapsed = time.perf_counter() - start
    CPU.setdefault(path, []).append(time.thread_time() - cpu)
    if answer.status_code != 200:
        raise SystemExit(f"{path} answered {answer.status_code}")
    return elapsed


def _wait_overlap(services, thresholds) -> None:
    """Wait for the current snapshot's overlap refresh (started by a reuse view)."""
    snapshot = services.readmodel.current()
    snapshot.reuse(thresholds).refresh_overlap_within(snapshot.version, 600.0)


def _vm_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker_rss(url: str, folder: str) -> None:
    """Be one web worker: snapshot, every view once, overlaps refreshed; print RSS."""
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "LOAD_EXAMPLES": False,
                      "RESPONSE_CACHE_MB": 0, "REUSE_OVERLAP_WAIT": 600.0})
    client = app.test_client()
    for view in VIEWS:
        _timed(client, view)
    services = app.extensions["registry"]
    _wait_overlap(services, reuse_thresholds(services.settings))
    print(f"RSS of a worker holding the snapshot (every view answered once): "
          f"{_vm_rss_mb():.0f} MB")
    services.readmodel.close()


def main() -> None:
    """Run the benchmark and print medians."""
    if sys.argv[1:2] == ["--worker-rss"]:
        worker_rss(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-readmodel-"))
    scratch = contextlib.ExitStack()
    url = scratch.enter_context(scratch_database(args.database_url, folder))
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder),
                      "LOAD_EXAMPLES": False, "RESPONSE_CACHE_MB": 0})
    services = app.extensions["registry"]
    sheets, _ = Generator(load_catalogue(shipped_root())).roadmap(args.projects)
    sheets = [orjson.loads(orjson.dumps(s)) for s in sheets]
    start = time.perf_counter()
    services.store.import_records({"project": sheets}, author="bench")
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    services.readmodel.catch_up()
    built = time.perf_counter() - start
    print(f"{args.projects} projects stored in {loaded:.1f} s; first snapshot {built:.1f} s")
    client = app.test_client()
    start = time.perf_counter()
    for view in VIEWS:
        _timed(client, view)
    print(f"first request of every view on the first snapshot (reuse analysis built in "
          f"full once): {time.perf_counter() - start:.1f} s")
    thresholds = reuse_thresholds(services.settings)
    _wait_overlap(services, thresholds)
    full: list[float] = []
    kept: list[float] = []
    overlap: list[float] = []
    first: dict[str, list[float]] = {v: [] for v in VIEWS}
    warm: dict[str, list[float]] = {v: [] for v in VIEWS}
    first_cpu: dict[str, list[float]] = {v: [] for v in VIEWS}
    warm_cpu: dict[str, list[float]] = {v: [] for v in VIEWS}
    catch_up: list[float] = []
    for round_ in range(args.rounds):
        sheet = copy.deepcopy(sheets[round_ * 7 % len(sheets)])
        sheet["title"] = {**sheet.get("title", {}), "en": f"Changed {round_}"}
        # Straight through the store (the generator's sheets are not all valid), then the
        # catch-up the API's PUT does after storing.
        before = services.readmodel.current().reuse(thresholds)
        start = time.perf_counter()
        services.store.put("project", sheet["id"], sheet, author="bench")
        snapshot = services.readmodel.catch_up()
        catch_up.append(time.perf_counter() - start)
        for view in VIEWS:
            first[view].append(_timed(client, view))
            first_cpu[view].append(CPU[view][-1])
            warm[view].append(_timed(client, view))
            warm_cpu[view].append(CPU[view][-1])
        # The kept analysis, applied to this write alone, against the full one on the
        # same roadmap; then the background overlap refresh, waited for (timed alone).
        start = time.perf_counter()
        before.apply({sheet["id"]: sheet}, snapshot.version)
        kept.append(time.perf_counter() - start)
        start = time.perf_counter()
        ReuseState.build(snapshot.roadmap.sheets(), snapshot.catalogue, thresholds,
                         snapshot.version)
        full.append(time.perf_counter() - start)
        start = time.perf_counter()
        _wait_overlap(services, thresholds)
        overlap.append(time.perf_counter() - start)
    catalogue = services.readmodel.current().catalogue
    sid = next(s for s, r in catalogue.standards.items() if r["status"] == "recommended")
    record = copy.deepcopy(dict(catalogue.standards[sid]))
    record["status"] = "mandatory"
    start = time.perf_counter()
    services.store.put("standard", sid, record, author="bench")
    services.readmodel.catch_up()
    status_change = time.perf_counter() - start
    print(f"write (store.put + catch-up) median {statistics.median(catch_up)*1000:.0f} ms")
    print(f"standard {sid} made mandatory: catch-up {status_change*1000:.0f} ms")
    print(f"{'view':32} {'first after write':>18} {'warm':>8} {'first CPU':>10} "
          f"{'warm CPU':>9}   (medians of {args.rounds}; CPU: the request's thread)")
    for view in VIEWS:
        print(f"{view:32} {statistics.median(first[view])*1000:15.1f} ms "
              f"{statistics.median(warm[view])*1000:6.1f} ms "
              f"{statistics.median(first_cpu[view])*1000:7.1f} ms "
              f"{statistics.median(warm_cpu[view])*1000:6.1f} ms")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"reuse analysis after one write: kept {statistics.median(kept)*1000:.0f} ms, "
          f"full recomputation {statistics.median(full)*1000:.0f} ms "
          f"({statistics.median(full) / statistics.median(kept):.0f}x); overlap refresh in "
          f"the background {statistics.median(overlap)*1000:.0f} ms")
    services.readmodel.close()
    rss = subprocess.run([sys.executable, "-m", "bench.readmodel_scale", "--worker-rss", url,
                          str(folder)], capture_output=True, text=True, check=True)
    print(rss.stdout.strip())
    services.store.engine.dispose()
    scratch.close()


if __name__ == "__main__":
    main()
