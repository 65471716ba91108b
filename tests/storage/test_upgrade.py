"""Upgrades keep data: a database filled at every earlier migration upgrades to the latest
with nothing lost or changed; a database newer than the code is refused.

The revisions come from the Alembic script directory and the tables from reflecting the
database at each revision, so a migration added later is covered without touching this
file: each table is filled with rows of every column type it declares (and a type this
file cannot fill fails loudly, asking for a line in `value_for`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes

from registry.cli import main
from registry.storage import Store
from registry.storage.backup import _encode

SCRIPT = Store("sqlite://").script()
HEAD = SCRIPT.get_current_head()
EARLIER = [r.revision for r in reversed(list(SCRIPT.walk_revisions())) if r.revision != HEAD]
ROWS = 4


def value_for(column: Any, i: int, filled: dict[str, list[dict[str, Any]]]) -> Any:
    """Return the i-th test value of a column (unique per row, valid for its type)."""
    for key in column.foreign_keys:  # point at a row filled in the parent table
        parents = filled[key.column.table.name]
        return parents[i % len(parents)][key.column.name]
    kind = column.type
    if isinstance(kind, sqltypes.Boolean):
        return i % 2 == 0
    if isinstance(kind, sqltypes.Integer):
        return 1000 + i  # past any row a migration seeds
    if isinstance(kind, sqltypes.Float):
        return 0.5 + i
    if isinstance(kind, sqltypes.Numeric):
        return decimal.Decimal("1.25") + i
    if isinstance(kind, sqltypes.DateTime):
        return dt.datetime(2025, 3, 30, 1, 30, 15, 250000, tzinfo=dt.UTC) + dt.timedelta(days=i)
    if isinstance(kind, sqltypes.Date):
        return dt.date(2025, 2, 28) + dt.timedelta(days=i)
    if isinstance(kind, sqltypes.JSON):
        return {"n": i, "label": {"fr": "données é", "nl": "gegevens ✓"},
                "list": [1, 2.5, None, True, "x"], "nested": {"deep": [{"k": i}]}}
    if isinstance(kind, sqltypes.LargeBinary):
        return bytes([i, 0, 255])
    if isinstance(kind, sqltypes.String):  # also Text
        text = f"{column.name}-{i}-é"
        return text[:kind.length] if kind.length else text + " with a longer text ✓"
    raise AssertionError(f"test_upgrade cannot fill {column.table.name}.{column.name} of "
                         f"type {kind!r}: add it to value_for")


def fill(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Insert ROWS rows into every table of the database as it stands."""
    reflected = MetaData()
    reflected.reflect(connection)
    filled: dict[str, list[dict[str, Any]]] = {}
    for table in reflected.sorted_tables:
        if table.name == "alembic_version":
            continue
        rows = [{c.name: value_for(c, i, filled) for c in table.columns} for i in range(ROWS)]
        connection.execute(insert(table), rows)
        filled[table.name] = rows
    return filled


def contents(connection: Connection) -> dict[str, Counter[bytes]]:
    """Return every table's rows, each as canonical JSON (instants in UTC)."""
    reflected = MetaData()
    reflected.reflect(connection)
    return {table.name: Counter(
                orjson.dumps({str(k): _encode(v) for k, v in row.items()},
                             option=orjson.OPT_SORT_KEYS)
                for row in connection.execute(select(table)).mappings())
            for table in reflected.sorted_tables if table.name != "alembic_version"}


def project(rows: Counter[bytes], columns: set[str]) -> Counter[bytes]:
    out: Counter[bytes] = Counter()
    for row, n in rows.items():
        data = orjson.loads(row)
        out[orjson.dumps({k: data[k] for k in sorted(columns)})] += n
    return out


def test_the_revisions_are_one_chain() -> None:
    assert len(SCRIPT.get_heads()) == 1, SCRIPT.get_heads()
    assert len(EARLIER) + 1 == len(list(SCRIPT.walk_revisions()))


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_filled_at_an_earlier_migration_upgrades_without_loss(
        revision: str, database_url: str) -> None:
    store = Store(database_url)
    try:
        with store.writing() as connection:
            store.migrate_in(connection, revision)
            filled = fill(connection)
            before = contents(connection)
        assert all(len(rows) == ROWS for rows in filled.values())
        assert sum(sum(c.values()) for c in before.values()) >= ROWS * len(filled)

        store.migrate()
        assert store.pending_migrations() == []
        with store.engine.connect() as connection:
            after = contents(connection)
        for name, rows in before.items():
            assert name in after, f"upgrading from {revision} dropped table {name}"
            columns = set(orjson.loads(next(iter(rows)))) if rows else set()
            kept = project(after[name], columns)
            lost = rows - kept
            assert not lost, (f"upgrading from {revision} lost or changed rows of {name}: "
                              f"{[orjson.loads(r) for r in lost][:3]}")
    finally:
        store.engine.dispose()


def test_db_upgrade_refuses_a_database_newer_than_the_code(database_url: str,
                                                           tmp_path: Path) -> None:
    store = Store(database_url)
    try:
        store.migrate()
        with store.writing() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        result = CliRunner().invoke(main, ["db", "upgrade"], env={
            "REGISTRY_DATABASE_URL": database_url, "REGISTRY_INSTANCE_PATH": str(tmp_path)})
        assert result.exit_code == 1, result.output
        assert "schema revision 9999" in result.output and "newer registry" in result.output
        assert "Nothing was changed" in result.output and "Traceback" not in result.output
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version").scalar() == "9999"
        # Every other command that opens the store says the same, without a traceback.
        listed = CliRunner().invoke(main, ["token", "list"], env={
            "REGISTRY_DATABASE_URL": database_url, "REGISTRY_INSTANCE_PATH": str(tmp_path)})
        assert listed.exit_code == 1 and "schema revision 9999" in listed.output, \
            listed.output
    finally:
        store.engine.dispose()
