"""Photo sets through the real upload API, job runner and storage."""

from __future__ import annotations

import json
import zipfile

from PIL import Image

from tests.conftest import run_jobs
from tests.pipeline.flows.test_ring import write_ring
from tests.pipeline.photos.helpers import painting


def _post(client, auth, path, metadata):
    with open(path, "rb") as f:
        data = {"file": (f, path.name), "metadata": json.dumps(metadata)}
        return client.post(
            "/api/v1/artefacts", data=data, headers=auth, content_type="multipart/form-data"
        )


def test_painting_upload_becomes_a_wall_panel(client, auth, app, tmp_path):
    path = tmp_path / "tranh-son-mai.jpg"
    Image.fromarray(painting(610, 460)).save(path, quality=90)
    md = {
        "title": {"vi": "Tranh sơn mài", "en": "Lacquer painting"},
        "kind": "flat",
        "flat_kind": "lacquer",
        "dimensions": {"width": 61, "height": 46, "unit": "cm"},
    }
    resp = _post(client, auth, path, md)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert run_jobs(app) == 1
    art = client.get(f"/api/v1/artefacts/{resp.get_json()['id']}", headers=auth).get_json()
    assert art["status"] == "ready", art
    master = art["derivatives"]["master.glb"]
    lo, hi = master["bounds"]
    assert [round(b - a, 4) for a, b in zip(lo, hi)] == [0.61, 0.46, 0.015]


def test_ring_upload_becomes_a_spin_set(client, auth, app, tmp_path):
    paths = write_ring(tmp_path / "ring", n=12)
    archive = tmp_path / "ring.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in paths:
            z.write(p, f"turntable/{p.name}")
    resp = _post(client, auth, archive, {"title": {"en": "Vase"}})  # no kind: 12 photos -> ring
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert run_jobs(app) == 1
    art = client.get(f"/api/v1/artefacts/{resp.get_json()['id']}", headers=auth).get_json()
    assert art["status"] == "ready", art
    files = art["derivatives"]
    assert files["spin.json"]["mime"] == "application/json"
    assert files["spin.mp4"]["mime"] == "video/mp4"
    with client.get(files["spin.json"]["url"].replace("http://localhost", "")) as got:
        spin = json.loads(got.data)
    assert spin["frames"] == 12
    first = spin["sizes"][0]["frames"][0]
    with client.get(files[first]["url"].replace("http://localhost", "")) as got:
        assert got.status_code == 200 and got.data[:3] == b"\xff\xd8\xff"


def test_ring_of_one_photo_fails_with_a_reason(client, auth, app, tmp_path):
    path = write_ring(tmp_path / "ring", n=1)[0]
    resp = _post(client, auth, path, {"title": {"en": "Vase"}, "kind": "ring"})
    assert resp.status_code == 202
    run_jobs(app)
    job = client.get(resp.get_json()["job_url"], headers=auth).get_json()
    assert job["state"] == "failed"
    assert "at least 12" in json.dumps(job["error"])
