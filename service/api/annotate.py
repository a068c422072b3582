"""
annotate.py
-----------

`/annotate/<artefact id>`: the page where a curator pins notes on the model
(click to place, drag to move, text in vi and en, order, saved views). It
holds no data itself: the page's script asks for an API key (kept in the
tab's sessionStorage only) and works through `/api/v1/.../annotations`, so
it sees exactly what the key's institution may see. Opened by a signed-in
studio editor, it works with the studio session instead (the page carries
the session's CSRF token; api/auth.py checks both).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import Response
from flask import render_template

from service.api import viewer_page
from service.api.viewer import vendor_manifest
from service.storage import get_store

bp = Blueprint("annotate", __name__)


def _studio_csrf() -> str:
    """The studio session's CSRF token when an editor is signed in, else "" (the page asks for a key)."""
    from flask_wtf.csrf import generate_csrf

    from service.studio.session import can
    from service.studio.session import load_user

    return generate_csrf() if load_user() is not None and can("editor") else ""


@bp.get("/annotate/<artefact_id>")
def annotate(artefact_id: str):
    """The notes editor for one artefact (signed in with an API key by the page's script)."""
    vendor = viewer_page.vendor_paths(vendor_manifest())
    body = render_template("annotate.html", artefact_id=artefact_id, vendor=vendor, csrf=_studio_csrf())
    response = Response(body, mimetype="text/html")
    # where the store serves model files (an S3 bucket or CDN) is a deployment constant
    probe = urlsplit(get_store().url("derivatives/probe/v1/probe.glb"))
    origins = [f"{probe.scheme}://{probe.netloc}"] if probe.netloc else []
    response.headers["Content-Security-Policy"] = viewer_page.csp(origins, frame_ancestors="'none'")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
