"""Hostile input at every entry point: refused with a clear answer, nothing stored, no leak.

Each case of the tables below is one hostile input sent to one entry point (the JSON API,
the SPARQL endpoint, the HTML forms, the command line and its file imports) with the
status (or exit code) and a fragment of the message it must get. After every case:

- the server answers the next request normally (`/health` is 200);
- nothing stored changed: every record of every kind, and the audit trail;
- no outbound connection was opened and no file outside the project was read (the guards
  of tests/fuzz/conftest.py, autouse).

Script and `javascript:` payloads in every text shown on a page are checked apart (they
are stored on purpose, then every page showing them is read).

The registry's only HTML form that POSTs is /validate: it stores nothing, so it has no
CSRF token; the cases below post to it without and with a forged token and check that
nothing stored changes.
"""

from __future__ import annotations

import copy
import datetime
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from registry.cli import main
from registry.storage.store import CATALOGUE_KINDS, Store
from registry.storage.tables import audit_events, revisions
from registry.storage.tokens import create_token, revoke_token
from tests.conftest import BACKENDS, ROOT, _database, make_app

MIB = 1024 * 1024
EXAMPLE_TEXT = (ROOT / "tests" / "data" / "valid" / "spec-example.yaml").read_text("utf-8")
EXAMPLE: dict[str, Any] = yaml.safe_load(EXAMPLE_TEXT)
PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"

# --- hostile bodies ---------------------------------------------------------------------

OVERSIZED = b"id: x\nsummary: " + b"a" * (2 * MIB) + b"\n"
DEEP_JSON = b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
DEEP_YAML = b"id: " + b"[" * 20_000 + b"]" * 20_000 + b"\n"
DEEP_BLOCK_YAML = "".join("  " * i + f"k{i}:\n" for i in range(300)).encode() + b"  " * 300 \
    + b"v\n"
YAML_BOMB = b"\n".join([b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
                       + [f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]".encode()
                          for p, n in zip("abcdefgh", "bcdefghi", strict=True)]) + b"\n"
PYTHON_TAG = b"id: !!python/object/apply:os.system ['touch /tmp/registry-pwned']\n"
CUSTOM_TAG = b"id: !include /etc/passwd\n"
MERGE_KEY = b"base: &b {id: x}\nsheet:\n  <<: *b\n"
DUP_YAML = b"id: first\nid: second\n"
DUP_JSON = b'{"id": "first", "id": "second"}'
BAD_UTF8 = b"id: caf\xe9\ntitle: \xff\xfe\n"
SURROGATE_BYTES = b"id: \xed\xa0\x80\n"  # a lone surrogate encoded (not UTF-8)
MULTI_DOC = b"id: a\n---\nid: b\n"
NUL_BYTES = b"id: a\x00b\n"
NUL_ESCAPE = b'id: "a\\0b"\n'  # YAML's escape of U+0000 (PostgreSQL cannot store it)


def _sheet(**changes: Any) -> dict[str, Any]:
    sheet = copy.deepcopy(EXAMPLE)
    sheet.update(changes)
    return json.loads(json.dumps(sheet, default=str))


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


def _plain(path: Path) -> dict[str, Any]:
    return json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str))


# Valid bodies of each writing entry point, into which one hostile value is put, so that
# the hostile value is the only thing wrong with the request.
BASES: dict[str, tuple[dict[str, Any], str, str]] = {  # body, a text field, a number field
    "sheet": (_sheet(id="hostile"), "title", "budget_eur"),
    "standard": ({**_plain(ROOT / "standards" / "gtfs.yaml"), "id": "hostile"}, "body",
                 "version"),
    "vocabulary": ({**_plain(ROOT / "reference_arch" / "vocabularies" / "domains.yaml"),
                    "id": "hostile"}, "title", "title"),
    "concept": ({"id": "hostile", "label": {"en": "Hostile", "fr": "Hostile", "nl": "Vijandig"},
                 "definition": {"en": "x", "fr": "x", "nl": "x"}}, "label", "label"),
}
HOLE = "__HOSTILE__"


def _with(base: str, field_kind: int, raw: bytes) -> bytes:
    """Return a valid body of `base` with `raw` (JSON text) as the value of one field."""
    body, text_field, number_field = BASES[base]
    data = {**body, (text_field, number_field)[field_kind]: HOLE}
    return _json(data).replace(f'"{HOLE}"'.encode(), raw)


def _json_values(base: str) -> list[tuple[str, bytes]]:
    """Return the JSON-level hostile bodies of one base: a valid body, one bad value."""
    return [("surrogate-escape", _with(base, 0, b'"x\\ud800y"')),
            ("nul-escape", _with(base, 0, b'"x\\u0000y"')),
            ("nan", _with(base, 1, b"NaN")), ("infinity", _with(base, 1, b"-Infinity")),
            ("huge-int", _with(base, 1, b"9" * 5000)),
            ("huge-float", _with(base, 1, b"1e999999")),
            ("remote-context", _json({**BASES[base][0],
                                      "@context": "http://evil.example/context.jsonld"})),
            ("file-context", _json({**BASES[base][0], "@context": [
                "file:///etc/passwd", {"@import": "file:///etc/shadow"}]}))]


SHEET_VALUES = dict(_json_values("sheet"))
REMOTE_CONTEXT = SHEET_VALUES["remote-context"]
FILE_CONTEXT = SHEET_VALUES["file-context"]
NAN_JSON = SHEET_VALUES["nan"]
HUGE_INT_JSON = SHEET_VALUES["huge-int"]
HUGE_FLOAT_JSON = SHEET_VALUES["huge-float"]

GTFS = _json(_plain(ROOT / "standards" / "gtfs.yaml"))

# --- the cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Http:
    """One hostile request: what is sent, and the answer it must get."""

    id: str
    method: str
    path: str
    status: int
    fragment: str
    body: bytes | None = None
    content_type: str | None = None
    token: str | None = None  # a role, or revoked/expired/malformed/unknown/basic
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, Any] | None = None
    query: dict[str, str] | None = None


def _bodies(method: str, path: str, refused: int, fragments: dict[str, str], base: str, *,
            token: str | None = "admin", content_type: str = "application/yaml") -> list[Http]:
    """Return the hostile-body cases of one writing (or validating) entry point."""
    json_values = [(name, body, "application/json", refused)
                   for name, body in _json_values(base)]
    bodies = [*json_values,("oversized", OVERSIZED, content_type, 413),
              ("deep-json", DEEP_JSON, "application/json", refused),
              ("deep-yaml", DEEP_YAML, content_type, refused),
              ("deep-block-yaml", DEEP_BLOCK_YAML, content_type, refused),
              ("yaml-bomb", YAML_BOMB, content_type, refused),
              ("python-tag", PYTHON_TAG, content_type, refused),
              ("custom-tag", CUSTOM_TAG, content_type, refused),
              ("merge-key", MERGE_KEY, content_type, refused),
              ("duplicate-keys-yaml", DUP_YAML, content_type, refused),
              ("duplicate-keys-json", DUP_JSON, "application/json", refused),
              ("invalid-utf8", BAD_UTF8, content_type, refused),
              ("surrogate-bytes", SURROGATE_BYTES, content_type, refused),
              ("multi-doc", MULTI_DOC, content_type, refused),
              ("nul", NUL_BYTES, content_type, refused),
              ("nul-yaml-escape", NUL_ESCAPE, content_type, refused),
              ("wrong-media-type", b"<x/>", "application/xml", 415)]
    return [Http(f"{method} {path} {name}", method, path, status,
                 fragments.get(name, fragments["*"]) if status == refused else
                 {413: "limit", 415: "application/"}[status],
                 body, ctype, token)
            for name, body, ctype, status in bodies]


PARSE_CODES = {"deep-json": "parse.too-deep", "deep-yaml": "parse.too-deep",
               "deep-block-yaml": "parse.too-deep", "yaml-bomb": "parse.alias",
               "python-tag": "parse.alias", "custom-tag": "parse.alias",
               "merge-key": "parse.alias", "duplicate-keys-yaml": "parse.duplicate-key",
               "duplicate-keys-json": "parse.duplicate-key", "invalid-utf8": "parse.encoding",
               "surrogate-bytes": "parse.encoding", "surrogate-escape": "parse.encoding",
               "nan": "parse.syntax", "infinity": "parse.syntax", "huge-int": "parse.too-large",
               "huge-float": "parse.too-large",
               "multi-doc": "parse.multiple-documents", "nul": "parse.encoding",
               "remote-context": "/@context", "file-context": "/@context",
               "nul-escape": "parse.encoding", "nul-yaml-escape": "parse.encoding",
               "*": "parse."}

RECORD_REFUSALS = {"remote-context": "@context", "file-context": "@context",
                   "surrogate-escape": "could not be read", "huge-float": "could not be read",
                   "*": "could not be read"}

API_CASES: list[Http] = [
    # POST /api/validate: always a report (200), the hostile part named by its code.
    *_bodies("POST", "/api/validate", 200, PARSE_CODES, "sheet", token=None),
    # PUT /api/projects/{id}: 422 with the report, nothing stored.
    *_bodies("PUT", "/api/projects/hostile", 422, PARSE_CODES, "sheet"),
    # PUT of catalogue records: 422, "the body could not be read" or the record's problem.
    *_bodies("PUT", "/api/standards/hostile", 422, RECORD_REFUSALS, "standard"),
    *_bodies("PUT", "/api/vocabularies/hostile", 422, RECORD_REFUSALS, "vocabulary",
             token="architect"),
    *_bodies("PUT", "/api/vocabularies/domains/hostile", 422, RECORD_REFUSALS, "concept"),
    # Tokens: missing, malformed, of another scheme, unknown, revoked, expired, too weak.
    *[Http(f"PUT /api/standards/gtfs token {token}", "PUT", "/api/standards/gtfs", status,
           fragment, b"id: gtfs\n", "application/yaml", token)
      for token, status, fragment in [
          (None, 401, "needs a token"), ("malformed", 401, "malformed"),
          ("basic", 401, "Bearer <token>"), ("unknown", 401, "not known"),
          ("revoked", 401, "revoked"), ("expired", 401, "expired"),
          ("overlong", 401, "malformed"), ("control", 401, "malformed"),
          ("lead", 403, "may not"), ("office", 403, "may not")]],
    *[Http(f"PUT /api/projects/x token {token}", "PUT", "/api/projects/hostile", status,
           fragment, _json(_sheet(id="hostile")), "application/json", token)
      for token, status, fragment in [
          (None, 401, "needs a token"), ("revoked", 401, "revoked"),
          ("expired", 401, "expired"), ("architect", 403, "may not")]],
    *[Http(f"GET /api/audit token {token}", "GET", "/api/audit", status, fragment,
           token=token) for token, status, fragment in [
        (None, 401, "needs a token"), ("expired", 401, "expired"),
        ("revoked", 401, "revoked"), ("architect", 403, "may not")]],
    # Preconditions on an existing record, with a valid token: nothing changes.
    Http("PUT standard without If-Match", "PUT", "/api/standards/gtfs", 428, "If-Match",
         GTFS, "application/json", "admin"),
    Http("PUT standard stale If-Match", "PUT", "/api/standards/gtfs", 412, "changed",
         GTFS, "application/json", "admin", {"If-Match": '"r999-0"'}),
    Http("PUT standard If-None-Match *", "PUT", "/api/standards/gtfs", 412, "already exists",
         GTFS, "application/json", "admin", {"If-None-Match": "*"}),
    Http("PUT standard forged If-Match *", "PUT", "/api/standards/gtfs", 412, "",
         GTFS, "application/json", "admin", {"If-Match": "W/\"r1-x\", \"\x00\""}),
    # List filters.
    *[Http(f"GET {path} {name}", "GET", path, 400, fragment, query=query)
      for path, name, query, fragment in [
          ("/api/standards", "script status", {"status": PAYLOAD}, "is not allowed"),
          ("/api/standards", "long q", {"q": "x" * 10_000}, "longer than 200"),
          ("/api/standards", "huge per_page", {"per_page": "9" * 400}, "whole number"),
          ("/api/standards", "negative page", {"page": "-1"}, "whole number"),
          ("/api/standards", "nul in filter", {"layer": "legal\x00"}, "is not allowed"),
          ("/api/standards", "unknown parameter", {"$where": "1"}, "unknown query"),
          ("/api/components", "empty filter", {"owner": " , "}, "is empty"),
          ("/api/principles", "script source", {"source": PAYLOAD}, "is not allowed"),
          ("/api/projects", "bad validity", {"validity": PAYLOAD}, "validity"),
          ("/api/projects", "week date", {"as_of": "2026-W01-1"}, "not a date"),
          ("/api/projects", "compact date", {"as_of": "20260101"}, "not a date"),
          ("/api/projects", "huge page", {"page": "1" + "0" * 300}, "whole number"),
          ("/api/compliance", "bad state", {"state": PAYLOAD}, "state takes"),
          ("/api/compliance/lapsing", "huge days", {"days": "9" * 5000}, "days"),
          ("/api/reuse", "nan score", {"min_score": "nan"}, "min_score"),
          ("/api/reuse", "infinite score", {"min_score": "inf"}, "min_score"),
          ]],
    *[Http(f"GET /api/audit limit {limit[:10]}", "GET", "/api/audit", 400, "limit",
           token="admin", query={"limit": limit}) for limit in ("9" * 5000, "1e9", "-1", "x")],
    Http("GET /api/projects/x/diff huge revision", "GET",
         "/api/projects/mobility-data-hub/diff", 400, "revision numbers",
         query={"from": "9" * 5000}),
    Http("GET unknown standard with script id", "GET", f"/api/standards/{PAYLOAD}", 404,
         "nothing at"),
    Http("GET unknown standard with script id, no slash", "GET",
         "/api/standards/<script>alert(1)<script>", 404, "not-found"),
]

SERVICE = "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }"
SPARQL_QUERIES: list[tuple[str, str, int, str]] = [
    ("service", SERVICE, 400, "service-refused"),
    ("service-silent-nested", "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE SILENT "
     "<file:///etc/passwd> { ?a ?b ?c } } }", 400, "service-refused"),
    ("from", "SELECT * FROM <http://evil.example/g> WHERE { ?s ?p ?o }", 400,
     "dataset-refused"),
    ("from-file", "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", 400,
     "dataset-refused"),
    ("from-named", "SELECT * FROM NAMED <http://evil.example/g> WHERE { GRAPH ?g "
     "{ ?s ?p ?o } }", 400, "dataset-refused"),
    ("insert", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", 400, "update-refused"),
    ("delete-where", "DELETE WHERE { ?s ?p ?o }", 400, "update-refused"),
    ("load", "LOAD <file:///etc/passwd>", 400, "update-refused"),
    ("load-remote", "LOAD <http://evil.example/x.ttl> INTO GRAPH <urn:g>", 400,
     "update-refused"),
    ("clear", "CLEAR ALL", 400, "update-refused"),
    ("drop", "DROP DEFAULT", 400, "update-refused"),
    ("syntax", "SELECT * WHERE { ?s ?p }", 400, "syntax-error"),
    ("deep-nesting", "SELECT * WHERE " + "{ " * 2000 + "?s ?p ?o" + " }" * 2000, 400,
     "too-deep"),
    ("deep-expression", "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 3000 + "1" + ")" * 3000
     + ") }", 400, "too-deep"),
    ("too-long", "SELECT * WHERE { ?s ?p ?o } #" + "x" * 100_001, 413, "too-large"),
    ("cross-product", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
     200, "X-Result-Truncated"),
    ("sorted-cross-product", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
     "ORDER BY ?a ?d ?g", 503, "query-timeout"),
    ("catastrophic-regex", "SELECT ?s WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "
     "\"^(a+)+$|^(a|a)*b$|(x+x+)+y\")) }", 200, "\"vars\""),
    ("javascript-iri", "SELECT * WHERE { BIND(<javascript:alert(1)> AS ?x) "
     f"BIND(\"{PAYLOAD.replace(chr(34), '')}\" AS ?y) }}", 200, "javascript:alert(1)"),
]
SPARQL_CASES: list[Http] = [
    *[Http(f"GET /sparql {name}", "GET", "/sparql", status, fragment, query={"query": q})
      for name, q, status, fragment in SPARQL_QUERIES if name != "too-long"],
    *[Http(f"POST /sparql {name}", "POST", "/sparql", status, fragment, q.encode(),
           "application/sparql-query") for name, q, status, fragment in SPARQL_QUERIES],
    *[Http(f"POST /sparql form {name}", "POST", "/sparql", status, fragment,
           form={"query": q}) for name, q, status, fragment in SPARQL_QUERIES[:6]],
    Http("GET /sparql default-graph-uri", "GET", "/sparql", 400, "dataset-refused",
         query={"query": "SELECT * WHERE { ?s ?p ?o }",
                "default-graph-uri": "http://evil.example/g"}),
    Http("GET /sparql named-graph-uri", "GET", "/sparql", 400, "dataset-refused",
         query={"query": "SELECT * WHERE { ?s ?p ?o }", "named-graph-uri": "file:///etc/passwd"}),
    Http("POST /sparql oversized", "POST", "/sparql", 413, "", OVERSIZED,
         "application/sparql-query"),
    Http("POST /sparql invalid utf-8", "POST", "/sparql", 400, "", b"SELECT \xff\xfe",
         "application/sparql-query"),
    Http("GET /sparql html service", "GET", "/sparql", 400, "SERVICE is refused",
         query={"query": SERVICE, "format": "html"}),
    Http("GET /sparql html script", "GET", "/sparql", 400, "&lt;script&gt;",
         query={"query": PAYLOAD, "format": "html"}),
]

FORM_CASES: list[Http] = [
    Http("POST /validate without CSRF token", "POST", "/validate", 200, "mobility-data-hub",
         form={"text": EXAMPLE_TEXT}),
    Http("POST /validate forged CSRF token", "POST", "/validate", 200, "mobility-data-hub",
         form={"text": EXAMPLE_TEXT, "csrf_token": "forged"}),
    Http("POST /validate cross-site origin", "POST", "/validate", 200, "mobility-data-hub",
         form={"text": EXAMPLE_TEXT}, headers={"Origin": "https://evil.example",
                                               "Referer": "https://evil.example/"}),
    Http("POST /validate yaml bomb", "POST", "/validate", 200, "parse.alias",
         form={"text": YAML_BOMB.decode()}),
    Http("POST /validate python tag", "POST", "/validate", 200, "parse.alias",
         form={"text": PYTHON_TAG.decode()}),
    Http("POST /validate deep", "POST", "/validate", 200, "parse.too-deep",
         form={"text": DEEP_YAML.decode()}),
    Http("POST /validate invalid utf-8 upload", "POST", "/validate", 200, "parse.encoding",
         form={"file": (BAD_UTF8, "bad.yaml")}),
    Http("POST /validate lone surrogate upload", "POST", "/validate", 200, "parse.encoding",
         form={"file": (SURROGATE_BYTES, "bad.yaml")}),
    Http("POST /validate invalid utf-8 text", "POST", "/validate", 200, "parse.",
         b"text=id%3A+%FF%FE", "application/x-www-form-urlencoded"),
    Http("POST /validate script text", "POST", "/validate", 200, "&lt;script&gt;",
         form={"text": f"sheet: project-sheet/v1\nid: x\ntitle: {{en: '{PAYLOAD}'}}\n"
                       .replace("'>", "''>")}),
    Http("POST /validate oversized upload", "POST", "/validate", 413, "too large",
         form={"file": (OVERSIZED, "big.yaml")}),
    Http("POST /validate bad as_of", "POST", "/validate", 400, "not a date",
         form={"text": EXAMPLE_TEXT, "as_of": PAYLOAD}),
    Http("GET /standards script q", "GET", "/standards", 400, "&lt;script&gt;",
         query={"q": PAYLOAD, "status": PAYLOAD}),
    Http("GET /projects script filter", "GET", "/projects", 400, "&lt;script&gt;",
         query={"owner": PAYLOAD}),
    Http("GET /validate script as_of", "GET", "/validate", 200, "&lt;script&gt;",
         query={"as_of": PAYLOAD}),
    Http("GET /reuse script filter", "GET", "/reuse", 400, "&lt;script&gt;",
         query={"type": PAYLOAD}),
]


# --- the app of the module and the store's fingerprint ----------------------------------


class Target:
    """The module's app, its store and a token secret per name."""

    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url
        self.store: Store = app.extensions["registry"].store
        self.tokens: dict[str, str] = {}

    def fingerprint(self) -> tuple[Any, ...]:
        """Return everything stored that a request could change."""
        kinds = (*CATALOGUE_KINDS, "project")
        exported = self.store.export(kinds)
        with self.store.engine.connect() as connection:
            audit = connection.execute(select(func.count()).select_from(audit_events)).scalar()
            revs = connection.execute(select(func.count()).select_from(revisions)).scalar()
        return json.dumps(exported, sort_keys=True, default=str), audit, revs

    def authorization(self, token: str | None) -> dict[str, str]:
        """Return the Authorization header of a token name."""
        if token is None:
            return {}
        secret = {"malformed": "abc", "basic": None, "unknown": "rgt_0000dead_" + "x" * 43,
                  "overlong": "rgt_" + "x" * 5000 + "_y", "control": "rgt_\x00\x01_\x7f",
                  }.get(token, self.tokens.get(token))
        if token == "basic":
            return {"Authorization": "Basic YWRtaW46YWRtaW4="}
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module", params=BACKENDS)
def target(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """Yield the module's app (shipped catalogue and examples), with a token per case."""
    from registry.projects import import_projects

    folder = tmp_path_factory.mktemp("hostile")
    for url in _database(request.param, folder):
        app = make_app(url, folder, AUTH_FAILURE_LIMIT=1_000_000, SPARQL_TIMEOUT=3.0,
                       SPARQL_MAX_ROWS=1000)
        target = Target(app, url)
        services = app.extensions["registry"]
        import_projects(ROOT / "examples", services.store, services.snapshots.get(),
                        datetime.date(2026, 11, 26), "hostile")
        for role in ("lead", "architect", "office", "admin"):
            target.tokens[role] = create_token(target.store, role=role, name=role,
                                               organisations=["brussels-mobility"])[0]
        target.tokens["expired"] = create_token(target.store, role="admin", name="old",
                                                organisations=[], expires_days=-1)[0]
        revoked, info = create_token(target.store, role="admin", name="gone", organisations=[])
        assert revoke_token(target.store, info["id"])
        target.tokens["revoked"] = revoked
        yield target
        services.store.engine.dispose()


@pytest.fixture
def unchanged(target: Target) -> Iterator[Target]:
    """Yield the target; afterwards, check it still answers and nothing stored changed."""
    before = target.fingerprint()
    yield target
    health = target.app.test_client().get("/health")
    assert health.status_code == 200, health.get_data(as_text=True)
    assert target.fingerprint() == before, "something stored changed"


def _send(target: Target, case: Http) -> tuple[int, str, dict[str, str]]:
    client = target.app.test_client()
    headers = {**target.authorization(case.token), **case.headers}
    if case.form is not None and any(isinstance(v, tuple) for v in case.form.values()):
        # Encoded here, in memory: the test client spools big uploads to a temporary file
        # that it leaves open when the app refuses the body without reading it.
        boundary, data = encode_multipart({
            k: FileStorage(io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v
            for k, v in case.form.items()})
        response = client.open(case.path, method=case.method, data=data,
                               content_type=f"multipart/form-data; boundary={boundary}",
                               headers=headers, query_string=case.query)
    elif case.form is not None:
        response = client.open(case.path, method=case.method, data=case.form,
                               headers=headers, query_string=case.query)
    else:
        response = client.open(case.path, method=case.method, data=case.body,
                               content_type=case.content_type, headers=headers,
                               query_string=case.query)
    return response.status_code, response.get_data(as_text=True), dict(response.headers)


ALL_HTTP = [*API_CASES, *SPARQL_CASES, *FORM_CASES]


@pytest.mark.parametrize("case", ALL_HTTP, ids=[c.id for c in ALL_HTTP])
def test_hostile_request(unchanged: Target, case: Http) -> None:
    """Each hostile request gets its status and message; nothing else happens."""
    status, text, headers = _send(unchanged, case)
    shown = f"{status} {text[:600]}"
    assert status == case.status, shown
    if case.fragment == "X-Result-Truncated":
        assert "X-Result-Truncated" in headers, headers
    else:
        assert case.fragment in text, shown
    assert "Traceback" not in text and 'href="javascript:' not in text.lower()


# --- the command line and its file imports ----------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:ConceptScheme rdf:about="http://example.org/s"/>
  <skos:Concept rdf:about="http://example.org/c">
    <skos:prefLabel xml:lang="en">&xxe;</skos:prefLabel>
    <skos:inScheme rdf:resource="http://example.org/s"/>
  </skos:Concept>
</rdf:RDF>
"""
XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description
 rdf:about="http://example.org/x"><rdf:value>&lol3;</rdf:value></rdf:Description></rdf:RDF>
"""
ENTITY_NO_DOCTYPE = b"""<?xml version="1.0"?><!ENTITY x SYSTEM "http://evil.example/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>
"""
JSONLD_REMOTE = _json({"@context": "http://evil.example/skos.jsonld",
                       "@id": "http://example.org/s", "@type": "skos:ConceptScheme"})
JSONLD_FILE = _json({"@context": ["file:///etc/passwd"], "@id": "http://example.org/s"})
JSONLD_IMPORT = _json({"@context": {"@import": "http://evil.example/c.jsonld"},
                       "@id": "http://example.org/s"})
JSONLD_NESTED = _json({"@context": {"skos": "http://www.w3.org/2004/02/skos/core#"},
                       "@graph": [{"@context": "https://evil.example/c",
                                   "@id": "http://example.org/s"}]})
SKOS_NUL = (ROOT / "tests" / "data" / "skos" / "good.ttl").read_bytes().replace(
    b'"Underground car park"@en', b'"Underground\\u0000car park"@en', 1)
TURTLE_SERVICE_LIKE = b"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n" \
    b"<http://example.org/s> owl:imports <http://evil.example/onto.ttl> .\n"
TURTLE_BAD_UTF8 = b"<http://example.org/s> <http://example.org/p> \"\xff\xfe\" .\n"
TURTLE_DEEP = b"<http://example.org/s> <http://example.org/p> " + b"(" * 50_000 \
    + b")" * 50_000 + b" .\n"
PUBLICCODE_BOMB = YAML_BOMB
PUBLICCODE_TAG = b"publiccodeYmlVersion: '0.2'\nname: !!python/object/apply:os.system ['id']\n"
PUBLICCODE_DUP = b"publiccodeYmlVersion: '0.2'\nname: a\nname: b\nurl: https://x.example\n"


@dataclass(frozen=True)
class Cli:
    """One hostile command line: its files, arguments, exit code and output fragment."""

    id: str
    args: tuple[str, ...]
    files: dict[str, bytes]
    exit_code: int
    fragment: str


def _standard_folder(name: str, content: bytes) -> dict[str, bytes]:
    return {f"cat/standards/{name}.yaml": content}


CLI_CASES: list[Cli] = [
    *[Cli(f"validate {name}", ("validate", "--format", "text", "{tmp}/sheet." + suffix),
          {"sheet." + suffix: body}, 1, code)
      for name, body, code in [
          ("oversized", OVERSIZED, "parse.too-large"), ("deep", DEEP_YAML, "parse.too-deep"),
          ("yaml-bomb", YAML_BOMB, "parse.alias"), ("python-tag", PYTHON_TAG, "parse.alias"),
          ("duplicate-keys", DUP_YAML, "parse.duplicate-key"),
          ("invalid-utf8", BAD_UTF8, "parse.encoding"),
          ("surrogate", SURROGATE_BYTES, "parse.encoding"),
          ("nan", NAN_JSON, "parse.syntax"), ("huge-int", HUGE_INT_JSON, "parse.too-large"),
          ("huge-float", HUGE_FLOAT_JSON, "parse.too-large"),
          ("yaml-nan", EXAMPLE_TEXT.replace("1800000", ".nan").encode(), "schema.type"),
          ("yaml-inf", EXAMPLE_TEXT.replace("1800000", "-.inf").encode(), "schema.type"),
          ("remote-context", REMOTE_CONTEXT, "/@context"),
          ("file-context", FILE_CONTEXT, "/@context")]
      for suffix in ["json" if body.startswith(b"{") else "yaml"]],
    Cli("validate a symlink to /etc/passwd", ("validate", "{tmp}/link.yaml"),
        {"link.yaml->": b"/etc/passwd"}, 1, ""),
    *[Cli(f"import {name}", ("import", "{tmp}/cat"), _standard_folder("hostile", body), 1,
          "nothing was imported")
      for name, body in [("yaml-bomb", YAML_BOMB), ("python-tag", PYTHON_TAG),
                         ("custom-tag", CUSTOM_TAG), ("duplicate-keys", DUP_YAML),
                         ("invalid-utf8", BAD_UTF8), ("deep", DEEP_YAML),
                         ("oversized", OVERSIZED), ("script-id", PAYLOAD.encode())]],
    *[Cli(f"vocab import {name}", ("vocab", "import", "{tmp}/" + file, "--scheme",
                                   "hostile"), {file: body}, 1, fragment)
      for name, file, body, fragment in [
          ("xxe", "x.rdf", XXE, "rdf.doctype"), ("xml-bomb", "x.rdf", XML_BOMB, "rdf.doctype"),
          ("entity-without-doctype", "x.rdf", ENTITY_NO_DOCTYPE, "rdf.doctype"),
          ("jsonld-remote-context", "x.jsonld", JSONLD_REMOTE, "http://evil.example"),
          ("jsonld-file-context", "x.jsonld", JSONLD_FILE, "file:///etc/passwd"),
          ("jsonld-import", "x.jsonld", JSONLD_IMPORT, "http://evil.example"),
          ("jsonld-nested-context", "x.jsonld", JSONLD_NESTED, "https://evil.example"),
          ("owl-imports", "x.ttl", TURTLE_SERVICE_LIKE, "error"),
          ("invalid-utf8", "x.ttl", TURTLE_BAD_UTF8, "error"),
          ("deep-collection", "x.ttl", TURTLE_DEEP, "error"),
          ("oversized", "x.nt", b"<urn:a> <urn:b> \"" + b"x" * (3 * MIB) + b"\" .\n",
           "too-large"),
          ("nul-literal", "x.ttl", SKOS_NUL, "U+0000")]],
    *[Cli(f"components import-publiccode {name}", ("components", "import-publiccode",
                                                    "{tmp}/publiccode.yml"),
          {"publiccode.yml": body}, 1, fragment)
      for name, body, fragment in [
          ("yaml-bomb", PUBLICCODE_BOMB, "parse.alias"),
          ("python-tag", PUBLICCODE_TAG, "parse.alias"),
          ("duplicate-keys", PUBLICCODE_DUP, "parse.duplicate-key"),
          ("invalid-utf8", BAD_UTF8, "parse.encoding"),
          ("deep", DEEP_YAML, "parse.too-deep"),
          ("oversized", OVERSIZED, "too-large"),
          ("nul-escape", PUBLICCODE_DUP.replace(b"name: b\n", b"")
           + b'description: "\\0"\n', "parse.encoding")]],
    Cli("projects import hostile folder", ("projects", "import", "{tmp}/sheets"),
        {"sheets/bomb.yaml": YAML_BOMB, "sheets/tag.yaml": PYTHON_TAG,
         "sheets/dup.yaml": DUP_YAML, "sheets/bad.yaml": BAD_UTF8,
         "sheets/deep.yaml": DEEP_YAML, "sheets/context.json": REMOTE_CONTEXT,
         "sheets/javascript.json": _json(_sheet(id="xss-sheet", links={
             "homepage": "javascript:alert(1)"}))}, 1, "7 refused"),
]


def _materialise(case: Cli, tmp_path: Path) -> list[str]:
    for name, content in case.files.items():
        if name.endswith("->"):  # a symbolic link to the content, as a path
            (tmp_path / name[:-2]).symlink_to(content.decode())
            continue
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return [a.replace("{tmp}", str(tmp_path)) for a in case.args]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_hostile_command_line(unchanged: Target, case: Cli, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch,
                              no_stray_file_reads: Any) -> None:
    """Each hostile file is refused by its command, with its exit code and message."""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", unchanged.url)
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("REGISTRY_IMPORT_MAX_BYTES", str(2 * MIB))
    args = _materialise(case, tmp_path)
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception), output[-2000:])
    assert result.exit_code == case.exit_code, output[-2000:]
    assert case.fragment in output, output[-2000:]
    assert "Traceback" not in output
    if case.id.startswith("validate a symlink"):
        # Reading /etc/passwd through a link the user gave is the user's own doing: the
        # guard would flag it, so it is cleared here; the content must not be echoed.
        no_stray_file_reads.seen.clear()
        assert "root:" not in output


# --- script and javascript: payloads shown on pages -------------------------------------

JAVASCRIPT_HREF = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*(javascript|data|vbscript):""",
                             re.IGNORECASE)


def _assert_safe_page(client: Any, path: str) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    page = response.get_data(as_text=True)
    assert PAYLOAD not in page and "<script>alert" not in page, path
    assert not JAVASCRIPT_HREF.search(html.unescape(page)), path
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", ""), path
    return page


def _put(client: Any, path: str, body: Any, token: str) -> Any:
    return client.put(path, json=body, headers={"Authorization": f"Bearer {token}"})


PAGES = ["/", "/standards", "/standards/xss-standard", "/projects", "/projects/xss-project",
         "/compliance", "/compliance/lapsing", "/reuse", "/dashboard", "/roadmap",
         "/architecture", "/components", "/principles", "/vocabularies",
         "/vocabularies/capabilities", "/standards?q=script",
         "/sparql?format=html&query=SELECT%20%3Ft%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Ft%20"
         "FILTER(CONTAINS(STR(%3Ft)%2C%20%22script%22))%20%7D"]


def test_script_payloads_are_escaped_on_every_page(app: Flask) -> None:
    """Payloads in a sheet's and a standard's texts are shown escaped, never as links."""
    store = app.extensions["registry"].store
    secret = create_token(store, role="admin", organisations=[], name="xss")[0]
    client = app.test_client()

    sheet = _sheet(id="xss-project", title={"en": PAYLOAD, "fr": PAYLOAD, "nl": PAYLOAD},
                   summary={"en": PAYLOAD * 2, "fr": PAYLOAD * 2, "nl": PAYLOAD * 2},
                   kpis=[{**EXAMPLE["kpis"][0], "name": {"en": PAYLOAD},
                          "unit": PAYLOAD, "due": "2027-12-31"}],
                   links={"homepage": "javascript:alert(1)"})
    sheet["owner"]["contact"]["name"] = PAYLOAD
    sheet["standards"][1]["note"] = PAYLOAD
    refused = _put(client, "/api/projects/xss-project", sheet, secret)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert "/links/homepage" in refused.get_data(as_text=True)
    for homepage in ("JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,x",
                     "https://x.example/\"onmouseover=alert(1)"):
        sheet["links"] = {"homepage": homepage}
        again = _put(client, "/api/projects/xss-project", sheet, secret)
        assert again.status_code == 422 or homepage.startswith("https://"), homepage
        if again.status_code in (200, 201):
            break
    else:
        sheet["links"] = {"homepage": "https://x.example/"}
        assert _put(client, "/api/projects/xss-project", sheet, secret).status_code == 201

    standard = json.loads(client.get("/api/standards/ngsi-ld").get_data())["standard"]
    standard.update(id="xss-standard", title={"en": PAYLOAD, "fr": PAYLOAD, "nl": PAYLOAD},
                    acronym=PAYLOAD[:40], url="javascript:alert(1)")
    standard.pop("replaced_by", None)
    refused = _put(client, "/api/standards/xss-standard", standard, secret)
    assert refused.status_code == 422 and "/url" in refused.get_data(as_text=True)
    standard["url"] = "https://x.example/spec"
    created = _put(client, "/api/standards/xss-standard", standard, secret)
    assert created.status_code == 201, created.get_data(as_text=True)

    for path in PAGES:
        page = _assert_safe_page(client, path)
        if path in ("/standards/xss-standard", "/projects/xss-project"):
            assert html.escape(PAYLOAD, quote=False)[:30] in page or "&lt;script&gt;" in page
    for lang in ("fr", "nl"):
        _assert_safe_page(client, f"/projects/xss-project?lang={lang}")
        _assert_safe_page(client, f"/standards/xss-standard?lang={lang}")


def test_the_guards_catch_what_they_guard(no_outbound_connections: Any,
                                         no_stray_file_reads: Any) -> None:
    """The socket and file guards of conftest.py do refuse and record (so they can fail)."""
    import socket

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    with pytest.raises(ConnectionRefusedError), socket.socket() as sock:
        sock.connect(("203.0.113.5", 443))
    assert len(no_outbound_connections.attempts) == 2
    no_outbound_connections.attempts.clear()
    outside = next(p for p in ("/etc/os-release", "/etc/hostname", "/etc/passwd")
                   if Path(p).exists())
    with open(outside, "rb"):
        pass
    assert outside in no_stray_file_reads.seen
    no_stray_file_reads.seen.clear()


def test_vocabulary_languages_cannot_break_the_linked_data(app: Flask) -> None:
    """Found by the contract fuzzing: a vocabulary could take down every RDF view (500).

    An alt_labels key that is no language tag, and a scheme titled in French only (as an
    imported one may be), each made /catalogue.ttl, /dcat.ttl and /sparql fail.
    """
    store = app.extensions["registry"].store
    headers = {"Authorization": "Bearer " + create_token(store, role="admin", name="v",
                                                         organisations=[])[0]}
    client = app.test_client()
    vocabulary = {"id": "langs", "title": {"fr": "Langues"}, "description": {"fr": "Test"},
                  "source": {"iri": "http://example.org/langs"},
                  "concepts": [{"id": "a", "label": {"fr": "A"},
                                "alt_labels": {"3Z x": ["B"]}}]}
    for tag in ("3Z x", "a", "en-US-GB"):
        vocabulary["concepts"][0]["alt_labels"] = {tag: ["B"]}
        refused = client.put("/api/vocabularies/langs", json=vocabulary, headers=headers)
        assert refused.status_code == 422, (tag, refused.get_data(as_text=True))
    vocabulary["concepts"][0]["alt_labels"] = {"fr-BE": ["B"], "de-CH-1996": ["C"]}
    created = client.put("/api/vocabularies/langs", json=vocabulary, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    for path in ("/catalogue.ttl", "/catalogue.jsonld", "/dcat.ttl", "/dcat.jsonld",
                 "/vocabularies/langs.ttl"):
        assert client.get(path).status_code == 200, path
    answer = client.get("/sparql", query_string={
        "query": "ASK { ?s ?p \"Langues (SKOS)\"@fr }"})
    assert answer.status_code == 200 and answer.get_json()["boolean"] is True
