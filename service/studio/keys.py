"""
keys.py
-------

`/studio/keys`: an institution's administrators list, create and revoke the
API keys their scripts use (the batch CLI, a CMS sync), with the same
queries as `/api/v1/keys`. A new key's secret is shown once, on the page
that made it; only its hash is stored.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import render_template
from flask import request

from service.db import get_db
from service.db.queries import SCOPES
from service.db.queries import issue_key
from service.db.queries import list_keys
from service.db.queries import revoke_key
from service.errors import HeritageError
from service.studio import setup
from service.studio.session import role_required

bp = Blueprint("studio_keys", __name__, url_prefix="/studio/keys")
setup(bp)


def _page(status: int = 200, **extra):
    body = render_template("studio/keys.html", keys=list_keys(get_db(), g.institution.id), scopes=SCOPES, **extra)
    return body, status


@bp.get("")
@role_required("admin")
def keys():
    """The institution's keys, revoked ones included (never a secret)."""
    return _page()


@bp.post("")
@role_required("admin")
def create():
    """A new key; its secret is on this page only."""
    db = get_db()
    label = request.form.get("label", "").strip()[:200] or None
    try:
        key, raw = issue_key(db, g.institution, label=label, scope=request.form.get("scope", ""))
    except HeritageError as e:
        return _page(e.status, error=e.message)
    db.commit()
    return _page(new_key=raw, new_label=key.label or key.prefix)


@bp.post("/<int:key_id>/revoke")
@role_required("admin")
def revoke(key_id: int):
    """Revoke a key of this institution: scripts using it get 401 from now on."""
    db = get_db()
    revoke_key(db, key_id, g.institution.id)
    db.commit()
    return _page()
