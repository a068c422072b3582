"""
kit.py
------

`/kit/<slug>.zip`: the creator kit of one artefact as a single download (cover,
vertical turntable video and its annotated cut when there is one, QR code,
short link, captions in Vietnamese and English with the credit line and the
operator's hashtags, a README of the licence terms). Anonymous like the share
page, rate-limited per address, counted as a `kit` event; a withdrawn or
unknown artefact is a 404. An unlisted artefact's kit still works.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import stream_with_context

from service.api.limits import limiter
from service.api.present import base_url
from service.api.viewer_kit import kit_entries
from service.api.viewer_kit import links_of
from service.api.viewer_kit import stream_zip
from service.api.viewer_qr import qr_png
from service.db import get_db
from service.db.gallery import count_event
from service.db.gallery import slugify
from service.db.queries import current_version
from service.db.queries import find_public
from service.db.queries import metadata_of
from service.errors import NotFound
from service.pipeline.metadata import display_title
from service.pipeline.metadata import public_metadata

bp = Blueprint("kit", __name__)

KIT_LIMIT = "30 per minute"
QR_SIZE = 1024


@bp.get("/kit/<slug>.zip")
@limiter.limit(KIT_LIMIT)
def kit(slug: str):
    """The creator kit as one ZIP, streamed."""
    db = get_db()
    artefact = find_public(db, slug=slug)
    version = current_version(db, artefact) if artefact is not None and artefact.deleted_at is None else None
    if version is None:
        raise NotFound(f"kit: no shared artefact {slug!r}")
    metadata = public_metadata(metadata_of(artefact))
    metadata["institution"] = artefact.institution.name
    root = base_url()
    links = links_of(artefact, root)
    qr = qr_png(links["share"], size=QR_SIZE, caption=links["short"].split("://", 1)[-1])
    entries = kit_entries(artefact, metadata, version, root, current_app.config["SETTINGS"].hashtags, qr)
    count_event(db, "kit", artefact.id)
    db.commit()
    name = f"{slugify(display_title(metadata, 'vi'))[:60]}-kit"
    response = Response(stream_with_context(stream_zip(entries, name)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    response.headers["Cache-Control"] = "no-store"  # each download is counted
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
