"""The external SPARQL store: a real Oxigraph server (`oxigraph serve`) on a loopback port.

What is proved: a write reaches the store's answers; the store stopped and started again
is caught up with nothing missing (the same triples as the embedded graph); one writer
at a time when two race; /sparql forwards with the same refusals, formats and time
limit; a store that is down gives 503 with a message, and registry writes go on.
Nothing waits on wall time: visibility is polled (the bound only ends a failing test).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.linked_data.graph_store import StoreEndpoints, StoreSettingError, graph_iri
from registry.linked_data.record_graphs import catalogue_graphs
from registry.linked_data.store_sync import pushed_version
from tests.helpers import AS_OF, bearer, make_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HUB = (EXAMPLES / "mobility-data-hub.yaml").read_text(encoding="utf-8")
BASE = "https://registry.example.org/"
PORTS = range(5121, 5130)  # this suite's loopback ports (5120 is the benchmark's)
BOUND = 60.0  # seconds before a poll gives up: only ends a failing test, never asserts time


def _oxigraph() -> str:
    found = str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.skip("the oxigraph server is not installed (pip install oxigraph: test extra)")
    return found


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            # As a server binds: connections of a stopped one in TIME-WAIT do not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5121-5129")


class Oxigraph:
    """An `oxigraph serve` process over a folder of its own, which can be stopped and restarted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [_oxigraph(), "serve", "--location", str(self.folder), "--bind",
             f"127.0.0.1:{self.port}", "--union-default-graph", "--timeout-s", "10"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poll(lambda: self._answers(), "the Oxigraph server to start")

    def _answers(self) -> bool:
        try:
            self.select("ASK { }")
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None

    def request(self, query: str, accept: str) -> bytes:
        data = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(self.url, data=data, headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()  # type: ignore[no-any-return]

    def select(self, query: str) -> Any:
        import json

        return json.loads(self.request(query, "application/sparql-results+json"))

    def ntriples(self) -> bytes:
        return self.request("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                            "application/n-triples")


def poll(check: Callable[[], Any], what: str) -> Any:
    """Return check()'s first true value, asking again until BOUND seconds have gone."""
    deadline = time.monotonic() + BOUND
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {BOUND:g} s for {what}")
        time.sleep(0.05)


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[Oxigraph]:
    server = Oxigraph(tmp_path / "oxigraph")
    server.start()
    yield server
    server.stop()


def store_app(database_url: str, folder: Path, server: Oxigraph, **extra: Any) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"SPARQL_STORE_INTERVAL": 0.05, **extra}
    return make_app(database_url, folder, BASE_IRI=BASE, SPARQL_STORE_URL=server.url,
                    **settings)


def close(app: Any) -> None:
    """Stop an app's store writer and SPARQL workers, then close its connections."""
    app.extensions["linked_data"].close()
    app.extensions["registry"].readmodel.close()
    app.extensions["registry"].store.engine.dispose()


@pytest.fixture
def app_on_store(database_url: str, tmp_path: Path, oxigraph: Oxigraph) -> Iterator[Any]:
    app = store_app(database_url, tmp_path / "a", oxigraph)
    yield app
    close(app)


_BNODE = re.compile(rb"_:[A-Za-z0-9_\-.]+")


def triples(ntriples: bytes) -> list[bytes]:
    """Return the lines of N-Triples, sorted, with blank-node labels made one.

    The store relabels blank nodes; every other term must be equal, line for line.
    """
    return sorted(_BNODE.sub(b"_:b", line) for line in ntriples.splitlines() if line.strip())


def embedded(app: Any) -> list[bytes]:
    """Return the embedded graph's triples as the embedded endpoint holds them.

    Loaded into Oxigraph like the SPARQL workers do: it keeps values, not lexical forms
    (a dateTime written +00:00 is read back Z), and so does the Oxigraph server.
    """
    import pyoxigraph as ox

    linked = app.extensions["linked_data"]
    held = ox.Store()
    held.extend(ox.parse(linked.graph(BASE).ntriples(), format=ox.RdfFormat.N_TRIPLES))
    return triples(ox.serialize(held, format=ox.RdfFormat.N_QUADS) or b"")


def put_project(client: Any, store: Any, project_id: str, title: str,
                headers: dict[str, str] | None = None) -> Any:
    text = re.sub(r"(?m)^id: .*$", f"id: {project_id}", HUB, count=1)
    text = text.replace("  en: Regional mobility data hub", f"  en: {title}", 1)
    return client.put(f"/api/projects/{project_id}?as_of={AS_OF}", data=text,
                      headers=headers or bearer(store, "lead", "brussels-mobility"),
                      content_type="application/yaml")


def ask(client: Any, query: str) -> bool | None:
    """Ask /sparql; None while it cannot answer (the store not yet written)."""
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    if response.status_code != 200:
        return None
    return bool(response.get_json()["boolean"])


# --- settings ------------------------------------------------------------------------

def test_the_graph_store_endpoint_is_completed_for_oxigraph_and_required_otherwise():
    oxi = StoreEndpoints.from_settings({"SPARQL_STORE_URL": "http://h:7878/query"})
    assert oxi is not None and oxi.graph_url == "http://h:7878/store"
    assert StoreEndpoints.from_settings({"SPARQL_STORE_URL": ""}) is None
    with pytest.raises(StoreSettingError, match="REGISTRY_SPARQL_STORE_GRAPH_URL"):
        StoreEndpoints.from_settings({"SPARQL_STORE_URL": "http://h:3030/ds/sparql"})
    with pytest.raises(StoreSettingError, match="http"):
        StoreEndpoints.from_settings({"SPARQL_STORE_URL": "file:///etc/query"})
    fuseki = StoreEndpoints.from_settings({"SPARQL_STORE_URL": "http://h:3030/ds/query",
                                           "SPARQL_STORE_GRAPH_URL": "http://h:3030/ds/data"})
    assert fuseki is not None and fuseki.graph_url == "http://h:3030/ds/data"


def test_record_graphs_split_the_catalogue_exactly(catalogue):
    from registry.linked_data.derived import GraphBuilder

    graph = GraphBuilder().build(catalogue, [], BASE)
    data = graph.chunks["catalogue"].data
    parts = catalogue_graphs(catalogue, data, BASE)
    assert triples(b"".join(parts.values())) == triples(data)
    standard = next(iter(catalogue.standards))
    assert graph_iri(f"{BASE}standards/{standard}") in parts
    assert f"{BASE}catalogue#graph" in parts  # the status schemes: no record owns them
    # One graph per record, each holding its own subject.
    name = graph_iri(f"{BASE}standards/{standard}")
    assert f"<{BASE}standards/{standard}>".encode() in parts[name]


# --- writing ---------------------------------------------------------------------------

def test_a_write_reaches_the_store_and_a_deletion_leaves_it(app_on_store, oxigraph):
    client = app_on_store.test_client()
    store = app_on_store.extensions["registry"].store
    first = put_project(client, store, "store-one", "First title")
    assert first.status_code == 201
    iri = f"<{BASE}projects/store-one>"
    poll(lambda: ask(client, f'ASK {{ {iri} dcterms:title "First title"@en }}'),
         "the project in the store")
    # Its own named graph, named after its IRI.
    rows = oxigraph.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ {iri} ?p ?o }} }} LIMIT 1")
    assert rows["results"]["bindings"][0]["g"]["value"] == f"{BASE}projects/store-one#graph"
    # Replaced, not added to: the old title is gone once the new one is there.
    response = put_project(client, store, "store-one", "Second title",
                           {**bearer(store, "lead", "brussels-mobility"),
                            "If-Match": first.headers["ETag"]})
    assert response.status_code == 200, response.get_json()
    poll(lambda: ask(client, f'ASK {{ {iri} dcterms:title "Second title"@en }}'),
         "the new title")
    assert ask(client, f'ASK {{ {iri} dcterms:title "First title"@en }}') is False
    store.delete_where("project", lambda r: r.id != "store-one", author="test")
    poll(lambda: ask(client, f"ASK {{ {iri} ?p ?o }}") is False, "the deletion")
    poll(lambda: triples(oxigraph.ntriples()) == embedded(app_on_store),
         "the store to equal the embedded graph")


def test_the_writer_pushes_when_a_write_is_announced_not_at_its_interval(
        database_url, tmp_path, oxigraph):
    """On PostgreSQL the writer wakes on the write's NOTIFY: with an interval far longer
    than the poll's bound, the store still shows the write (without LISTEN it would
    wait the interval)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite polls every interval")
    app = store_app(database_url, tmp_path / "a", oxigraph,
                    SPARQL_STORE_INTERVAL=BOUND * 10)
    try:
        client = app.test_client()
        store = app.extensions["registry"].store
        app.extensions["linked_data"].start_writer()
        # The first round runs at once, whatever the interval: the empty store is loaded.
        poll(lambda: oxigraph.select(f"ASK {{ GRAPH <{BASE}catalogue#graph> "
                                     "{ ?s ?p ?o } }")["boolean"], "the first load")
        assert put_project(client, store, "announced", "Announced").status_code == 201
        iri = f"<{BASE}projects/announced>"
        poll(lambda: oxigraph.select(f'ASK {{ {iri} <http://purl.org/dc/terms/title> '
                                     '"Announced"@en }')
             ["boolean"], "the announced write in the store")
        poll(lambda: triples(oxigraph.ntriples()) == embedded(app),
             "the store to equal the embedded graph")
    finally:
        close(app)


def test_a_store_down_refuses_queries_with_503_and_never_a_write(app_on_store, oxigraph):
    client = app_on_store.test_client()
    store = app_on_store.extensions["registry"].store
    assert put_project(client, store, "before-outage", "Before").status_code == 201
    poll(lambda: ask(client, f"ASK {{ <{BASE}projects/before-outage> ?p ?o }}"),
         "the first project in the store")
    oxigraph.stop()
    response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "store-unavailable"
    assert "cannot be reached" in error["message"] and "Traceback" not in response.text
    assert response.headers["Retry-After"]
    page = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                      headers={"Accept": "text/html"})
    assert page.status_code == 503 and b"cannot be reached" in page.data
    # The store is derived: writes go on while it is down.
    for n in range(3):
        assert put_project(client, store, f"during-outage-{n}", f"During {n}").status_code \
            == 201
    oxigraph.start()
    # Caught up from the position it had, with nothing missing.
    poll(lambda: triples(oxigraph.ntriples()) == embedded(app_on_store),
         "the store to catch up")
    version = app_on_store.extensions["registry"].readmodel.latest().version
    poll(lambda: pushed_version(store, oxigraph.url) == version, "the saved position")


def test_a_wiped_store_is_loaded_again_whole(database_url, tmp_path, oxigraph):
    app = store_app(database_url, tmp_path / "a", oxigraph, SPARQL_STORE_WRITER=False)
    try:
        client = app.test_client()
        store = app.extensions["registry"].store
        writer = app.extensions["linked_data"].writer
        assert put_project(client, store, "kept", "Kept").status_code == 201
        assert writer.push_once().full is True
        oxigraph.stop()
        shutil.rmtree(oxigraph.folder)  # a new, empty store at the same address
        oxigraph.start()
        with contextlib.suppress(Exception):
            writer.push_once()  # may fail once: the kept connection went with the server
        writer.verify = True  # what a failed round leaves: ask the store what it holds
        push = writer.push_once()
        assert push.full is True
        assert triples(oxigraph.ntriples()) == embedded(app)
    finally:
        close(app)


def test_one_writer_at_a_time_when_two_race(database_url, tmp_path, oxigraph):
    apps = [store_app(database_url, tmp_path / name, oxigraph, SPARQL_STORE_WRITER=False)
            for name in ("a", "b")]
    writers = [app.extensions["linked_data"].writer for app in apps]
    inside = {"now": 0, "most": 0}
    guard = threading.Lock()
    for writer in writers:
        # Watch (not replace) each writer's requests to the store: how many writers are
        # sending at the same moment.
        real = writer.client.http.request

        def watched(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            with guard:
                inside["now"] += 1
                inside["most"] = max(inside["most"], inside["now"])
            try:
                return _real(*args, **kwargs)
            finally:
                with guard:
                    inside["now"] -= 1

        writer.client.http.request = watched
    try:
        client = apps[0].test_client()
        store = apps[0].extensions["registry"].store
        outcomes: list[Any] = []
        stop = threading.Event()

        def race(writer: Any) -> None:
            while not stop.is_set():
                outcomes.append(writer.push_once())

        threads = [threading.Thread(target=race, args=(w,)) for w in writers]
        for thread in threads:
            thread.start()
        for n in range(4):
            assert put_project(client, store, f"race-{n}", f"Race {n}").status_code == 201
        poll(lambda: triples(oxigraph.ntriples()) == embedded(apps[1]),
             "the store to equal the embedded graph")
        stop.set()
        for thread in threads:
            thread.join(60)
        assert inside["most"] == 1  # never two writers sending at once
        assert None in outcomes  # the loser of a round did nothing
        assert any(o is not None and o.put for o in outcomes)
        # The lock stays with the writer that took it, between rounds too: the other
        # does not push at all, even with news and no round under way (a writer that
        # took the lock per round handed it to a worker that had never derived the
        # graph, and the next write waited for that whole derivation).
        holders = [w for w in writers if w.lock.held]
        assert len(holders) == 1
        holder, waiter = holders[0], writers[1 - writers.index(holders[0])]
        assert put_project(client, store, "race-late", "Late").status_code == 201
        assert waiter.push_once() is None
        late = f"ASK {{ <{BASE}projects/race-late> ?p ?o }}"
        assert oxigraph.select(late)["boolean"] is False
        assert holder.push_once().put >= 1
        assert oxigraph.select(late)["boolean"] is True
        # Stopped (an app closing), it gives the lock back: the other takes over from
        # the store's position and pushes only what changed since (the project and the
        # DCAT description), not the whole graph.
        holder.stop()
        assert put_project(client, store, "race-after", "After").status_code == 201
        taken = waiter.push_once()
        assert taken is not None and taken.full is False
        assert (taken.put, taken.deleted) == (2, 0)
        assert waiter.lock.held
        poll(lambda: triples(oxigraph.ntriples()) == embedded(apps[1]),
             "the store to equal the embedded graph after the takeover")
    finally:
        for app in apps:
            close(app)


def test_a_writer_keeps_the_lock_until_its_session_dies(database_url, tmp_path, oxigraph):
    """A writer whose lock went with its database session (PostgreSQL restarted, the
    connection cut) finds out at its next round with work and takes the lock again, so
    two writers never both believe they hold it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("an advisory lock dies with its session; SQLite's file lock has none")
    from sqlalchemy import text

    app = store_app(database_url, tmp_path / "a", oxigraph, SPARQL_STORE_WRITER=False)
    try:
        client = app.test_client()
        store = app.extensions["registry"].store
        writer = app.extensions["linked_data"].writer
        assert writer.push_once().full is True
        session = writer.lock._session
        assert session is not None
        with store.engine.connect() as other:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
            session.commit()
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        assert put_project(client, store, "after-cut", "After cut").status_code == 201
        push = writer.push_once()
        assert push is not None and push.put >= 1
        assert writer.lock._session is not session  # a new session holds it
        assert oxigraph.select(f"ASK {{ <{BASE}projects/after-cut> ?p ?o }}")["boolean"]
    finally:
        close(app)


# --- reading -------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "code"), [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
     "service-refused"),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "dataset-refused"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
     "dataset-refused"),
    ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", "update-refused"),
    ("DROP ALL", "update-refused"),
])
def test_refusals_are_the_embedded_endpoints(app_on_store, oxigraph, query, code):
    client = app_on_store.test_client()
    response = client.post("/sparql", data={"query": query},
                           headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    update = client.post("/sparql", data={"update": "DROP ALL"})
    assert update.status_code == 400
    assert update.get_json()["error"]["code"] == "update-refused"


def test_answers_negotiate_like_the_embedded_endpoint(database_url, tmp_path, oxigraph):
    app = store_app(database_url, tmp_path / "a", oxigraph, SPARQL_MAX_ROWS=100)
    try:
        _negotiates(app)
    finally:
        close(app)


def _negotiates(app: Any) -> None:
    client = app.test_client()
    poll(lambda: ask(client, "ASK { ?s a dcterms:Standard }"), "the catalogue in the store")
    select = "SELECT ?s WHERE { ?s a dcterms:Standard } ORDER BY ?s LIMIT 3"
    for accept, mimetype, marker in (
            ("text/csv", "text/csv", b"s\r\n"),
            ("application/sparql-results+xml", "application/sparql-results+xml", b"<sparql"),
            ("text/tab-separated-values", "text/tab-separated-values", b"?s\n")):
        response = client.get("/sparql", query_string={"query": select},
                              headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == mimetype
        assert marker in response.data and f"{BASE}standards/".encode() in response.data
    construct = ("CONSTRUCT { ?s dcterms:identifier ?id } WHERE { ?s a dcterms:Standard ; "
                 "dcterms:identifier ?id }")
    turtle = client.get("/sparql", query_string={"query": construct},
                        headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    assert b"@prefix dcterms:" in turtle.data
    # The row cap and its header, as embedded.
    many = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"},
                      headers={"Accept": "application/sparql-results+json"})
    assert many.status_code == 200
    assert many.headers["X-Result-Rows"] == "100"
    assert many.headers["X-Result-Truncated"].startswith("true")
    assert len(many.get_json()["results"]["bindings"]) == 100
    page = client.get("/sparql", query_string={"query": select, "format": "html"})
    assert page.status_code == 200 and f"{BASE}standards/".encode() in page.data


def test_the_time_limit_holds_for_the_store(database_url, tmp_path, oxigraph):
    app = store_app(database_url, tmp_path / "a", oxigraph, SPARQL_TIMEOUT=0.5)
    try:
        client = app.test_client()
        client.get("/health")  # starts the writer
        # Asked of the store itself: on a busy machine a query of /sparql may well run
        # past this test's half-second limit.
        poll(lambda: oxigraph.select("ASK { ?s ?p ?o }")["boolean"], "the catalogue")
        response = client.get("/sparql", query_string={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"},
            headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "query-timeout"
        # The store drops the abandoned query by its own --timeout-s (README).
    finally:
        close(app)
