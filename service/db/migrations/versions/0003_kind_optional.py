"""artefact kind may be unknown until the pipeline decides

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artefacts") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=20), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE artefacts SET kind = 'scan' WHERE kind IS NULL")
    with op.batch_alter_table("artefacts") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
