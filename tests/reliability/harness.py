"""What the reliability tests share: real gunicorn servers, writer threads, store checks.

A server is `gunicorn 'registry:create_app()'` started in a session of its own, bound to
127.0.0.1 on a free port, so that a test can SIGKILL the master and every worker at once
(the whole process group), as a power cut or the OOM killer would. Writers are threads,
each with its own HTTP/1.1 connection, that read a record, change it and PUT it back
with If-Match, keeping a ledger of every write the server acknowledged. The checks read
the store directly (SQLAlchemy, and sqlite3 for SQLite's own integrity check), never
through the server whose crash they judge.
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from tests.helpers import AS_OF  # the date the example sheets are valid on

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HOST = "127.0.0.1"
PG_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
# Generous on purpose: a cold start of several workers on a loaded 2-core CI machine
# can take tens of seconds. Nothing is ever asserted about how long anything took.
READY_TIMEOUT = 300.0
REQUEST_TIMEOUT = 120.0
AUTHOR_PREFIX = "reliability "  # the name of every token the tests create

PROJECTS = ("ev-charging-map", "mobility-data-hub", "smart-waste-containers")
STANDARDS = ("gtfs", "ngsi-ld", "ocpi")


class ServerFailed(RuntimeError):
    """The server did not start, or died on its own."""


# -- databases ---------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """An empty database of one test: a SQLite file or a PostgreSQL schema."""

    backend: str
    url: str  # what the checks connect with
    path: Path | None = None  # the SQLite file
    schema: str | None = None  # the PostgreSQL schema
    application_name: str | None = None  # names the server's PostgreSQL sessions

    @property
    def server_url(self) -> str:
        """Return the URL the server uses (its PostgreSQL sessions carry a name of their own)."""
        if self.application_name:
            return f"{self.url}&application_name={self.application_name}"
        return self.url

    def engine(self) -> Engine:
        """Return an engine for the checks, holding no connection between uses."""
        return create_engine(self.url, poolclass=NullPool)


def _pg_admin() -> Engine:
    return create_engine(PG_URL, poolclass=NullPool)


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[Database]:
    """Yield an empty database of the backend, and remove it afterwards."""
    if backend == "sqlite":
        path = folder / "registry.sqlite"
        yield Database("sqlite", f"sqlite:///{path}", path=path)
        return
    if not PG_URL:
        raise RuntimeError("REGISTRY_TEST_DATABASE_URL is not set")
    # One schema per test, as tests/conftest.py does, so tests never see each other.
    schema = "rel_" + uuid.uuid4().hex[:16]
    admin = _pg_admin()
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    database = Database("postgresql", f"{PG_URL}{separator}options=-csearch_path%3D{schema}",
                        schema=schema, application_name=f"registry_{schema}")
    try:
        yield database
    finally:
        # A killed server's sessions may still hold locks that DROP SCHEMA would wait on.
        end_server_sessions(database)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def end_server_sessions(database: Database, timeout: float = 60.0) -> None:
    """Make PostgreSQL drop the sessions of a killed server now, not at the next TCP timeout.

    An uncommitted transaction of a killed client is rolled back either way; ending the
    sessions only frees their locks at once.
    """
    if database.backend != "postgresql":
        return
    admin = _pg_admin()
    query = text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name = :name")
    count = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
    deadline = time.monotonic() + timeout
    try:
        # Autocommit: pg_stat_activity is a snapshot that holds for a whole transaction.
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while True:
                connection.execute(query, {"name": database.application_name})
                if not connection.execute(count, {"name": database.application_name}
                                          ).scalar_one():
                    return
                if time.monotonic() > deadline:
                    return
                time.sleep(0.05)
    finally:
        admin.dispose()


@dataclass(frozen=True)
class Tokens:
    """Bearer tokens of the roles that write: architects (catalogue), the Office (projects)."""

    architect: str
    office: str

    def for_kind(self, kind: str) -> dict[str, str]:
        """Return the Authorization header that may write a record of this kind."""
        secret = self.office if kind == "project" else self.architect
        return {"Authorization": f"Bearer {secret}"}


def prepare_store(database: Database, instance: Path) -> Tokens:
    """Migrate the store, import the shipped catalogue and create the writers' tokens.

    Done once in this process before any server starts, as the README's production
    recipe does (`registry db upgrade`, `registry import`): workers preparing an empty
    store together is test_startup.py's subject, not these tests'.
    """
    from registry import create_app
    from registry.storage.tokens import create_token

    app = create_app({"DATABASE_URL": database.url, "INSTANCE_PATH": str(instance),
                      "TESTING": True})
    store = app.extensions["registry"].store
    try:
        architect, _ = create_token(store, role="architect", organisations=[],
                                    name=f"{AUTHOR_PREFIX}architect")
        office, _ = create_token(store, role="office", organisations=[],
                                 name=f"{AUTHOR_PREFIX}office")
    finally:
        store.engine.dispose()
    return Tokens(architect=architect, office=office)


# -- servers -----------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def gunicorn_command() -> list[str]:
    """Return the gunicorn of the running virtualenv, with the options every test uses."""
    candidate = Path(sys.executable).parent / "gunicorn"
    command = [str(candidate) if candidate.exists() else "gunicorn"]
    try:
        from gunicorn.config import KNOWN_SETTINGS

        # gunicorn 25+ opens a control socket in ~/.gunicorn by default, shared by every
        # server of the user: servers of parallel tests would replace each other's.
        if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
            command.append("--no-control-socket")
    except ImportError:  # pragma: no cover - gunicorn is a dependency
        pass
    return command


def stop_group(process: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> None:
    """Signal a server's process group (SIGTERM: a graceful stop) and wait for its master,
    killing the group if it lingers past a minute."""
    os.killpg(process.pid, sig)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _group_alive(pgid: int) -> bool:
    """Return True while a process of the group is still running (zombies do not count)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Server:
    """A gunicorn server of the registry, restartable on the same store."""

    def __init__(self, database: Database, folder: Path, workers: int) -> None:
        self.database = database
        self.folder = folder
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0
        self.logs: list[Path] = []

    def start(self) -> None:
        """Start the server and wait until /health answers 200."""
        self.port = free_port()
        self.starts += 1
        log = self.folder / f"gunicorn-{self.starts}.log"
        self.logs.append(log)
        env = {**os.environ, "REGISTRY_DATABASE_URL": self.database.server_url,
               "REGISTRY_INSTANCE_PATH": str(self.folder / "instance"),
               "PYTHONUNBUFFERED": "1"}
        command = [*gunicorn_command(), "--workers", str(self.workers),
                   "--bind", f"{HOST}:{self.port}",
                   # A worker slowed by a loaded machine must not be killed by gunicorn's
                   # own watchdog: only the test kills here.
                   "--timeout", "600", "--graceful-timeout", "20",
                   "registry:create_app()"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                            stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise ServerFailed(f"gunicorn exited with status {self.process.returncode} "
                                   f"before answering /health:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
                try:
                    connection.request("GET", "/health")
                    if connection.getresponse().status == 200:
                        return
                finally:
                    connection.close()
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise ServerFailed(f"no 200 from /health within {READY_TIMEOUT:.0f} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, and wait until none runs."""
        if self.process is None:
            return
        pgid = self.process.pid
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        deadline = time.monotonic() + 60
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        end_server_sessions(self.database)

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM to the group), killing it if it lingers."""
        if self.process is None:
            return
        with suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        self.kill()

    def alive(self) -> bool:
        """Return True while the master runs."""
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 80) -> str:
        """Return the end of the current log: what to show when something went wrong."""
        if not self.logs:
            return ""
        text_ = self.logs[-1].read_text(errors="replace")
        return "\n".join(text_.splitlines()[-lines:])

    def tracebacks(self) -> str:
        """Return every traceback the server logged, over all its starts."""
        found = []
        for log in self.logs:
            text_ = log.read_text(errors="replace")
            if "Traceback" in text_:
                found.append(f"--- {log.name}\n{text_[text_.index('Traceback') - 300:]}")
        return "\n".join(found)


# -- HTTP --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body decoded as JSON."""
        return json.loads(self.body)


class Http:
    """One HTTP/1.1 connection to a server on 127.0.0.1, reopened when the server closes it."""

    def __init__(self, port: int, timeout: float = REQUEST_TIMEOUT) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        """Send a request and read the whole answer."""
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except Exception:
            self.connection.close()
            raise
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def etag_revision(etag: str) -> int:
    """Return the record revision an ETag names: `"r7-abc.c9"` is revision 7."""
    return int(etag.strip().removeprefix("W/").strip('"').split("-", 1)[0].removeprefix("r"))


# -- records and writes -------------------------------------------------------------


def example_sheet(project_id: str) -> dict[str, Any]:
    """Return an example sheet as the registry reads it (dates stay strings)."""
    from registry.documents.parse import parse_document

    parsed = parse_document((EXAMPLES / f"{project_id}.yaml").read_bytes())
    assert not parsed.findings, parsed.findings
    return parsed.value


@dataclass(frozen=True)
class Target:
    """A record the writers change: a project (YAML sheet) or a standard (JSON)."""

    kind: str
    id: str
    base: dict[str, Any] = field(compare=False, repr=False)

    @property
    def url(self) -> str:
        """Return the record's URL (projects validated as of the examples' date)."""
        if self.kind == "project":
            return f"/api/projects/{self.id}?as_of={AS_OF}"
        return f"/api/{self.kind}s/{self.id}"

    @property
    def key(self) -> tuple[str, str]:
        """Return (kind, id)."""
        return self.kind, self.id

    def payload(self, marker: str) -> tuple[bytes, str, dict[str, Any]]:
        """Return a changed record: body, media type, and the data it must be stored as."""
        data = copy.deepcopy(self.base)
        if self.kind == "project":
            data["summary"]["en"] = f"{self.base['summary']['en']} [{marker}]"
            body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
            return body, "application/yaml", data
        data["description"]["en"] = f"{self.base['description']['en']} [{marker}]"
        return json.dumps(data).encode(), "application/json", data


@dataclass(frozen=True)
class Write:
    """A write the server acknowledged: 200 or 201 with the new revision and ETag."""

    kind: str
    id: str
    revision: int
    etag: str
    data: dict[str, Any] = field(repr=False)


@dataclass
class Ledger:
    """Everything the writers sent and what the server answered, shared by threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[tuple[str, str], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list))
    acked: list[Write] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)  # of every PUT
    refused: int = 0  # 412
    cut: int = 0  # PUTs without an answer because the server was killed
    in_flight: int = 0  # PUTs sent and not yet answered
    unexpected: list[str] = field(default_factory=list)

    def add_unexpected(self, message: str) -> None:
        """Keep an answer no test expects (a 5xx, another code, a dropped connection)."""
        with self.lock:
            self.unexpected.append(message)

    def acked_since(self, start: int) -> int:
        """Return how many writes were acknowledged after the first `start`."""
        with self.lock:
            return len(self.acked) - start


def setup_targets(port: int, tokens: Tokens, ledger: Ledger) -> list[Target]:
    """Create the projects (201, acknowledged writes) and read the standards to change."""
    client = Http(port)
    targets = []
    try:
        for project_id in PROJECTS:
            target = Target("project", project_id, example_sheet(project_id))
            body = yaml.safe_dump(target.base, sort_keys=False, allow_unicode=True).encode()
            with ledger.lock:
                ledger.sent[target.key].append(target.base)
            reply = client.request("PUT", target.url, body, {
                **tokens.for_kind("project"), "Content-Type": "application/yaml",
                "If-None-Match": "*"})
            assert reply.status == 201, (reply.status, reply.body[:2000])
            with ledger.lock:
                ledger.statuses[201] += 1
                ledger.acked.append(Write("project", project_id, reply.json()["revision"],
                                          reply.headers["etag"], target.base))
            targets.append(target)
        for standard_id in STANDARDS:
            reply = client.request("GET", f"/api/standards/{standard_id}")
            assert reply.status == 200, (reply.status, reply.body[:2000])
            targets.append(Target("standard", standard_id, reply.json()["standard"]))
    finally:
        client.close()
    return targets


def write_loop(port: int, targets: list[Target], tokens: Tokens, ledger: Ledger, *,
               name: str, stop: threading.Event, killing: threading.Event | None = None,
               attempts: int | None = None, seed: int = 0) -> None:
    """Change random targets (GET, then PUT with If-Match) until `stop` or `attempts` PUTs.

    A 412 is retried once with the ETag the refusal names, as a client that rereads
    would; a 503 with Retry-After (the database busy past its bound) is a refusal too. Connection errors after `killing` is set are the kill cutting requests; any
    other error, status or dropped connection goes to `ledger.unexpected`.
    """
    rng = random.Random(seed)
    client = Http(port)
    done = 0
    try:
        while not stop.is_set() and (attempts is None or done < attempts):
            target = rng.choice(targets)
            try:
                got = client.request("GET", target.url)
            except (OSError, http.client.HTTPException) as exc:
                if killing is not None and killing.is_set():
                    return
                ledger.add_unexpected(f"GET {target.url}: connection error {exc!r}")
                time.sleep(0.05)
                continue
            if got.status != 200 or "etag" not in got.headers:
                ledger.add_unexpected(f"GET {target.url}: {got.status} {got.body[:500]!r}")
                continue
            etag = got.headers["etag"]
            for _try in range(2):  # the first attempt, and one retry after a 412
                done += 1
                marker = f"{name}-{done}"
                body, media_type, data = target.payload(marker)
                with ledger.lock:
                    ledger.sent[target.key].append(data)
                    ledger.in_flight += 1
                try:
                    reply = client.request("PUT", target.url, body, {
                        **tokens.for_kind(target.kind), "Content-Type": media_type,
                        "If-Match": etag, "X-Change-Message": marker})
                except (OSError, http.client.HTTPException) as exc:
                    with ledger.lock:
                        ledger.in_flight -= 1
                        if killing is not None and killing.is_set():
                            ledger.cut += 1
                    if killing is not None and killing.is_set():
                        return
                    ledger.add_unexpected(f"PUT {target.url}: connection error {exc!r}")
                    break
                with ledger.lock:
                    ledger.in_flight -= 1
                    ledger.statuses[reply.status] += 1
                if reply.status in (200, 201):
                    answer = reply.json()
                    write = Write(target.kind, target.id, answer["revision"],
                                  reply.headers.get("etag", ""), data)
                    problem = None
                    if etag_revision(write.etag) != write.revision:
                        problem = f"ETag {write.etag} names another revision"
                    elif answer[target.kind] != data:
                        problem = "the answer's record differs from what was sent"
                    with ledger.lock:
                        ledger.acked.append(write)
                    if problem:
                        ledger.add_unexpected(f"PUT {target.url} ({marker}): {problem}")
                    break
                if reply.status == 412:
                    with ledger.lock:
                        ledger.refused += 1
                    etag = reply.headers.get("etag", etag)
                    if attempts is not None and done >= attempts:
                        break
                    continue
                if reply.status == 503 and "retry-after" in reply.headers:
                    # The database stayed locked past REGISTRY_DB_BUSY_TIMEOUT (a loaded
                    # machine): refused, nothing stored, as a client would be told.
                    with ledger.lock:
                        ledger.refused += 1
                    time.sleep(0.05)
                    break
                ledger.add_unexpected(f"PUT {target.url} ({marker}): {reply.status} "
                                      f"{reply.body[:2000]!r}")
                break
    finally:
        client.close()


# -- checks ------------------------------------------------------------------------


def integrity_problems(database: Database) -> list[str]:
    """Return what the database's own integrity check finds (SQLite), or nothing."""
    if database.backend != "sqlite":
        return []
    assert database.path is not None
    connection = sqlite3.connect(database.path)
    try:
        integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    problems = [] if integrity == ["ok"] else [f"PRAGMA integrity_check: {integrity[:20]}"]
    if foreign:
        problems.append(f"PRAGMA foreign_key_check: {foreign[:20]}")
    return problems


# Consistency queries, the same on both backends: each names what it finds.
CONSISTENCY = {
    "revision without its record (orphan)":
        "SELECT v.kind, v.record_id, v.revision FROM revisions v LEFT JOIN records r "
        "ON r.kind = v.kind AND r.id = v.record_id WHERE r.id IS NULL",
    "record whose current revision is not stored":
        "SELECT r.kind, r.id, r.revision FROM records r LEFT JOIN revisions v "
        "ON v.kind = r.kind AND v.record_id = r.id AND v.revision = r.revision "
        "WHERE v.seq IS NULL",
    "revision numbers not contiguous from 1":
        "SELECT kind, record_id, min(revision), max(revision), count(*) FROM revisions "
        "GROUP BY kind, record_id HAVING min(revision) <> 1 OR max(revision) <> count(*)",
    "revision stored twice":
        "SELECT kind, record_id, revision, count(*) FROM revisions "
        "GROUP BY kind, record_id, revision HAVING count(*) > 1",
    "revision without exactly one audit event":
        "SELECT v.kind, v.record_id, v.revision, count(a.seq) FROM revisions v "
        "LEFT JOIN audit_events a ON a.kind = v.kind AND a.record_id = v.record_id "
        "AND a.revision = v.revision GROUP BY v.kind, v.record_id, v.revision "
        "HAVING count(a.seq) <> 1",
    "audit event of a revision that is not stored":
        "SELECT a.seq, a.kind, a.record_id, a.revision FROM audit_events a "
        "LEFT JOIN revisions v ON v.kind = a.kind AND v.record_id = a.record_id "
        "AND v.revision = a.revision WHERE a.revision IS NOT NULL AND v.seq IS NULL",
}


def store_problems(database: Database, ledger: Ledger) -> list[str]:
    """Return every way the store breaks its promises; empty when it keeps them all.

    Integrity (SQLite's own check), the consistency queries, then per record: its
    current data equals its latest revision's (and its digest), and against the
    ledger: every acknowledged write is stored as that revision with the data sent,
    no two acknowledged writes share a revision, and every revision the tests' tokens
    wrote holds data some writer sent (nothing stored that nobody sent).
    """
    from registry.storage.store import CATALOGUE_KINDS, digest
    from registry.storage.tables import catalogue_state, records, revisions

    problems = integrity_problems(database)
    engine = database.engine()
    try:
        with engine.connect() as connection:
            for what, query in CONSISTENCY.items():
                rows = connection.execute(text(query)).fetchall()
                problems.extend(f"{what}: {tuple(row)}" for row in rows[:20])
            current = {(r.kind, r.id): r for r in connection.execute(select(records))}
            history: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)
            for v in connection.execute(select(revisions)):
                history[(v.kind, v.record_id)][v.revision] = v
            counters = {row.id: row.version for row in connection.execute(
                select(catalogue_state.c.id, catalogue_state.c.version))}
    finally:
        engine.dispose()
    for key, record in current.items():
        latest = history.get(key, {}).get(record.revision)
        if latest is not None and latest.data != record.data:
            problems.append(f"{key}: current data differs from revision {record.revision}")
        if digest(record.data) != record.digest:
            problems.append(f"{key}: stored digest does not match the stored data")
    catalogue_revisions = sum(len(h) for k, h in history.items() if k[0] in CATALOGUE_KINDS)
    project_revisions = sum(len(h) for k, h in history.items() if k[0] == "project")
    # Every write bumps its counter in the same transaction: a lower counter means a
    # revision was committed without its bump (workers would keep a stale snapshot).
    if counters.get(1, 0) < catalogue_revisions:
        problems.append(f"catalogue counter {counters.get(1)} < {catalogue_revisions} revisions")
    if counters.get(2, 0) < project_revisions:
        problems.append(f"roadmap counter {counters.get(2)} < {project_revisions} revisions")
    with ledger.lock:
        acked = list(ledger.acked)
        sent = {k: list(v) for k, v in ledger.sent.items()}
    seen: dict[tuple[str, str, int], Write] = {}
    for write in acked:
        at = (write.kind, write.id, write.revision)
        if at in seen:
            problems.append(f"lost update: two acknowledged writes got revision {at}")
        seen[at] = write
        stored = history.get((write.kind, write.id), {}).get(write.revision)
        if stored is None:
            problems.append(f"acknowledged write lost: {at} is not stored")
        elif stored.data != write.data:
            problems.append(f"acknowledged write {at} is stored with other data")
    for key, revs in history.items():
        for number, v in revs.items():
            if v.author.startswith(AUTHOR_PREFIX) and v.data not in sent.get(key, []):
                problems.append(f"{key} revision {number} holds data nobody sent")
    return problems


def stored_revisions(database: Database) -> dict[tuple[str, str], list[int]]:
    """Return the revision numbers stored for each record."""
    from registry.storage.tables import revisions

    engine = database.engine()
    try:
        with engine.connect() as connection:
            out: dict[tuple[str, str], list[int]] = defaultdict(list)
            for kind, record_id, number in connection.execute(
                    select(revisions.c.kind, revisions.c.record_id, revisions.c.revision)
                    .order_by(revisions.c.revision)):
                out[(kind, record_id)].append(number)
            return dict(out)
    finally:
        engine.dispose()


def audit_count(database: Database) -> int:
    """Return how many audit events are stored."""
    engine = database.engine()
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    finally:
        engine.dispose()


def report(problems: list[str], server: Server | None = None, limit: int = 40) -> str:
    """Return an assertion message: the problems, then the server's tracebacks."""
    lines = [f"{len(problems)} problem(s):", *problems[:limit]]
    if server is not None:
        lines.append(server.tracebacks() or "(no traceback in the server's logs)")
    return "\n".join(lines)
