"""The store: records with revisions and audit events, one transaction per write."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.pool import NullPool

from registry.catalogue.records import KINDS
from registry.catalogue.snapshot import Catalogue
from registry.storage import schema_chain
from registry.storage.tables import audit_events, catalogue_state, records, revisions
from registry.storage.trouble import Timeouts

if TYPE_CHECKING:  # imported where migrations run: a server's check needs none of it
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CATALOGUE_KINDS = tuple(KINDS)
CATALOGUE_STATE = 1
ROADMAP_STATE = 2
# PostgreSQL: the channel every write notifies at commit (registry.readmodel listens), and
# the advisory lock that makes revisions commit in the order of their sequence numbers.
CHANGE_CHANNEL = "registry_changes"
FEED_LOCK = 7301955
PING_IDLE = 1.0  # seconds a pooled PostgreSQL connection may lie idle untested


class SchemaTooNew(Exception):
    """The database was migrated by a newer registry: this code does not know its schema."""


class NotFound(Exception):
    """No record of that kind and id."""


class Conflict(Exception):
    """The record already exists (a create met an existing record)."""

    def __init__(self, current: StoredRecord) -> None:
        super().__init__(f"{current.kind} {current.id} already exists")
        self.current = current


class PreconditionFailed(Exception):
    """The caller's revision (If-Match) is not the current one."""

    def __init__(self, current: StoredRecord | None) -> None:
        super().__init__("the record changed since it was read")
        self.current = current


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored: its data and its current revision."""

    kind: str
    id: str
    data: dict[str, Any]
    revision: int
    digest: str
    updated_at: datetime
    updated_by: str
    # The change-feed position of the revision a write made (None when read back).
    seq: int | None = None

    @property
    def etag(self) -> str:
        """Return the strong entity tag of this revision."""
        return f'"{self.revision}-{self.digest[:16]}"'


@dataclass(frozen=True)
class Change:
    """One revision as the change feed gives it: its place in the sequence and its data."""

    seq: int
    kind: str
    record_id: str
    revision: int
    action: str
    data: dict[str, Any] | None  # None: the record was deleted
    author: str
    created_at: datetime


@dataclass(frozen=True)
class ImportResult:
    """What an import did, per kind: created, updated and unchanged counts."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]

    @property
    def changed(self) -> int:
        """Return the number of records created or updated."""
        return sum(self.created.values()) + sum(self.updated.values())


def digest(data: Mapping[str, Any]) -> str:
    """Return a content hash of a record, independent of key order."""
    return hashlib.sha1(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _json_text(data: Any) -> str:
    return orjson.dumps(data).decode()


def feed_order(connection: Connection) -> None:
    """Call before numbering a revision: revisions then commit in `seq` order.

    The change feed is read as "revisions after seq N": a revision must never become
    visible after one with a higher seq, or a reader that moved past it would miss it.
    On PostgreSQL sequence numbers are handed out in the order writers take this lock,
    which they hold until commit (SQLite has a single writer already). NOTIFY is
    delivered at commit; an empty payload is sent once per transaction however many
    revisions it wrote.
    """
    if connection.dialect.name == "postgresql":
        # Keyed by schema too: the feed is a schema's revisions table, and registries
        # (or test runs) in other schemas of the same database must not queue behind it.
        # One statement for both (pg_notify is NOTIFY as a function): the lock is held
        # to commit, so every round trip after it is one more wait for the next writer.
        connection.exec_driver_sql(
            f"SELECT pg_advisory_xact_lock({FEED_LOCK}, hashtext(current_schema())), "
            f"pg_notify('{CHANGE_CHANNEL}', '')")


def default_url(instance_path: str | Path) -> str:
    """Return the SQLite URL of the default store in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'registry.sqlite'}"


def make_engine(url: str, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys.

    Every wait on the database is bounded by `timeouts`: SQLite's busy timeout,
    PostgreSQL's lock_timeout, statement_timeout and connect_timeout, and the time a
    request waits for a pooled connection.
    """
    timeouts = timeouts or Timeouts()
    busy_ms = max(1, int(timeouts.busy * 1000))
    if url.startswith("sqlite"):
        # Each thread and process opens its own connection: SQLite connections are cheap
        # and WAL lets readers run beside the one writer.
        engine = create_engine(url, poolclass=NullPool, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control from pysqlite, which begins a transaction only at
            # the first write: a savepoint before it would commit on its own, and a
            # record could land without its revision.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # Writers take the write lock at once (IMMEDIATE): a transaction that read
            # first and then tried to write would fail at once in WAL mode instead of
            # waiting for the other writer.
            immediate = connection.get_execution_options().get("write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if "psycopg" in url:
        from psycopg.types.json import set_json_dumps, set_json_loads

        # orjson decodes JSONB several times faster than the standard library: it is
        # what a cold roadmap snapshot of thousands of projects mostly spends its time on.
        set_json_loads(orjson.loads)
        set_json_dumps(lambda obj: orjson.dumps(obj).decode())
    postgresql = url.startswith("postgresql")
    if postgresql:
        kwargs["connect_args"] = {"connect_timeout": max(1, round(timeouts.connect)),
                                  **kwargs.get("connect_args", {})}
    kwargs.setdefault("pool_timeout", timeouts.connect)
    engine = create_engine(url, json_serializer=_json_text,
                           json_deserializer=orjson.loads, **kwargs)
    _ping_when_idle(engine)
    if postgresql:
        statement_ms = max(1, int(timeouts.statement * 1000))

        @event.listens_for(engine, "connect")
        def _limits(dbapi_connection: Any, _record: Any) -> None:
            # Session settings, outside any transaction (a rollback would undo them);
            # not connection options, which would replace the URL's own `options`.
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {busy_ms}")
                cursor.execute(f"SET statement_timeout = {statement_ms}")
            dbapi_connection.autocommit = autocommit

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use when it lay idle PING_IDLE seconds or more.

    SQLAlchemy's pool_pre_ping tests it at every check-out: two round trips (BEGIN,
    SELECT 1) before each request's first statement, which under load each wait for the
    interpreter lock again. A connection used within the last PING_IDLE seconds is taken
    as alive; one that lay idle longer (the database may have restarted meanwhile) is
    tested, and a dead one replaced, as pool_pre_ping does. A connection that dies while
    in steady use fails its statement (503, database-unavailable) and the pool drops
    every connection made before it.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_IDLE:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping's transaction
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # The pool discards this connection and checks out another.
                raise DisconnectionError(str(exc)) from exc
            raise


class Store:
    """Records, their revisions and the audit trail in one SQL database."""

    def __init__(self, url: str, engine: Engine | None = None,
                 timeouts: Timeouts | None = None) -> None:
        self.url = url
        self.timeouts = timeouts or Timeouts()
        self.engine = engine or make_engine(url, self.timeouts)
        # Set when a request found the file damaged: /health then reports it.
        self.damaged: str | None = None

    # -- schema -----------------------------------------------------------------

    def _alembic(self, connection: Connection) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def script(self) -> ScriptDirectory:
        """Return the migrations this code knows (the Alembic script directory)."""
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return ScriptDirectory.from_config(config)

    def schema_revision(self, connection: Connection | None = None) -> str | None:
        """Return the database's migration revision (None for a database without one).

        Raises SchemaTooNew when a newer registry migrated it: this code must not touch
        a schema it does not know.
        """
        if connection is None:
            with self.engine.connect() as own:
                return self.schema_revision(own)
        heads = schema_chain.current_heads(connection)
        for head in heads:
            if not self.knows_revision(head):
                raise SchemaTooNew(
                    f"the database is at schema revision {head}, which this registry "
                    f"(migrations up to {schema_chain.chain()[-1]}) does not know: it "
                    "was upgraded by a newer registry; run that version (or newer)")
        return heads[0] if heads else None

    def knows_revision(self, revision: str) -> bool:
        """Return whether `revision` is one of this code's migrations."""
        return revision in schema_chain.chain()

    def pending_migrations(self) -> list[str]:
        """Return the migrations not yet applied to the database, oldest first.

        Without Alembic (`schema_chain`): the production server's master asks this
        before forking its workers.
        """
        with self.engine.connect() as connection:
            head = self.schema_revision(connection)
        known = schema_chain.chain()
        return list(known[known.index(head) + 1:] if head else known)

    def integrity_problems(self, limit: int = 5) -> list[str]:
        """Return what SQLite's quick check finds wrong with the file (PostgreSQL: none).

        A damaged page would otherwise surface as a failure of whichever request
        happens to read it; the registry refuses to start on such a file instead.
        """
        if self.engine.dialect.name != "sqlite":
            return []
        try:
            with self.engine.connect() as connection:
                rows = connection.exec_driver_sql(f"PRAGMA quick_check({int(limit)})").all()
        except Exception as exc:  # noqa: BLE001 - a file SQLite cannot even read is damaged
            return [str(getattr(exc, "orig", exc))]
        found = [str(row[0]) for row in rows]
        return [] if found == ["ok"] else found

    @contextlib.contextmanager
    def writing(self, bulk: bool = False) -> Iterator[Connection]:
        """Open one write transaction (on SQLite, holding the write lock from the start).

        `bulk` (imports, migrations: the command line and start-up, not a request) waits
        for locks as long as it takes on PostgreSQL instead of giving up at the
        request bounds of REGISTRY_DB_BUSY_TIMEOUT and REGISTRY_DB_STATEMENT_TIMEOUT.
        """
        with self.engine.connect().execution_options(write=True) as connection, \
                connection.begin():
            if bulk and connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            yield connection

    def migrate(self, target: str = "head") -> None:
        """Apply every pending migration; concurrent callers (workers starting) take turns.

        Raises SchemaTooNew, changing nothing, on a database migrated by a newer registry.
        """
        with self._migration_lock(), self.writing(bulk=True) as connection:
            self.migrate_in(connection, target)

    def migrate_in(self, connection: Connection, target: str = "head") -> None:
        """Migrate up (or down) to `target` inside the caller's write transaction."""
        if connection.dialect.name == "postgresql":
            # Held until the transaction ends: the second worker then finds the
            # schema current instead of racing to create the same tables.
            connection.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(7301954, hashtext(current_schema()))")
        current = self.schema_revision(connection)
        script = self.script()
        wanted = script.get_revision(target)
        below = {r.revision for r in script.iterate_revisions(wanted.revision, "base")} \
            if wanted is not None else set()
        if current is None or wanted is None or current in below:
            from alembic import command

            command.upgrade(self._alembic(connection), target)
        else:  # the database is past the target (a restore into a newer empty schema)
            from alembic import command

            command.downgrade(self._alembic(connection), target)

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        if not database or database == ":memory:":
            yield
            return
        import fcntl

        with open(f"{database}.migrate-lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- reads ------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """Open a connection for reads that need no transaction around them (one statement).

        On PostgreSQL it runs in autocommit: no BEGIN before the statement and no ROLLBACK
        when the connection goes back to the pool, two round trips fewer for the reads
        every request and every catch-up makes (the token, the record, the change feed).
        """
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    def version(self, state: int) -> int:
        """Return a change counter: CATALOGUE_STATE or ROADMAP_STATE."""
        with self.reading() as connection:
            return connection.execute(
                select(catalogue_state.c.version).where(catalogue_state.c.id == state)
            ).scalar_one()

    def head(self) -> int:
        """Return the sequence number of the latest revision (0 when there is none)."""
        with self.reading() as connection:
            return connection.execute(select(func.max(revisions.c.seq))).scalar() or 0

    def changes_since(self, seq: int, limit: int | None = None) -> list[Change]:
        """Return the revisions written after `seq`, oldest first (the change feed)."""
        query = (select(revisions.c.seq, revisions.c.kind, revisions.c.record_id,
                        revisions.c.revision, revisions.c.action, revisions.c.data,
                        revisions.c.author, revisions.c.created_at)
                 .where(revisions.c.seq > seq).order_by(revisions.c.seq))
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as connection:
            return [Change(*row) for row in connection.execute(query)]

    def history(self, kind: str, record_ids: Iterable[str] | None = None
                ) -> Iterator[Change]:
        """Yield the revisions of a kind (of some records), by record then revision.

        One query whatever the number of records: the indicators' monthly history reads
        every project's revisions at once, never one query per project.
        """
        query = (select(revisions.c.seq, revisions.c.kind, revisions.c.record_id,
                        revisions.c.revision, revisions.c.action, revisions.c.data,
                        revisions.c.author, revisions.c.created_at)
                 .where(revisions.c.kind == kind)
                 .order_by(revisions.c.record_id, revisions.c.revision))
        ids = None if record_ids is None else sorted(set(record_ids))
        with self.engine.connect() as connection:
            if ids is None:
                for row in connection.execution_options(yield_per=2000).execute(query):
                    yield Change(*row)
                return
            for start in range(0, len(ids), 1000):  # bounded IN lists
                chunk = ids[start:start + 1000]
                for row in connection.execute(query.where(revisions.c.record_id.in_(chunk))):
                    yield Change(*row)

    @contextlib.contextmanager
    def consistent_read(self) -> Iterator[Connection]:
        """Open a read transaction that sees one committed state of every table."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection

    def catalogue_version(self) -> int:
        """Return the catalogue's revision counter (bumped by every catalogue write)."""
        return self.version(CATALOGUE_STATE)

    def get(self, kind: str, record_id: str) -> StoredRecord:
        """Return a record, or raise NotFound."""
        with self.reading() as connection:
            found = self._get(connection, kind, record_id)
        if found is None:
            raise NotFound(f"{kind} {record_id}")
        return found

    @staticmethod
    def _get(connection: Connection, kind: str, record_id: str) -> StoredRecord | None:
        row = connection.execute(
            select(records).where(and_(records.c.kind == kind, records.c.id == record_id))
        ).first()
        return None if row is None else StoredRecord(**row._mapping)

    def all(self, kind: str) -> list[StoredRecord]:
        """Return every record of a kind, by id."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(records).where(records.c.kind == kind).order_by(records.c.id))
            return [StoredRecord(**row._mapping) for row in rows]

    def count(self, kinds: Iterable[str] = CATALOGUE_KINDS) -> int:
        """Return how many records of these kinds are stored."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(records)
                .where(records.c.kind.in_(list(kinds)))).scalar_one()

    def revisions(self, kind: str, record_id: str) -> list[dict[str, Any]]:
        """Return the revisions of a record, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(revisions)
                .where(and_(revisions.c.kind == kind, revisions.c.record_id == record_id))
                .order_by(revisions.c.revision))
            return [dict(row._mapping) for row in rows]

    def revision_spans(self, per_record: Iterable[str] = ("vocabulary",), after: int = 0,
                       upto: int | None = None
                       ) -> tuple[dict[str, tuple[datetime, datetime]],
                                  dict[tuple[str, str], tuple[datetime, datetime]]]:
        """Return when records were first and last revised: per kind, and per record of
        the kinds in `per_record` (deletions count: they change what is published).

        Only the revisions of the change feed after `after` up to `upto` (every one by
        default): a reader that holds the spans at one version reads the few revisions
        since, not the whole table again (see `registry.linked_data.service`).
        """
        first, last = func.min(revisions.c.created_at), func.max(revisions.c.created_at)
        within = [revisions.c.seq > after]
        if upto is not None:
            within.append(revisions.c.seq <= upto)
        with self.engine.connect() as connection:
            by_kind = {row.kind: (_aware(row[1]), _aware(row[2])) for row in connection.execute(
                select(revisions.c.kind, first, last).where(*within)
                .group_by(revisions.c.kind))}
            by_record = {(row.kind, row.record_id): (_aware(row[2]), _aware(row[3]))
                         for row in connection.execute(
                             select(revisions.c.kind, revisions.c.record_id, first, last)
                             .where(revisions.c.kind.in_(list(per_record)), *within)
                             .group_by(revisions.c.kind, revisions.c.record_id))}
        return by_kind, by_record

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the latest audit events, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(audit_events).order_by(audit_events.c.seq.desc()).limit(limit))
            return [dict(row._mapping) for row in rows]

    def load_catalogue(self) -> Catalogue:
        """Build the catalogue snapshot of the current stored revision."""
        with self.engine.connect() as connection:
            version = connection.execute(
                select(catalogue_state.c.version)
                .where(catalogue_state.c.id == CATALOGUE_STATE)).scalar_one()
            rows = connection.execute(
                select(records.c.kind, records.c.data)
                .where(records.c.kind.in_(CATALOGUE_KINDS)))
            by_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in CATALOGUE_KINDS}
            for kind, data in rows:
                by_kind[kind].append(data)
        return Catalogue(standards=by_kind["standard"], principles=by_kind["principle"],
                         components=by_kind["component"],
                         vocabularies=by_kind["vocabulary"], legal=by_kind["legal"],
                         version=str(version))

    def export(self, kinds: Iterable[str] = CATALOGUE_KINDS) -> dict[str, list[dict[str, Any]]]:
        """Return the current data of every record of these kinds, by kind."""
        return {kind: [r.data for r in self.all(kind)] for kind in kinds}

    # -- writes -----------------------------------------------------------------

    def put(self, kind: str, record_id: str, data: dict[str, Any], *, author: str,
            if_match: int | None = None, create_only: bool = False,
            message: str | None = None) -> StoredRecord:
        """Create or update a record as a new revision, in one transaction.

        `if_match` is the revision the caller read: the write is refused with
        PreconditionFailed when another write came first. `create_only` refuses to
        replace an existing record (Conflict).
        """
        with self.writing() as connection:
            return self._put(connection, kind, record_id, data, author=author,
                             if_match=if_match, create_only=create_only,
                             message=message, action=None)

    def _put(self, connection: Connection, kind: str, record_id: str, data: dict[str, Any],
             *, author: str, if_match: int | None, create_only: bool,
             message: str | None, action: str | None) -> StoredRecord:
        now = _now()
        new_digest = digest(data)
        if if_match is not None and not create_only:
            # An update based on a revision the caller read: the UPDATE's WHERE on that
            # revision is the check, so the record is read back only when it fails.
            revision = self._update(connection, kind, record_id, data, if_match,
                                    new_digest, now, author)
            stored = StoredRecord(kind, record_id, data, revision, new_digest, now, author)
            seq = self._history(connection, stored, action or "update", message)
            return replace(stored, seq=seq)
        current = self._get(connection, kind, record_id)
        if current is None:
            if if_match is not None:
                raise PreconditionFailed(None)
            # A record created again after a delete continues its history: revision
            # numbers (and so ETags) are never reused for different content.
            first = self._last_revision(connection, kind, record_id) + 1
            try:
                # A savepoint keeps a PostgreSQL transaction usable when a concurrent
                # create of the same id wins the race.
                with connection.begin_nested():
                    connection.execute(insert(records).values(
                        kind=kind, id=record_id, data=data, revision=first,
                        digest=new_digest, updated_at=now, updated_by=author))
            except IntegrityError:
                winner = self._get(connection, kind, record_id)
                if winner is None:  # pragma: no cover - the row must exist now
                    raise
                raise Conflict(winner) from None
            stored = StoredRecord(kind, record_id, data, first, new_digest, now, author)
            seq = self._history(connection, stored, action or "create", message)
            return replace(stored, seq=seq)
        if create_only:
            raise Conflict(current)
        if if_match is not None and if_match != current.revision:
            raise PreconditionFailed(current)
        revision = self._update(connection, kind, record_id, data, current.revision,
                                new_digest, now, author)
        stored = StoredRecord(kind, record_id, data, revision, new_digest, now, author)
        seq = self._history(connection, stored, action or "update", message)
        return replace(stored, seq=seq)

    def _update(self, connection: Connection, kind: str, record_id: str,
                data: dict[str, Any], base: int, new_digest: str, now: datetime,
                author: str) -> int:
        """Replace revision `base` of a record; return the new revision number.

        The WHERE on the old revision makes concurrent updates fail instead of silently
        overwriting each other, even between separate processes: PreconditionFailed
        with the record as it is now (None when it was deleted).
        """
        result = connection.execute(_UPDATE, {
            "u_kind": kind, "u_id": record_id, "u_base": base, "u_data": data,
            "u_revision": base + 1, "u_digest": new_digest, "u_at": now, "u_by": author})
        if result.rowcount != 1:
            raise PreconditionFailed(self._get(connection, kind, record_id))
        return base + 1

    @staticmethod
    def _last_revision(connection: Connection, kind: str, record_id: str) -> int:
        return connection.execute(
            select(func.max(revisions.c.revision))
            .where(and_(revisions.c.kind == kind, revisions.c.record_id == record_id))
        ).scalar() or 0

    def delete_where(self, kind: str, keep: Any, *, author: str,
                     message: str | None = None) -> list[str]:
        """Delete, in one transaction, every record of a kind for which `keep` is false.

        Each deletion is a revision (action delete, no data) and an audit event, so the
        history stays whole and a record created again continues its revision numbers.
        Returns the ids deleted.
        """
        deleted = []
        with self.writing() as connection:
            rows = connection.execute(
                select(records).where(records.c.kind == kind).order_by(records.c.id))
            for current in [StoredRecord(**row._mapping) for row in rows]:
                if keep(current):
                    continue
                connection.execute(records.delete().where(and_(
                    records.c.kind == kind, records.c.id == current.id,
                    records.c.revision == current.revision)))
                gone = StoredRecord(kind, current.id, {}, current.revision + 1, "", _now(),
                                    author)
                self._history(connection, gone, "delete", message, data=None)
                deleted.append(current.id)
        return deleted

    def _history(self, connection: Connection, stored: StoredRecord, action: str,
                 message: str | None, data: Any = ...) -> int:
        """Write the revision and the audit event of `stored`; return the revision's seq."""
        feed_order(connection)
        values = {
            "h_kind": stored.kind, "h_record_id": stored.id, "h_revision": stored.revision,
            "h_action": action, "h_data": stored.data if data is ... else data,
            "h_author": stored.updated_by, "h_message": message, "h_at": stored.updated_at,
            "h_event": f"{stored.kind}.{action}",
            "h_detail": {"message": message} if message else None,
            "h_state": CATALOGUE_STATE if stored.kind in CATALOGUE_KINDS else ROADMAP_STATE}
        if connection.dialect.name == "postgresql":
            # One statement, not three (data-modifying CTEs): the feed lock taken above
            # is held until commit, and each round trip under it delays every writer.
            return int(connection.execute(_HISTORY_IN_ONE, values).scalar_one())
        inserted = connection.execute(_REVISION, values)
        connection.execute(_AUDIT_EVENT, values)
        connection.execute(_COUNTER, values)
        # The seq came back with the insert (SQLite's last row id).
        key = inserted.inserted_primary_key
        if key is None:  # pragma: no cover - both engines return the primary key
            raise RuntimeError("the revision's seq was not returned")
        return int(key[0])

    def import_records(self, by_kind: Mapping[str, Iterable[dict[str, Any]]], *,
                       author: str, message: str | None = None) -> ImportResult:
        """Import records in one transaction; unchanged records get no new revision."""
        created: dict[str, int] = {}
        updated: dict[str, int] = {}
        unchanged: dict[str, int] = {}
        with self.writing(bulk=True) as connection:
            for kind, items in by_kind.items():
                created[kind] = updated[kind] = unchanged[kind] = 0
                for data in items:
                    current = self._get(connection, kind, data["id"])
                    if current is not None and current.digest == digest(data):
                        unchanged[kind] += 1
                        continue
                    self._put(connection, kind, data["id"], data, author=author,
                              if_match=None if current is None else current.revision,
                              create_only=False, message=message, action="import")
                    if current is None:
                        created[kind] += 1
                    else:
                        updated[kind] += 1
        return ImportResult(created, updated, unchanged)


# The write path's statements, built once: building them per write (constructs, bound
# values, the compiled-cache key) cost about as much CPU as the round trips.
_UPDATE = (
    update(records)
    .where(and_(records.c.kind == bindparam("u_kind"), records.c.id == bindparam("u_id"),
                records.c.revision == bindparam("u_base")))
    .values(data=bindparam("u_data", type_=records.c.data.type),
            revision=bindparam("u_revision"), digest=bindparam("u_digest"),
            updated_at=bindparam("u_at", type_=records.c.updated_at.type),
            updated_by=bindparam("u_by")))
_REVISION = insert(revisions).values(
    kind=bindparam("h_kind"), record_id=bindparam("h_record_id"),
    revision=bindparam("h_revision"), action=bindparam("h_action"),
    data=bindparam("h_data", type_=revisions.c.data.type), author=bindparam("h_author"),
    message=bindparam("h_message"),
    created_at=bindparam("h_at", type_=revisions.c.created_at.type))
_AUDIT_EVENT = insert(audit_events).values(
    at=bindparam("h_at", type_=audit_events.c.at.type), actor=bindparam("h_author"),
    action=bindparam("h_event"), kind=bindparam("h_kind"), record_id=bindparam("h_record_id"),
    revision=bindparam("h_revision"),
    detail=bindparam("h_detail", type_=audit_events.c.detail.type))
_COUNTER = (update(catalogue_state).where(catalogue_state.c.id == bindparam("h_state"))
            .values(version=catalogue_state.c.version + 1))
_WRITTEN = _REVISION.returning(revisions.c.seq).cte("written")
_HISTORY_IN_ONE = (select(_WRITTEN.c.seq).add_cte(_AUDIT_EVENT.cte("audited"))
                   .add_cte(_COUNTER.cte("counted")))


def _aware(value: datetime) -> datetime:
    """Return a stored time as an aware UTC datetime (SQLite gives them back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
