"""
files.py
--------

`/files/<key>`: published derivatives, found through the database
(`db.queries.published_file`), never by resolving the client's path. The
local store's files are sent with their stored MIME, CORS for viewers on
other origins, Range requests and a long cache for immutable version
folders; an S3 store's are redirected to their public/CDN or presigned URL.
Every answer, 404s included, carries `nosniff` and a sandboxing CSP, so
nothing served here can run as a page on the service's origin.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import request
from flask import send_file

from service.api.present import base_url
from service.db import get_db
from service.db.queries import published_file
from service.errors import NotFound
from service.storage import get_store
from service.storage.keys import cache_control

bp = Blueprint("files", __name__)

FILE_CSP = "default-src 'none'; sandbox"


@bp.after_app_request
def _harden(response: Response) -> Response:
    # app-wide, so routing answers under /files/ (404, 405, 308 for `//`) carry the headers too
    if request.path.startswith("/files/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = FILE_CSP
    return response


@bp.route("/files/<path:key>", methods=("GET", "HEAD"), provide_automatic_options=False)
def serve_file(key: str):
    """A published derivative file."""
    found = published_file(get_db(), key)
    if found is None:
        raise NotFound("file not found")
    stored_key, mime = found
    store = get_store()
    path_of = getattr(store, "path", None)
    if path_of is None:
        response = redirect(store.url(stored_key, base_url=base_url()), code=302)
        response.headers["Cache-Control"] = "private, max-age=60"
        return response
    if not store.exists(stored_key):
        raise NotFound("file not found")
    response: Response = send_file(path_of(stored_key), mimetype=mime, conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = cache_control(stored_key)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Range, Accept-Ranges, ETag"
    response.headers["Accept-Ranges"] = "bytes"
    return response


@bp.route("/files/<path:key>", methods=("OPTIONS",))
def preflight(key: str):
    """CORS preflight for Range requests from other origins."""
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Range"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response
