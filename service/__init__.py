"""
heritage-ar
-----------

Turns scans and photo sets of cultural artefacts into web-ready glTF, USDZ,
previews and AR share links. `create_app()` builds the Flask app.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from service.config import Settings
from service.errors import HeritageError

if TYPE_CHECKING:  # Flask is imported in create_app: job children import `service` and need no web stack
    from flask import Flask

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from `settings`, or from HERITAGE_AR_* variables when None."""
    if settings is None:
        settings = Settings.from_env()
    from flask import Flask

    settings = settings.resolved()
    settings.check_production()
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    if settings.hosts:
        # Flask answers 400 to any other Host header, so links built from it are safe
        app.config["TRUSTED_HOSTS"] = settings.hosts
    app.config.from_mapping(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
    )
    app.json.sort_keys = False
    if settings.auto_migrate:
        from service import db as _db

        _db.upgrade(settings.database_url)

    from service import db
    from service import jobs
    from service import storage

    from service import counters

    db.init_app(app)
    storage.init_app(app)
    jobs.init_app(app)
    counters.init_app(app)

    from service.api import limits
    from service.api import register
    from service.api import viewer_publish
    from service.api.hot import HotPath

    viewer_publish.init_app(app)
    limits.init_app(app)
    register(app)
    from service import studio

    studio.init_app(app)  # the staff web application, at /
    limits.apply_route_limits(app)
    app.wsgi_app = HotPath(app, app.wsgi_app)  # published pages and beacons before Flask routing
    _register_errors(app)
    return app


def _register_errors(app: Flask) -> None:
    from flask import jsonify
    from flask import request

    from service.messages import Message
    from service.messages import error_lang
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HeritageError)
    def heritage_error(e: HeritageError):
        lang = error_lang(request) if isinstance(e.message, Message) else "en"
        response = jsonify(error=e.to_dict(lang))
        response.headers["Content-Language"] = lang  # the studio shows its own words when this is not its language
        response.vary.add("Accept-Language")
        return response, e.status

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = (e.name or "error").lower().replace(" ", "_")
        message = e.description or e.name
        if e.code == 413:
            limit = app.config["SETTINGS"].max_upload_mb
            code, message = "upload_too_large", f"upload: larger than the limit of {limit} MB; split it or ask the operator"
        return jsonify(error={"code": code, "message": message}), e.code

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unexpected error")
        return jsonify(error={"code": "internal_error", "message": "an unexpected error happened; it has been logged"}), 500
