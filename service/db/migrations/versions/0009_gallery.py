"""public gallery: institution slugs, listed artefacts, folded search text, gallery counters

Revision ID: 0009
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from service.db.gallery import fold
    from service.db.gallery import slugify

    # plain ADD COLUMN and a unique index: no table copy, so SQLite keeps its foreign keys and data in place
    op.add_column("institutions", sa.Column("slug", sa.String(length=80), nullable=True))
    op.create_index("ix_institutions_slug", "institutions", ["slug"], unique=True)
    op.add_column("artefacts", sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("artefacts", sa.Column("search_text", sa.Text(), nullable=True))
    op.create_table(
        "gallery_counts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("event", sa.String(length=20), primary_key=True),
        sa.Column("artefact_id", sa.String(length=32), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )
    conn = op.get_bind()
    taken: set[str] = set()
    for inst_id, name in conn.execute(sa.text("SELECT id, name FROM institutions ORDER BY id")).all():
        slug = base = slugify(name)
        n = 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        conn.execute(sa.text("UPDATE institutions SET slug = :slug WHERE id = :id"), {"slug": slug, "id": inst_id})
    rows = conn.execute(sa.text(
        "SELECT id, title_vi, title_en, creator, culture, accession_number FROM artefacts")).all()
    for art_id, *fields in rows:
        conn.execute(sa.text("UPDATE artefacts SET search_text = :t WHERE id = :id"),
                     {"t": fold(" ".join(f for f in fields if f)), "id": art_id})


def downgrade() -> None:
    op.drop_table("gallery_counts")
    with op.batch_alter_table("artefacts") as batch:
        batch.drop_column("search_text")
        batch.drop_column("listed")
    op.drop_index("ix_institutions_slug", table_name="institutions")
    with op.batch_alter_table("institutions") as batch:
        batch.drop_column("slug")
