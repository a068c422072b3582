"""
api
---

Thin blueprints: parse and check input, call one function in db/ or jobs/,
answer JSON. No mesh work and no object keys here.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from service.api import annotate
    from service.api import artefacts
    from service.api import docs
    from service.api import files
    from service.api import gallery
    from service.api import gallery_feeds
    from service.api import health
    from service.api import interop
    from service.api import jobs
    from service.api import keys
    from service.api import kit
    from service.api import notes
    from service.api import stats
    from service.api import uploads
    from service.api import verify
    from service.api import viewer
    from service.api import webhooks

    for module in (health, artefacts, notes, annotate, jobs, stats, keys, webhooks, docs, files, viewer, gallery, gallery_feeds,
                   kit, interop, verify, uploads):
        app.register_blueprint(module.bp)
