"""Linked data over HTTP: content negotiation, dumps, DCAT-AP, the SPARQL endpoint."""

from __future__ import annotations

import datetime
import json
import threading
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from rdflib import RDF, URIRef

from registry.linked_data.examples import BY_ID, EXAMPLES
from registry.projects import import_projects
from registry.storage.tokens import create_token
from tests.helpers import make_app
from tests.linked_data.helpers import read_graph

pytestmark = pytest.mark.usefixtures("no_network")

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://localhost/"
RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld",
             "application/n-triples": "nt"}
SUFFIXES = {".ttl": "text/turtle", ".jsonld": "application/ld+json",
            ".nt": "application/n-triples"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def linked_app(read_app):
    """Return the module's read-only app with the example roadmap stored."""
    services = read_app.extensions["registry"]
    outcomes = import_projects(ROOT / "examples", services.store, services.snapshots.get(),
                               datetime.date(2026, 11, 26), "test")
    assert all(o.action == "created" for o in outcomes)
    return read_app


@pytest.fixture
def web(linked_app):
    return linked_app.test_client()


# --- content negotiation -------------------------------------------------------------

RECORDS = [
    ("/standards/ngsi-ld", BASE + "standards/ngsi-ld"),
    ("/principles/openness", BASE + "principles/openness"),
    ("/components/fixmystreet", BASE + "components/fixmystreet"),
    ("/vocabularies/capabilities", BASE + "vocabularies/capabilities"),
    ("/vocabularies/capabilities/context-data-management",
     BASE + "vocabularies/capabilities/context-data-management"),
    ("/projects/mobility-data-hub", BASE + "projects/mobility-data-hub"),
]


@pytest.mark.parametrize(("path", "iri"), RECORDS)
@pytest.mark.parametrize("suffix", list(SUFFIXES))
def test_every_record_answers_rdf_by_suffix(web, path, iri, suffix):
    response = web.get(path + suffix)
    assert response.status_code == 200
    assert response.mimetype == SUFFIXES[suffix]
    graph = read_graph(response.data, RDF_TYPES[response.mimetype])
    assert (URIRef(iri), RDF.type, None) in graph
    assert response.headers["ETag"] and "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("application/json", "application/ld+json"),
    ("application/x-turtle", "text/turtle"),
    (BROWSER, "text/html"),
    ("*/*", "text/html"),
    (None, "text/html"),
    ("text/html;q=0.5, text/turtle", "text/turtle"),
    ("application/ld+json;q=0.9, text/turtle;q=0.5", "application/ld+json"),
    ("text/turtle;q=0, */*;q=0.1", "text/html"),
    ("text/*", "text/html"),
])
def test_accept_decides_with_q_values(web, accept, expected):
    headers = {"Accept": accept} if accept else {}
    response = web.get("/standards/ngsi-ld", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.headers["Vary"]
    if expected != "text/html":
        suffix = {v: k for k, v in SUFFIXES.items()}[expected]
        assert response.headers["Content-Location"] == "/standards/ngsi-ld" + suffix


def test_link_header_names_every_alternate(web):
    links = web.get("/standards/ngsi-ld").headers["Link"]
    # Relative references: the Host header never chooses them (issue 14).
    for suffix, media in SUFFIXES.items():
        assert f'</standards/ngsi-ld{suffix}>; rel="alternate"; type="{media}"' in links
    assert '</standards/ngsi-ld>; rel="alternate"; type="text/html"' in links
    assert "Link" in web.get("/standards/ngsi-ld.ttl").headers


@pytest.mark.parametrize("path", ["/standards/no-such.ttl", "/principles/nope.jsonld",
                                  "/components/nope.nt", "/vocabularies/nope.ttl",
                                  "/vocabularies/capabilities/nope.ttl",
                                  "/projects/no-such-project.ttl"])
def test_unknown_ids_are_404_in_the_error_body(web, path):
    response = web.get(path)
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["code"] == "not-found" and path[:-len(path.split(".")[-1]) - 1] \
        in body["error"]["message"]
    negotiated = web.get("/standards/no-such", headers={"Accept": "text/turtle"})
    assert negotiated.status_code == 404 and negotiated.get_json()["error"]["status"] == 404


def test_unacceptable_types_are_406(web):
    response = web.get("/standards/ngsi-ld", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_json()["error"]["detail"]["available"]


@pytest.mark.parametrize(("path", "kind"), [
    ("/standards", "http://purl.org/dc/terms/Standard"),
    ("/components", "http://www.w3.org/ns/adms#Asset"),
    ("/principles", BASE + "def/Principle"),
    ("/vocabularies", "http://www.w3.org/2004/02/skos/core#ConceptScheme"),
    ("/projects", BASE + "def/Project"),
])
def test_dataset_urls_answer_every_record(web, path, kind):
    response = web.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = read_graph(response.data, "turtle")
    assert len(set(graph.subjects(RDF.type, URIRef(kind)))) >= 5
    assert web.get(path, headers={"Accept": BROWSER}).mimetype == "text/html"


def test_rdf_answers_are_cached_reads(web):
    first = web.get("/components/fixmystreet.ttl")
    again = web.get("/components/fixmystreet.ttl",
                    headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_base_iri_setting_names_the_iris(tmp_path, database_url):
    app = make_app(database_url, tmp_path, BASE_IRI="https://data.example.org/arch")
    try:
        text = app.test_client().get("/standards/ngsi-ld.nt").data.decode()
        assert "<https://data.example.org/arch/standards/ngsi-ld>" in text
        assert "<http://localhost/" not in text
    finally:
        app.extensions["linked_data"].close()
        app.extensions["registry"].store.engine.dispose()


def test_a_hostile_host_header_never_becomes_an_iri(web):
    response = web.get("/standards/ngsi-ld.ttl", headers={"Host": 'evil"><x'})
    assert response.status_code == 400


# --- dumps and DCAT ----------------------------------------------------------------

@pytest.mark.parametrize("suffix", list(SUFFIXES))
def test_dumps_parse_back_with_rdflib(web, suffix):
    response = web.get("/catalogue" + suffix)
    assert response.status_code == 200 and response.mimetype == SUFFIXES[suffix]
    graph = read_graph(response.data, RDF_TYPES[response.mimetype])
    assert len(graph) > 4000
    assert (URIRef(BASE + "projects/mobility-data-hub"), RDF.type,
            URIRef(BASE + "def/Project")) in graph
    assert (URIRef(BASE + "standards/ngsi-ld"), None, None) in graph


@pytest.mark.parametrize(("path", "headers", "media"), [
    ("/dcat.ttl", {}, "text/turtle"), ("/dcat.jsonld", {}, "application/ld+json"),
    ("/dcat", {}, "text/turtle"), ("/dcat", {"Accept": "application/ld+json"},
                                   "application/ld+json"),
])
def test_dcat_description(web, path, headers, media):
    response = web.get(path, headers=headers)
    assert response.status_code == 200 and response.mimetype == media
    graph = read_graph(response.data, RDF_TYPES[media])
    assert (URIRef(BASE + "dcat#catalogue"), RDF.type,
            URIRef("http://www.w3.org/ns/dcat#Catalog")) in graph


# --- SPARQL ------------------------------------------------------------------------

SELECT = ("PREFIX reg: <def/> SELECT ?project WHERE { ?project reg:declares/"
          "dcterms:conformsTo <standards/ngsi-ld> } ORDER BY ?project")


@pytest.mark.parametrize(("accept", "media"), [
    (None, "application/sparql-results+json"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
])
def test_select_answers_in_each_results_format(web, accept, media):
    headers = {"Accept": accept} if accept else {}
    response = web.get(f"/sparql?query={quote(SELECT)}", headers=headers)
    assert response.status_code == 200, response.data
    assert response.mimetype == media
    assert b"projects/mobility-data-hub" in response.data
    assert response.headers["X-Result-Rows"] == "4"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_the_format_parameter_wins(web, fmt):
    response = web.get(f"/sparql?format={fmt}&query={quote(SELECT)}",
                       headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype.endswith({"json": "json", "xml": "xml", "csv": "csv",
                                       "tsv": "tab-separated-values"}[fmt])


@pytest.mark.parametrize(("accept", "reader"), [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
    ("application/n-triples", "nt"), (None, "turtle")])
def test_construct_and_describe_answer_graphs(web, accept, reader):
    headers = {"Accept": accept} if accept else {}
    for query in (BY_ID["describe-standard"].query, BY_ID["construct-capability-map"].query):
        response = web.get(f"/sparql?query={quote(query)}", headers=headers)
        assert response.status_code == 200
        assert len(read_graph(response.data, reader)) > 5


def test_post_as_sparql_query_and_as_a_form(web):
    body = web.post("/sparql", data=SELECT, content_type="application/sparql-query",
                    headers={"Accept": "application/sparql-results+json"})
    assert body.status_code == 200 and len(body.get_json()["results"]["bindings"]) == 4
    form = web.post("/sparql", data={"query": "ASK { ?s a dcterms:Standard }"},
                    headers={"Accept": "application/sparql-results+xml"})
    assert form.status_code == 200 and b"<boolean>true</boolean>" in form.data
    other = web.post("/sparql", data="{}", content_type="application/json")
    assert other.status_code == 415


@pytest.mark.parametrize(("request_args", "code"), [
    ({"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"},
     "service-refused"),
    ({"query": "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"}, "dataset-refused"),
    ({"query": "SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }"},
     "dataset-refused"),
    ({"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "http://example.org/g"},
     "dataset-refused"),
    ({"query": "LOAD <http://example.org/data.ttl>"}, "update-refused"),
    ({"query": "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }"}, "update-refused"),
    ({"update": "DELETE WHERE { ?s ?p ?o }"}, "update-refused"),
])
def test_refused_queries_are_400_saying_why(web, request_args, code):
    for response in (web.get("/sparql", query_string=request_args),
                     web.post("/sparql", data=request_args)):
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == code and error["message"]
    update = web.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update")
    assert update.get_json()["error"]["code"] == "update-refused"


def test_an_overlong_query_is_413(web):
    response = web.post("/sparql", data="SELECT * WHERE { ?s ?p ?o } #" + "x" * 100_000,
                        content_type="application/sparql-query")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too-large"


def test_a_syntax_error_is_400_with_line_and_column(web):
    query = "SELECT ?s WHERE {\n  ?s ?p\n}"
    error = web.get(f"/sparql?query={quote(query)}").get_json()["error"]
    assert error["status"] == 400 and error["code"] == "syntax-error"
    assert error["detail"]["line"] in (2, 3) and error["detail"]["column"] >= 1
    assert f"line {error['detail']['line']}, column {error['detail']['column']}" \
        in error["message"]


def test_the_page_offers_runnable_examples_with_labels(web):
    page = web.get("/sparql", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.data.decode()
    assert '<label for="q-text">' in html and 'id="q-text"' in html
    assert '<label for="q-format">' in html and "<script" not in html
    for example in EXAMPLES:
        assert example.title.replace("'", "&#39;") in html or example.title in html
        run = web.get("/sparql", query_string={"query": example.query, "format": "html"})
        assert run.status_code == 200, example.id
        assert b'id="h-answer"' in run.data and b"h-error" not in run.data, example.id
    table = web.get(f"/sparql?query={quote(SELECT)}", headers={"Accept": BROWSER}).data
    assert b"<th scope=\"col\">?project</th>" in table
    assert b'href="http://localhost/projects/mobility-data-hub"' in table
    error = web.get("/sparql?format=html&query=SELEC", headers={"Accept": BROWSER})
    assert error.status_code == 400 and b'role="alert"' in error.data


# --- with settings of their own: timeout, row cap, freshness ---------------------------

@pytest.fixture
def own_app(database_url, tmp_path):
    apps = []

    def create(**settings):
        app = make_app(database_url, tmp_path, **settings)
        apps.append(app)
        return app

    yield create
    for app in apps:
        app.extensions["linked_data"].close()
        app.extensions["registry"].store.engine.dispose()


CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _stopped(response) -> None:
    """Assert a runaway query was stopped: 503, query-timeout, the limit in the detail."""
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "query-timeout" and "stopped" in error["message"]
    assert error["detail"]["timeout_seconds"] == 0.5


def test_a_runaway_query_is_stopped(own_app):
    app = own_app(SPARQL_TIMEOUT=0.5)
    _stopped(app.test_client().get(f"/sparql?query={quote(CROSS)}"))


@pytest.mark.timing
def test_a_runaway_query_is_stopped_while_other_requests_are_served(own_app):
    # Timing checks (python -m bench.timing): /health answered within the half second
    # the runaway query runs for, and a fresh worker ready within the next one.
    app = own_app(SPARQL_TIMEOUT=0.5)
    answers = {}

    def slow() -> None:
        answers["sparql"] = app.test_client().get(f"/sparql?query={quote(CROSS)}")

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        health = app.test_client().get("/health")
        assert health.status_code == 200
        assert thread.is_alive()  # /health was answered while the query still ran
    finally:
        thread.join(60)
    _stopped(answers["sparql"])
    # The fresh worker must load the graph and answer within the same half second.
    again = app.test_client().get("/sparql?query=" + quote("ASK { ?s ?p ?o }"))
    assert again.status_code == 200  # a fresh worker took over


def test_rows_are_capped_and_the_answer_says_so(own_app):
    app = own_app(SPARQL_MAX_ROWS=5)
    response = app.test_client().get("/sparql?query=" + quote("SELECT * WHERE { ?s ?p ?o }"))
    assert response.status_code == 200
    assert len(response.get_json()["results"]["bindings"]) == 5
    assert response.headers["X-Result-Truncated"].startswith("true")


def test_a_write_shows_in_sparql_and_in_the_record_at_once(own_app):
    app = own_app()
    client = app.test_client()
    store = app.extensions["registry"].store
    secret, _ = create_token(store, role="office", organisations=[], name="office")
    headers = {"Authorization": f"Bearer {secret}"}
    sheet = (ROOT / "examples" / "mobility-data-hub.yaml").read_text(encoding="utf-8")
    ask = "ASK { <projects/mobility-data-hub> dcterms:title 'Fresh title'@en }"
    assert client.get("/projects/mobility-data-hub.ttl").status_code == 404
    created = client.put("/api/projects/mobility-data-hub?as_of=2026-11-26", data=sheet,
                         headers=headers, content_type="application/yaml")
    assert created.status_code == 201
    assert client.get("/projects/mobility-data-hub.ttl").status_code == 200
    assert b"false" in client.get(f"/sparql?query={quote(ask)}").data
    changed = sheet.replace("en: Regional mobility data hub", "en: Fresh title")
    updated = client.put("/api/projects/mobility-data-hub?as_of=2026-11-26", data=changed,
                         headers={**headers, "If-Match": created.headers["ETag"]},
                         content_type="application/yaml")
    assert updated.status_code == 200
    assert json.loads(client.get(f"/sparql?query={quote(ask)}").data)["boolean"] is True
    dump = client.get("/catalogue.nt").data
    titles = {q.object.value for q in ox.parse(dump, format=ox.RdfFormat.N_TRIPLES)
              if q.subject.value.endswith("projects/mobility-data-hub")
              and q.predicate.value.endswith("/title")}
    assert "Fresh title" in titles and "Regional mobility data hub" not in titles


def test_the_openapi_document_names_the_linked_data_routes(web):
    paths = web.get("/openapi.json").get_json()["paths"]
    for path in ("/sparql", "/catalogue.ttl", "/catalogue.jsonld", "/dcat.ttl",
                 "/dcat.jsonld"):
        assert path in paths
