"""
verify.py
---------

The public `/verify` page: anyone drops a file (or pastes a link to one of
our files) and sees who issued it, for which artefact, under which licence
and whether it was altered since it was signed. Checked on the server with
c2pa-python (provenance/verify.py). Uploads are size-limited and never
stored; links are resolved to our own published derivatives only (no
fetching of other sites). `?format=json` or `Accept: application/json`
answers JSON.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from sqlalchemy import select

from service.api import viewer_page
from service.api.viewer_text import pick_lang
from service.api.verify_text import WORDS
from service.db import get_db
from service.db.models import Derivative
from service.db.models import Version
from service.db.queries import current_version
from service.errors import BadRequest
from service.errors import NotFound
from service.errors import UploadTooLarge
from service.pipeline.metadata import LICENCES
from service.provenance.verify import verify as check
from service.storage import get_store

bp = Blueprint("verify", __name__)

_KEY = re.compile(r"derivatives/[0-9a-f]{32}/v\d+/[A-Za-z0-9._-]+")


def _limit() -> int:
    return current_app.config["SETTINGS"].verify_max_mb * 1024 * 1024


def _anchors() -> str | None:
    path = current_app.config["SETTINGS"].c2pa_trust_anchors_path
    return Path(path).read_text() if path else None


def _read(part) -> bytes:
    try:
        data = part.stream.read(_limit() + 1)
    finally:
        part.close()  # a spooled temporary file for large parts
    if len(data) > _limit():
        raise UploadTooLarge(f"verify: the file is larger than {_limit() // (1024 * 1024)} MB")
    return data


def _published(key: str) -> Derivative | None:
    """The live derivative stored under `key` (current version, artefact not withdrawn)."""
    db = get_db()
    d = db.scalar(select(Derivative).where(Derivative.key == key))
    if d is None:
        return None
    version: Version = d.version
    artefact = version.artefact
    current = current_version(db, artefact)
    if artefact.deleted_at is not None or current is None or current.id != version.id:
        return None
    return d


def _from_link(url: str) -> tuple[bytes, bytes | None, str]:
    """Bytes (and sidecar) of one of our files named by its link."""
    m = _KEY.search(url or "")
    d = _published(m.group(0)) if m else None
    if d is None:
        raise NotFound("verify: that link is not a file published here; download it and drop the file instead")
    store = get_store()
    if d.bytes > _limit():
        raise UploadTooLarge(f"verify: the file is larger than {_limit() // (1024 * 1024)} MB")
    sidecar = _published(d.key + ".c2pa")
    return store.get(d.key), store.get(sidecar.key) if sidecar else None, d.name


def _sidecar_for(data: bytes) -> bytes | None:
    """Our sidecar manifest for a GLB/USDZ we published with exactly these bytes."""
    digest = hashlib.sha256(data).hexdigest()
    for d in get_db().scalars(select(Derivative).where(Derivative.sha256 == digest)).all():
        side = _published(d.key + ".c2pa")
        if side is not None:
            return get_store().get(side.key)
    return None


def _wants_json() -> bool:
    return request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json"


def _render(lang: str, report: dict | None, name: str | None, status: int = 200) -> Response:
    if _wants_json():
        return jsonify({"file": name, **(report or {})}), status
    licence = ((report or {}).get("artefact") or {}).get("licence")
    body = render_template("viewer/verify.html", t=WORDS[lang], lang=lang, report=report, name=name,
                           licence=LICENCES.get(licence or "", (licence, None)), max_mb=_limit() // (1024 * 1024))
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = viewer_page.csp([], frame_ancestors="'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/verify")
def verify_page():
    """The form; with ?url=<one of our file links>, that file's Content Credentials."""
    lang = pick_lang(request)
    url = request.args.get("url")
    if not url:
        return _render(lang, None, None)
    data, sidecar, name = _from_link(url)
    return _render(lang, check(data, sidecar=sidecar, trust_anchors=_anchors()), name)


@bp.post("/verify")
def verify_upload():
    """Check a dropped file (multipart `file`, optional `sidecar` .c2pa for GLB/USDZ) or a `url` field."""
    lang = pick_lang(request)
    if request.content_length and request.content_length > 2 * _limit() + 65536:
        raise UploadTooLarge(f"verify: the file is larger than {_limit() // (1024 * 1024)} MB")
    part = request.files.get("file")
    if part is None or not part.filename:
        if request.form.get("url"):
            data, sidecar, name = _from_link(request.form["url"])
            return _render(lang, check(data, sidecar=sidecar, trust_anchors=_anchors()), name)
        raise BadRequest("verify: choose a file (form field `file`) or paste a link (field `url`)")
    data = _read(part)
    side_part = request.files.get("sidecar")
    sidecar = _read(side_part) if side_part is not None and side_part.filename else None
    if sidecar is None and data[:4] in (b"glTF", b"PK\x03\x04"):
        sidecar = _sidecar_for(data)
    return _render(lang, check(data, sidecar=sidecar, trust_anchors=_anchors()), Path(part.filename).name)
