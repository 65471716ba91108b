"""Reuse overlaps computed once by the overlap job, read by every web worker.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reuse_overlaps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("catalogue_seq", sa.BigInteger, nullable=False),
        sa.Column("thresholds", sa.String(40), nullable=False),
        sa.Column("pairs", sa.LargeBinary, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reuse_overlaps_seq", "reuse_overlaps", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_reuse_overlaps_seq", table_name="reuse_overlaps")
    op.drop_table("reuse_overlaps")
