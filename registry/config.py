"""Settings as data: name, default and help; REGISTRY_* environment variables override."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One documented setting."""

    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        """Return the environment variable that overrides the setting."""
        return f"REGISTRY_{self.name}"


SETTINGS: tuple[Setting, ...] = (
    Setting("INSTANCE_PATH", None,
            "Folder of the instance's own files (the default SQLite store); default: "
            "instance/ in a source checkout, else <prefix>/var/registry-instance."),
    Setting("DATABASE_URL", None,
            "SQLAlchemy URL of the store; default: SQLite file registry.sqlite in the "
            "instance folder. PostgreSQL: postgresql+psycopg://user@host/db."),
    Setting("BASE_IRI", None,
            "Base of every record's IRI; required in production. Without it (development "
            "only) the request's root URL is the base and such answers are not cached."),
    Setting("SNAPSHOT_TTL", 1.0,
            "Seconds a worker serves its snapshot before asking the change feed for news "
            "when it is not listening (SQLite, or PostgreSQL while LISTEN is down; 0 asks "
            "on every request). On PostgreSQL workers learn of writes by LISTEN/NOTIFY."),
    Setting("REUSE_OVERLAP_WAIT", 0.0,
            "Seconds a reuse answer waits, after a write, for the overlap analysis to be "
            "recomputed (it weighs features by their rarity in the whole roadmap, so it is "
            "recomputed in full, in the background); past that it shows the overlaps of "
            "the last version they were computed for and says which."),
    Setting("REUSE_OVERLAP_JOB", False,
            "Web workers take the reuse overlaps from the overlap job (`registry overlaps`, "
            "which `registry serve --production` starts beside its workers: one computes "
            "them for every worker of every server) instead of each computing its own. "
            "On with `serve --production`."),
    Setting("MIN_VERSION_WAIT", 2.0,
            "Seconds a read carrying Registry-Min-Version may wait for this worker to "
            "reach that version before it answers 503 with Retry-After."),
    Setting("DB_BUSY_TIMEOUT", 5.0,
            "Seconds a write waits for a lock held by another writer (SQLite busy timeout, "
            "PostgreSQL lock_timeout) before the answer is 503 with Retry-After."),
    Setting("DB_STATEMENT_TIMEOUT", 15.0,
            "Seconds a PostgreSQL statement may run (statement_timeout) before the answer "
            "is 503 with Retry-After."),
    Setting("DB_CONNECT_TIMEOUT", 5.0,
            "Seconds to wait for a new PostgreSQL connection, and for a free pooled one."),
    Setting("HEALTH_TIMEOUT", 2.0,
            "Seconds /health waits for the database to answer a read before it answers "
            "503 (not ready)."),
    Setting("AUTO_MIGRATE", True,
            "Apply pending database migrations on start; in production turn it off and "
            "run `registry db upgrade` once before starting the workers."),
    Setting("AUTO_IMPORT", True,
            "Import the shipped catalogue on start when the store holds no record."),
    Setting("LOAD_EXAMPLES", True,
            "With AUTO_IMPORT, also load the example roadmap (examples/) into an empty "
            "store, marked as examples (`registry projects remove --examples` takes them "
            "out); never in production mode."),
    Setting("MAX_UPLOAD_BYTES", 1024 * 1024,
            "Largest request body (a sheet or a catalogue record) accepted, in bytes."),
    Setting("MAX_PER_PAGE", 500, "Largest page size of list endpoints."),
    Setting("RESPONSE_CACHE_MB", 32,
            "MiB of public answers each web process keeps and serves again until the "
            "catalogue or roadmap changes (0: off)."),
    Setting("CACHE_MAX_AGE", 60, "Seconds clients may cache answers that only change with a "
            "new release (the OpenAPI document); every other read is no-cache with an "
            "ETag, since a write can change it at any moment."),
    Setting("SECRET_KEY", None, "Key that signs cookies and forms; required in production "
            "(32 or more random characters)."),
    Setting("PRODUCTION", False,
            "Production mode: refuse to start with debug on, a missing or weak secret key "
            "or pending migrations; cookies are Secure."),
    Setting("AUTH_FAILURE_LIMIT", 10,
            "Failed authentications allowed per client address in the window before 429."),
    Setting("AUTH_FAILURE_WINDOW", 60.0,
            "Seconds of the failed-authentication window (and the longest Retry-After)."),
    Setting("SPARQL_TIMEOUT", 10.0,
            "Seconds a SPARQL query may run; past that its worker process is stopped and "
            "the answer is 503 (query-timeout)."),
    Setting("SPARQL_MAX_ROWS", 10000,
            "Most rows (or triples) a SPARQL answer holds; longer answers are cut and "
            "marked with the header X-Result-Truncated."),
    Setting("SPARQL_WORKERS", 2,
            "SPARQL worker processes per web process (each holds the derived graph)."),
    Setting("SPARQL_SHARED_POOL", False,
            "With `serve --production` (or its --sparql-shared-pool): one SPARQL process "
            "for the whole server, holding one store, instead of a pool in each web worker "
            "(half the memory at 10,000 projects, but a write reaches its SPARQL answers "
            "later: bench/README.md, \"One SPARQL pool per server\"). Off by default."),
    Setting("SPARQL_QUEUE", 4,
            "SPARQL queries that may wait for a busy worker, per web process; past that "
            "a query is answered 503 with Retry-After at once."),
    Setting("SPARQL_MAX_MEMORY_MB", 0,
            "Address-space limit of each SPARQL worker in MiB (0: none); a query that "
            "needs more stops its worker alone."),
    Setting("SPARQL_STORE_URL", "",
            "Query endpoint (SPARQL 1.1 Query protocol) of an external SPARQL store; set, "
            "the derived graph is written to it (one named graph per record) and /sparql "
            "forwards queries to it. Empty: the embedded Oxigraph answers."),
    Setting("SPARQL_STORE_GRAPH_URL", "",
            "Graph store endpoint (SPARQL 1.1 Graph Store Protocol) of the external store; "
            "default: the query URL with its last segment `query` replaced by `store` "
            "(Oxigraph)."),
    Setting("SPARQL_STORE_GRAPH_PARAM", "graph",
            "Query parameter naming the graph at the graph store endpoint."),
    Setting("SPARQL_STORE_USER", "",
            "User for HTTP basic authentication to the external store (empty: none)."),
    Setting("SPARQL_STORE_PASSWORD", "",
            "Password for HTTP basic authentication to the external store."),
    Setting("SPARQL_STORE_INTERVAL", 0.1,
            "Seconds the store writer waits at most between two rounds (each pushes every "
            "change since the last); on PostgreSQL it pushes as soon as a write is "
            "announced."),
    Setting("SPARQL_STORE_WRITER", True,
            "Whether this process takes part in writing the external store (one writer at "
            "a time across every process, by a lock); off, it only forwards queries."),
    Setting("IMPORT_MAX_BYTES", 20 * 1024 * 1024,
            "Largest file `registry vocab import` and `registry components "
            "import-publiccode` read, in bytes."),
    Setting("DCAT_PUBLISHER", "Smart City Office, Brussels-Capital Region",
            "Name of the publisher in the DCAT-AP description (/dcat.ttl)."),
    Setting("DCAT_LICENCE", "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
            "Licence of the published data: an IRI of the EU licence authority table."),
    Setting("DCAT_PUBLISHER_IRI", "",
            "IRI of the publisher in the EU corporate-bodies authority table, where it has "
            "one (empty: the publisher is described in /dcat.ttl itself)."),
    Setting("DCAT_PUBLISHER_TYPE", "RegionalAuthority",
            "Type of the publisher: a code of the ADMS publisher-type table "
            "(http://purl.org/adms/publishertype/)."),
    # Who runs this registry, as the legal notice, privacy notice and accessibility
    # statement name them: a deployment sets its own.
    Setting("OPERATOR_NAME", "Smart City Office, Brussels-Capital Region",
            "Public body that runs the registry (legal notice, privacy notice, "
            "accessibility statement)."),
    Setting("OPERATOR_ADDRESS", "",
            "Postal address of the operator, shown in the legal notice (empty: not shown)."),
    Setting("OPERATOR_ID", "",
            "Enterprise number of the operator (BCE/KBO), shown in the legal notice "
            "(empty: not shown)."),
    Setting("CONTACT_EMAIL", "smartcity@example.brussels",
            "General contact address of the registry (legal notice, footer pages)."),
    Setting("ACCESSIBILITY_EMAIL", "accessibility@example.brussels",
            "Where visitors report accessibility problems or ask for content in another "
            "form (accessibility statement)."),
    Setting("PRIVACY_EMAIL", "dpo@example.brussels",
            "Contact of the data protection officer (privacy notice)."),
    Setting("ACCESSIBILITY_REVIEWED", "2026-12-06",
            "Date (YYYY-MM-DD) the accessibility statement was prepared or last reviewed."),
    Setting("ACCESSIBILITY_ENFORCEMENT_URL", "https://www.ombudsman.brussels",
            "Body to turn to when an accessibility request gets no satisfactory answer "
            "(enforcement procedure of Directive (EU) 2016/2102)."),
)

def _reuse_settings() -> tuple[Setting, ...]:
    """Return a REGISTRY_REUSE_* setting for each numeric threshold of the reuse analysis."""
    from dataclasses import fields

    from registry.analysis.reuse import Thresholds

    return tuple(Setting(f"REUSE_{f.name.upper()}", f.default, f.metadata["help"])
                 for f in fields(Thresholds) if isinstance(f.default, int | float))


SETTINGS = SETTINGS + _reuse_settings()
_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load(overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: defaults, then REGISTRY_* environment, then overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = environ.get(s.env)
        try:
            values[s.name] = s.default if raw in (None, "") else _coerce(s.default, raw)
        except ValueError as exc:
            raise ValueError(f"{s.env}={raw!r} is not valid: {s.help}") from exc
    for key, value in (overrides or {}).items():
        name = key.removeprefix("REGISTRY_")
        if name in _BY_NAME:
            values[name] = value
    return values


def instance_path(settings: Mapping[str, Any]) -> str:
    """Return the instance folder: the setting, else Flask's convention for this package."""
    if settings.get("INSTANCE_PATH"):
        return str(settings["INSTANCE_PATH"])
    package = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.dirname(package)
    if os.path.exists(os.path.join(checkout, "pyproject.toml")):
        return os.path.join(checkout, "instance")
    import sys

    return os.path.join(sys.prefix, "var", "registry-instance")
