"""
counts.py
---------

Daily counts in the database: `write_batch` adds a batch of aggregated
beacons (one upsert per row, one transaction per flush) and keeps the
artefact's lifetime columns (page_views, model_loads, ar_launches) in step
in the same transaction; `series` and `totals` answer the stats API.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from service.db.models import Artefact
from service.db.models import DailyCount
from service.db.models import DailyReferrer

EVENTS = ("view", "load", "ar", "qr", "embed")
# lifetime columns on artefacts kept equal to the sum of their daily rows
COLUMNS = {"view": "page_views", "load": "model_loads", "ar": "ar_launches"}


def _upsert(db: Session, table, values: dict, conflict: list[str]) -> None:
    if db.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values)
    db.execute(stmt.on_conflict_do_update(index_elements=conflict, set_={"count": table.count + stmt.excluded.count}))


def write_batch(sessions: sessionmaker, counts: dict, refs: dict) -> int:
    """Add {(slug, day, event): n} and {(slug, day, host): n}; unknown or withdrawn slugs are dropped."""
    slugs = {slug for slug, _, _ in counts} | {slug for slug, _, _ in refs}
    written = 0
    with sessions() as db:
        ids = dict(db.execute(select(Artefact.slug, Artefact.id).where(
            Artefact.slug.in_(slugs), Artefact.deleted_at.is_(None))).all())
        lifetime: dict[tuple[str, str], int] = {}
        for (slug, day, event), n in sorted(counts.items()):
            if slug not in ids or event not in EVENTS:
                continue
            _upsert(db, DailyCount, {"artefact_id": ids[slug], "day": dt.date.fromisoformat(day), "event": event,
                                     "count": n}, ["artefact_id", "day", "event"])
            written += n
            if event in COLUMNS:
                lifetime[(ids[slug], COLUMNS[event])] = lifetime.get((ids[slug], COLUMNS[event]), 0) + n
        for (slug, day, host), n in sorted(refs.items()):
            if slug in ids:
                _upsert(db, DailyReferrer, {"artefact_id": ids[slug], "day": dt.date.fromisoformat(day), "host": host,
                                            "count": n}, ["artefact_id", "day", "host"])
        for (artefact_id, column), n in sorted(lifetime.items()):
            db.execute(update(Artefact).where(Artefact.id == artefact_id)
                       .values({column: getattr(Artefact, column) + n}))
        db.commit()
    return written


def series(db: Session, start: dt.date, end: dt.date, *, artefact_id: str | None = None,
           institution_id: int | None = None) -> dict:
    """{"series": [{"date", "view", ...} for each day start..end], "totals": {...}} for one artefact or institution."""
    query = select(DailyCount.day, DailyCount.event, func.sum(DailyCount.count)).where(
        DailyCount.day >= start, DailyCount.day <= end).group_by(DailyCount.day, DailyCount.event)
    if artefact_id is not None:
        query = query.where(DailyCount.artefact_id == artefact_id)
    if institution_id is not None:
        query = query.join(Artefact, Artefact.id == DailyCount.artefact_id).where(
            Artefact.institution_id == institution_id)
    found = {(day, event): int(n) for day, event, n in db.execute(query)}
    days, totals = [], dict.fromkeys(EVENTS, 0)
    day = start
    while day <= end:
        row = {"date": day.isoformat(), **{e: found.get((day, e), 0) for e in EVENTS}}
        for e in EVENTS:
            totals[e] += row[e]
        days.append(row)
        day += dt.timedelta(days=1)
    return {"series": days, "totals": totals}


def top_referrers(db: Session, artefact_id: str, start: dt.date, end: dt.date, limit: int = 20) -> list[dict]:
    """The sites that embed an artefact most, with embed page loads in the range."""
    total = func.sum(DailyReferrer.count)
    rows = db.execute(select(DailyReferrer.host, total).where(
        DailyReferrer.artefact_id == artefact_id, DailyReferrer.day >= start, DailyReferrer.day <= end)
        .group_by(DailyReferrer.host).order_by(total.desc(), DailyReferrer.host).limit(limit))
    return [{"host": host, "embed": int(n)} for host, n in rows]
