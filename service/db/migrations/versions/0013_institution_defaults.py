"""what new uploads start with in the studio: licence, credit line, gallery listing (docs/studio.md)

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("institutions") as batch:
        batch.add_column(sa.Column("default_licence", sa.String(length=40)))
        batch.add_column(sa.Column("default_attribution", sa.String(length=1000)))
        batch.add_column(sa.Column("default_listed", sa.Boolean()))


def downgrade() -> None:
    with op.batch_alter_table("institutions") as batch:
        batch.drop_column("default_listed")
        batch.drop_column("default_attribution")
        batch.drop_column("default_licence")
