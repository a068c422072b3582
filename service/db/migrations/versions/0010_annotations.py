"""curators' annotations pinned to the model

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotations",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("artefact_id", sa.String(length=32), sa.ForeignKey("artefacts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.JSON(), nullable=False),
        sa.Column("normal", sa.JSON(), nullable=False),
        sa.Column("title_vi", sa.String(length=120)),
        sa.Column("title_en", sa.String(length=120)),
        sa.Column("body_vi", sa.Text()),
        sa.Column("body_en", sa.Text()),
        sa.Column("image", sa.String(length=500)),
        sa.Column("camera", sa.JSON()),
        sa.Column("order_index", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_annotations_artefact_id", "annotations", ["artefact_id"])


def downgrade() -> None:
    op.drop_index("ix_annotations_artefact_id", table_name="annotations")
    op.drop_table("annotations")
