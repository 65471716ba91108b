"""Persistence: SQLite by default, PostgreSQL in production, through SQLAlchemy Core."""

from registry.storage.store import (
    Conflict,
    NotFound,
    PreconditionFailed,
    Store,
    StoredRecord,
)

__all__ = ["Conflict", "NotFound", "PreconditionFailed", "Store", "StoredRecord"]
