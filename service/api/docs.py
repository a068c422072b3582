"""
docs.py
-------

`GET /api/v1/openapi.json`: the OpenAPI 3.1 document (openapi.py).
`GET /api/docs`: the API reference, rendered by the vendored Swagger UI
(assets/vendor/swagger-ui-<version>, from scripts/vendor-assets.sh). The page
loads nothing from other origins; its CSP says so.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import send_file

from service.api import openapi_ops  # noqa: F401 - fills openapi.OPERATIONS
from service.api.openapi import build
from service.errors import NotFound

bp = Blueprint("docs", __name__)

SWAGGER_VERSION = "5.32.0"  # swagger-ui-dist: keep in step with package.json and scripts/vendor-assets.sh
SWAGGER_DIR = Path(__file__).resolve().parents[2] / "assets" / "vendor" / f"swagger-ui-{SWAGGER_VERSION}"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>heritage-ar API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="api-reference"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script>
</body>
</html>
"""

INIT = """window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#api-reference",
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false
});
"""


@bp.get("/api/v1/openapi.json")
def openapi_json():
    """The API description (OpenAPI 3.1)."""
    doc = current_app.extensions.get("openapi")
    if doc is None:
        doc = current_app.extensions["openapi"] = build(current_app)
    response = jsonify(doc)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/api/docs")
def docs_page():
    """The human-readable API reference."""
    return _secure(Response(PAGE, mimetype="text/html"))


@bp.get("/api/docs/assets/<name>")
def docs_asset(name: str):
    """Swagger UI's files and the page's start script."""
    if name == "init.js":
        return _secure(Response(INIT, mimetype="text/javascript"))
    if name not in ASSETS or not (SWAGGER_DIR / name).is_file():
        raise NotFound(f"docs asset {name!r} not found; run scripts/vendor-assets.sh")
    response = send_file(SWAGGER_DIR / name, mimetype=ASSETS[name], conditional=True, max_age=86400)
    return _secure(response)
