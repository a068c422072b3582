"""
studio
------

The web application museum staff use: sign in, upload, catalogue, follow
processing, share and measure (issue 14). Server-rendered Jinja pages in
Vietnamese and English; the pages' small scripts call `/api/v1` with the
signed-in session (api/auth.py accepts it, with the CSRF token for writes),
so the studio and the API share one set of rules and messages.

    accounts.py  sign in and out, one-time links, the language switch
    pages.py     collection (/), upload, artefact, share
    stats.py     charts and CSV of the daily counts
    admin.py     users of the institution (admins)
    keys.py      the institution's API keys (admins)
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import CSRFProtect

from service.errors import HeritageError
from service.messages import Message
from service.messages import render
from service.studio.text import TEXT
from service.studio.text import error_names
from service.studio.text import pick_lang
from service.studio.text import stage_names
from service.studio.text import translator

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Cookie flags, CSRF and the studio's blueprints."""
    settings = app.config["SETTINGS"]
    app.config.update(
        SESSION_COOKIE_NAME="studio_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=7),
        # views check the token themselves (`protect` below, auth.py for the API): API keys need none
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a 3 GB upload can outlast an hour
    )
    csrf.init_app(app)
    from service.studio import accounts
    from service.studio import admin
    from service.studio import keys
    from service.studio import pages
    from service.studio import settings as settings_page
    from service.studio import stats

    for module in (accounts, pages, stats, admin, keys, settings_page):
        app.register_blueprint(module.bp)


def setup(bp: Blueprint) -> None:
    """What every studio blueprint shares: language, CSRF on writes, headers, error pages."""
    bp.before_request(_before)
    bp.after_request(_headers)
    bp.context_processor(_context)
    bp.register_error_handler(HeritageError, _heritage_error)
    bp.register_error_handler(CSRFError, _csrf_error)
    bp.register_error_handler(404, lambda e: _page_error(404, "not_found", "not_found_body"))
    bp.register_error_handler(403, lambda e: _page_error(403, "forbidden", "forbidden_body"))


def _before() -> None:
    g.lang = pick_lang(request)
    g.t = translator(g.lang)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def _context() -> dict:
    from service.studio.session import can
    from service.studio.session import load_user

    if "t" not in g:  # a render outside a studio request (a page published from a job or a test context)
        return {}
    return {"t": g.t, "lang": g.lang, "user": load_user(), "can": can, "kinds": TEXT[g.lang]["kinds"],
            "title_of": _title_of, "size_of": _size_of, "stages": stage_names(g.lang),
            "errors": error_names(g.lang)}


def _title_of(art) -> str:
    """The artefact's title in the page's language, else in the other one."""
    first, second = (art.title_vi, art.title_en) if g.lang == "vi" else (art.title_en, art.title_vi)
    return first or second or g.t("untitled")


def _size_of(n: int | None) -> str:
    """Bytes as a person reads them: 1.2 MB."""
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _headers(response):
    from service.api import viewer_page
    from service.storage import get_store

    if response.mimetype == "text/html":
        # where the store serves files (an S3 bucket or CDN) is a deployment constant
        probe = urlsplit(get_store().url("derivatives/probe/v1/probe.glb"))
        origins = [f"{probe.scheme}://{probe.netloc}"] if probe.netloc else []
        response.headers["Content-Security-Policy"] = (
            viewer_page.csp(origins, frame_ancestors="'none'") + "; frame-src 'self'")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.vary.add("Cookie")
    return response


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _heritage_error(e: HeritageError):
    lang = g.lang if isinstance(e.message, Message) else "en"
    if _wants_json():
        response = jsonify(error=e.to_dict(lang))
        response.headers["Content-Language"] = lang
        return response, e.status
    if e.status == 404:
        return _page_error(404, "not_found", "not_found_body")
    return render_template("studio/error.html", title=g.t("error_generic", msg=""), message=render(e.message, lang)), e.status


def _csrf_error(e: CSRFError):
    if _wants_json():
        return jsonify(error={"code": "csrf_failed", "message": "csrf: " + (e.description or "token missing")}), 400
    return render_template("studio/error.html", title=g.t("forbidden"), message=g.t("form_expired"),
                           back=request.path), 400


def _page_error(status: int, title: str, body: str):
    if _wants_json():
        return jsonify(error={"code": title, "message": g.t(body)}), status
    return render_template("studio/error.html", title=g.t(title), message=g.t(body)), status
