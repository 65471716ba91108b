"""Backup and restore: every stored table as JSON lines in a checksummed, versioned archive.

The archive is a gzip-compressed tar holding `manifest.json` first, then one
`tables/<name>.jsonl` member per table (one JSON object a row, in primary-key order).
The manifest names the format and its version, the schema (Alembic) revision of the
database, and for each table its columns, row count, size and SHA-256, so an archive can
be read with `tar` and `jq` alone and any flipped byte is caught before anything is
written.

The tables are those of `storage/tables.py`: a table added there (with its migration) is
included without touching this module, and a table in the database that the code does
not declare stops the backup instead of being left out silently.

A backup reads everything in one read transaction (REPEATABLE READ on PostgreSQL; on
SQLite in WAL mode a read transaction sees one snapshot), so it can run beside a busy
server. A restore writes everything in one transaction into an empty database of either
engine: on any error nothing is written.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import hashlib
import io
import os
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes

from registry.storage.store import SchemaTooNew, Store
from registry.storage.tables import metadata

FORMAT = "registry-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 1024 * 1024
BATCH = 1000
CHUNK = 1 << 20
# The longest row a restore reads: far above any record (a sheet is refused past
# REGISTRY_MAX_UPLOAD_BYTES, the largest vocabulary is a few MB), and a bound on the
# memory a hostile archive of one endless line can take.
MAX_LINE = 64 << 20
# Tables that hold no data of the registry's own (Alembic's bookkeeping is the
# manifest's schema_revision).
NOT_DATA = {"alembic_version"}

# Called with (rows done, rows in all) as the work advances.
Progress = Callable[[int, int], None]


class BackupError(Exception):
    """A backup cannot be taken (the database is not in a state this code can copy)."""


class RestoreRefused(Exception):
    """The archive or the target database is refused; nothing was written."""


# -- values ----------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    """Return a column value as JSON data; instants are written in UTC."""
    if isinstance(value, dt.datetime):
        # SQLite keeps no zone: the registry writes UTC there, so a naive value is UTC.
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None \
            else value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column_type: Any) -> Callable[[Any], Any] | None:
    """Return the function turning a JSON value back into a value of this column type."""
    if isinstance(column_type, sqltypes.DateTime):
        return dt.datetime.fromisoformat
    if isinstance(column_type, sqltypes.Date):
        return dt.date.fromisoformat
    if isinstance(column_type, sqltypes.LargeBinary):
        return base64.b64decode
    if isinstance(column_type, sqltypes.Numeric) and not isinstance(column_type,
                                                                     sqltypes.Float):
        return decimal.Decimal
    return None


def _row_line(row: Mapping[Any, Any]) -> bytes:
    return orjson.dumps({str(key): _encode(value) for key, value in row.items()}) + b"\n"


# -- schema ----------------------------------------------------------------------------


def _data_tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - NOT_DATA


def _check_tables(present: set[str], declared: set[str], where: str) -> None:
    unknown = sorted(present - declared)
    if unknown:
        raise BackupError(
            f"{where} holds table(s) {', '.join(unknown)} that registry/storage/tables.py "
            "does not declare: a backup would leave them out. Declare them (with their "
            "migration) or drop them.")
    missing = sorted(declared - present)
    if missing:
        raise BackupError(f"{where} lacks table(s) {', '.join(missing)}: run "
                          "`registry db upgrade` first")


@contextlib.contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """Open one read transaction that sees a single consistent state of the database."""
    with store.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield connection


# -- backup ----------------------------------------------------------------------------


def backup(store: Store, path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Write every table of the store to the archive `path`; return its manifest.

    The archive is written beside `path` and renamed into place at the end, so an
    interrupted backup never leaves a truncated file under the name asked for.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        manifest = _write(store, partial, progress)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    return manifest


def _write(store: Store, partial: Path, progress: Progress | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="registry-backup-") as scratch, \
            _snapshot(store) as connection:
        try:
            revision = store.schema_revision(connection)
        except SchemaTooNew as exc:
            raise BackupError(str(exc)) from None
        head = store.script().get_current_head()
        if revision is None:
            raise BackupError("the database holds no registry (it has no schema): "
                              "nothing to back up")
        if revision != head:
            raise BackupError(f"the database is at schema revision {revision}, behind this "
                              f"registry's {head}: run `registry db upgrade` first")
        tables = list(metadata.sorted_tables)  # parents before children
        _check_tables(_data_tables(connection), {t.name for t in tables}, "the database")
        counts = {t.name: connection.execute(select(func.count()).select_from(t))
                  .scalar_one() for t in tables}
        total, done = sum(counts.values()), 0
        if progress:
            progress(0, total)
        entries: list[dict[str, Any]] = []
        for table in tables:
            member = f"tables/{table.name}.jsonl"
            digest, size, rows = hashlib.sha256(), 0, 0
            with open(os.path.join(scratch, table.name), "wb") as out:
                result = connection.execution_options(yield_per=BATCH).execute(
                    select(table).order_by(*table.primary_key.columns))
                for row in result.mappings():
                    line = _row_line(row)
                    out.write(line)
                    digest.update(line)
                    size += len(line)
                    rows += 1
                    if progress and rows % BATCH == 0:
                        progress(done + rows, total)
            done += rows
            entries.append({"name": str(table.name), "member": member, "rows": rows,
                            "bytes": size, "sha256": digest.hexdigest(),
                            "columns": [{"name": str(c.name), "type": str(c.type)}
                                        for c in table.columns]})
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "registry_version": _registry_version(),
            "engine": connection.dialect.name, "schema_revision": revision,
            "tables": entries,
        }
        manifest_bytes = orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            _add(archive, MANIFEST, io.BytesIO(manifest_bytes), len(manifest_bytes))
            for entry in entries:
                with open(os.path.join(scratch, entry["name"]), "rb") as handle:
                    _add(archive, entry["member"], handle, entry["bytes"])
        if progress:
            progress(total, total)
    return manifest


def _add(archive: tarfile.TarFile, name: str, handle: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    archive.addfile(info, handle)


def _registry_version() -> str:
    from registry import __version__

    return __version__


# -- reading an archive ----------------------------------------------------------------


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[tarfile.TarFile]:
    """Open the archive, turning every way a file can be broken into RestoreRefused."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            yield archive
    except RestoreRefused:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
        raise RestoreRefused(f"{path} is not a readable registry backup (corrupt or "
                             f"truncated: {exc})") from None


def _member_bytes(archive: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    if not info.isfile():
        raise RestoreRefused(f"archive member {info.name} is not a regular file")
    handle = archive.extractfile(info)
    assert handle is not None  # a regular file always has content
    return handle


def _manifest(archive: tarfile.TarFile, path: Path) -> dict[str, Any]:
    first = archive.next()
    if first is None or first.name != MANIFEST:
        raise RestoreRefused(f"{path} is not a registry backup: its first member is not "
                             f"{MANIFEST}")
    if first.size > MANIFEST_MAX_BYTES:
        raise RestoreRefused(f"{path}: {MANIFEST} is larger than a manifest can be")
    try:
        manifest = orjson.loads(_member_bytes(archive, first).read())
    except orjson.JSONDecodeError as exc:
        raise RestoreRefused(f"{path}: {MANIFEST} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreRefused(f"{path} is not a registry backup (format is not {FORMAT!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise RestoreRefused(f"{path}: the manifest's format_version is not a version")
    if version > FORMAT_VERSION:
        raise RestoreRefused(f"{path} is a backup of format version {version}, newer than "
                             f"this registry reads ({FORMAT_VERSION}): restore it with the "
                             "registry that wrote it (or a newer one)")
    tables = manifest.get("tables")
    if not isinstance(tables, list) or not all(
            isinstance(t, dict) and isinstance(t.get("name"), str)
            and t.get("member") == f"tables/{t['name']}.jsonl"
            and isinstance(t.get("rows"), int) and isinstance(t.get("sha256"), str)
            for t in tables):
        raise RestoreRefused(f"{path}: the manifest's table list is malformed")
    if not isinstance(manifest.get("schema_revision"), str):
        raise RestoreRefused(f"{path}: the manifest names no schema revision")
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    """Return the manifest of an archive (checked for shape and format version)."""
    with _reading(path) as archive:
        return _manifest(archive, path)


def _members(archive: tarfile.TarFile, manifest: Mapping[str, Any], path: Path
             ) -> Iterator[tuple[Mapping[str, Any], Iterator[bytes]]]:
    """Yield each table entry with its lines, checking the checksum and row count."""
    expected = {t["member"]: t for t in manifest["tables"]}
    seen = set()
    for info in archive:
        if info.name == MANIFEST and info.offset == 0:
            continue  # read already, by _manifest
        entry = expected.get(info.name)
        if entry is None or info.name in seen:
            raise RestoreRefused(f"{path}: unexpected archive member {info.name}")
        seen.add(info.name)
        yield entry, _checked_lines(_member_bytes(archive, info), entry, path)
    missing = sorted(set(expected) - seen)
    if missing:
        raise RestoreRefused(f"{path} is truncated: member(s) {', '.join(missing)} missing")


def _checked_lines(handle: IO[bytes], entry: Mapping[str, Any], path: Path
                   ) -> Iterator[bytes]:
    digest, rows, tail = hashlib.sha256(), 0, b""
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        lines = (tail + chunk).split(b"\n")
        tail = lines.pop()
        if len(tail) > MAX_LINE:
            raise RestoreRefused(f"{path}: {entry['member']} has a row longer than "
                                 f"{MAX_LINE >> 20} MiB: not a registry backup")
        rows += len(lines)
        yield from lines
    if tail:
        raise RestoreRefused(f"{path}: {entry['member']} does not end with a whole line")
    if digest.hexdigest() != entry["sha256"]:
        raise RestoreRefused(f"{path}: the checksum of {entry['member']} does not match the "
                             "manifest (the file is corrupt)")
    if rows != entry["rows"]:
        raise RestoreRefused(f"{path}: {entry['member']} holds {rows} rows, the manifest "
                             f"says {entry['rows']}")


def verify(path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Read the whole archive and check every member against the manifest."""
    with _reading(path) as archive:
        manifest = _manifest(archive, path)
        total, done = sum(t["rows"] for t in manifest["tables"]), 0
        for _entry, lines in _members(archive, manifest, path):
            for _line in lines:
                done += 1
                if progress and done % BATCH == 0:
                    progress(done, total)
    return manifest


# -- restore ---------------------------------------------------------------------------


def _fresh_rows(store: Store, revision: str | None) -> dict[str, list[dict[str, Any]]]:
    """Return what a fresh database at `revision` holds (the rows migrations seed)."""
    fresh = Store("sqlite://")
    try:
        with fresh.writing(bulk=True) as connection:
            if revision is not None:
                fresh.migrate_in(connection, revision)
            return {name: [{str(k): _encode(v) for k, v in row.items()} for row in
                           connection.execute(select(_reflect(connection, name))).mappings()]
                    for name in _data_tables(connection)}
    finally:
        fresh.engine.dispose()


def _reflect(connection: Connection, name: str) -> Table:
    return Table(name, MetaData(), autoload_with=connection)


def _check_empty(store: Store, connection: Connection, revision: str | None) -> None:
    present = _data_tables(connection)
    if not present:
        return
    seeded = _fresh_rows(store, revision)
    filled = []
    for name in sorted(present):
        table = _reflect(connection, name)
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if count == 0:
            continue
        if count <= len(seeded.get(name, [])):
            rows = [{str(k): _encode(v) for k, v in row.items()}
                    for row in connection.execute(select(table)).mappings()]
            if sorted(map(orjson.dumps, rows)) == sorted(
                    map(orjson.dumps, seeded.get(name, []))):
                continue  # what the migrations put there, not data
        filled.append(f"{name}: {count} row(s)")
    if filled:
        raise RestoreRefused(
            f"the database is not empty ({', '.join(filled)}): restore only into an empty "
            "database (a new SQLite file, or an empty PostgreSQL database or schema)")


def restore(store: Store, path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Load the archive `path` into the store's empty database, in one transaction.

    The archive is checked whole first; the target must hold nothing but what its
    migrations seed. The schema is brought to the archive's revision, the rows are
    loaded, sequences are moved past the loaded ids, and the schema is upgraded to this
    code's head. Any error rolls everything back.
    """
    # Progress runs over two passes: checking every member, then loading the rows.
    manifest = verify(path, progress=(lambda done, total: progress(done, 2 * total))
                      if progress else None)
    revision = manifest["schema_revision"]
    if not store.knows_revision(revision):
        raise RestoreRefused(
            f"{path} was taken from a database at schema revision {revision}, which this "
            f"registry (migrations up to {store.script().get_current_head()}) does not know: "
            "restore it with the registry that wrote it (or a newer one)")
    rows = sum(t["rows"] for t in manifest["tables"])
    total, done = 2 * rows, rows
    if progress:
        progress(done, total)
    with store.writing(bulk=True) as connection:
        try:
            current = store.schema_revision(connection)
        except SchemaTooNew as exc:
            raise RestoreRefused(str(exc)) from None
        _check_empty(store, connection, current)
        store.migrate_in(connection, revision)
        present = _data_tables(connection)
        in_archive = {t["name"] for t in manifest["tables"]}
        if present != in_archive:
            raise RestoreRefused(
                f"{path}: its tables ({', '.join(sorted(in_archive))}) are not those of "
                f"schema revision {revision} ({', '.join(sorted(present))})")
        tables = {name: _reflect(connection, name) for name in present}
        for table in tables.values():
            connection.execute(table.delete())  # the rows migrations seeded
        with _reading(path) as archive:
            _manifest(archive, path)
            for entry, lines in _members(archive, manifest, path):
                table = tables[entry["name"]]
                decoders = {c.name: d for c in table.columns
                            if (d := _decoder(c.type)) is not None}
                unknown_columns = ({c["name"] for c in entry.get("columns", [])}
                                   - set(table.columns.keys()))
                if unknown_columns:
                    raise RestoreRefused(f"{path}: table {table.name} has no column(s) "
                                         f"{', '.join(sorted(unknown_columns))}")
                batch: list[dict[str, Any]] = []
                for line in lines:
                    batch.append(_decode_row(line, decoders, table.name, path))
                    if len(batch) == BATCH:
                        connection.execute(insert(table), batch)
                        done += len(batch)
                        batch = []
                        if progress:
                            progress(done, total)
                if batch:
                    connection.execute(insert(table), batch)
                    done += len(batch)
        _reset_sequences(connection, tables.values())
        store.migrate_in(connection, "head")
    if progress:
        progress(total, total)
    return manifest


def _decode_row(line: bytes, decoders: Mapping[str, Callable[[Any], Any]], table: str,
                path: Path) -> dict[str, Any]:
    try:
        row = orjson.loads(line)
        if not isinstance(row, dict):
            raise ValueError("a row is not a JSON object")
        for name, decode in decoders.items():
            if row.get(name) is not None:
                row[name] = decode(row[name])
    except (ValueError, TypeError, decimal.InvalidOperation) as exc:
        raise RestoreRefused(f"{path}: a row of {table} cannot be read ({exc})") from None
    return row


def _reset_sequences(connection: Connection, tables: Any) -> None:
    """Move id generators past the restored ids, so the next write gets a new one."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            for column in table.primary_key.columns:
                if not isinstance(column.type, sqltypes.Integer):
                    continue
                sequence = connection.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"),
                    {"t": table.name, "c": column.name}).scalar()
                if sequence is None:
                    continue
                highest = connection.execute(
                    select(func.max(column))).scalar() or 0
                # is_called false: the next nextval() returns exactly highest + 1.
                connection.execute(text("SELECT setval(:s, :v, false)"),
                                   {"s": sequence, "v": highest + 1})
    elif connection.dialect.name == "sqlite":
        has_sequences = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first()
        if not has_sequences:
            return  # INTEGER PRIMARY KEY without AUTOINCREMENT follows max(rowid)
        for table in tables:
            highest = connection.execute(select(func.max(text("rowid")))
                                         .select_from(table)).scalar() or 0
            connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?",
                                       (table.name,))
            connection.exec_driver_sql(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table.name, highest))
