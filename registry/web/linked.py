"""Linked data over HTTP: content negotiation of record URLs, dumps, DCAT-AP and SPARQL.

Thin: every answer is computed by `registry.linked_data`; this module reads the
request (path, suffix, Accept, query parameters) and writes the response.

Content negotiation does not touch the HTML pages: a `before_app_request` hook
recognises record and dataset URLs (`/standards/<id>`, `/vocabularies/<scheme>`,
`/projects`...) and answers RDF when the path has an RDF suffix (`.ttl`, `.jsonld`,
`.nt`) or when the client's Accept header prefers an RDF type to HTML; otherwise it
lets the page answer, and an `after_app_request` hook adds the `Link` header to the
alternates and `Vary: Accept`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Blueprint, Flask, Response, current_app, request

from registry.errors import RegistryError
from registry.linked_data.examples import EXAMPLES
from registry.linked_data.formats import BY_MEDIA_TYPE, BY_SUFFIX, RDF_FORMATS, RdfFormat
from registry.linked_data.iris import DEFAULT_BASE
from registry.linked_data.service import LinkedData
from registry.linked_data.sheets import valid_iri
from registry.linked_data.sparql import (
    FORMAT_ALIASES,
    GRAPH_FORMATS,
    MAX_QUERY_CHARS,
    RESULT_FORMATS,
    QueryRequest,
    SparqlError,
)
from registry.web.shared.errors import json_error
from registry.web.shared.http import cached_json
from registry.web.shared.render import render_page

bp = Blueprint("linked", __name__)

HTML = "text/html"


def linked() -> LinkedData:
    """Return the linked-data service of the current app."""
    return current_app.extensions["linked_data"]  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    """Create the linked-data service and register the blueprint and its hooks."""
    service = LinkedData(app.extensions["registry"], app.config["REGISTRY"])
    app.extensions["linked_data"] = service
    app.register_blueprint(bp)
    if service.writer is not None:
        # Started by the first request of each process: a thread started before
        # gunicorn forks its workers would not exist in them.
        app.before_request(service.start_writer)


def base_iri() -> str:
    """Return the base of IRIs: REGISTRY_BASE_IRI, else this server's root URL."""
    configured = current_app.config["REGISTRY"].get("BASE_IRI")
    base = configured or request.url_root
    base = base if base.endswith("/") else base + "/"
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or not valid_iri(base):
        # The Host header is the client's: never let it into IRIs unchecked.
        return DEFAULT_BASE if configured else _bad_host()
    return base


def _bad_host() -> str:
    raise RegistryError(400, "the Host header does not make a valid base IRI; set "
                        "REGISTRY_BASE_IRI")


def _error(status: int, message: str, code: str | None = None,
           detail: dict[str, Any] | None = None) -> Response:
    # RDF and SPARQL clients asked for data, never a page: their errors are JSON.
    return json_error(RegistryError(status, message, code=code, detail=detail))


# --- the resources that negotiate -------------------------------------------------

@dataclass(frozen=True)
class Resource:
    """A record or dataset URL: what it is, and its path without suffix."""

    kind: str  # standard, principle, component, project, vocabulary, concept, dataset, ...
    path: str
    ids: tuple[str, ...] = ()
    html: bool = True  # whether an HTML page answers the same URL


_SEGMENT = r"([^/]+?)"
_SUFFIX = r"(\.ttl|\.jsonld|\.nt)?"
ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + _SUFFIX + r"\Z"), kind) for pattern, kind in (
        (rf"/standards/{_SEGMENT}", "standard"),
        (rf"/principles/{_SEGMENT}", "principle"),
        (rf"/components/{_SEGMENT}", "component"),
        (rf"/legal/{_SEGMENT}", "legal"),
        (rf"/projects/{_SEGMENT}", "project"),
        (rf"/vocabularies/{_SEGMENT}/{_SEGMENT}", "concept"),
        (rf"/vocabularies/{_SEGMENT}", "vocabulary"),
        (r"/(standards|principles|components|legal|vocabularies|projects)", "dataset"),
        (r"/(catalogue)", "dump"),
        (r"/(dcat)", "dcat"),
    ))


def match(path: str) -> tuple[Resource, RdfFormat | None] | None:
    """Return the resource a path names and the format its suffix asks for, if any."""
    for pattern, kind in ROUTES:
        found = pattern.match(path)
        if found:
            *ids, suffix = found.groups()
            plain = path[:len(path) - len(suffix)] if suffix else path
            html = kind not in ("dump", "dcat")
            return Resource(kind, plain, tuple(ids), html), BY_SUFFIX.get(suffix or "")
    return None


_DATASETS = {"standards": "standard", "principles": "principle", "components": "component",
             "legal": "legal",
             "vocabularies": "vocabulary"}


def _ntriples(resource: Resource, graph: Any) -> bytes | None:
    """Return the triples a resource answers with, or None when it does not exist."""
    kind, ids = resource.kind, resource.ids
    if kind in ("standard", "principle", "component", "legal", "vocabulary"):
        return graph.record(kind, ids[0])
    if kind == "concept":
        return graph.record("concept", ids[0], ids[1])
    if kind == "project":
        return graph.project(ids[0])
    if kind == "dataset":
        return graph.projects() if ids[0] == "projects" else graph.dataset(_DATASETS[ids[0]])
    if kind == "dcat":
        return graph.dcat()
    return graph.ntriples()


def _negotiate(resource: Resource) -> RdfFormat | None | str:
    """Return the RDF format the client prefers, None for HTML, or "406"."""
    accept = request.accept_mimetypes
    offers = ([HTML] if resource.html else []) + list(BY_MEDIA_TYPE)
    if not accept:  # no Accept header: the page, or Turtle where there is no page
        return None if resource.html else RDF_FORMATS[0]
    best = accept.best_match(offers)
    if best is None:
        return "406"
    return None if best == HTML else BY_MEDIA_TYPE[best]


def _links(resource: Resource) -> str:
    # Relative references (RFC 8288 resolves them against the request's URL): the Host
    # header never chooses them, and the path is percent-encoded, so nothing the
    # client sent can break out of the header.
    path = quote(resource.path, safe="/:@!$&'()*+,;=-._~%")
    links = [f'<{path}{f.suffix}>; rel="alternate"; type="{f.media_type}"'
             for f in RDF_FORMATS]
    if resource.html:
        links.append(f'<{path}>; rel="alternate"; type="{HTML}"')
    return ", ".join(links)


def _host_chosen(response: Response) -> Response:
    """Keep an answer whose IRIs come from the Host header out of shared caches."""
    if not current_app.config["REGISTRY"].get("BASE_IRI"):
        # Development only (production requires REGISTRY_BASE_IRI): the base is this
        # request's root URL, which a cache must not hand to another client.
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Host")
    return response


@bp.before_app_request
def _rdf_answer() -> Response | None:
    """Answer RDF for record and dataset URLs when the suffix or Accept asks for it."""
    if request.method not in ("GET", "HEAD"):
        return None
    found = match(request.path)
    if found is None:
        return None
    resource, by_suffix = found
    fmt = by_suffix or _negotiate(resource)
    if fmt is None:
        return None  # the HTML page answers (and _advertise adds the headers)
    if fmt == "406":
        types = ", ".join(([HTML] if resource.html else []) + [f.media_type for f in RDF_FORMATS])
        response = _error(406, f"{request.path} is available as {types}",
                          detail={"available": types.split(", ")})
    else:
        assert isinstance(fmt, RdfFormat)
        try:
            response = _rdf(resource, fmt)
        except RegistryError as exc:
            return json_error(exc)
    response.headers["Link"] = _links(resource)
    response.vary.add("Accept")
    if by_suffix is None and response.status_code == 200:
        response.headers["Content-Location"] = f"{resource.path}{fmt.suffix}"  # type: ignore[union-attr]
    return response


def _rdf(resource: Resource, fmt: RdfFormat) -> Response:
    from registry.linked_data.formats import from_ntriples

    base = base_iri()
    graph = linked().graph(base)
    if resource.kind == "dump":
        return _host_chosen(cached_json(graph.dump(fmt), mimetype=fmt.media_type))

    def compute() -> bytes | None:
        data = _ntriples(resource, graph)
        return None if data is None else from_ntriples(data, fmt, base)

    body = graph.memo((resource.kind, resource.ids, fmt.key), compute)
    if body is None:
        what = {"dataset": "dataset", "concept": "concept"}.get(resource.kind, resource.kind)
        return _error(404, f"no {what} at {resource.path}", detail={"path": resource.path})
    return _host_chosen(cached_json(body, mimetype=fmt.media_type))


@bp.after_app_request
def _advertise(response: Response) -> Response:
    """Add Link (to the RDF alternates) and Vary: Accept to the HTML pages of records."""
    if request.method in ("GET", "HEAD") and response.mimetype == HTML:
        found = match(request.path)
        if found is not None and found[1] is None and found[0].html:
            response.vary.add("Accept")
            if response.status_code == 200:
                response.headers["Link"] = _links(found[0])
    return response


# --- SPARQL ---------------------------------------------------------------------------

QUERY_OFFERS = [*RESULT_FORMATS.values(), *GRAPH_FORMATS.values(), "application/json",
                "application/xml", HTML]
RESULT_BY_TYPE = {v: k for k, v in RESULT_FORMATS.items()} | {"application/json": "json",
                                                              "application/xml": "xml"}
GRAPH_BY_TYPE = {v: k for k, v in GRAPH_FORMATS.items()} | {"application/json": "jsonld"}
FORMAT_CHOICES = ("html", *RESULT_FORMATS, *GRAPH_FORMATS)


def _query_text() -> str:
    """Return the query of a SPARQL protocol request (GET, POST form or POST body)."""
    for name in ("default-graph-uri", "named-graph-uri"):
        if name in request.values:
            raise SparqlError(400, "dataset-refused", f"{name} is refused: the endpoint "
                              "answers over the registry's graph only")
    if "update" in request.values:
        raise SparqlError(400, "update-refused", "this endpoint is read-only: SPARQL "
                          "updates are refused")
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == "application/sparql-query":
            try:
                return request.get_data().decode("utf-8")
            except UnicodeDecodeError:
                raise SparqlError(400, "bad-request", "the query is not UTF-8 text") from None
        if mimetype == "application/sparql-update":
            raise SparqlError(400, "update-refused", "this endpoint is read-only: SPARQL "
                              "updates are refused")
        if mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raise SparqlError(415, "unsupported-media-type", "send the query as "
                              "application/sparql-query or as the form field `query`")
        return request.form.get("query", "")
    return request.args.get("query", "")


def _formats() -> tuple[str, str, bool]:
    """Return (result format, graph format, html?) from ?format= or Accept."""
    asked = request.values.get("format", "").strip().lower()
    asked = FORMAT_ALIASES.get(asked, asked)
    if asked:
        if asked not in FORMAT_CHOICES:
            raise SparqlError(400, "bad-request", f"format {asked!r} is not one of "
                              f"{', '.join(FORMAT_CHOICES)}", {"parameter": "format"})
        if asked == "html":
            return "json", "turtle", True
        return (asked if asked in RESULT_FORMATS else "json",
                asked if asked in GRAPH_FORMATS else "turtle", False)
    accept = request.accept_mimetypes
    best = accept.best_match(QUERY_OFFERS) if accept else None
    if accept and best is None:
        raise SparqlError(406, "not-acceptable", "the Accept header names no format this "
                          f"endpoint answers in: {', '.join(QUERY_OFFERS)} (or ?format=)",
                          {"available": QUERY_OFFERS})
    if best == HTML:
        return "json", "turtle", True
    result = RESULT_BY_TYPE.get(accept.best_match(list(RESULT_BY_TYPE)) or "", "json")
    graph = GRAPH_BY_TYPE.get(accept.best_match(list(GRAPH_BY_TYPE)) or "", "turtle")
    return result, graph, False


def _page(status: int = 200, **context: Any) -> Response:
    settings = current_app.config["REGISTRY"]
    try:
        base = base_iri()
    except RegistryError:
        base = "(no valid base IRI: set REGISTRY_BASE_IRI)"
    return render_page("sparql.html", status=status, examples=EXAMPLES,
                       timeout=settings["SPARQL_TIMEOUT"], max_rows=settings["SPARQL_MAX_ROWS"],
                       base=base, formats=FORMAT_CHOICES, **context)


def _table(answer: Any) -> dict[str, Any]:
    """Return what the HTML page shows of an answer: a table, or the graph as text."""
    import json

    if answer.form == "SELECT":
        data = json.loads(answer.body)
        return {"vars": data["head"]["vars"], "rows": data["results"]["bindings"]}
    if answer.form == "ASK":
        return {"boolean": json.loads(answer.body)["boolean"]}
    return {"text": answer.body.decode("utf-8")}


def _uncached(response: Response) -> Response:
    """Mark a SPARQL answer: computed per request, and its form chosen by Accept."""
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept")
    return response


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer a SPARQL query (SPARQL 1.1 protocol), or show the query page."""
    html = False
    text = ""
    try:
        result_format, graph_format, html = _formats()
        text = _query_text()
        if len(text) > MAX_QUERY_CHARS:  # refused here, before it travels to a worker
            raise SparqlError(413, "too-large", f"the query is longer than "
                              f"{MAX_QUERY_CHARS:,} characters")
        if not text.strip() and request.method == "GET" and "query" not in request.args:
            return _uncached(_page(query=EXAMPLES[0].query, fmt="html"))
        answer = linked().query(base_iri(), QueryRequest(text, result_format, graph_format))
    except SparqlError as exc:
        if html:
            response = _page(exc.status, query=text, error=exc, fmt="html")
            response.headers.update(exc.headers or {})  # Retry-After of a busy pool
        else:
            response = json_error(exc)
        return _uncached(response)
    except RegistryError as exc:
        return json_error(exc)
    if html:
        return _uncached(_page(query=text, answer=answer, result=_table(answer),
                               fmt="html"))
    response = Response(answer.body, mimetype=answer.media_type)  # text/*: charset=utf-8
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Result-Rows"] = str(answer.rows)
    if answer.truncated:
        response.headers["X-Result-Truncated"] = (
            f"true; the answer was cut at {answer.rows} rows (REGISTRY_SPARQL_MAX_ROWS)")
    response.vary.add("Accept")
    return response
