"""
files.py
--------

Serves public objects of the local store at `/files/<key>`: the right MIME
for 3D files, CORS for viewers on other origins, Range requests, and a
year-long cache for immutable version folders. S3 deployments serve files
from the bucket or CDN instead.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import send_file

from service.errors import NotFound
from service.pipeline.manifest import mime_of
from service.storage import get_store
from service.storage.keys import cache_control
from service.storage.keys import is_public

bp = Blueprint("files", __name__)


@bp.route("/files/<path:key>", methods=("GET", "HEAD"), provide_automatic_options=False)
def serve_file(key: str):
    """A public derivative file."""
    store = get_store()
    path_of = getattr(store, "path", None)
    if path_of is None or not is_public(key) or not store.exists(key):
        raise NotFound(f"file {key!r} not found")
    response: Response = send_file(path_of(key), mimetype=mime_of(key), conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = cache_control(key)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Range, Accept-Ranges, ETag"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["X-Content-Type-Options"] = "nosniff"
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
