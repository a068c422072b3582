"""
stats.py
--------

Statistics pages: views, 3D loads and AR launches per day over the last 90
days, for one artefact and for the whole institution, as SVG charts and a
table, with a CSV download. The numbers come from `db.counts.series`, the
query behind `GET /api/v1/artefacts/<id>/stats` and `GET /api/v1/stats`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint
from flask import Response
from flask import g
from flask import render_template
from sqlalchemy import select

from service.db import get_db
from service.db.counts import series
from service.db.models import Artefact
from service.db.queries import get_artefact
from service.studio import setup
from service.studio.charts import bar_chart
from service.studio.session import login_required

bp = Blueprint("studio_stats", __name__, url_prefix="/studio")
setup(bp)

DAYS = 90
# the daily counts shown, in order: (event in daily_counts, text key)
SHOWN = (("view", "page_views"), ("load", "model_loads"), ("ar", "ar_launches"))
COLOURS = {"view": "#1d5b79", "load": "#6a4c93", "ar": "#b5451b"}


def _range() -> tuple[dt.date, dt.date]:
    end = dt.datetime.now(dt.timezone.utc).date()
    return end - dt.timedelta(days=DAYS - 1), end


def _charts(data: dict, start: dt.date, end: dt.date) -> list[dict]:
    days = [row["date"] for row in data["series"]]
    out = []
    for event, key in SHOWN:
        label = g.t("chart_of", what=g.t(key), start=start.isoformat(), end=end.isoformat())
        values = [row[event] for row in data["series"]]
        out.append({"key": key, "total": data["totals"][event],
                    "svg": bar_chart(days, values, label=label, colour=COLOURS[event])})
    return out


def _counts(artefact_id: str | None) -> tuple[Artefact | None, dict, dt.date, dt.date]:
    """(the artefact or None for the institution, its series, first day, last day): the query behind the stats API."""
    start, end = _range()
    db = get_db()
    if artefact_id is None:
        return None, series(db, start, end, institution_id=g.institution.id), start, end
    art = get_artefact(db, g.institution.id, artefact_id)
    return art, series(db, start, end, artefact_id=art.id), start, end


def _page(artefact_id: str | None):
    art, data, start, end = _counts(artefact_id)
    top = []
    if art is None:
        top = get_db().scalars(select(Artefact).where(Artefact.institution_id == g.institution.id,
                                                      Artefact.deleted_at.is_(None))
                               .order_by(Artefact.page_views.desc(), Artefact.created_at.desc()).limit(10)).all()
    return render_template("studio/stats.html", art=art, charts=_charts(data, start, end), data=data, top=top,
                           days=DAYS)


@bp.get("/stats")
@login_required
def institution():
    """The institution's daily counts over all its artefacts, and its most viewed artefacts."""
    return _page(None)


@bp.get("/stats.csv")
@login_required
def institution_csv():
    """The institution's daily counts as CSV."""
    return _csv(_counts(None)[1], "institution")


@bp.get("/artefacts/<artefact_id>/stats")
@login_required
def artefact(artefact_id: str):
    """One artefact's daily counts."""
    return _page(artefact_id)


@bp.get("/artefacts/<artefact_id>/stats.csv")
@login_required
def artefact_csv(artefact_id: str):
    """One artefact's daily counts as CSV."""
    art, data, _, _ = _counts(artefact_id)
    return _csv(data, art.accession_number or art.id)


def _csv(data: dict, name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "views", "3d_loads", "ar_launches", "qr_scans", "embed_loads"])
    for row in data["series"]:
        writer.writerow([row["date"], row["view"], row["load"], row["ar"], row["qr"], row["embed"]])
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name)[:60]
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="stats-{safe}.csv"'})
