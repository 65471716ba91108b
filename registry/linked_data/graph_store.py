"""An external SPARQL store: where it answers, and the plain HTTP it is spoken to in.

No Flask and no library beyond the standard one: the registry only needs two protocols
of any store, the SPARQL 1.1 Query protocol (a POST of `query=`) and the SPARQL 1.1
Graph Store Protocol (PUT and DELETE of one named graph, `?graph=IRI`), so nothing
store-specific is assumed. The store must answer queries over the union of its named
graphs (Oxigraph `--union-default-graph`, see README "An external SPARQL store"): the
registry writes one named graph per record and refuses FROM, so that union is the
default graph every query reads.

Settings (REGISTRY_ prefix, see registry.config):

* SPARQL_STORE_URL: the query endpoint; setting it turns the external store on.
* SPARQL_STORE_GRAPH_URL: the graph store endpoint; by default the query URL with its
  last path segment `query` replaced by `store` (Oxigraph's layout).
* SPARQL_STORE_GRAPH_PARAM: the parameter naming the graph (`graph` in the protocol).
* SPARQL_STORE_USER / SPARQL_STORE_PASSWORD: HTTP basic credentials, if the store asks.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

# The graph a record's triples are written to: its IRI with this fragment. Record IRIs
# never hold a "#" (ids are percent-encoded path segments), so no graph name can be
# mistaken for a record, and a concept "graph" under a scheme cannot collide with it.
GRAPH_FRAGMENT = "#graph"


class StoreSettingError(ValueError):
    """The external store's settings are unusable (said at start, not at first use)."""


class StoreUnavailable(Exception):
    """The store could not be reached, or answered with a server error."""


class StoreRefused(Exception):
    """The store answered a request with a client error (its message is kept)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def graph_iri(record_iri: str) -> str:
    """Return the named graph holding a record's triples (documented in the README)."""
    return record_iri + GRAPH_FRAGMENT


@dataclass(frozen=True)
class StoreEndpoints:
    """Where the store answers queries and takes graphs."""

    query_url: str
    graph_url: str
    graph_param: str = "graph"
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> StoreEndpoints | None:
        """Return the endpoints the settings name, None when no store is set."""
        query_url = (settings.get("SPARQL_STORE_URL") or "").strip()
        if not query_url:
            return None
        graph_url = (settings.get("SPARQL_STORE_GRAPH_URL") or "").strip()
        if not graph_url:
            head, _, last = query_url.rstrip("/").rpartition("/")
            if last != "query":
                raise StoreSettingError(
                    "REGISTRY_SPARQL_STORE_GRAPH_URL is needed: the graph store endpoint "
                    f"of {query_url} cannot be guessed (only an Oxigraph-style URL ending "
                    "in /query is completed with /store)")
            graph_url = head + "/store"
        for name, url in (("SPARQL_STORE_URL", query_url), ("SPARQL_STORE_GRAPH_URL",
                                                             graph_url)):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise StoreSettingError(f"REGISTRY_{name} must be an http:// or https:// "
                                        f"URL, not {url!r}")
        return cls(query_url, graph_url,
                   (settings.get("SPARQL_STORE_GRAPH_PARAM") or "graph").strip(),
                   settings.get("SPARQL_STORE_USER") or "",
                   settings.get("SPARQL_STORE_PASSWORD") or "")

    def as_dict(self) -> dict[str, str]:
        """Return the endpoints as a picklable message (sent to SPARQL workers)."""
        return {"query_url": self.query_url, "graph_url": self.graph_url,
                "graph_param": self.graph_param, "user": self.user,
                "password": self.password}

    def headers(self) -> dict[str, str]:
        """Return the headers every request carries (credentials, if any)."""
        if not self.user:
            return {}
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}


class HttpClient:
    """Keep-alive HTTP connections, one per thread and host, reopened after a failure.

    A record write costs the writer one PUT: over a kept connection that is one round
    trip, not a TCP handshake each (10,000 graphs are pushed after a store is wiped).
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()  # of every thread, for close()

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = \
            self._local.__dict__.setdefault("pool", {})
        connection = pool.get((scheme, netloc))
        if connection is not None and connection not in self._open:
            connection = None  # closed by close(): never let http.client reopen it unseen
        if connection is None:
            kind = http.client.HTTPSConnection if scheme == "https" else \
                http.client.HTTPConnection
            connection = kind(netloc, timeout=self.timeout)
            pool[(scheme, netloc)] = connection
            with self._lock:
                self._open.add(connection)
        return connection

    def _drop(self, scheme: str, netloc: str) -> None:
        pool = self._local.__dict__.get("pool", {})
        connection = pool.pop((scheme, netloc), None)
        if connection is not None:
            connection.close()
            with self._lock:
                self._open.discard(connection)

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        """Send a request and return (status, body); raise StoreUnavailable when unreachable.

        Every request the registry sends is idempotent (PUT, DELETE, a query), so one
        that failed on a kept connection the server had closed is sent once more.
        """
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        for attempt in (1, 2):
            connection = self._connection(parts.scheme, parts.netloc)
            try:
                connection.request(method, target, body=body, headers=dict(headers or {}))
                response = connection.getresponse()
                data = response.read()
                if response.will_close:
                    self._drop(parts.scheme, parts.netloc)
                return response.status, data
            except (OSError, http.client.HTTPException) as exc:
                self._drop(parts.scheme, parts.netloc)
                if attempt == 2 or not isinstance(
                        exc, http.client.RemoteDisconnected | ConnectionResetError
                        | BrokenPipeError):
                    raise StoreUnavailable(f"{method} {parts.netloc}: {exc}") from exc
        raise AssertionError("not reached")

    def close(self) -> None:
        """Close every connection (of every thread; a thread's next request reopens one)."""
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()


class GraphStore:
    """The operations the writer needs: replace or delete a named graph, and ask."""

    def __init__(self, endpoints: StoreEndpoints, timeout: float = 30.0) -> None:
        self.endpoints = endpoints
        self.http = HttpClient(timeout)

    def _graph_url(self, iri: str) -> str:
        url = self.endpoints.graph_url
        joiner = "&" if "?" in url else "?"
        return url + joiner + urlencode({self.endpoints.graph_param: iri})

    def _check(self, what: str, status: int, body: bytes) -> None:
        if status >= 500:
            raise StoreUnavailable(f"{what}: the store answered {status}: "
                                   f"{body[:300].decode('utf-8', 'replace')}")
        if status >= 400:
            raise StoreRefused(status, f"{what}: the store answered {status}: "
                               f"{body[:300].decode('utf-8', 'replace')}")

    def put(self, iri: str, ntriples: bytes) -> None:
        """Replace a named graph with these N-Triples (created when it does not exist)."""
        headers = {"Content-Type": "application/n-triples", **self.endpoints.headers()}
        status, body = self.http.request("PUT", self._graph_url(iri), ntriples, headers)
        self._check(f"PUT <{iri}>", status, body)

    def delete(self, iri: str) -> None:
        """Delete a named graph (a graph already gone is not an error)."""
        status, body = self.http.request("DELETE", self._graph_url(iri), None,
                                         self.endpoints.headers())
        if status != 404:
            self._check(f"DELETE <{iri}>", status, body)

    def select(self, query: str) -> list[dict[str, Any]]:
        """Run a SELECT (or ASK) of the registry's own and return its JSON bindings."""
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json", **self.endpoints.headers()}
        status, body = self.http.request("POST", self.endpoints.query_url,
                                         urlencode({"query": query}).encode(), headers)
        self._check("query", status, body)
        data = orjson.loads(body)
        if "boolean" in data:
            return [{"boolean": data["boolean"]}]
        return data["results"]["bindings"]  # type: ignore[no-any-return]

    def has_graph(self, iri: str) -> bool:
        """Return whether the store holds a non-empty named graph."""
        return bool(self.select(f"ASK {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")[0]["boolean"])

    def graphs(self) -> Iterator[str]:
        """Yield the names of the store's non-empty named graphs."""
        for row in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            if row.get("g", {}).get("type") == "uri":
                yield row["g"]["value"]

    def close(self) -> None:
        """Close the connections."""
        with contextlib.suppress(Exception):
            self.http.close()
