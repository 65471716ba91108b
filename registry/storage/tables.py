"""The tables of the store (SQLAlchemy Core); migrations in `migrations/` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

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
