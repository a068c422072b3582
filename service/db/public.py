"""
public.py
---------

Queries behind public listings (IIIF collections, EDM feeds): the ready,
live artefacts of one institution, newest first, with their current
version. No API key: only published things are returned.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Artefact
from service.db.models import Institution
from service.db.models import Version


def ready_artefacts(db: Session, institution_id: int, *, page: int, per_page: int):
    """([(artefact, current version)], total) for one page of an institution's published artefacts."""
    where = [Artefact.institution_id == institution_id, Artefact.deleted_at.is_(None), Artefact.current_version > 0]
    total = db.scalar(select(func.count()).select_from(Artefact).where(*where)) or 0
    rows = db.execute(
        select(Artefact, Version)
        .join(Version, (Version.artefact_id == Artefact.id) & (Version.number == Artefact.current_version))
        .where(*where, Version.status == "ready")
        .order_by(Artefact.created_at.desc(), Artefact.id)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [(a, v) for a, v in rows], total


def institution(db: Session, institution_id: int) -> Institution | None:
    return db.get(Institution, institution_id)
