"""Findings 1 and 2: originals, unpublished files and hostile types are never served by `/files/`.

Every traversal the review tried (and its variants) answers 404, on both storage
backends, and every answer carries nosniff and a sandboxing CSP.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from service.db.queries import published_file
from tests.security.published import GLB
from tests.security.published import publish

CSP = "default-src 'none'; sandbox"


def _attacks(art: dict) -> list[str]:
    """The URLs of the review, and their variants, all aiming at the original."""
    aid = art["id"]
    rest = art["original"].split("/", 1)[1]  # <artefact>/<sha256>/<name>
    return [
        f"/files/{art['original']}",
        f"/files/derivatives%2F..%2Foriginals/{rest}",
        f"/files/derivatives/../originals/{rest}",
        f"/files/derivatives/{aid}/v1/../../../originals/{rest}",
        f"/files/derivatives%252F..%252Foriginals/{rest}",
        f"/files/derivatives%2F{aid}%2Fv1%2F..%2F..%2F..%2Foriginals%2F{quote(rest, safe='')}",
        f"/files/derivatives\\..\\originals\\{rest.replace('/', chr(92))}",
        f"/files/derivatives%5C..%5Coriginals%5C{rest.replace('/', '%5C')}",
        f"/files/derivatives/{aid}/v1/%2e%2e/%2e%2e/%2e%2e/originals/{rest}",
        f"/files/derivatives/{aid}/v1/....//....//originals/{rest}",
        f"/files//{art['original']}",
        "/files/../etc/passwd",
        "/files/derivatives/../../../../etc/passwd",
        "/files/derivatives%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ]


def _hardened(resp) -> None:
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"] == CSP


def test_traversal_to_originals_is_404(backend_app, backend_client):
    art = publish(backend_app, {"master.glb": (GLB, "model/gltf-binary")},
                  original=("vase.obj", b"v 0 0 0\n# the museum's original\n"))
    ok = backend_client.get("/files/" + art["keys"]["master.glb"])
    assert ok.status_code in (200, 302)  # local sends it, S3 redirects to the bucket
    _hardened(ok)
    ok.close()
    for url in _attacks(art):
        _hardened(backend_client.get(url))
        resp = backend_client.get(url, follow_redirects=True)  # werkzeug's 308 for `//` lands on a 404 too
        assert resp.status_code == 404, url
        assert b"the museum's original" not in resp.data, url
        _hardened(resp)


@pytest.mark.parametrize(
    ("status", "deleted"),
    [
        pytest.param("processing", False, id="unpublished"),
        pytest.param("failed", False, id="failed"),
        pytest.param("ready", True, id="deleted-artefact"),
    ],
)
def test_files_of_unpublished_failed_and_deleted_versions_are_404(backend_app, backend_client, status, deleted):
    art = publish(backend_app, {"master.glb": (GLB, "model/gltf-binary")}, status=status, deleted=deleted)
    for key in (art["keys"]["master.glb"], f"derivatives/{art['id']}/v1/manifest.json"):
        resp = backend_client.get("/files/" + key)
        assert resp.status_code == 404, key
        _hardened(resp)


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        pytest.param("x.html", b"<script>alert(document.cookie)</script>", "text/html", id="html"),
        pytest.param("x.svg", b"<svg onload='alert(1)' xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml",
                     id="svg"),
        pytest.param("x.js", b"alert(1)", "text/javascript", id="js"),
        pytest.param("x.glb", b"<html><script>alert(1)</script>", "text/html", id="html-named-glb"),
    ],
)
def test_hostile_types_are_never_served(backend_app, backend_client, name, data, mime):
    # even a derivative row of such a type (a pipeline bug, a hand-edited database) is not served
    art = publish(backend_app, {name: (data, mime)}, original=(name, data))
    for url in [f"/files/{art['keys'][name]}", f"/files/{art['original']}", *_attacks(art)]:
        resp = backend_client.get(url, follow_redirects=True)
        assert resp.status_code == 404, url
        assert b"alert" not in resp.data
        _hardened(resp)


def test_served_types_are_the_allow_list(app):
    art = publish(app, {"a.glb": (GLB, "model/gltf-binary"), "b.pdf": (b"%PDF", "application/pdf"),
                        "c.csv": (b"a,b", "text/csv")})
    from service.db import get_db

    with app.app_context():
        db = get_db()
        assert published_file(db, art["keys"]["a.glb"]) == (art["keys"]["a.glb"], "model/gltf-binary")
        assert published_file(db, art["keys"]["b.pdf"]) is None
        assert published_file(db, art["keys"]["c.csv"]) is None
        assert published_file(db, art["original"]) is None


def test_uploaded_html_is_never_served_after_processing_or_delete(backend_app, backend_client, backend_auth, obj_zip,
                                                                  tmp_path):
    """Finding 2 end to end: an HTML file inside an upload never reaches a public URL."""
    import zipfile

    from tests.conftest import run_jobs
    from tests.security.conftest import upload

    evil = tmp_path / "with-html.zip"
    with zipfile.ZipFile(obj_zip) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("x.html", "<script>alert(document.domain)</script>")
    body = upload(backend_client, backend_auth, evil).get_json()
    assert run_jobs(backend_app) == 1
    store = backend_app.extensions["store"]
    keys = store.keys(f"originals/{body['id']}/")
    assert keys, "the original was stored"
    art = backend_client.get(f"/api/v1/artefacts/{body['id']}", headers=backend_auth).get_json()
    assert art["status"] == "ready", art["error"]
    assert not [n for n in art["derivatives"] if n.endswith((".html", ".svg", ".js"))]
    for key in keys:
        resp = backend_client.get("/files/" + key)
        assert resp.status_code == 404
        _hardened(resp)
    assert backend_client.delete(f"/api/v1/artefacts/{body['id']}", headers=backend_auth).status_code == 204
    for name in art["derivatives"]:
        resp = backend_client.get(f"/files/derivatives/{body['id']}/v1/{name}")
        assert resp.status_code == 404, name
