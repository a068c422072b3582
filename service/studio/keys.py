"""
keys.py
-------

`/studio/keys`: an institution's administrators list, create and revoke the
API keys their scripts use (the batch CLI, a CMS sync), with the same
queries as `/api/v1/keys`, and set the webhook URL with the rules of
`heritage-ar webhooks set`. A new key's secret and a new webhook signing
secret are shown once, on the page that made them.
"""

from __future__ import annotations

import secrets

from flask import Blueprint
from flask import current_app
from flask import g
from flask import render_template
from flask import request

from service.db import get_db
from service.db.queries import SCOPES
from service.db.queries import issue_key
from service.db.queries import list_keys
from service.db.queries import revoke_key
from service.errors import HeritageError
from service.jobs.webhooks import UnsafeDestination
from service.jobs.webhooks import check_url
from service.messages import render
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
        return _page(e.status, error=render(e.message, g.lang))
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


@bp.post("/webhook")
@role_required("admin")
def webhook():
    """Set (or, empty, remove) the URL that receives artefact.ready / artefact.failed; a new secret is shown once."""
    url = request.form.get("url", "").strip()
    db = get_db()
    inst = g.institution
    if not url:
        inst.webhook_url = inst.webhook_secret = None
        db.commit()
        return _page()
    try:
        check_url(url, allow_http=current_app.config["SETTINGS"].webhook_allow_http)
    except UnsafeDestination as e:
        return _page(400, webhook_error=str(e), webhook_value=url)
    inst.webhook_url, inst.webhook_secret = url, "whsec_" + secrets.token_urlsafe(24)
    db.commit()
    return _page(new_secret=inst.webhook_secret)
