"""Where the time goes between a project's commit and a SPARQL answer that includes it.

Run from the repository root, on a PostgreSQL database holding a roadmap (made by
`bench.two_servers`, e.g. `--database NAME`, or any registry database):

    .venv/bin/python -m bench.sparql_propagation --database-url URL [--writes 20]

One app (server B's worker, in-process: no HTTP, so only the registry's own work is
timed) answers SPARQL with its pool of SPARQL worker processes, as /sparql does. A second
Store over the same database (server A) commits a new title to an existing project, as a
PUT does; B learns of it by LISTEN/NOTIFY. B asks `ASK { <project> dct:title "..." }`
every 20 ms until the answer is true. Each step on the way is timed (wall and CPU):

- notify: from A's commit until B's LISTEN thread marks the read model stale;
- catch-up: the read model applying the change (shared with every other view);
- graph: deriving the new graph (the changed project's chunk, the DCAT-AP description,
  the revision dates);
- sync: sending the changed chunks to the SPARQL worker and its replacing their triples
  (the worker's CPU from /proc);
- query: the ASK itself;
- visible: from the commit until the first true answer.

Medians and p99 over the writes are printed with the load average; raw figures go to
bench/out/sparql_propagation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "sparql_propagation.json"
BASE = "https://registry.example.org/"
POLL = 0.02


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _process_cpu(pid: int) -> float:
    """Return a process's user + system CPU seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Steps:
    """Wall and CPU time of named steps, summed per write."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.marks: dict[str, float] = {}
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.wall.clear()
            self.cpu.clear()
            self.marks.clear()

    def wrap(self, owner: Any, name: str, step: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                with self.lock:
                    self.wall[step] += time.perf_counter() - wall
                    self.cpu[step] += time.thread_time() - cpu

        setattr(owner, name, timed)

    def mark(self, owner: Any, name: str, step: str) -> None:
        original = getattr(owner, name)

        def marked(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.marks.setdefault(step, time.perf_counter())
            return original(*args, **kwargs)

        setattr(owner, name, marked)


@contextmanager
def worker_cpu(pool: Any) -> Iterator[Callable[[], float]]:
    """Yield a function returning the SPARQL workers' CPU seconds since the block began."""
    def total() -> float:
        return sum(_process_cpu(w.process.pid) for w in list(pool._workers)
                   if w.process.pid)

    start = total()
    yield lambda: total() - start


def run(args: argparse.Namespace) -> dict[str, Any]:
    from registry import create_app
    from registry.linked_data.sparql import QueryRequest
    from registry.storage.store import Store

    folder = Path(tempfile.mkdtemp(prefix="bench-sparql-propagation-"))
    settings: dict[str, Any] = {"DATABASE_URL": args.database_url,
                                "INSTANCE_PATH": str(folder), "LOAD_EXAMPLES": False,
                                "BASE_IRI": BASE}
    if args.store_url:
        settings["SPARQL_STORE_URL"] = args.store_url
    app = create_app(settings)
    services = app.extensions["registry"]
    linked = app.extensions["linked_data"]
    writer_store = Store(args.database_url)
    steps = Steps()
    model = services.readmodel
    steps.mark(model._stale, "set", "notified")  # the LISTEN thread's wake-up
    steps.wrap(model, "catch_up", "catch_up")
    steps.wrap(linked.builder, "build", "graph")
    steps.wrap(linked.pool, "_sync", "sync")
    steps.wrap(services.store, "revision_spans", "graph_dates")
    if linked.writer is not None:
        steps.wrap(linked.writer, "_push", "store_push")

    def ask(query: str) -> bool:
        answer = linked.query(BASE, QueryRequest(query, "json"))
        return bool(json.loads(answer.body)["boolean"])

    started = time.perf_counter()
    ask("ASK { ?s ?p ?o }")  # the first load of the whole graph into a worker
    if linked.writer is not None:
        # The store's first load: every record's graph PUT by the writer thread.
        from registry.linked_data.store_sync import pushed_version

        linked.start_writer()
        version = services.readmodel.latest().version
        while pushed_version(services.store, args.store_url) != version:
            if time.perf_counter() - started > 1800:
                raise SystemExit("the store's first load took more than 30 min")
            time.sleep(0.5)
    result: dict[str, Any] = {"first_load_seconds": time.perf_counter() - started,
                              "load_before": os.getloadavg()}
    ids = sorted(services.readmodel.latest().roadmap.projects)
    triples = linked.graph(BASE).triples if not args.store_url else None
    result.update(projects=len(ids), triples=triples)
    rounds: list[dict[str, float]] = []
    for n in range(args.writes):
        project_id = ids[(n * 7919) % len(ids)]
        current = writer_store.get("project", project_id)
        sheet = json.loads(json.dumps(current.data))
        title = f"Propagation {n} {time.time_ns()}"
        sheet["title"]["en"] = title
        query = (f'ASK {{ <{BASE}projects/{project_id}> '
                 f'<http://purl.org/dc/terms/title> "{title}"@en }}')
        time.sleep(0.5)  # let the previous round's background work settle
        steps.reset()
        with worker_cpu(linked.pool) as spent:
            cpu0 = time.process_time()
            writer_store.put("project", project_id, sheet, author="bench.sparql_propagation",
                             if_match=current.revision)
            written = time.perf_counter()
            queries = 0
            while True:
                asked = time.perf_counter()
                seen = ask(query)
                queries += 1
                if seen:
                    break
                if time.perf_counter() - written > 60:
                    raise SystemExit(f"write {n} not visible after 60 s")
                time.sleep(max(0.0, POLL - (time.perf_counter() - asked)))
            done = time.perf_counter()
            row = {"visible": done - written, "last_query": done - asked,
                   "queries": queries, "web_cpu": time.process_time() - cpu0,
                   "sparql_worker_cpu": spent()}
        with steps.lock:
            if "notified" in steps.marks:
                row["notify"] = steps.marks["notified"] - written
            for step, value in steps.wall.items():
                row[step] = value
                row[step + "_cpu"] = steps.cpu[step]
        rounds.append(row)
        print(" ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                       for k, v in row.items()), flush=True)
    result["load_after"] = os.getloadavg()
    result["rounds"] = rounds
    keys = sorted({k for r in rounds for k in r})
    result["median"] = {k: statistics.median(r.get(k, 0.0) for r in rounds) for k in keys}
    result["p99"] = {k: percentile([r.get(k, 0.0) for r in rounds], 0.99) for k in keys}
    result["sparql_worker_rss_mb"] = [
        int(line.split()[1]) / 1024
        for w in linked.pool._workers
        for line in Path(f"/proc/{w.process.pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")]
    linked.close()
    services.readmodel.close()
    writer_store.engine.dispose()
    services.store.engine.dispose()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sparql_propagation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a PostgreSQL database holding the roadmap")
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--store-url", default="",
                        help="an external store's query URL (REGISTRY_SPARQL_STORE_URL)")
    args = parser.parse_args(argv)
    result = run(args)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"{result['projects']} projects, {result['triples']} triples; first load "
          f"{result['first_load_seconds']:.1f} s; load average {result['load_before']} -> "
          f"{result['load_after']}")
    for name in ("median", "p99"):
        print(name + ": " + ", ".join(f"{k} {v:.3f}" for k, v in result[name].items()))
    print(f"SPARQL worker RSS: {', '.join(f'{v:.0f} MB' for v in result['sparql_worker_rss_mb'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
