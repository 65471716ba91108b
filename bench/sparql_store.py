"""The external SPARQL store: how soon a write shows in it, and its catch-up after an outage.

Run from the repository root (PostgreSQL, a database of the benchmark's own):

    createdb -h 127.0.0.1 -U postgres sparqlstore_bench
    .venv/bin/python -m bench.sparql_store [--projects 1000] [--writes 20] [--outage 30]
        [--ports 5120-5122]

Set-up: the shipped catalogue and N synthetic projects (seeded, see bench.linked_data) in
a scratch schema; `oxigraph serve --union-default-graph` on 127.0.0.1:5120; two gunicorn
servers of 2 workers over the one database: S on :5121 with REGISTRY_SPARQL_STORE_URL
(its workers write the store, one at a time), E on :5122 without it (the embedded
Oxigraph, the alternative). `--ports` moves the three ports.

1. Initial load: from S's first request until the store holds the whole derived graph.
   Then both servers are warmed (`warm`): rounds of concurrent ASKs until every
   worker answers fast, so that what follows times the propagation of a write, not a
   worker's first load of the whole graph into its SPARQL pool (E) or its pool's start.
2. Visibility: `--writes` project writes (a new title each, committed through the store
   as a PUT does; the servers learn of it by LISTEN/NOTIFY); for each, the time until
   the store's own SPARQL answer shows the title, and the time until E's /sparql does
   (in parallel). Median and p99 of each, and their ratio. Target: store p99 <= 2 s.
3. Outage: the store is stopped; one write a second goes on for `--outage` seconds (they
   all succeed: the store is derived); the store is started again, and the catch-up is
   the time from its first answer until it shows the last write. Then the store's
   triples are compared with E's dump (as Oxigraph holds it): equal or not.

Results go to bench/out/sparql_store.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from bench.linked_data import synthetic_sheets
from bench.load import gunicorn_command

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
OUT = REPO / "bench" / "out" / "sparql_store.json"
HOST = "127.0.0.1"
PORTS = (5120, 5121, 5122)  # the store, S, E (--ports moves them)
BASE = "https://registry.example.org/"
TARGET_P99 = 2.0
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/sparqlstore_bench"


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def post(url: str, query: str, accept: str, timeout: float = 30) -> bytes:
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(url, data=data, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()  # type: ignore[no-any-return]


def ask(url: str, query: str) -> bool:
    try:
        return bool(json.loads(post(url, query, "application/sparql-results+json"))
                    ["boolean"])
    except (OSError, ValueError, KeyError):
        return False


def wait_for(check: Callable[[], bool], bound: float, what: str, step: float = 0.01
             ) -> float:
    """Return when check() first held (time.perf_counter()), asking every `step` s."""
    deadline = time.perf_counter() + bound
    while True:
        if check():
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"waited {bound:g} s for {what}")
        time.sleep(step)


class Oxigraph:
    """The store: an `oxigraph serve` process that can be stopped and started again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.port = PORTS[0]
        self.query_url = f"http://{HOST}:{self.port}/query"

    def start(self) -> float:
        self.process = subprocess.Popen(
            [str(BIN / "oxigraph"), "serve", "--location", str(self.folder), "--bind",
             f"{HOST}:{self.port}", "--union-default-graph", "--timeout-s", "30"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return wait_for(self._answers, 60, "the store to start")

    def _answers(self) -> bool:
        try:
            post(self.query_url, "ASK {}", "application/sparql-results+json", 2)
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


@contextmanager
def server(url: str, folder: Path, port: int, extra: dict[str, str]) -> Iterator[None]:
    """Run a gunicorn server of 2 workers on the database for the block."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update({"REGISTRY_DATABASE_URL": url, "REGISTRY_INSTANCE_PATH": str(folder),
                "REGISTRY_BASE_IRI": BASE, "REGISTRY_LOAD_EXAMPLES": "0",
                "PYTHONPATH": str(REPO), **extra})
    log = folder.with_suffix(".log")
    with log.open("wb") as out:
        process = subprocess.Popen(gunicorn_command(2, port), cwd=REPO, env=env,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=5) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        wait_for(healthy, 180, f"the server on :{port}", 0.2)
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(30)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


_BNODE = re.compile(rb"_:[A-Za-z0-9_\-.]+")


def triples(ntriples: bytes) -> list[bytes]:
    """Return the lines sorted, blank-node labels made one (the store relabels them)."""
    return sorted(_BNODE.sub(b"_:b", line) for line in ntriples.splitlines() if line.strip())


def embedded_triples() -> list[bytes]:
    """Return E's whole graph (its dump) as the embedded Oxigraph holds it."""
    import pyoxigraph as ox

    with urllib.request.urlopen(f"http://{HOST}:{PORTS[2]}/catalogue.nt", timeout=120) as r:
        data = r.read()
    held = ox.Store()
    held.extend(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
    return triples(ox.serialize(held, format=ox.RdfFormat.N_QUADS) or b"")


def store_triples(store: Oxigraph) -> list[bytes]:
    return triples(post(store.query_url, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                        "application/n-triples", 120))


class Writer:
    """Writes new titles to existing projects through the store (as a PUT does)."""

    def __init__(self, registry_store: Any, sheets: list[dict[str, Any]]) -> None:
        self.store = registry_store
        self.sheets = sheets
        self.n = 0

    def write(self) -> tuple[str, str]:
        sheet = json.loads(json.dumps(self.sheets[self.n * 37 % len(self.sheets)]))
        title = f"Bench title {self.n} {time.time_ns()}"
        self.n += 1
        sheet["title"]["en"] = title
        current = self.store.get("project", sheet["id"])
        self.store.put("project", sheet["id"], sheet, author="bench.sparql_store",
                       if_match=current.revision)
        return sheet["id"], title


def warm(url: str, workers: int = 2, fast: float = 0.5, bound: float = 300) -> float:
    """Ask `url` until every worker answers fast; return the seconds it took.

    A gunicorn worker answers one request at a time, so rounds of `2 * workers`
    concurrent ASKs reach every worker of the server; it is warm once three rounds in
    a row answered every query within `fast` s (each worker's SPARQL pool started, and
    on E its first load of the whole graph done). Without it E's first writes were
    timed with that first load (1.9-10.8 s at 10,000 projects).
    """
    started = time.perf_counter()
    quick = 0
    while quick < 3:
        if time.perf_counter() - started > bound:
            raise RuntimeError(f"{url} still slow after {bound:g} s of warming")
        took: list[float] = []

        def one(_took: list[float] = took) -> None:
            begun = time.perf_counter()
            answered = ask(url, "ASK { ?s ?p ?o }")
            _took.append(time.perf_counter() - begun if answered else bound)

        threads = [threading.Thread(target=one) for _ in range(2 * workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        quick = quick + 1 if max(took) <= fast else 0
    return time.perf_counter() - started


def title_query(project_id: str, title: str) -> str:
    return (f'ASK {{ <{BASE}projects/{project_id}> '
            f'<http://purl.org/dc/terms/title> "{title}"@en }}')


def visibility(writer: Writer, store: Oxigraph, writes: int) -> dict[str, Any]:
    """Time from each write until the store, and E's embedded endpoint, show it."""
    in_store: list[float] = []
    embedded: list[float] = []
    for _ in range(writes):
        project_id, title = writer.write()
        written = time.perf_counter()
        query = title_query(project_id, title)
        seen: dict[str, float] = {}

        def watch(name: str, url: str, _query: str = query,
                  _seen: dict[str, float] = seen) -> None:
            _seen[name] = wait_for(lambda: ask(url, _query), 60, name)

        threads = [threading.Thread(target=watch, args=("store", store.query_url)),
                   threading.Thread(target=watch,
                                    args=("embedded", f"http://{HOST}:{PORTS[2]}/sparql"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        in_store.append(seen["store"] - written)
        embedded.append(seen["embedded"] - written)
    return {"store_seconds": in_store, "embedded_seconds": embedded,
            "store_median": statistics.median(in_store),
            "store_p99": percentile(in_store, 0.99),
            "embedded_median": statistics.median(embedded),
            "embedded_p99": percentile(embedded, 0.99),
            "ratio_median": statistics.median(in_store) / statistics.median(embedded)}


def outage(writer: Writer, store: Oxigraph, seconds: float) -> dict[str, Any]:
    """Stop the store, write once a second, start it again: time the catch-up."""
    store.stop()
    stopped = time.perf_counter()
    written = 0
    last = ("", "")
    while time.perf_counter() - stopped < seconds:
        last = writer.write()  # never refused: the store is derived
        written += 1
        time.sleep(max(0.0, stopped + written - time.perf_counter()))
    restarted = store.start()
    caught = wait_for(lambda: ask(store.query_url, title_query(*last)), 120,
                      "the store to catch up")
    return {"outage_seconds": round(restarted - stopped, 1),
            "writes_during_outage": written, "catch_up_seconds": caught - restarted}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from registry import create_app
    from registry.storage.scratch import scratch_schema

    folder = Path(tempfile.mkdtemp(prefix="bench-sparql-store-"))
    store = Oxigraph(folder / "oxigraph")
    try:
        with scratch_schema(args.pg, "bench_sparqlstore_") as url:
            app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "setup"),
                              "LOAD_EXAMPLES": False, "BASE_IRI": BASE})
            registry_store = app.extensions["registry"].store
            catalogue = app.extensions["registry"].snapshots.get()
            sheets = synthetic_sheets(catalogue, args.projects)
            registry_store.import_records({"project": sheets}, author="bench")
            store.start()
            result: dict[str, Any] = {"projects": args.projects}
            with server(url, folder / "s", PORTS[1],
                        {"REGISTRY_SPARQL_STORE_URL": store.query_url}), \
                    server(url, folder / "e", PORTS[2], {}):
                started = time.perf_counter()
                # The writers start with each worker's first request.
                for _ in range(8):
                    with suppress(OSError):
                        urllib.request.urlopen(f"http://{HOST}:{PORTS[1]}/health",
                                               timeout=10).read()
                expected = embedded_triples()
                wait_for(lambda: len(store_triples(store)) == len(expected), 600,
                         "the initial load", 0.5)
                result["initial_load_seconds"] = time.perf_counter() - started
                result["triples"] = len(expected)
                # Timed from here: each server's workers have answered a query already.
                result["warm_seconds"] = {
                    name: warm(f"http://{HOST}:{port}/sparql")
                    for name, port in (("embedded", PORTS[2]), ("store", PORTS[1]))}
                writer = Writer(registry_store, sheets)
                result["visibility"] = visibility(writer, store, args.writes)
                result["outage"] = outage(writer, store, args.outage)
                result["outage"]["ratio_to_initial_load"] = (
                    result["outage"]["catch_up_seconds"] / result["initial_load_seconds"])
                expected = embedded_triples()
                held = store_triples(store)
                result["equal_after_catch_up"] = held == expected
                result["store_triples"], result["embedded_triples"] = len(held), len(expected)
            registry_store.engine.dispose()
        return result
    finally:
        store.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sparql_store",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--ports", default="5120-5122", metavar="FIRST-LAST",
                        help="three loopback ports: the store, S and E")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT),
                        help="PostgreSQL database to work in (a scratch schema)")
    args = parser.parse_args(argv)
    global PORTS
    first, _, last = args.ports.partition("-")
    if not last or int(last) - int(first) < 2:
        parser.error("--ports needs a range of at least three ports, e.g. 44400-44402")
    PORTS = (int(first), int(first) + 1, int(first) + 2)
    result = run(args)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    seen = result["visibility"]
    print(f"{result['projects']} projects, {result['triples']} triples; initial load of the "
          f"store {result['initial_load_seconds']:.1f} s")
    print("warmed before timing: " + ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in result["warm_seconds"].items()))
    print(f"write -> visible, {args.writes} writes: store median "
          f"{seen['store_median']:.3f} s, p99 {seen['store_p99']:.3f} s; embedded median "
          f"{seen['embedded_median']:.3f} s, p99 {seen['embedded_p99']:.3f} s; store / "
          f"embedded (median) {seen['ratio_median']:.2f}")
    gone = result["outage"]
    print(f"outage {gone['outage_seconds']} s with {gone['writes_during_outage']} writes: "
          f"caught up {gone['catch_up_seconds']:.2f} s after the store answered again "
          f"({gone['ratio_to_initial_load']:.2f} of a full load); same triples as the "
          f"embedded graph: {result['equal_after_catch_up']} "
          f"({result['store_triples']} / {result['embedded_triples']})")
    verdict = seen["store_p99"] <= TARGET_P99 and result["equal_after_catch_up"]
    print(f"target (store p99 <= {TARGET_P99:g} s, nothing missing): "
          f"{'met' if verdict else 'NOT met'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    raise SystemExit(main())
