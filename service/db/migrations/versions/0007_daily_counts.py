"""daily counts per artefact and event, and embeds by referring site

Revision ID: 0007
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("artefact_id", sa.String(length=32), sa.ForeignKey("artefacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.UniqueConstraint("artefact_id", "day", "event", name="uq_daily_count"),
    )
    op.create_index("ix_daily_counts_day", "daily_counts", ["day"])
    op.create_table(
        "daily_referrers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("artefact_id", sa.String(length=32), sa.ForeignKey("artefacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.UniqueConstraint("artefact_id", "day", "host", name="uq_daily_referrer"),
    )


def downgrade() -> None:
    op.drop_table("daily_referrers")
    op.drop_index("ix_daily_counts_day", table_name="daily_counts")
    op.drop_table("daily_counts")
