"""Local storage files served by the app: MIME, CORS, Range, Cache-Control, privacy of originals."""

from __future__ import annotations

from urllib.parse import quote

from tests.security.published import GLB
from tests.security.published import publish


def test_served_with_mime_cors_range_and_cache(app, client):
    art = publish(app, {"ar.usdz": (b"PK\x03\x04" + bytes(range(200)), "model/vnd.usdz+zip"),
                        "master.glb": (GLB, "model/gltf-binary")})
    url = "/files/" + quote(art["keys"]["ar.usdz"])
    with client.get(url) as full:
        assert full.status_code == 200
        assert full.mimetype == "model/vnd.usdz+zip"
        assert full.headers["Access-Control-Allow-Origin"] == "*"
        assert "max-age=31536000" in full.headers["Cache-Control"]
        assert full.headers["X-Content-Type-Options"] == "nosniff"
        assert full.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        body = full.data
    with client.get(url, headers={"Range": "bytes=4-13"}) as part:
        assert part.status_code == 206
        assert part.data == body[4:14]
        assert part.headers["Content-Range"] == f"bytes 4-13/{len(body)}"
    pre = client.options(url)
    assert pre.status_code == 204 and "Range" in pre.headers["Access-Control-Allow-Headers"]
    assert client.get("/files/" + art["original"]).status_code == 404
    assert client.get(f"/files/derivatives/{art['id']}/v1/none.glb").status_code == 404
    assert client.get("/files/../etc/passwd").status_code == 404
    with client.get(f"/files/derivatives/{art['id']}/v1/manifest.json") as manifest:
        assert manifest.status_code == 200 and manifest.mimetype == "application/json"
