"""
gallery.py
----------

The public gallery's database side: which artefacts may be shown (a ready
version, not withdrawn, listed), search over folded text (lower case, no
diacritics, so "ao dai" finds "Áo dài"), filters, the two sort orders, the
institutions' gallery slugs and the gallery's own counters (searches, kit
downloads). Every value reaches SQL as a bound parameter.

Most viewed: when the `daily_counts` table (artefact_id, day, event, count)
exists, views are the `view` events of the last 30 days; otherwise the
artefact's all-time `page_views` column.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import weakref
from dataclasses import dataclass

from sqlalchemy import column
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import table
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from service.db.models import Artefact
from service.db.models import GalleryCount
from service.db.models import Institution
from service.db.models import Version

# licence ids a creator may reuse freely (credit aside); everything else, and no licence, is "restricted"
FREE_LICENCES = ("CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "PDM-1.0")
FAMILIES = ("free", "restricted")
SORTS = ("newest", "popular")
SEARCH_MAX = 100  # characters of a search kept; the rest is dropped
SEARCH_TERMS = 8
VIEWS_DAYS = 30
EVENTS = ("search", "kit")

_DAILY = table("daily_counts", column("artefact_id"), column("day"), column("event"), column("count"))
_has_daily: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def fold(text: str | None) -> str:
    """Lower case without diacritics ("Đông Hồ" -> "dong ho"), spaces collapsed."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.lower().split())


def slugify(name: str) -> str:
    """An ASCII slug from an institution's name ("Bảo tàng Mỹ thuật" -> "bao-tang-my-thuat")."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:70].rstrip("-")
    return slug or "institution"


def unique_slug(db: Session, name: str) -> str:
    """slugify(name), with -2, -3, ... when another institution has it."""
    base = slug = slugify(name)
    n = 2
    while db.scalar(select(Institution.id).where(Institution.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def search_text_of(artefact: Artefact) -> str:
    """What gallery search looks in: both titles, creator, culture, accession number."""
    fields = (artefact.title_vi, artefact.title_en, artefact.creator, artefact.culture, artefact.accession_number)
    return fold(" ".join(f for f in fields if f))


@dataclass(frozen=True)
class GalleryQuery:
    """One gallery request, already checked (unknown values are None)."""

    q: str = ""
    institution_id: int | None = None
    category: str | None = None
    kind: str | None = None
    family: str | None = None
    sort: str = "newest"
    page: int = 1


def shown():
    """Conditions for an artefact to appear in the gallery, sitemap and feeds."""
    ready = exists().where(Version.artefact_id == Artefact.id, Version.status == "ready")
    return [Artefact.deleted_at.is_(None), Artefact.listed.is_(True), ready]


def _filters(query: GalleryQuery) -> list:
    where = shown()
    if query.institution_id is not None:
        where.append(Artefact.institution_id == query.institution_id)
    if query.category:
        where.append(Artefact.category == query.category)
    if query.kind:
        where.append(Artefact.kind == query.kind)
    if query.family == "free":
        where.append(Artefact.licence.in_(FREE_LICENCES))
    elif query.family == "restricted":
        where.append(or_(Artefact.licence.is_(None), Artefact.licence.not_in(FREE_LICENCES)))
    for term in fold(query.q[:SEARCH_MAX]).split()[:SEARCH_TERMS]:
        where.append(Artefact.search_text.contains(term, autoescape=True))
    return where


def views_expression(db: Session):
    """Views to sort by: daily `view` counts of the last 30 days when that table exists, else page_views."""
    engine = db.get_bind()
    if engine not in _has_daily:
        _has_daily[engine] = inspect(engine).has_table("daily_counts")
    if not _has_daily[engine]:
        return Artefact.page_views
    since = dt.date.today() - dt.timedelta(days=VIEWS_DAYS)
    return (
        select(func.coalesce(func.sum(_DAILY.c.count), 0))
        .where(_DAILY.c.artefact_id == Artefact.id, _DAILY.c.event == "view", _DAILY.c.day >= since)
        .scalar_subquery()
    )


def search(db: Session, query: GalleryQuery, *, per_page: int) -> tuple[list[tuple[Artefact, Version]], int]:
    """(artefact, current version) pairs on the query's page, and the total that match."""
    where = _filters(query)
    total = db.scalar(select(func.count()).select_from(Artefact).where(*where)) or 0
    order = [Artefact.created_at.desc(), Artefact.id]
    if query.sort == "popular":
        order.insert(0, views_expression(db).desc())
    rows = db.scalars(
        select(Artefact).where(*where).options(selectinload(Artefact.institution))
        .order_by(*order).offset((query.page - 1) * per_page).limit(per_page)
    ).all()
    return with_versions(db, rows), total


def with_versions(db: Session, artefacts: list[Artefact]) -> list[tuple[Artefact, Version]]:
    """Each artefact with its newest ready version (derivatives loaded in one query)."""
    if not artefacts:
        return []
    versions = db.scalars(
        select(Version).where(Version.artefact_id.in_([a.id for a in artefacts]), Version.status == "ready")
        .options(selectinload(Version.derivatives)).order_by(Version.number.desc())
    ).all()
    newest: dict[str, Version] = {}
    for version in versions:
        newest.setdefault(version.artefact_id, version)
    return [(a, newest[a.id]) for a in artefacts if a.id in newest]


def newest(db: Session, *, institution_id: int | None = None, limit: int = 50) -> list[tuple[Artefact, Version]]:
    """The newest shown artefacts (feeds), optionally of one institution."""
    return search(db, GalleryQuery(institution_id=institution_id), per_page=limit)[0]


def all_shown(db: Session, *, limit: int) -> list[Artefact]:
    """Every shown artefact, newest first, up to `limit` (the sitemap)."""
    return list(db.scalars(
        select(Artefact).where(*shown()).order_by(Artefact.created_at.desc(), Artefact.id).limit(limit)
    ).all())


def institution_by_slug(db: Session, slug: str) -> Institution | None:
    return db.scalar(select(Institution).where(Institution.slug == slug))


def institutions_shown(db: Session) -> list[Institution]:
    """Institutions with at least one artefact in the gallery, by name."""
    has = exists().where(Artefact.institution_id == Institution.id, *shown())
    return list(db.scalars(select(Institution).where(has, Institution.slug.is_not(None))
                           .order_by(Institution.name)).all())


def count_event(db: Session, event: str, artefact_id: str = "") -> None:
    """Add one to today's `search` or `kit` counter (kit per artefact); the caller commits."""
    if event not in EVENTS:
        raise ValueError(f"gallery: unknown event {event!r}; use one of {', '.join(EVENTS)}")
    today = dt.date.today()
    key = (GalleryCount.day == today, GalleryCount.event == event, GalleryCount.artefact_id == artefact_id)
    bumped = db.execute(update(GalleryCount).where(*key).values(count=GalleryCount.count + 1)).rowcount
    if bumped:
        return
    try:
        with db.begin_nested():
            db.add(GalleryCount(day=today, event=event, artefact_id=artefact_id, count=1))
    except IntegrityError:  # another request inserted the row first
        db.execute(update(GalleryCount).where(*key).values(count=GalleryCount.count + 1))


def counts(db: Session, *, since: dt.date, until: dt.date) -> dict[str, int]:
    """{"search": n, "kit": n} between two days, inclusive."""
    rows = db.execute(
        select(GalleryCount.event, func.sum(GalleryCount.count))
        .where(GalleryCount.day >= since, GalleryCount.day <= until).group_by(GalleryCount.event)
    ).all()
    out = dict.fromkeys(EVENTS, 0)
    out.update({event: int(n) for event, n in rows})
    return out
