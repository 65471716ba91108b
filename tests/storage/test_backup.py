"""Backup and restore: a registry moves between SQLite and PostgreSQL without losing a thing.

The registry is filled through the API (projects with several revisions, a curated
standard, tokens, a deleted project), backed up with `registry backup`, restored with
`registry restore` into an empty database of the other engine, and every answer is
compared: /api/projects, each /api/standards/{id} with its ETag, each project's
revisions, the audit trail (read with a token restored from its hash). A write after the
restore gets a new id from the sequences.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from registry.cli import main
from registry.storage import Store
from registry.storage.backup import backup, read_manifest, restore
from registry.storage.tokens import create_token
from tests.conftest import _database
from tests.helpers import AS_OF, make_app
from tests.storage.moves import OTHER, answers, same

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

database = contextlib.contextmanager(_database)


def cli(url: str, instance: Path, *args: str):
    """Run the `registry` command on a database; return the result."""
    runner = CliRunner()
    result = runner.invoke(main, list(args), env={"REGISTRY_DATABASE_URL": url,
                                                  "REGISTRY_INSTANCE_PATH": str(instance)})
    return result


def fill(app) -> dict[str, str]:
    """Fill a registry through its API; return the tokens' secrets by role."""
    store = app.extensions["registry"].store
    client = app.test_client()
    secrets = {}
    for role in ("office", "architect", "admin"):
        secrets[role], _ = create_token(store, role=role, organisations=[], name=f"{role} t")
    office = {"Authorization": f"Bearer {secrets['office']}"}
    architect = {"Authorization": f"Bearer {secrets['architect']}"}
    for path in sorted(EXAMPLES.glob("*.yaml"))[:8]:
        answer = client.put(f"/api/projects/{path.stem}?as_of={AS_OF}",
                            data=path.read_bytes(), headers=office,
                            content_type="application/yaml")
        assert answer.status_code == 201, answer.get_json()
    # Two more revisions of one project, with messages.
    for n in (2, 3):
        current = client.get("/api/projects/mobility-data-hub")
        sheet = current.get_json()["project"]
        sheet["title"] = {**sheet["title"], "en": f"Mobility Data Hub, version {n}"}
        answer = client.put(f"/api/projects/mobility-data-hub?as_of={AS_OF}", json=sheet,
                            headers={**office, "If-Match": current.headers["ETag"],
                                     "X-Change-Message": f"edit {n}"})
        assert answer.status_code == 200, answer.get_json()
    # KPI measurements: a value and its replacement (two rows of kpi_measurements).
    url = "/api/projects/mobility-data-hub/kpis/open-datasets/measurements/2026-06-30"
    created = client.put(url, json={"value": 7, "note": "first batch"}, headers=office)
    assert created.status_code == 201, created.get_json()
    replaced = client.put(url, json={"value": 8},
                          headers={**office, "If-Match": created.headers["ETag"]})
    assert replaced.status_code == 200, replaced.get_json()
    # A curated standard.
    current = client.get("/api/standards/gtfs")
    standard = {**current.get_json()["standard"], "status": "mandatory",
                "status_since": "2026-11-01"}
    answer = client.put("/api/standards/gtfs", json=standard,
                        headers={**architect, "If-Match": current.headers["ETag"]})
    assert answer.status_code == 200, answer.get_json()
    # A deleted project: its history ends with a delete revision.
    store.delete_where("project", lambda r: r.id != "ev-charging-map", author="test")
    app.extensions["registry"].roadmap.invalidate()
    return secrets


def open_app(url: str, folder: Path):
    return make_app(url, folder)


def test_a_registry_moves_from_sqlite_to_the_other_engine_and_back(tmp_path: Path) -> None:
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    with database("sqlite", first) as url_a, database(OTHER, second) as url_b, \
            database("sqlite", third) as url_c:
        app = open_app(url_a, first)
        secrets = fill(app)
        before = answers(app, secrets)
        app.extensions["registry"].store.engine.dispose()

        archive = tmp_path / "a.backup.tar.gz"
        made = cli(url_a, first, "backup", str(archive))
        assert made.exit_code == 0, made.output
        assert made.output.startswith(f"wrote {archive} (")
        restored = cli(url_b, second, "restore", str(archive))
        assert restored.exit_code == 0, restored.output

        moved = open_app(url_b, second)
        after = answers(moved, secrets)
        assert after.keys() == before.keys()
        for key in before:
            same(after[key], before[key], key)
        # The sequences moved past the restored ids: a new write gets the next one.
        last_seq = before["/api/audit?limit=1000"][0]["events"][0]["seq"]  # type: ignore[index]
        client = moved.test_client()
        office = {"Authorization": f"Bearer {secrets['office']}"}
        sheet = (EXAMPLES / "smart-waste-containers.yaml").read_bytes()
        answer = client.put(f"/api/projects/smart-waste-containers?as_of={AS_OF}",
                            data=sheet, headers=office, content_type="application/yaml")
        assert answer.status_code == 201, answer.get_json()
        events = client.get("/api/audit?limit=1", headers=office).get_json()["events"]
        assert events[0]["seq"] == last_seq + 1
        assert events[0]["record_id"] == "smart-waste-containers"
        moved.extensions["registry"].store.engine.dispose()

        # And back, into a new SQLite file.
        archive_b = tmp_path / "b.backup.tar.gz"
        assert cli(url_b, second, "backup", str(archive_b)).exit_code == 0
        back = cli(url_c, third, "restore", str(archive_b))
        assert back.exit_code == 0, back.output
        home = open_app(url_c, third)
        final = answers(home, secrets)
        assert final["/api/projects/smart-waste-containers/revisions"] is not None
        for key in before:
            if "smart-waste" in key or key.startswith("/api/projects?") or "audit" in key:
                continue  # the write made after the first move shows there, as it should
            same(final[key], before[key], key)
        assert final["/api/audit?limit=1000"][0]["events"][1:] == (  # type: ignore[index]
            before["/api/audit?limit=1000"][0]["events"])  # type: ignore[index]
        home.extensions["registry"].store.engine.dispose()


@pytest.fixture
def archive(database_url: str, tmp_path: Path) -> Path:
    """Return a backup of a registry holding the shipped catalogue, on each engine."""
    app = make_app(database_url, tmp_path / "source")
    app.extensions["registry"].store.engine.dispose()
    path = tmp_path / "registry.backup.tar.gz"
    result = cli(database_url, tmp_path / "source", "backup", str(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[str]:
    """Yield an empty database of the other engine (SQLite without PostgreSQL)."""
    folder = tmp_path / "target"
    folder.mkdir()
    with database(OTHER, folder) as url:
        yield url


def tables_of(url: str) -> list[str]:
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    finally:
        store.engine.dispose()


def rewrite(source: Path, target: Path, change) -> None:
    """Copy an archive, passing each member's (name, bytes) through `change`."""
    with tarfile.open(source, "r:gz") as reading, tarfile.open(target, "w:gz") as writing:
        for info in reading:
            data = reading.extractfile(info).read()  # type: ignore[union-attr]
            name, data = change(info.name, data)
            copy = tarfile.TarInfo(name)
            copy.size = len(data)
            writing.addfile(copy, io.BytesIO(data))


def refused(url: str, path: Path, tmp_path: Path, words: str) -> None:
    before = tables_of(url)
    result = cli(url, tmp_path / "target", "restore", str(path))
    assert result.exit_code == 1, result.output
    assert words in result.output and "nothing was written" in result.output, result.output
    assert "Traceback" not in result.output
    assert tables_of(url) == before


def test_the_manifest_names_format_schema_counts_and_checksums(archive: Path) -> None:
    manifest = read_manifest(archive)
    assert manifest["format"] == "registry-backup" and manifest["format_version"] == 1
    assert manifest["schema_revision"] == Store("sqlite://").script().get_current_head()
    counts = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert {"records", "revisions", "audit_events", "tokens", "catalogue_state"} <= set(counts)
    assert counts["records"] == counts["revisions"] == counts["audit_events"] > 90
    with tarfile.open(archive, "r:gz") as reading:
        names = reading.getnames()
        assert names[0] == "manifest.json"
        lines = reading.extractfile("tables/records.jsonl").read().splitlines()  # type: ignore[union-attr]
    assert len(lines) == counts["records"]
    assert {"kind", "id", "data", "revision", "digest"} <= orjson.loads(lines[0]).keys()


def test_a_flipped_byte_is_refused_and_nothing_written(archive: Path, empty: str,
                                                      tmp_path: Path) -> None:
    # In a member, with the gzip stream intact: the SHA-256 catches it.
    def flip(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "tables/revisions.jsonl":
            at = data.index(b'"author":"') + 12
            data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]
        return name, data

    flipped = tmp_path / "flipped.tar.gz"
    rewrite(archive, flipped, flip)
    refused(empty, flipped, tmp_path, "checksum of tables/revisions.jsonl does not match")
    # In the compressed file itself.
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    (tmp_path / "raw.tar.gz").write_bytes(bytes(raw))
    refused(empty, tmp_path / "raw.tar.gz", tmp_path, "")


def test_a_truncated_archive_is_refused(archive: Path, empty: str, tmp_path: Path) -> None:
    data = archive.read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) * 2 // 3])
    refused(empty, tmp_path / "cut.tar.gz", tmp_path, "corrupt or truncated")
    # A member left out (and a whole gzip stream): the manifest says what is missing.
    plain = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(plain)) as reading, \
            tarfile.open(tmp_path / "short.tar.gz", "w:gz") as writing:
        for info in reading:
            if info.name != "tables/tokens.jsonl":
                writing.addfile(info, reading.extractfile(info))
    refused(empty, tmp_path / "short.tar.gz", tmp_path, "tables/tokens.jsonl missing")


def test_newer_formats_and_schemas_are_refused(archive: Path, empty: str,
                                               tmp_path: Path) -> None:
    def bump(key: str, value: object):
        def change(name: str, data: bytes) -> tuple[str, bytes]:
            if name == "manifest.json":
                manifest = orjson.loads(data)
                manifest[key] = value
                data = orjson.dumps(manifest)
            return name, data
        return change

    rewrite(archive, tmp_path / "v2.tar.gz", bump("format_version", 2))
    refused(empty, tmp_path / "v2.tar.gz", tmp_path, "format version 2, newer than")
    rewrite(archive, tmp_path / "schema.tar.gz", bump("schema_revision", "9999"))
    refused(empty, tmp_path / "schema.tar.gz", tmp_path, "schema revision 9999")
    (tmp_path / "other.tar.gz").write_bytes(b"not an archive at all")
    refused(empty, tmp_path / "other.tar.gz", tmp_path, "not a readable registry backup")


def test_a_restore_failing_half_way_writes_nothing(archive: Path, empty: str,
                                                   tmp_path: Path) -> None:
    # A consistent archive (checksums recomputed) whose last table breaks a constraint:
    # the rows loaded before it must go too.
    import hashlib

    manifest = read_manifest(archive)
    with tarfile.open(archive, "r:gz") as reading:
        members = {i.name: reading.extractfile(i).read()  # type: ignore[union-attr]
                   for i in reading}
    revisions = members["tables/revisions.jsonl"].splitlines(keepends=True)
    members["tables/revisions.jsonl"] = b"".join(revisions + revisions[-1:])  # same key twice
    for entry in manifest["tables"]:
        body = members[entry["member"]]
        entry.update(rows=body.count(b"\n"), bytes=len(body),
                     sha256=hashlib.sha256(body).hexdigest())
    members["manifest.json"] = orjson.dumps(manifest)
    with tarfile.open(tmp_path / "dup.tar.gz", "w:gz") as writing:
        for name in ["manifest.json", *(t["member"] for t in manifest["tables"])]:
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            writing.addfile(info, io.BytesIO(members[name]))
    before = tables_of(empty)
    result = cli(empty, tmp_path / "target", "restore", str(tmp_path / "dup.tar.gz"))
    assert result.exit_code == 1 and "nothing was written" in result.output, result.output
    assert "Traceback" not in result.output
    assert tables_of(empty) == before


def test_a_database_holding_data_is_refused(archive: Path, database_url: str,
                                            tmp_path: Path) -> None:
    # The archive's own source holds the shipped catalogue: restoring over it is refused.
    store = Store(database_url)
    count = store.count()
    store.engine.dispose()
    result = cli(database_url, tmp_path / "source", "restore", str(archive))
    assert result.exit_code == 1, result.output
    assert "the database is not empty (" in result.output and "records:" in result.output
    store = Store(database_url)
    assert store.count() == count
    store.engine.dispose()


def test_a_migrated_but_empty_database_is_a_valid_target(archive: Path, empty: str,
                                                         tmp_path: Path) -> None:
    upgraded = cli(empty, tmp_path / "target", "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    store = Store(empty)
    try:
        manifest = restore(store, archive)
        assert store.count() == next(t["rows"] for t in manifest["tables"]
                                     if t["name"] == "records")
        assert store.pending_migrations() == []
    finally:
        store.engine.dispose()


def test_a_table_the_code_does_not_declare_stops_the_backup(database_url: str,
                                                            tmp_path: Path) -> None:
    make_app(database_url, tmp_path).extensions["registry"].store.engine.dispose()
    store = Store(database_url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE stray_notes (id INTEGER PRIMARY KEY)")
    store.engine.dispose()
    target = tmp_path / "b.tar.gz"
    result = cli(database_url, tmp_path, "backup", str(target))
    assert result.exit_code == 1, result.output
    assert "stray_notes" in result.output and "tables.py" in result.output
    assert not target.exists() and not list(tmp_path.glob("*.partial"))


def test_backup_refuses_to_replace_a_file_without_force(archive: Path, database_url: str,
                                                        tmp_path: Path) -> None:
    size = archive.stat().st_size
    result = cli(database_url, tmp_path / "source", "backup", str(archive))
    assert result.exit_code == 1 and "--force" in result.output
    assert archive.stat().st_size == size
    assert cli(database_url, tmp_path / "source", "backup", "--force",
               str(archive)).exit_code == 0


def test_progress_is_reported_to_the_end(database_url: str, tmp_path: Path) -> None:
    make_app(database_url, tmp_path).extensions["registry"].store.engine.dispose()
    store = Store(database_url)
    calls: list[tuple[int, int]] = []
    try:
        backup(store, tmp_path / "p.tar.gz", progress=lambda d, t: calls.append((d, t)))
    finally:
        store.engine.dispose()
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1] > 0
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    # A restore reports its two passes (checking, loading) on one scale, to the end.
    restored: list[tuple[int, int]] = []
    folder = tmp_path / "copy"
    folder.mkdir()
    with database("sqlite", folder) as url:
        target = Store(url)
        try:
            restore(target, tmp_path / "p.tar.gz",
                    progress=lambda d, t: restored.append((d, t)))
        finally:
            target.engine.dispose()
    assert restored[-1][0] == restored[-1][1] == 2 * calls[-1][1]
    assert [d for d, _ in restored] == sorted(d for d, _ in restored)


def test_backup_of_nothing_or_to_nowhere_is_a_clear_error(database_url: str,
                                                          tmp_path: Path) -> None:
    result = cli(database_url, tmp_path, "backup", str(tmp_path / "x.tar.gz"))
    assert result.exit_code == 1 and "nothing to back up" in result.output, result.output
    make_app(database_url, tmp_path).extensions["registry"].store.engine.dispose()
    result = cli(database_url, tmp_path, "backup", str(tmp_path / "no" / "such" / "x.tar.gz"))
    assert result.exit_code == 1 and "no backup written" in result.output, result.output
    assert "Traceback" not in result.output


def hostile(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    path = tmp_path / "hostile.tar.gz"
    with tarfile.open(path, "w:gz") as writing:
        for info, data in members:
            writing.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
           link: str = "") -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    return info, data if kind == tarfile.REGTYPE else None


def test_hostile_archives_are_refused_without_touching_disk_or_memory(
        archive: Path, empty: str, tmp_path: Path) -> None:
    manifest = read_manifest(archive)
    text = orjson.dumps(manifest)
    outside = tmp_path.parent / "escaped.jsonl"
    cases = {
        "a member outside the archive": [member("manifest.json", text),
                                         member("../escaped.jsonl", b"{}\n")],
        "a link instead of a file": [member("manifest.json", text),
                                     member(manifest["tables"][0]["member"],
                                            kind=tarfile.SYMTYPE, link="/etc/passwd")],
        "a manifest that is a link": [member("manifest.json", kind=tarfile.SYMTYPE,
                                             link="/etc/passwd")],
        "a manifest that is not JSON": [member("manifest.json", b"{" * 10)],
        "another format": [member("manifest.json", b'{"format": "pg_dump"}')],
    }
    expected = {
        "a member outside the archive": "unexpected archive member ../escaped.jsonl",
        "a link instead of a file": "is not a regular file",
        "a manifest that is a link": "is not a regular file",
        "a manifest that is not JSON": "manifest.json is not JSON",
        "another format": "not a registry backup",
    }
    for name, members in cases.items():
        refused(empty, hostile(tmp_path, members), tmp_path, expected[name])
    assert not outside.exists()


def test_an_endless_row_is_refused_with_bounded_memory(archive: Path, empty: str,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.storage import backup as module

    monkeypatch.setattr(module, "MAX_LINE", 1 << 20)  # the same check, at a test's size
    manifest = read_manifest(archive)
    first = manifest["tables"][0]
    endless = b"x" * (3 << 20)
    first.update(rows=1, bytes=len(endless))
    path = hostile(tmp_path, [member("manifest.json", orjson.dumps(manifest)),
                              member(first["member"], endless)])
    target = Store(empty)
    try:
        with pytest.raises(module.RestoreRefused, match="row longer than 1 MiB"):
            restore(target, path)
    finally:
        target.engine.dispose()
    assert tables_of(empty) == []


def test_an_archive_of_an_earlier_schema_restores_and_is_upgraded(archive: Path, empty: str,
                                                                  tmp_path: Path) -> None:
    """An archive an older registry wrote (at an earlier migration) loads and upgrades.

    Made from a current archive by keeping what existed at the migration before the
    latest: its tables and their columns.
    """
    script = Store("sqlite://").script()
    head = script.get_revision(script.get_current_head())
    earlier = head.down_revision
    if earlier is None:
        pytest.skip("there is a single migration")
    old = Store("sqlite://")
    try:
        with old.writing() as connection:
            old.migrate_in(connection, earlier)
            shape = {name: {c["name"] for c in inspect(connection).get_columns(name)}
                     for name in inspect(connection).get_table_names()
                     if name != "alembic_version"}
    finally:
        old.engine.dispose()
    manifest = read_manifest(archive)
    with tarfile.open(archive, "r:gz") as reading:
        members = {i.name: reading.extractfile(i).read()  # type: ignore[union-attr]
                   for i in reading}
    import hashlib

    tables = []
    for entry in manifest["tables"]:
        if entry["name"] not in shape:
            continue
        rows = [orjson.loads(line) for line in members[entry["member"]].splitlines()]
        body = b"".join(orjson.dumps({k: v for k, v in row.items()
                                      if k in shape[entry["name"]]}) + b"\n" for row in rows)
        members[entry["member"]] = body
        tables.append({**entry, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                       "columns": [c for c in entry["columns"]
                                   if c["name"] in shape[entry["name"]]]})
    manifest.update(schema_revision=earlier, tables=tables)
    members["manifest.json"] = orjson.dumps(manifest)
    older = tmp_path / "older.tar.gz"
    with tarfile.open(older, "w:gz") as writing:
        for name in ["manifest.json", *(t["member"] for t in tables)]:
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            writing.addfile(info, io.BytesIO(members[name]))

    # Into an empty database, and into one already migrated to the latest schema (which
    # restore takes back to the archive's migration, inside the same transaction).
    for migrated in (False, True):
        folder = tmp_path / f"older-{migrated}"
        folder.mkdir()
        with database(OTHER, folder) as url:
            if migrated:
                assert cli(url, folder, "db", "upgrade").exit_code == 0
            result = cli(url, folder, "restore", str(older))
            assert result.exit_code == 0, result.output
            store = Store(url)
            try:
                assert store.pending_migrations() == []
                counts = {t["name"]: t["rows"] for t in tables}
                with store.engine.connect() as connection:
                    assert connection.exec_driver_sql(
                        "SELECT count(*) FROM records").scalar() == counts["records"]
                assert len(store.audit(100000)) == counts["audit_events"]
            finally:
                store.engine.dispose()
