"""
api
---

Thin blueprints: parse and check input, call one function in db/ or jobs/,
answer JSON. No mesh work and no object keys here.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from service.api import artefacts
    from service.api import files
    from service.api import health
    from service.api import interop
    from service.api import verify
    from service.api import jobs
    from service.api import viewer

    for module in (health, artefacts, jobs, files, viewer, interop, verify):
        app.register_blueprint(module.bp)
