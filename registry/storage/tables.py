"""The tables of the store (SQLAlchemy Core); migrations in `migrations/` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import DateTime as SQLDateTime
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()


class DateTime(TypeDecorator[datetime]):
    """An instant, always read back in UTC with its zone, on every engine.

    SQLite keeps no zone (it stores the UTC wall time) and PostgreSQL answers in the
    session's zone: without this, the same stored instant would read as a naive value on
    one and, say, +01:00 on the other, and the API's answers would differ between them.
    """

    impl = SQLDateTime(timezone=True)
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:  # the signature of DateTime
        super().__init__()

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, datetime):
            return (value.replace(tzinfo=UTC) if value.tzinfo is None
                    else value.astimezone(UTC))
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, datetime):
            return (value.replace(tzinfo=UTC) if value.tzinfo is None
                    else value.astimezone(UTC))
        return value


# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
Document = JSON().with_variant(JSONB(), "postgresql")
# SQLite only autoincrements INTEGER PRIMARY KEY columns.
SequenceId = BigInteger().with_variant(Integer(), "sqlite")

records = Table(
    "records", metadata,
    Column("kind", String(20), primary_key=True),
    Column("id", String(100), primary_key=True),
    Column("data", Document, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("digest", String(40), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

revisions = Table(
    "revisions", metadata,
    Column("seq", SequenceId, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("record_id", String(100), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("data", Document, nullable=True),
    Column("author", String(200), nullable=False),
    Column("message", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "record_id", "revision", name="uq_revisions_record_revision"),
)

audit_events = Table(
    "audit_events", metadata,
    Column("seq", SequenceId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("record_id", String(100), nullable=False),
    Column("revision", Integer, nullable=True),
    Column("detail", Document, nullable=True),
)

# Row 1 is bumped in every transaction that changes the catalogue, row 2 in every one
# that changes the roadmap, so each worker process knows when to rebuild its snapshots.
catalogue_state = Table(
    "catalogue_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

tokens = Table(
    "tokens", metadata,
    Column("id", String(16), primary_key=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("organisations", Document, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Measured values of a project's KPIs. A replaced value is a new row with the next
# revision, never an UPDATE: the history of what was reported stays readable.
kpi_measurements = Table(
    "kpi_measurements", metadata,
    Column("project_id", String(100), primary_key=True),
    Column("kpi_id", String(100), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("value", Float, nullable=False),
    Column("note", Text, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)

# How far the external SPARQL store has been brought (REGISTRY_SPARQL_STORE_URL): the
# last change-feed position whose graphs it holds, per store. The single writer reads
# it to catch up after an outage with nothing missed, and moves it after each push.
sparql_store_state = Table(
    "sparql_store_state", metadata,
    Column("store", String(500), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The reuse overlaps as the overlap job computed them (registry.readmodel.overlap_job):
# one row per result, the roadmap's feed position (`seq`) and the catalogue's it was
# computed at, the digest of the thresholds used, and the pairs (zlib-compressed JSON,
# `registry.readmodel.overlaps`). Derived data: the job keeps the newest few rows and
# makes them again from the feed when the table is empty.
reuse_overlaps = Table(
    "reuse_overlaps", metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False, index=True),
    Column("catalogue_seq", BigInteger, nullable=False),
    Column("thresholds", String(40), nullable=False),
    Column("pairs", LargeBinary, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)
