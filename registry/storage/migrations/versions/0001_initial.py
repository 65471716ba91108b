"""Records, revisions, audit events and the catalogue version.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Document = sa.JSON().with_variant(JSONB(), "postgresql")
SequenceId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("data", Document, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "revisions",
        sa.Column("seq", SequenceId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("data", Document, nullable=True),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "record_id", "revision",
                            name="uq_revisions_record_revision"),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", SequenceId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer, nullable=True),
        sa.Column("detail", Document, nullable=True),
    )
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO catalogue_state (id, version) VALUES (1, 0)")


def downgrade() -> None:
    for name in ("catalogue_state", "audit_events", "revisions", "records"):
        op.drop_table(name)
