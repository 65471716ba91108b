"""KPI measurements: values reported over time, each replacement a new revision row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_measurements",
        sa.Column("project_id", sa.String(100), primary_key=True),
        sa.Column("kpi_id", sa.String(100), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kpi_measurements")
