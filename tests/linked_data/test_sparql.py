"""The SPARQL layer without HTTP: refusals by parsing, result formats, worker state, pool."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from registry.linked_data.derived import GraphBuilder
from registry.linked_data.examples import BY_ID, EXAMPLES
from registry.linked_data.iris import DEFAULT_BASE
from registry.linked_data.sparql import (
    QueryRequest,
    SparqlError,
    SparqlPool,
    WorkerState,
    check_query,
)
from tests.linked_data.helpers import read_graph


@pytest.fixture(scope="module")
def graph(catalogue, example_projects):
    """Return the derived graph of the shipped catalogue and the example roadmap."""
    return GraphBuilder().build(catalogue, example_projects, DEFAULT_BASE)


@pytest.fixture(scope="module")
def state(graph):
    """Return a worker's state (in this process) loaded with the graph."""
    worker = WorkerState()
    worker.sync(b"", graph.ntriples())
    return worker


@pytest.mark.parametrize(("query", "code"), [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
     "service-refused"),
    ("SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT ?endpoint { ?s ?q ?r } } }",
     "service-refused"),
    ("SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://x/> { ?s ?p ?o } } } }",
     "service-refused"),
    ("ASK { FILTER EXISTS { SERVICE <http://x/> { ?s ?p ?o } } }", "service-refused"),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "dataset-refused"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
     "dataset-refused"),
    ("CONSTRUCT { ?s ?p ?o } FROM <http://example.org/g> WHERE { ?s ?p ?o }",
     "dataset-refused"),
    ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", "update-refused"),
    ("DELETE WHERE { ?s ?p ?o }", "update-refused"),
    ("LOAD <http://example.org/data.ttl>", "update-refused"),
    ("CLEAR ALL", "update-refused"),
    ("PREFIX ex: <http://x/> DROP GRAPH ex:g", "update-refused"),
    ("SELECT * WHERE { ?s unknown:p ?o }", "syntax-error"),
    ("", "bad-request"),
])
def test_refusals_are_found_by_parsing(query, code):
    with pytest.raises(SparqlError) as raised:
        check_query(query)
    assert raised.value.code == code
    assert raised.value.status == 400


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s ?p "SERVICE <http://x/> { } FROM <http://y/>" }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> FROM NAMED <y> INSERT",
    "SELECT * WHERE { ?s <http://example.org/SERVICE/FROM> ?o }",
    "PREFIX from: <http://x/> SELECT ?service WHERE { ?service from:insert ?load }",
])
def test_keywords_in_strings_iris_comments_and_names_are_not_refused(query):
    assert check_query(query) == "SELECT"


def test_a_syntax_error_says_where():
    with pytest.raises(SparqlError) as raised:
        check_query("PREFIX dcterms: <http://purl.org/dc/terms/>\nSELECT ?s WHERE {\n"
                    "  ?s dcterms:title }")
    assert raised.value.code == "syntax-error"
    assert raised.value.detail["line"] == 3
    assert "line 3, column" in raised.value.message


def test_too_long_and_too_deep_queries_are_refused():
    with pytest.raises(SparqlError) as raised:
        check_query("SELECT * WHERE { ?s ?p ?o }" + " " * 100_000)
    assert raised.value.status == 413
    with pytest.raises(SparqlError) as raised:
        check_query("SELECT * WHERE " + "{" * 500 + " ?s ?p ?o " + "}" * 500)
    assert raised.value.code == "too-deep"


def test_forms():
    assert check_query("ASK { ?s ?p ?o }") == "ASK"
    assert check_query("DESCRIBE <http://x/>") == "DESCRIBE"
    assert check_query("CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"


QUERY = ("PREFIX reg: <def/> SELECT ?project ?title WHERE { ?project a reg:Project ; "
         "dcterms:title ?title FILTER(lang(?title) = 'fr') } ORDER BY ?project")


def test_results_in_each_format(state, graph):
    answers = {fmt: state.query(QueryRequest(QUERY, result_format=fmt), graph.base)
               for fmt in ("json", "xml", "csv", "tsv")}
    data = json.loads(answers["json"].body)
    assert data["head"]["vars"] == ["project", "title"]
    rows = data["results"]["bindings"]
    assert len(rows) == 14 and rows[0]["title"]["xml:lang"] == "fr"
    for fmt, parser in (("json", ox.QueryResultsFormat.JSON),
                        ("xml", ox.QueryResultsFormat.XML),
                        ("tsv", ox.QueryResultsFormat.TSV)):
        parsed = list(ox.parse_query_results(answers[fmt].body, format=parser))
        assert [s["title"] for s in parsed] == [ox.Literal(r["title"]["value"], language="fr")
                                               for r in rows], fmt
    csv_lines = answers["csv"].body.decode().split("\r\n")
    assert csv_lines[0] == "project,title" and len(csv_lines) == 16
    assert {a.media_type for a in answers.values()} == {
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
        "text/tab-separated-values"}


def test_ask_in_each_format(state, graph):
    for fmt in ("json", "xml", "csv", "tsv"):
        answer = state.query(QueryRequest("ASK { ?s a dcterms:Standard }", fmt), graph.base)
        assert b"true" in answer.body and answer.form == "ASK"
    assert json.loads(state.query(QueryRequest("ASK { ?s a <http://x/Nothing> }"),
                                  graph.base).body) == {"head": {}, "boolean": False}


@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "ntriples"])
def test_construct_and_describe_answer_graphs(state, graph, fmt):
    described = state.query(QueryRequest("DESCRIBE <standards/ngsi-ld>", graph_format=fmt),
                            graph.base)
    parsed = read_graph(described.body, fmt if fmt != "turtle" else "turtle")
    assert any(str(s) == DEFAULT_BASE + "standards/ngsi-ld" for s in parsed.subjects())
    built = state.query(QueryRequest(BY_ID["construct-capability-map"].query,
                                     graph_format=fmt), graph.base)
    assert built.form == "CONSTRUCT" and len(read_graph(built.body, fmt)) == built.rows > 0


def test_rows_are_capped(state, graph):
    answer = state.query(QueryRequest("SELECT * WHERE { ?s ?p ?o }", max_rows=7), graph.base)
    assert answer.truncated and answer.rows == 7
    assert len(json.loads(answer.body)["results"]["bindings"]) == 7
    triples = state.query(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=5),
                          graph.base)
    assert triples.truncated and len(read_graph(triples.body, "turtle")) == 5


def test_every_example_runs(state, graph):
    for example in EXAMPLES:
        answer = state.query(QueryRequest(example.query), graph.base)
        assert answer.form in ("SELECT", "CONSTRUCT", "DESCRIBE"), example.id
    declaring = state.query(QueryRequest(BY_ID["projects-declaring-standard"].query),
                            graph.base)
    assert declaring.rows >= 3
    for example_id in ("components-for-capability", "mandatory-per-layer",
                       "reuse-opportunities", "deprecated-still-declared",
                       "pooling-candidates", "standards-by-legal-act"):
        assert state.query(QueryRequest(BY_ID[example_id].query), graph.base).rows > 0, \
            example_id


def test_syncing_a_chunk_replaces_exactly_its_triples(catalogue, example_projects):
    from types import SimpleNamespace

    builder = GraphBuilder()
    first = builder.build(catalogue, example_projects, DEFAULT_BASE)
    worker = WorkerState()
    worker.sync(b"", first.ntriples())
    assert len(worker.store) == first.triples
    changed = SimpleNamespace(**{**vars(example_projects[0]), "revision": 9,
                                 "sheet": {**example_projects[0].sheet, "kpis": []}})
    second = builder.build(catalogue, [changed, *example_projects[2:]], DEFAULT_BASE)
    key = f"project:{changed.id}"
    gone = f"project:{example_projects[1].id}"
    # The old chunks come from the web process: the worker kept no copy of them.
    assert not any(isinstance(v, bytes | dict) for v in vars(worker).values())
    worker.sync(first.ntriples([gone, key]), second.ntriples([key]))
    assert len(worker.store) == second.triples
    expected = {str(q) for q in ox.parse(second.ntriples(), format=ox.RdfFormat.N_TRIPLES)}
    assert {str(q) for q in worker.store} == expected


def test_the_pool_answers_and_stops_a_runaway_query(graph):
    # The limit leaves a loaded machine time to start a worker and answer the cheap
    # queries; the runaway one never ends, whatever the limit.
    pool = SparqlPool(size=1, timeout=5)
    try:
        answer = pool.run(graph, QueryRequest("ASK { ?s a dcterms:Standard }"))
        assert b"true" in answer.body
        with pytest.raises(SparqlError) as raised:
            pool.run(graph, QueryRequest(
                "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"))
        assert raised.value.code == "query-timeout" and raised.value.status == 503
        # The killed worker was replaced: the next query is answered.
        assert b"true" in pool.run(graph, QueryRequest("ASK { ?s ?p ?o }")).body
        with pytest.raises(SparqlError) as raised:
            pool.run(graph, QueryRequest("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"))
        assert raised.value.code == "service-refused"
    finally:
        pool.close()


def test_the_pool_follows_a_changed_graph_with_the_old_chunks_it_holds(catalogue,
                                                                      example_projects):
    from types import SimpleNamespace

    builder = GraphBuilder()
    first = builder.build(catalogue, example_projects, DEFAULT_BASE)
    renamed = SimpleNamespace(**{**vars(example_projects[0]), "revision": 9,
                                 "sheet": {**example_projects[0].sheet,
                                           "title": {"en": "A title of the second graph"}}})
    second = builder.build(catalogue, [renamed, *example_projects[2:]], DEFAULT_BASE)
    iri = f"<{DEFAULT_BASE}projects/{renamed.id}>"
    gone = f"<{DEFAULT_BASE}projects/{example_projects[1].id}>"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    pool = SparqlPool(size=1, timeout=30)
    try:
        assert b"true" in pool.run(first, QueryRequest(f"ASK {{ {gone} ?p ?o }}")).body
        assert b"true" in pool.run(second, QueryRequest(
            f'ASK {{ {iri} dcterms:title "A title of the second graph"@en }}')).body
        assert b"false" in pool.run(second, QueryRequest(f"ASK {{ {gone} ?p ?o }}")).body
        rows = json.loads(pool.run(second, QueryRequest(count)).body)
        assert int(rows["results"]["bindings"][0]["n"]["value"]) == second.triples
        # Back to the first graph: the worker takes out what the second one added.
        rows = json.loads(pool.run(first, QueryRequest(count)).body)
        assert int(rows["results"]["bindings"][0]["n"]["value"]) == first.triples
    finally:
        pool.close()


def test_sync_batches_keep_every_chunk_once_in_order_and_bounded():
    from types import SimpleNamespace

    from registry.linked_data import sparql

    pairs = [(f"k{n}", SimpleNamespace(packed=b"x" * size))
             for n, size in enumerate([10, 700_000, 400_000, 2_000_000, 5, 1_048_576])]
    batches = sparql._batches(pairs)
    assert [pair for batch in batches for pair in batch] == pairs
    for batch in batches:
        size = sum(len(c.packed) for _, c in batch)
        # A chunk bigger than a batch travels alone.
        assert size <= sparql.SYNC_BATCH_BYTES or len(batch) == 1
    assert sparql._batches([]) == []


def test_a_whole_graph_reaches_the_worker_in_batches_without_a_peak(graph, monkeypatch):
    """The web process sends the compressed chunks it keeps, a batch at a time: what it
    allocates to load a new worker stays far below the graph's N-Triples (at 10,000
    projects, joining, then pickling them made a 170 MB peak that VmRSS kept)."""
    import tracemalloc

    from registry.linked_data import sparql

    whole = len(graph.ntriples())
    largest = max(len(c.packed) for c in graph.chunks.values())
    monkeypatch.setattr(sparql, "SYNC_BATCH_BYTES", 4096)
    assert len(sparql._batches(list(graph.chunks.items()))) > 3
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    pool = SparqlPool(size=1, timeout=30)
    try:
        worker = pool._acquire()  # started before tracing: its start is not the sync's
        tracemalloc.start()
        try:
            pool._sync(worker, graph)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        pool._release(worker, True)
        assert peak < whole / 4, (peak, whole)
        assert peak < 4 * (largest + 4096) + 256 * 1024, (peak, largest)
        rows = json.loads(pool.run(graph, QueryRequest(count)).body)
        assert int(rows["results"]["bindings"][0]["n"]["value"]) == graph.triples
    finally:
        pool.close()
