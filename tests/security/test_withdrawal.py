"""Finding 3: a DELETE issued while the job runs wins; the job publishes nothing and fires no `artefact.ready`."""

from __future__ import annotations

import pytest

from service.jobs import execute
from tests.conftest import run_jobs
from tests.security.conftest import upload


@pytest.mark.parametrize("moment", ["while-processing", "after-upload"])
def test_delete_during_the_job_leaves_no_public_file(backend_app, backend_client, backend_auth, obj_zip,
                                                     monkeypatch, moment):
    body = upload(backend_client, backend_auth, obj_zip).get_json()
    art_id = body["id"]
    events = []
    monkeypatch.setattr(execute, "record_webhook", lambda db, institution, event: events.append(event))

    def withdraw():
        assert backend_client.delete(f"/api/v1/artefacts/{art_id}", headers=backend_auth).status_code == 204

    if moment == "while-processing":
        real = execute.run_child

        def run_child(*args, **kwargs):
            withdraw()
            return real(*args, **kwargs)

        monkeypatch.setattr(execute, "run_child", run_child)
    else:
        real = execute._upload

        def upload_then_delete(*args, **kwargs):
            rows = real(*args, **kwargs)
            withdraw()  # the derivatives are in storage already: the job must take them back
            return rows

        monkeypatch.setattr(execute, "_upload", upload_then_delete)

    assert run_jobs(backend_app) == 1
    store = backend_app.extensions["store"]
    assert store.keys(f"derivatives/{art_id}/") == []
    for name in ("master.glb", "ar.usdz", "manifest.json"):
        assert backend_client.get(f"/files/derivatives/{art_id}/v1/{name}").status_code == 404
    assert not [e for e in events if e["event"] == "artefact.ready"]
    job = backend_client.get(body["job_url"].replace("http://localhost", ""), headers=backend_auth).get_json()
    assert job["state"] == "failed" and job["error"]["code"] == "artefact_deleted"
    # and nobody can bring it back on purpose either
    retry = backend_client.post(f"/api/v1/jobs/{job['id']}/retry", headers=backend_auth)
    assert retry.status_code == 409


def test_delete_after_publishing_stops_serving_at_once(backend_app, backend_client, backend_auth, obj_zip):
    body = upload(backend_client, backend_auth, obj_zip).get_json()
    assert run_jobs(backend_app) == 1
    art = backend_client.get(f"/api/v1/artefacts/{body['id']}", headers=backend_auth).get_json()
    url = f"/files/derivatives/{body['id']}/v1/master.glb"
    first = backend_client.get(url)
    assert first.status_code in (200, 302)
    first.close()
    assert backend_client.delete(f"/api/v1/artefacts/{body['id']}", headers=backend_auth).status_code == 204
    assert backend_client.get(url).status_code == 404
    store = backend_app.extensions["store"]
    assert store.keys(f"derivatives/{body['id']}/") == []  # deleted from the bucket, not only hidden
    assert art["derivatives"]
