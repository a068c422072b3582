"""
webhooks.py
-----------

`/api/v1/webhooks/deliveries`: the institution's webhook deliveries with
their last answer, newest first, and re-sending one (as a new delivery).
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from sqlalchemy import func
from sqlalchemy import select

from service.api.auth import require_key
from service.api.schemas import DeliveryListQuery
from service.api.schemas import parse_query
from service.db import get_db
from service.db.models import WebhookDelivery
from service.db.models import utcnow
from service.errors import Conflict
from service.errors import NotFound

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")


def _when(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def delivery_json(d: WebhookDelivery) -> dict:
    return {"id": d.id, "event": d.event, "url": d.url, "state": d.state, "attempts": d.attempts,
            "last_status": d.last_status, "last_error": d.last_error, "created_at": _when(d.created_at),
            "last_attempt_at": _when(d.last_attempt_at), "next_attempt_at": _when(d.next_attempt_at),
            "delivered_at": _when(d.delivered_at), "payload": d.payload}


@bp.get("/deliveries")
@require_key
def list_view():
    """Deliveries of this institution, newest first; `state` filters."""
    q = parse_query(DeliveryListQuery)
    per_page = min(q.per_page, 100)
    where = [WebhookDelivery.institution_id == g.institution.id]
    if q.state:
        where.append(WebhookDelivery.state == q.state)
    db = get_db()
    total = db.scalar(select(func.count()).select_from(WebhookDelivery).where(*where))
    rows = db.scalars(select(WebhookDelivery).where(*where)
                      .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
                      .offset((q.page - 1) * per_page).limit(per_page)).all()
    return jsonify(items=[delivery_json(d) for d in rows], page=q.page, per_page=per_page, total=total,
                   pages=(total + per_page - 1) // per_page)


def _find(delivery_id: str) -> WebhookDelivery:
    d = get_db().scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                      WebhookDelivery.institution_id == g.institution.id))
    if d is None:
        raise NotFound(f"delivery {delivery_id!r} not found")
    return d


@bp.get("/deliveries/<delivery_id>")
@require_key
def get_view(delivery_id: str):
    """One delivery with its payload and last answer."""
    return jsonify(delivery_json(_find(delivery_id)))


@bp.post("/deliveries/<delivery_id>/resend")
@require_key
def resend(delivery_id: str):
    """Send a delivery's event again, as a new delivery to the institution's current webhook URL."""
    old = _find(delivery_id)
    inst = g.institution
    if not inst.webhook_url or not inst.webhook_secret:
        raise Conflict("webhooks: this institution has no webhook URL; set one with `heritage-ar webhooks set`")
    db = get_db()
    new = WebhookDelivery(institution_id=inst.id, event=old.event, payload=old.payload, url=inst.webhook_url,
                          state="pending", attempts=0, next_attempt_at=utcnow(), created_at=utcnow())
    db.add(new)
    db.commit()
    dispatcher = current_app.extensions.get("webhooks")
    if dispatcher is not None:
        dispatcher.wake()
    return jsonify(delivery_json(new)), 202
