"""
health.py
---------

`/healthz`: the process answers. `/readyz`: the database and storage are reachable.
"""

from __future__ import annotations

import logging

from flask import Blueprint
from flask import current_app
from flask import jsonify

from service.api.viewer import vendor_manifest
from service.db import ping

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Database and storage answer."""
    checks = {}
    for name, check in (
        ("database", lambda: ping(current_app.extensions["db_engine"])),
        ("storage", lambda: current_app.extensions["store"].ping()),
        ("viewer", vendor_manifest),  # share pages need the vendored model-viewer (scripts/setup.sh)
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as e:  # noqa: BLE001 - report, do not crash the probe
            log.warning("readyz: %s failed", name, exc_info=True)
            checks[name] = f"error: {type(e).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503
