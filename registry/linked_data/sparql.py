"""A read-only, time-limited SPARQL 1.1 endpoint over the derived graph (no Flask).

Safety, in the order a query meets it:

1. Length: at most MAX_QUERY_CHARS characters.
2. Parsing, with rdflib's SPARQL 1.1 grammar (pyparsing) rather than a regular
   expression, so that a keyword inside a string, an IRI or a comment is never
   mistaken for an operation: updates (INSERT, DELETE, LOAD, CLEAR...) are recognised
   by the update grammar and refused; SERVICE anywhere in the parse tree is refused
   (Oxigraph would call the remote endpoint); FROM and FROM NAMED (a dataset chosen by
   the query) are refused. A syntax error is reported with its line and column.
3. A time limit: parsing and evaluation both run in a worker process that holds its
   own Oxigraph store. The web process waits for the answer at most `timeout`
   seconds; past that it kills the worker (a runaway cross product, a catastrophic
   regular expression or a deeply nested query cannot be interrupted any other way)
   and starts a fresh one for the next query. Other requests are never blocked: the
   web process only waits on a pipe.
4. A cap on rows (and on triples of CONSTRUCT/DESCRIBE): the worker stops reading
   solutions after `max_rows` and the answer says it was truncated.
5. Optionally a memory cap on each worker (RLIMIT_AS): a query that needs more dies
   alone and the worker is replaced.

This pool is a process's own. The production server runs one for all its workers
instead, one store for the server (`shared_pool`), with the same checks and limits.

With an external store (REGISTRY_SPARQL_STORE_URL) the worker forwards the checked
query to the store instead (see `forward_query`): steps 1, 2, 3 and 4 are the same.

The worker is sent only the chunks of the derived graph (see `derived`) that changed
since its last query, with the old ones to take out, so a write to one project costs
the worker one small chunk, not a reload, and the worker keeps no copy of the chunks.
"""

from __future__ import annotations

import contextlib
import csv
import http.client
import io
import logging
import multiprocessing
import queue
import re
import signal
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from multiprocessing import resource_tracker
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

import orjson
import pyoxigraph as ox

from registry.csv_cells import safe_cell, safe_row
from registry.errors import RegistryError
from registry.linked_data.formats import JSONLD, NTRIPLES, TURTLE, prefixes
from registry.linked_data.graph_store import StoreEndpoints
from registry.linked_data.packing import unpack
from registry.linked_data.sheets import literal_text

MAX_QUERY_CHARS = 100_000
SYNC_TIMEOUT = 300.0  # loading a whole graph into a new worker; not the query's time
log = logging.getLogger("registry.sparql_store")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Result-set formats (SELECT, ASK): key -> media type.
RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
# Graph formats (CONSTRUCT, DESCRIBE): key -> media type.
GRAPH_FORMATS = {f.key: f.media_type for f in (TURTLE, JSONLD, NTRIPLES)}
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld"}


class SparqlError(RegistryError):
    """A query refused or failed (the registry's error, with its SPARQL error code)."""

    def __init__(self, status: int, code: str, message: str,
                 detail: dict[str, Any] | None = None, retry_after: int | None = None
                 ) -> None:
        # A 503 says when to come back: the handler sends Retry-After.
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        super().__init__(status, message, code=code, detail=detail or None, headers=headers)
        self.retry_after = retry_after  # seconds

    def as_tuple(self) -> tuple[str, int, str, str, dict[str, Any] | None, int | None]:
        """Return the error as a picklable message of the worker protocol."""
        return ("error", self.status, self.code, self.message, self.detail,
                self.retry_after)


@dataclass(frozen=True)
class Answer:
    """A query's answer: its form, serialised body, and whether rows were cut off."""

    form: str  # SELECT, ASK, CONSTRUCT, DESCRIBE
    media_type: str
    format: str
    body: bytes
    rows: int
    truncated: bool


@dataclass(frozen=True)
class QueryRequest:
    """What to run and how to answer: formats preferred for each query form."""

    text: str
    result_format: str = "json"
    graph_format: str = "turtle"
    max_rows: int = 10_000


# --- checking -------------------------------------------------------------------

_FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
          "DescribeQuery": "DESCRIBE"}


def _walk(node: Any, depth: int = 0) -> Iterator[Any]:
    """Yield every node of a pyparsing / rdflib parse tree."""
    if depth > 500:  # the parser already bounds nesting; this guards the walk itself
        raise SparqlError(400, "too-deep", "the query is nested too deeply")
    yield node
    if type(node).__name__ == "ParseResults" or isinstance(node, list | tuple):
        # ParseResults first: it also registers as a Mapping (of its named results only).
        for value in node:
            yield from _walk(value, depth + 1)
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _walk(value, depth + 1)


def _get(node: Any, key: str) -> Any:
    """Return a key of a parse-tree node, or None."""
    # dict.get: CompValue.get answers the key's own name for a missing key.
    return dict.get(node, key) if isinstance(node, dict) else None


def _position(text: str, exc: Any) -> tuple[int | None, int | None]:
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "col", None)
    return (line if isinstance(line, int) else None,
            column if isinstance(column, int) else None)


def check_query(text: str) -> str:
    """Return the form of a read-only query (SELECT, ASK...), or raise SparqlError."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    if not text.strip():
        raise SparqlError(400, "bad-request", "the query is empty: send it as the `query` "
                          "parameter or as an application/sparql-query body")
    if len(text) > MAX_QUERY_CHARS:
        raise SparqlError(413, "too-large", f"the query is longer than {MAX_QUERY_CHARS:,} "
                          "characters")
    try:
        tree = parseQuery(text)
    except ParseBaseException as exc:
        try:
            parseUpdate(text)
        except (ParseBaseException, RecursionError):
            line, column = _position(text, exc)
            raise SparqlError(400, "syntax-error", f"the query is not valid SPARQL 1.1 "
                              f"(line {line}, column {column}): {exc.msg}",
                              {"line": line, "column": column}) from None
        raise SparqlError(400, "update-refused", "this endpoint is read-only: SPARQL "
                          "updates (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP...) are "
                          "refused; change records through the API") from None
    except RecursionError:
        raise SparqlError(400, "too-deep", "the query is nested too deeply to be parsed") \
            from None
    query = tree[1]
    declared = {_get(p, "prefix") or "" for p in tree[0]
                if getattr(p, "name", "") == "PrefixDecl"}
    known = declared | set(prefixes(""))
    for node in _walk(tree):
        name = getattr(node, "name", None)
        if name == "pname" and (_get(node, "prefix") or "") not in known:
            used = _get(node, "prefix") or ""
            raise SparqlError(400, "syntax-error", f"the prefix `{used}:` is not declared: "
                              f"add PREFIX {used}: <...> (predeclared: "
                              f"{', '.join(sorted(known - declared))})",
                              {"prefix": used})
        if name == "ServiceGraphPattern":
            raise SparqlError(400, "service-refused", "SERVICE is refused: this endpoint "
                              "never calls other endpoints on a query's behalf")
        if _get(node, "datasetClause"):
            raise SparqlError(400, "dataset-refused", "FROM and FROM NAMED are refused: "
                              "the endpoint answers over the registry's graph only (and "
                              "never loads a graph named by a query)")
    return _FORMS[query.name]


# --- results -----------------------------------------------------------------------

def _term_json(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                            "predicate": _term_json(term.predicate),
                                            "object": _term_json(term.object)}}
    return {"type": "literal", "value": str(term)}


def _term_nt(term: Any) -> str:
    """Return a term in N-Triples / Turtle syntax (the TSV format's cells)."""
    if isinstance(term, ox.Literal):
        body = literal_text(term.value).replace("\t", "\\t")
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype.value != XSD_STRING:
            return f"{body}^^<{term.datatype.value}>"
        return body
    return str(term)


def _term_plain(term: Any) -> str:
    """Return a term as the CSV format writes it: IRI, lexical form or _:label."""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(value: str) -> str:
    return escape(_XML_INVALID.sub("\ufffd", value))


def _term_xml(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return (f"<literal xml:lang={quoteattr(term.language)}>"
                    f"{_xml_text(term.value)}</literal>")
        if term.datatype.value != XSD_STRING:
            return (f"<literal datatype={quoteattr(term.datatype.value)}>"
                    f"{_xml_text(term.value)}</literal>")
        return f"<literal>{_xml_text(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_term_xml(term.subject)}</subject><predicate>"
                f"{_term_xml(term.predicate)}</predicate><object>{_term_xml(term.object)}"
                "</object></triple>")
    return f"<literal>{_xml_text(str(term))}</literal>"


def write_solutions(variables: list[str], rows: list[Any], fmt: str) -> bytes:
    """Serialise SELECT solutions in a SPARQL results format."""
    if fmt == "json":
        bindings = [{v: _term_json(row[v]) for v in variables if row[v] is not None}
                    for row in rows]
        return orjson.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}})
    if fmt == "xml":
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
               '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        out += [f"<variable name={quoteattr(v)}/>" for v in variables]
        out.append("</head>\n<results>\n")
        for row in rows:
            out.append("<result>")
            out += [f"<binding name={quoteattr(v)}>{_term_xml(row[v])}</binding>"
                    for v in variables if row[v] is not None]
            out.append("</result>\n")
        out.append("</results>\n</sparql>\n")
        return "".join(out).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(safe_row(variables))
        for row in rows:
            # Literals come from project sheets: never a formula when opened (CSV injection).
            writer.writerow([safe_cell(None if row[v] is None else _term_plain(row[v]))
                             for v in variables])
        return buffer.getvalue().encode("utf-8")
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join("" if row[v] is None else _term_nt(row[v]) for v in variables)
              for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_boolean(value: bool, fmt: str) -> bytes:
    """Serialise an ASK answer in a SPARQL results format."""
    word = "true" if value else "false"
    if fmt == "json":
        return orjson.dumps({"head": {}, "boolean": value})
    if fmt == "xml":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/'
                f'2005/sparql-results#">\n<head/>\n<boolean>{word}</boolean>\n</sparql>\n'
                ).encode()
    return f"_askResult\r\n{word}\r\n".encode() if fmt == "csv" \
        else f"?_askResult\n{word}\n".encode()


def write_triples(triples: list[Any], fmt: str, base: str) -> bytes:
    """Serialise CONSTRUCT / DESCRIBE triples (sorted, so each subject is one block)."""
    triples.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    target = {"turtle": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
              "ntriples": ox.RdfFormat.N_TRIPLES}[fmt]
    return ox.serialize(triples, format=target, prefixes=prefixes(base)) or b""


def serialise(form: str, result: Any, request: QueryRequest, base: str) -> Answer:
    """Serialise a query's result (Oxigraph's, or parsed from a store's answer), capped."""
    if form == "ASK":
        fmt = request.result_format
        return Answer(form, RESULT_FORMATS[fmt], fmt, write_boolean(bool(result), fmt), 1,
                      False)
    rows: list[Any] = []
    truncated = False
    for item in result:
        if len(rows) >= request.max_rows:
            truncated = True
            break
        rows.append(item)
    if form == "SELECT":
        fmt = request.result_format
        variables = [v.value for v in result.variables]
        body = write_solutions(variables, rows, fmt)
        return Answer(form, RESULT_FORMATS[fmt], fmt, body, len(rows), truncated)
    fmt = request.graph_format
    # A parsed answer yields quads (in the default graph): keep their triples.
    triples = [getattr(row, "triple", row) for row in rows]
    return Answer(form, GRAPH_FORMATS[fmt], fmt, write_triples(triples, fmt, base),
                  len(rows), truncated)


def execute(store: Any, request: QueryRequest, base: str, form: str) -> Answer:
    """Run a checked query on an Oxigraph store and serialise its capped answer."""
    try:
        result = store.query(request.text, base_iri=base, prefixes=prefixes(base))
        return serialise(form, result, request, base)
    except SyntaxError as exc:
        # rdflib's grammar accepted it but Oxigraph did not (an unknown prefix, say).
        match = re.search(r"(\d+):(\d+)", str(exc))
        detail = {"line": int(match.group(1)), "column": int(match.group(2))} if match else {}
        raise SparqlError(400, "syntax-error", f"the query is not valid: {exc}", detail) \
            from None
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise SparqlError(400, "query-failed", f"the query failed: {exc}") from None


# --- forwarding to an external SPARQL store (in the worker process) -------------------
# With REGISTRY_SPARQL_STORE_URL the worker asks the store instead of its own Oxigraph:
# after the same checks (no update, no SERVICE, no FROM), under the same time limit (the
# pool kills the worker, and with it the connection), cut at the same row cap, and
# written by the same serialisers in the negotiated format. The store is asked for
# SPARQL JSON results (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE), read as a stream.

STORE_RETRY_AFTER = 5  # seconds: the writer retries a store that is down at least this often


def store_prologue(base: str) -> str:
    """Return the BASE and PREFIX lines the embedded endpoint predeclares.

    Put before the query's own prologue: a declaration of the query wins over ours
    (a later PREFIX of the same name replaces an earlier one).
    """
    lines = [f"BASE <{base}>"]
    lines += [f"PREFIX {name}: <{iri}>" for name, iri in prefixes(base).items()]
    return "\n".join(lines) + "\n"


def store_unavailable(detail: str) -> SparqlError:
    """Return the refusal of a query the store cannot answer now (logged, not shown)."""
    log.warning("the SPARQL store cannot answer: %s", detail)
    # The store's address is the operator's business, not the client's.
    return SparqlError(503, "store-unavailable", "the SPARQL store behind this endpoint "
                       "cannot be reached or failed: try again shortly (registry reads "
                       "and writes are not affected)", retry_after=STORE_RETRY_AFTER)


def forward_query(store: Mapping[str, str], request: QueryRequest, base: str, form: str,
                  timeout: float) -> Answer:
    """Ask the store, and answer as the embedded endpoint would (raises SparqlError)."""
    endpoints = StoreEndpoints(**store)
    parts = urlsplit(endpoints.query_url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else \
        http.client.HTTPConnection
    connection = kind(parts.netloc, timeout=timeout)
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Accept": "application/n-triples" if graph_form
               else "application/sparql-results+json", **endpoints.headers()}
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    body = urlencode({"query": store_prologue(base) + request.text}).encode("utf-8")
    try:
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            raise store_unavailable(f"{endpoints.query_url}: {exc}") from None
        if response.status >= 500:
            text = response.read(500).decode("utf-8", "replace")
            raise store_unavailable(f"{endpoints.query_url} answered {response.status}: "
                                    f"{text}")
        if response.status >= 400:
            text = response.read(1000).decode("utf-8", "replace").strip()
            raise SparqlError(400, "query-failed", f"the SPARQL store refused the query "
                              f"({response.status}): {text}")
        result: Any = ox.parse(response, format=ox.RdfFormat.N_TRIPLES) if graph_form \
            else ox.parse_query_results(response, format=ox.QueryResultsFormat.JSON)
        try:
            return serialise(form, result, request, base)
        except (SyntaxError, ValueError, OSError, http.client.HTTPException) as exc:
            raise store_unavailable(f"its answer could not be read: {exc}") from None
    finally:
        connection.close()  # also when the answer was cut: the rest is not read


# --- the worker process -------------------------------------------------------------

class _Verdicts:
    """A small LRU of query text -> form or refusal (parsing costs ~20 ms a query)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.items: OrderedDict[str, str | SparqlError] = OrderedDict()

    def check(self, text: str) -> str:
        if text in self.items:
            self.items.move_to_end(text)
            verdict = self.items[text]
        else:
            try:
                verdict = check_query(text)
            except SparqlError as exc:
                verdict = exc
            self.items[text] = verdict
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        if isinstance(verdict, SparqlError):
            raise verdict
        return verdict


class WorkerState:
    """What a worker holds: an Oxigraph store of the derived graph, and nothing else.

    The web process says which triples to take out (the old chunk of a changed or
    removed record) and which to put in: the worker keeps no copy of the N-Triples it
    loaded, so its memory is Oxigraph's store alone.
    """

    def __init__(self) -> None:
        self.store = ox.Store()
        self.verdicts = _Verdicts()

    def reset(self) -> None:
        """Forget every chunk (a new base)."""
        self.store = ox.Store()

    def sync(self, removed: bytes, added: bytes) -> None:
        """Take out the triples of old chunks, then put in those of new ones (N-Triples)."""
        nt = ox.RdfFormat.N_TRIPLES
        if removed:
            # Blank-node labels are kept by parse(), so these are the stored quads.
            for quad in ox.parse(removed, format=nt):
                self.store.remove(quad)
        if added:
            self.store.extend(ox.parse(added, format=nt))

    def query(self, request: QueryRequest, base: str) -> Answer:
        """Check and run a query over the loaded graph."""
        form = self.verdicts.check(request.text)
        return execute(self.store, request, base, form)


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (RLIMIT_AS), if `megabytes` is above 0."""
    if megabytes <= 0:
        return
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


WORKER_NICENESS = 10  # CPU weight ~10% of a web process's: slow queries yield to reads


def _quit(signum: int, frame: Any) -> None:
    import os

    os._exit(0)


def worker_main(conn: Any, memory_mb: int = 0) -> None:
    """Serve requests from the web process over a pipe until it closes."""
    import os
    import sys

    # The web process started this worker with SIGINT blocked (see _Worker.start): from
    # here on, Ctrl+C or a server's SIGINT to its process group ends it without a word.
    signal.signal(signal.SIGINT, _quit)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    limit_memory(memory_mb)
    # A runaway query must not take the CPU from /health and cheap reads: on a busy
    # machine the kernel gives the web processes first call.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICENESS)
    # pyparsing needs ~20 frames per level of nesting; a worker may go deeper than a
    # web process would dare (a stack overflow here only costs this worker).
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))
    state = WorkerState()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        try:
            if kind == "reset":
                state.reset()
                reply: Any = ("ok",)
            elif kind == "sync":
                # Chunks as the web process keeps them (packed), joined into one bytes
                # object each way: a batch goes into the store as one block that the
                # worker frees at once, not thousands of small objects that leave its
                # heap fragmented and its RSS high.
                state.sync(b"".join(unpack(p) for p in message[1]),
                           b"".join(unpack(p) for p in message[2]))
                # Not len(state.store): Oxigraph counts by walking every quad (44 ms
                # at 400,000 triples), the most of what a sync after a write cost.
                reply = ("ok",)
            elif kind == "query":
                request = QueryRequest(**message[1])
                reply = ("answer", asdict(state.query(request, message[2])))
            elif kind == "forward":
                request = QueryRequest(**message[1])
                form = state.verdicts.check(request.text)
                reply = ("answer", asdict(forward_query(message[3], request, message[2],
                                                        form, message[4])))
            else:
                reply = ("ok",)
        except SparqlError as exc:
            reply = exc.as_tuple()
        except MemoryError:
            reply = ("error", 503, "query-too-big", "the query needed more memory than a "
                     "SPARQL worker may use", {})
        except Exception as exc:  # report rather than die: the next query still works
            reply = ("error", 500, "internal-error", f"the SPARQL worker failed: {exc}", {})
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


# --- the pool, in the web process -----------------------------------------------------

class QueryTimeout(SparqlError):
    """The query ran longer than the time limit and its worker was stopped."""


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        # A fork server is a clean single-threaded process: forking it is fast and safe,
        # unlike forking a threaded web worker (locks held by other threads).
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["registry.linked_data.sparql", "pyoxigraph",
                                    "rdflib.plugins.sparql.parser"])
        return ctx
    return multiprocessing.get_context("spawn")


@dataclass
class _Worker:
    """A worker process, its pipe and the chunks it has loaded (to take them out again)."""

    process: Any
    conn: Any
    base: str | None = None
    # The chunk objects of the derived graph (shared with it, not copies): the N-Triples
    # of a chunk are kept once, in the web process, not once more in each worker.
    synced: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, memory_mb: int) -> _Worker:
        ctx = _context()
        parent, child = ctx.Pipe()
        process = ctx.Process(target=worker_main, args=(child, memory_mb), daemon=True,
                              name="registry-sparql")
        # A SIGINT to the server's process group (a quick shutdown) that reached the fork
        # server while it imports, or a worker before worker_main, printed a
        # KeyboardInterrupt traceback: both are started with SIGINT blocked (a mask is
        # inherited across fork and exec) and the worker unblocks it behind its handler.
        # The resource tracker is started first: starting it unblocks SIGINT on its way out.
        resource_tracker.ensure_running()
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child.close()
        return cls(process, parent)

    @property
    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def call(self, message: Any, timeout: float) -> Any:
        self.conn.send(message)
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(2)
        with contextlib.suppress(Exception):
            self.conn.close()


# Packed: about 5 MB of N-Triples, some 900 projects (1 MB held 8 MB once chunks were
# packed against a dictionary, and the SPARQL worker's RSS kept 6 MB more of that peak).
SYNC_BATCH_BYTES = 640 << 10


def _batches(chunks: list[tuple[str, Any]]) -> list[list[tuple[str, Any]]]:
    """Cut (key, chunk) pairs into runs of at most SYNC_BATCH_BYTES compressed (a
    chunk bigger than that alone)."""
    out: list[list[tuple[str, Any]]] = []
    size = SYNC_BATCH_BYTES
    for pair in chunks:
        if size + len(pair[1].packed) > SYNC_BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(pair)
        size += len(pair[1].packed)
    return out


def _stop_all(workers: list[_Worker]) -> None:
    for worker in list(workers):
        worker.kill()
    workers.clear()


class SparqlPool:
    """A few worker processes answering queries, each killed and replaced on timeout.

    At most `size` queries run at once and at most `waiting` more wait for a worker (for
    at most `timeout` seconds); a query beyond both is refused at once (503, busy, with
    Retry-After), so slow queries never hold more web threads than size + queue.
    """

    def __init__(self, size: int = 2, timeout: float = 10.0, max_rows: int = 10_000,
                 memory_mb: int = 0, waiting: int = 4) -> None:
        self.size = max(1, size)
        self.timeout = timeout
        self.max_rows = max_rows
        self.memory_mb = memory_mb
        self.waiting = max(0, waiting)
        self._admitted = threading.BoundedSemaphore(self.size + self.waiting)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._closed = False
        # Workers die with the pool (and, being daemons, with the web process).
        self._finalizer = weakref.finalize(self, _stop_all, self._workers)

    def _acquire(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._closed:  # a query racing close() must not start a worker nobody stops
                raise SparqlError(503, "unavailable", "the SPARQL endpoint is shutting down")
            if len(self._workers) < self.size:
                worker = _Worker.start(self.memory_mb)
                self._workers.append(worker)
                return worker
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise SparqlError(503, "busy", f"every SPARQL worker is busy (more than "
                              f"{self.timeout:g} s): try again shortly",
                              retry_after=max(1, round(self.timeout))) from None

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and worker.alive:
            self._idle.put(worker)
            return
        worker.kill()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)

    def _sync(self, worker: _Worker, graph: Any) -> None:
        if worker.base != graph.base:
            worker.call(("reset",), SYNC_TIMEOUT)
            worker.base = graph.base
            worker.synced = {}
        chunks = graph.chunks
        held = worker.synced
        # Unchanged chunks are the same objects from graph to graph: `is` settles most.
        old = [(k, c) for k, c in held.items() if chunks.get(k) is not c
               and (k not in chunks or chunks[k].digest != c.digest)]
        new = [(k, c) for k, c in chunks.items() if held.get(k) is not c
               and (k not in held or held[k].digest != c.digest)]
        # The chunks travel as the web process keeps them (compressed) and in batches:
        # a whole graph at 10,000 projects is 57 MB of N-Triples, and decompressing,
        # joining and pickling it in one message made the web worker's memory peak
        # some 170 MB above what it holds (twice, when both SPARQL workers loaded at
        # once), a peak its VmRSS kept. Every old chunk goes before any new one: a
        # changed chunk's old triples are out before its new ones are in.
        for gone, added in [(b, []) for b in _batches(old)] + [([], b) for b in _batches(new)]:
            reply = worker.call(("sync", [c.packed for _, c in gone],
                                 [c.packed for _, c in added]), SYNC_TIMEOUT)
            if reply[0] != "ok":
                raise SparqlError(500, "internal-error", "the SPARQL worker could not "
                                  "load the graph: "
                                  f"{reply[3] if len(reply) > 3 else reply}")
            for key, _ in gone:
                worker.synced.pop(key, None)
            worker.synced.update(added)

    def run(self, graph: Any, request: QueryRequest,
            store: Mapping[str, str] | None = None) -> Answer:
        """Answer a query, or raise SparqlError (QueryTimeout).

        Over a derived graph, loaded into the worker; or, with `store` (the endpoints of
        an external SPARQL store), forwarded by the worker to the store: the same
        checks, time limit, row cap and formats either way. `graph` then only gives
        the base (a DerivedGraph or a str).
        """
        request = QueryRequest(request.text, request.result_format, request.graph_format,
                               min(request.max_rows, self.max_rows))
        if not self._admitted.acquire(blocking=False):
            raise SparqlError(503, "busy", f"{self.size} SPARQL queries are running and "
                              f"{self.waiting} waiting: try again shortly",
                              {"running": self.size, "waiting": self.waiting},
                              retry_after=max(1, round(self.timeout)))
        try:
            return self._run(graph, request, store)
        finally:
            self._admitted.release()

    def _run(self, graph: Any, request: QueryRequest, store: Mapping[str, str] | None
             ) -> Answer:
        worker = self._acquire()
        healthy = False
        try:
            if store is None:
                try:
                    self._sync(worker, graph)
                except (TimeoutError, EOFError, OSError) as exc:
                    raise SparqlError(503, "unavailable", "the SPARQL worker could not "
                                      "load the registry's graph; try again") from exc
                message: tuple[Any, ...] = ("query", asdict(request), graph.base)
            else:
                base = graph if isinstance(graph, str) else graph.base
                message = ("forward", asdict(request), base, dict(store), self.timeout)
            try:
                reply = worker.call(message, self.timeout)
            except TimeoutError:
                raise QueryTimeout(503, "query-timeout", f"the query ran longer than the "
                                   f"limit of {self.timeout:g} s and was stopped: narrow "
                                   "it (fewer unbound patterns, a LIMIT, simpler FILTERs)",
                                   {"timeout_seconds": self.timeout}) from None
            except (EOFError, OSError):
                raise SparqlError(503, "query-too-big", "the SPARQL worker stopped while "
                                  "answering (it ran out of memory?): narrow the query"
                                  ) from None
            healthy = True
        finally:
            self._release(worker, healthy)
        if reply[0] == "error":
            raise SparqlError(reply[1], reply[2], reply[3], reply[4],
                              retry_after=reply[5] if len(reply) > 5 else None)
        return Answer(**reply[1])

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
        self._finalizer()
