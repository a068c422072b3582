"""
stats.py
--------

`GET /api/v1/artefacts/<id>/stats?from=YYYY-MM-DD&to=YYYY-MM-DD`: one
artefact's daily views, 3D loads, AR launches, QR scans and embed loads (and
the sites embedding it); `GET /api/v1/stats`: the same for the whole
institution. Counts reach the database in batches (docs/delivery.md), so
the last few seconds may not show yet. Default range: the last 30 days.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint
from flask import g
from flask import jsonify
from flask import request

from service.api.auth import require_key
from service.db import get_db
from service.db.counts import series
from service.db.counts import top_referrers
from service.db.queries import get_artefact
from service.errors import BadRequest

bp = Blueprint("stats", __name__, url_prefix="/api/v1")

MAX_DAYS = 731
DEFAULT_DAYS = 30
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


def _day(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name)
    if raw is None:  # given but blank is a mistake, not "the default"
        return default
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"stats: `{name}` must be a date like 2026-12-04, got {raw!r}") from None
    # counts exist from this century on; the bounds also keep the range arithmetic inside Python's dates
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadRequest(f"stats: `{name}` must be between {FIRST_DAY} and {LAST_DAY}, got {raw!r}")
    return day


def _range() -> tuple[dt.date, dt.date]:
    end = _day("to", dt.datetime.now(dt.timezone.utc).date())
    start = _day("from", end - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise BadRequest(f"stats: `from` ({start}) is after `to` ({end}); swap them")
    if (end - start).days >= MAX_DAYS:
        raise BadRequest(f"stats: at most {MAX_DAYS} days at once; ask for a shorter range")
    return start, end


@bp.get("/artefacts/<artefact_id>/stats")
@require_key
def artefact_stats(artefact_id: str):
    """One artefact's daily counts."""
    start, end = _range()
    db = get_db()
    artefact = get_artefact(db, g.institution.id, artefact_id)
    body = {"artefact_id": artefact.id, "from": start.isoformat(), "to": end.isoformat(),
            **series(db, start, end, artefact_id=artefact.id),
            "referrers": top_referrers(db, artefact.id, start, end)}
    return jsonify(body)


@bp.get("/stats")
@require_key
def institution_stats():
    """The institution's daily counts over all its artefacts."""
    start, end = _range()
    body = {"from": start.isoformat(), "to": end.isoformat(),
            **series(get_db(), start, end, institution_id=g.institution.id)}
    return jsonify(body)
