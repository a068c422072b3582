"""
limits.py
---------

Rate limits for anonymous endpoints (Flask-Limiter), keyed by client
address, counted in memory per process. `limiter` is initialised in
create_app; views opt in with `@limiter.limit("30 per minute")`.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, default_limits=[], storage_uri="memory://", headers_enabled=True)


def init_app(app: Flask) -> None:
    limiter.init_app(app)
