"""
collection.py
-------------

The studio's collection list: one institution's live artefacts, searched
(title in either language, accession number, creator; with or without
diacritics, through the folded `search_text` the gallery keeps), filtered,
sorted and paginated. Like every artefact query, it takes the institution.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.gallery import fold
from service.db.models import Artefact

SORTS = {
    "newest": (Artefact.created_at.desc(), Artefact.id),
    "oldest": (Artefact.created_at.asc(), Artefact.id),
    "title": (func.lower(func.coalesce(Artefact.title_en, Artefact.title_vi, "")), Artefact.id),
    "views": (Artefact.page_views.desc(), Artefact.created_at.desc(), Artefact.id),
}


@dataclass
class CollectionQuery:
    """What the collection page asks for; empty strings mean "any"."""

    q: str = ""
    status: str = ""
    kind: str = ""
    category: str = ""
    licence: str = ""
    sort: str = "newest"
    page: int = 1


def search_collection(db: Session, institution_id: int, query: CollectionQuery, *, per_page: int
                      ) -> tuple[list[Artefact], int]:
    """(artefacts on the page, total matching) for one institution."""
    where = [Artefact.institution_id == institution_id, Artefact.deleted_at.is_(None)]
    words = fold(query.q).split()
    for word in words[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(Artefact.search_text.like(f"%{escaped}%", escape="\\"))
    for column, value in ((Artefact.status, query.status), (Artefact.kind, query.kind),
                          (Artefact.category, query.category), (Artefact.licence, query.licence)):
        if value:
            where.append(column == value)
    total = db.scalar(select(func.count()).select_from(Artefact).where(*where)) or 0
    order = SORTS.get(query.sort, SORTS["newest"])
    rows = db.scalars(select(Artefact).where(*where).order_by(*order)
                      .offset((query.page - 1) * per_page).limit(per_page)).all()
    return list(rows), total
