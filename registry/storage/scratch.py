"""A PostgreSQL schema of its own, for the tests and the benchmarks.

Tests and benchmarks run beside each other on one PostgreSQL database: each works in a
schema created for it (its URL sets the search_path) and dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


@contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """Yield the URL of a new empty schema named `prefix` + a random suffix; drop it after."""
    schema = prefix + uuid.uuid4().hex[:16]
    admin = create_engine(url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
