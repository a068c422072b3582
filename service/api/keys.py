"""
keys.py
-------

`/api/v1/keys` (admin keys): list, create and revoke the institution's API
keys; `/api/v1/usage`: jobs, storage and rate limits against the quotas.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify

from service.api.auth import require_admin
from service.api.auth import require_key
from service.api.schemas import KeyCreate
from service.api.schemas import parse_json
from service.db import get_db
from service.db.models import ApiKey
from service.db.queries import issue_key
from service.db.queries import list_keys
from service.db.queries import revoke_key
from service.jobs.fair import usage

bp = Blueprint("keys", __name__, url_prefix="/api/v1")


def _when(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def key_json(key: ApiKey) -> dict:
    return {"id": key.id, "prefix": key.prefix, "label": key.label, "scope": key.scope,
            "created_at": _when(key.created_at), "last_used_at": _when(key.last_used_at),
            "revoked_at": _when(key.revoked_at)}


@bp.get("/keys")
@require_admin
def list_view():
    """The institution's keys, revoked ones included (never the secret)."""
    return jsonify(items=[key_json(k) for k in list_keys(get_db(), g.institution.id)])


@bp.post("/keys")
@require_admin
def create():
    """A new key; the secret is in this answer only."""
    body = parse_json(KeyCreate)
    db = get_db()
    key, raw = issue_key(db, g.institution, label=body.label, scope=body.scope)
    db.commit()
    return jsonify({**key_json(key), "key": raw}), 201


@bp.delete("/keys/<int:key_id>")
@require_admin
def revoke(key_id: int):
    """Revoke a key: requests with it get 401 from now on."""
    db = get_db()
    key = revoke_key(db, key_id, g.institution.id)
    db.commit()
    return jsonify(key_json(key))


@bp.get("/usage")
@require_key
def usage_view():
    """Jobs queued and running, storage used and the limits that apply."""
    body = usage(get_db(), g.institution.id, current_app.config["SETTINGS"])
    return jsonify({"institution": g.institution.name, **body})
