"""A scratch database for a benchmark: a SQLite file, or a schema of its own on PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def scratch_database(database_url: str, folder: Path) -> Iterator[str]:
    """Yield the URL a benchmark writes to, leaving the database given as it found it.

    Without a URL, a SQLite file in `folder`. On PostgreSQL, a fresh schema (the
    benchmark's tables never meet the database's own), dropped on the way out.
    """
    if not database_url.startswith("postgresql"):
        yield database_url or f"sqlite:///{folder / 'registry.sqlite'}"
        return
    from sqlalchemy import create_engine

    schema = "bench_" + uuid.uuid4().hex[:8]
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield (f"{database_url}{'&' if '?' in database_url else '?'}"
               f"options=-csearch_path%3D{schema}")
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()
