"""The migrations this code knows and the database's revision, read without Alembic.

A production server's master checks at start-up that no migration is pending, then
forks its workers: with Alembic imported for that check (and Mako, which it imports),
some 10 MB of modules counted in every web worker's resident memory, never used again.
The check needs two assignments of each migration file (`revision`, `down_revision`)
and one row of Alembic's own table, so they are read here, as Alembic reads them.
Migrating (and everything else that runs migrations) still uses Alembic.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps


def _assigned(path: Path) -> dict[str, object]:
    """Return the module-level `revision` and `down_revision` of a migration file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                found[target.id] = ast.literal_eval(value)
    return found


@functools.cache
def chain() -> tuple[str, ...]:
    """Return the revisions of the migration files, oldest first.

    The migrations are one line (tests/storage/test_upgrade.py holds it): a file whose
    parent is unknown, or two with the same parent, raise ValueError.
    """
    parent: dict[str, str | None] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        found = _assigned(path)
        if isinstance(found.get("revision"), str):
            down = found.get("down_revision")
            parent[str(found["revision"])] = down if isinstance(down, str) else None
    child = {below: revision for revision, below in parent.items()}
    if len(child) != len(parent):
        raise ValueError(f"the migrations in {VERSIONS} are not one line")
    order: list[str] = []
    below: str | None = None
    while below in child:
        below = child[below]
        order.append(below)
    if len(order) != len(parent):
        raise ValueError(f"the migrations in {VERSIONS} are not one line")
    return tuple(order)


def current_heads(connection: Connection) -> tuple[str, ...]:
    """Return the revisions recorded in the database (none without Alembic's table)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return ()
    return tuple(row[0] for row in connection.execute(
        text(f"SELECT version_num FROM {VERSION_TABLE}")))
