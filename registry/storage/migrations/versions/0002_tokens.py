"""API tokens (stored hashed, with role, organisations, expiry and revocation); roadmap version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Document = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("organisations", Document, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    # Row 2 of catalogue_state counts changes to the roadmap (projects), as row 1 does
    # for the catalogue, so workers know when to rebuild their roadmap snapshot.
    op.execute("INSERT INTO catalogue_state (id, version) VALUES (2, 0)")


def downgrade() -> None:
    op.execute("DELETE FROM catalogue_state WHERE id = 2")
    op.drop_table("tokens")
