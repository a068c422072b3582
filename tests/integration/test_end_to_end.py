"""Acceptance for the foundation, over real HTTP: upload -> ready -> download a valid master.glb,
with local storage and with S3 (moto's standalone server)."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest
import requests
import trimesh

from service.config import Settings
from service.pipeline.derive.validate import validate_gltf
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import start_live
from tests.conftest import wait_for
from tests.servers import s3_settings

META = {"title": {"vi": "Hộp sơn mài", "en": "Lacquer box"}, "unit": "cm", "licence": "CC-BY-4.0",
        "attribution": "Bảo tàng Mỹ thuật", "accession_number": "BTMT-7"}


@pytest.fixture(params=["local", "s3"])
def server(request, tmp_path):
    # the local run also renders previews (a 1 s turntable), as a museum's default job would
    fields = {"previews": True, "turntable_seconds": 1, "base_url": "https://ar.example.museum"}
    if request.param == "s3":
        fields = {**s3_settings(request.getfixturevalue("moto_server")), "previews": False}
    live = start_live(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=True, **fields))
    yield live
    live.stop()
    _stop(live.app)


def poll_ready(base: str, art_id: str, headers: dict) -> dict:
    def ready():
        art = requests.get(f"{base}/api/v1/artefacts/{art_id}", headers=headers, timeout=10).json()
        return art if art["status"] in ("ready", "failed") else None

    return wait_for(ready, timeout=120)


@pytest.mark.integration
def test_upload_to_valid_master(server, obj_zip, tmp_path):
    headers = {"Authorization": f"Bearer {make_key(server.app)}"}
    with open(obj_zip, "rb") as f:
        resp = requests.post(f"{server.url}/api/v1/artefacts", headers=headers, timeout=30,
                             files={"file": ("box.zip", f)}, data={"metadata": json.dumps(META)})
    assert resp.status_code == 202, resp.text
    art = poll_ready(server.url, resp.json()["id"], headers)
    assert art["status"] == "ready", art["error"]
    public = server.app.config["SETTINGS"].base_url

    def fetch(url, **kwargs):  # links carry the public origin; fetch them from this test server
        return requests.get(url.replace(public, server.url) if public else url, timeout=30, **kwargs)

    got = fetch(art["derivatives"]["master.glb"]["url"])
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "model/gltf-binary"
    path = tmp_path / "master.glb"
    path.write_bytes(got.content)
    report = validate_gltf(path)[0]
    assert report["errors"] == 0, report["messages"]
    mesh = trimesh.load(path, force="mesh")
    assert mesh.visual.material.baseColorTexture is not None
    assert mesh.visual.uv is not None and len(mesh.visual.uv) == len(mesh.vertices)
    lo, hi = mesh.bounds
    assert lo[1] == pytest.approx(0.0, abs=1e-7)
    assert np.sort(hi - lo) == pytest.approx([0.10, 0.20, 0.30], rel=1e-5)
    assert (lo + hi)[[0, 2]] == pytest.approx([0, 0], abs=1e-7)
    job = fetch(art["links"]["job"], headers=headers).json()
    assert job["state"] == "done" and job["progress"] == 100
    if server.app.config["SETTINGS"].previews:
        for name in ("poster.jpg", "poster.webp", "thumb.jpg", "cover.jpg", "turntable.mp4"):
            assert fetch(art["derivatives"][name]["url"]).status_code == 200, name
        assert art["links"]["share"].startswith("https://ar.example.museum/ar/")
    assert requests.get(f"{server.url}/readyz", timeout=10).json()["status"] == "ok"


def _raw_post(url: str, headers: list[str], body_chunks) -> tuple[int, bytes, int]:
    """POST over a raw socket; return (status, body, bytes we managed to send)."""
    host, port = url.split("//")[1].split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    sock.sendall(("\r\n".join(["POST /api/v1/artefacts HTTP/1.1", f"Host: {host}", *headers]) + "\r\n\r\n").encode())
    sent = 0
    try:
        for chunk in body_chunks:
            sock.sendall(chunk)
            sent += len(chunk)
            sock.settimeout(0.01)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break  # the server answered before the body ended
            except (BlockingIOError, socket.timeout):
                pass
            finally:
                sock.settimeout(20)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    while True:
        try:
            part = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not part:
            break
        data += part
        if b"\r\n\r\n" in data and b"}" in data.split(b"\r\n\r\n", 1)[1]:
            break
    sock.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1], sent


@pytest.mark.integration
def test_oversized_upload_is_refused_while_streaming(tmp_path):
    live = start_live(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False, max_upload_mb=1))
    try:
        key = make_key(live.app)
        total = 50 * 1024 * 1024
        chunks = (b"\0" * 65536 for _ in range(total // 65536))
        status, body, sent = _raw_post(live.url, [
            f"Authorization: Bearer {key}",
            "Content-Type: multipart/form-data; boundary=xyz",
            f"Content-Length: {total}",
        ], chunks)
        assert status == 413
        assert json.loads(body)["error"]["code"] == "upload_too_large"
        assert sent < total // 4  # refused long before the 50 MB arrived
        assert requests.get(f"{live.url}/healthz", timeout=5).status_code == 200
    finally:
        live.stop()
        _stop(live.app)
