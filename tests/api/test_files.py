"""Local storage files served by the app: MIME, CORS, Range, Cache-Control, privacy of originals."""

from __future__ import annotations

from service.storage import get_store


def test_served_with_mime_cors_range_and_cache(app, client):
    with app.app_context():
        get_store().put("derivatives/a/v1/ar.usdz", b"PK\x03\x04" + bytes(range(200)))
        get_store().put("originals/a/h/scan.obj", b"v 0 0 0\n")
    with client.get("/files/derivatives/a/v1/ar.usdz") as full:
        assert full.status_code == 200
        assert full.mimetype == "model/vnd.usdz+zip"
        assert full.headers["Access-Control-Allow-Origin"] == "*"
        assert "max-age=31536000" in full.headers["Cache-Control"]
        body = full.data
    with client.get("/files/derivatives/a/v1/ar.usdz", headers={"Range": "bytes=4-13"}) as part:
        assert part.status_code == 206
        assert part.data == body[4:14]
        assert part.headers["Content-Range"] == f"bytes 4-13/{len(body)}"
    pre = client.options("/files/derivatives/a/v1/ar.usdz")
    assert pre.status_code == 204 and "Range" in pre.headers["Access-Control-Allow-Headers"]
    assert client.get("/files/originals/a/h/scan.obj").status_code == 404
    assert client.get("/files/derivatives/a/v1/none.glb").status_code == 404
    assert client.get("/files/../etc/passwd").status_code == 404
