"""The SPARQL pool of a production server: one process, one store, asked over a socket.

The pool runs as the server runs it (`PoolDirectory.command`, a process of its own);
these tests ask it as a web worker does (`SharedPool`), with derived graphs built here.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from registry.linked_data.derived import GraphBuilder
from registry.linked_data.iris import DEFAULT_BASE
from registry.linked_data.shared_pool import PoolDirectory, SharedPool
from registry.linked_data.sparql import QueryRequest, SparqlError

ROOT = Path(__file__).resolve().parents[2]
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
READY_TIMEOUT = 120.0


class RunningPool:
    """A pool process started as the server starts it, and its client."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.directory = PoolDirectory()
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self.client = SharedPool(self.directory.address,
                                 timeout=float(settings.get("SPARQL_TIMEOUT", 10.0)))

    def start(self) -> None:
        self.process = subprocess.Popen(self.directory.command(self.settings), cwd=ROOT,
                                        stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._listening():
            assert self.process.poll() is None, self.process.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the pool did not start"
            time.sleep(0.05)

    def _listening(self) -> bool:
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(self.directory.address)
            except OSError:
                return False
        return True

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.communicate()

    def stop(self) -> str:
        """Stop the pool; return what it wrote on stderr."""
        assert self.process is not None
        self.process.terminate()
        _, err = self.process.communicate(timeout=60)
        self.directory.remove()
        return err.decode(errors="replace")


@pytest.fixture
def pool_settings() -> dict[str, Any]:
    return {"SPARQL_WORKERS": 2, "SPARQL_QUEUE": 4, "SPARQL_TIMEOUT": 30.0}


@pytest.fixture
def pool(pool_settings: dict[str, Any]) -> Iterator[RunningPool]:
    running = RunningPool(pool_settings)
    running.start()
    try:
        yield running
    finally:
        assert "Traceback" not in running.stop()


def _graphs(catalogue: Any, projects: list[Any]) -> tuple[Any, Any]:
    """Two derived graphs: version 1, and version 2 with a project renamed and one gone."""
    builder = GraphBuilder()
    first = builder.build(catalogue, projects, DEFAULT_BASE, "1")
    renamed = SimpleNamespace(**{**vars(projects[0]), "revision": 9,
                                 "sheet": {**projects[0].sheet,
                                           "title": {"en": "A title of the second graph"}}})
    second = builder.build(catalogue, [renamed, *projects[2:]], DEFAULT_BASE, "2")
    return first, second


def _count(answer: Any) -> int:
    return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])


def test_the_pool_answers_as_a_worker_and_refuses_the_same(pool, catalogue,
                                                          example_projects):
    graph, _ = _graphs(catalogue, example_projects)
    assert _count(pool.client.run(graph, QueryRequest(COUNT))) == graph.triples
    answer = pool.client.run(graph, QueryRequest(COUNT, result_format="csv"))
    assert answer.media_type == "text/csv" and answer.body.startswith(b"n\r\n")
    for query, code in [
            ("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }", "service-refused"),
            ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "dataset-refused"),
            ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", "update-refused")]:
        with pytest.raises(SparqlError) as raised:
            pool.client.run(graph, QueryRequest(query))
        assert (raised.value.status, raised.value.code) == (400, code)
    rows = pool.client.run(graph, QueryRequest("SELECT ?s WHERE { ?s ?p ?o }", max_rows=3))
    assert rows.rows == 3 and rows.truncated


def test_the_store_follows_newer_graphs_and_never_goes_back(pool, catalogue,
                                                            example_projects):
    first, second = _graphs(catalogue, example_projects)
    gone = f"<{DEFAULT_BASE}projects/{example_projects[1].id}>"
    iri = f"<{DEFAULT_BASE}projects/{example_projects[0].id}>"
    renamed = f'ASK {{ {iri} dcterms:title "A title of the second graph"@en }}'
    assert b"true" in pool.client.run(first, QueryRequest(f"ASK {{ {gone} ?p ?o }}")).body
    # A request pinned to version 2 is answered at version 2: the chunks that changed.
    assert b"true" in pool.client.run(second, QueryRequest(renamed)).body
    assert b"false" in pool.client.run(second, QueryRequest(f"ASK {{ {gone} ?p ?o }}")).body
    assert _count(pool.client.run(second, QueryRequest(COUNT))) == second.triples
    # A worker still at version 1 is answered from the newer store, never the older.
    assert _count(pool.client.run(first, QueryRequest(COUNT))) == second.triples
    assert b"true" in pool.client.run(first, QueryRequest(renamed)).body


@pytest.mark.parametrize("pool_settings", [
    {"SPARQL_WORKERS": 1, "SPARQL_QUEUE": 1, "SPARQL_TIMEOUT": 600.0}])
def test_a_full_queue_is_refused_at_once_with_retry_after(pool, catalogue,
                                                          example_projects):
    graph, _ = _graphs(catalogue, example_projects)
    pool.client.run(graph, QueryRequest(COUNT))  # the store loaded: no sync in the race
    outcomes: list[Any] = []

    def ask() -> None:
        try:
            outcomes.append(pool.client.run(graph, QueryRequest(SLOW_QUERY)))
        except SparqlError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=ask, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    # One runs and one waits (for ten minutes): the other two are refused at once.
    deadline = time.monotonic() + READY_TIMEOUT
    while len(outcomes) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    refused = list(outcomes)
    assert len(refused) >= 2
    for exc in refused:
        assert isinstance(exc, SparqlError)
        assert (exc.status, exc.code) == (503, "busy")
        assert exc.headers is not None and int(exc.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("pool_settings", [
    {"SPARQL_WORKERS": 1, "SPARQL_QUEUE": 1, "SPARQL_TIMEOUT": 5.0}])
def test_a_runaway_query_is_stopped_and_the_store_kept(pool, catalogue, example_projects):
    graph, _ = _graphs(catalogue, example_projects)
    with pytest.raises(SparqlError) as raised:
        pool.client.run(graph, QueryRequest(SLOW_QUERY))
    assert (raised.value.status, raised.value.code) == (503, "query-timeout")
    assert _count(pool.client.run(graph, QueryRequest(COUNT))) == graph.triples


def test_a_pool_killed_answers_503_then_a_new_one_loads_the_graph(pool, catalogue,
                                                                 example_projects):
    graph, _ = _graphs(catalogue, example_projects)
    assert _count(pool.client.run(graph, QueryRequest(COUNT))) == graph.triples
    pool.kill()
    with pytest.raises(SparqlError) as raised:
        pool.client.run(graph, QueryRequest(COUNT))
    assert raised.value.status == 503 and raised.value.headers == {"Retry-After": "5"}
    pool.start()  # as the server's master does: a new process, an empty store
    assert _count(pool.client.run(graph, QueryRequest(COUNT))) == graph.triples
