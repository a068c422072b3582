"""Jobs survive restarts; a version becomes visible only when all its files are stored;
the distributed mode (PostgreSQL + Redis/Celery + S3) runs jobs in a separate worker process."""

from __future__ import annotations

import json
import os
import random
import signal

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db import make_engine
from service.db.models import Derivative
from service.db.models import Job
from service.db.models import Version
from service.jobs.execute import run_job
from service.storage.local import DirStore
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import run_jobs
from tests.conftest import start_live
from tests.conftest import wait_for
from tests.servers import free_port
from tests.servers import pg_schema_url
from tests.servers import s3_settings
from tests.servers import settings_env
from tests.servers import start_cli
from tests.servers import wait_http

META = {"title": {"en": "Bunny"}, "unit": "m"}


def upload(base, key, path, metadata=META):
    with open(path, "rb") as f:
        resp = requests.post(f"{base}/api/v1/artefacts", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                             files={"file": (path.name, f)}, data={"metadata": json.dumps(metadata)})
    assert resp.status_code == 202, resp.text
    return resp.json()


@pytest.mark.integration
def test_job_finishes_after_a_hard_restart(tmp_path, corpus):
    settings = Settings(data_dir=str(tmp_path / "var"), previews=False)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = settings_env(settings)
    server = start_cli(["serve", "--port", str(port)], env, tmp_path / "serve1.log")
    try:
        wait_http(base + "/healthz")
        engine = make_engine(settings.resolved().database_url)
        with Session(engine) as db:
            from service.db.queries import create_key

            key = create_key(db, "Restart Museum")
            db.commit()
        created = upload(base, key, corpus / "scans" / "nefertiti" / "nefertiti.obj")
        headers = {"Authorization": f"Bearer {key}"}

        def child_running():
            job = requests.get(created["job_url"], headers=headers, timeout=5).json()
            assert job["state"] != "done", "the job finished before the restart; use a bigger input"
            return job["state"] == "running" and job["stage"] not in ("starting", "download", "process")

        wait_for(child_running, timeout=60, interval=0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        with Session(engine) as db:
            version = db.scalar(select(Version))
            assert version.status == "processing"
            assert db.scalars(select(Derivative)).all() == []
        assert DirStore(settings.resolved().storage_dir).keys("derivatives/") == []

        server = start_cli(["serve", "--port", str(port)], env, tmp_path / "serve2.log")
        wait_http(base + "/healthz")
        art = wait_for(lambda: (a := requests.get(created["links"]["self"], headers=headers, timeout=5).json())
                       ["status"] == "ready" and a, timeout=180)
        assert art["derivatives"]["master.glb"]["faces"] == 99_938
        job = requests.get(created["job_url"], headers=headers, timeout=5).json()
        assert job["state"] == "done" and job["attempts"] == 2
        engine.dispose()
    finally:
        server.kill()
        server.wait()


class FlakyStore(DirStore):
    """A local store whose first manifest upload fails, as a network drop would."""

    failures = 1

    def put_file(self, key, path, *, content_type=None):
        if key.endswith("manifest.json") and self.failures:
            self.failures -= 1
            raise ConnectionError("storage went away")
        super().put_file(key, path, content_type=content_type)


def test_version_invisible_until_all_files_stored(app, client, auth, obj_zip):
    ctx = app.extensions["job_context"]
    ctx.store = FlakyStore(app.config["SETTINGS"].storage_dir)
    data = {"file": (open(obj_zip, "rb"), "box.zip"), "metadata": json.dumps({"title": {"en": "Box"}})}
    created = client.post("/api/v1/artefacts", data=data, headers=auth).get_json()
    assert run_job(ctx, client.get(created["job_url"], headers=auth).get_json()["id"]) == "queued"
    art = client.get(f"/api/v1/artefacts/{created['id']}", headers=auth).get_json()
    assert art["derivatives"] == {} and art["status"] != "ready"
    assert run_jobs(app) == 1
    art = client.get(f"/api/v1/artefacts/{created['id']}", headers=auth).get_json()
    assert art["status"] == "ready" and "master.glb" in art["derivatives"]
    job = client.get(created["job_url"], headers=auth).get_json()
    assert job["attempts"] == 2


def test_running_the_same_job_twice_changes_nothing(app, client, auth, obj_zip):
    data = {"file": (open(obj_zip, "rb"), "box.zip"), "metadata": json.dumps({"title": {"en": "Box"}})}
    created = client.post("/api/v1/artefacts", data=data, headers=auth).get_json()
    run_jobs(app)
    before = client.get(f"/api/v1/artefacts/{created['id']}", headers=auth).get_json()["derivatives"]
    ctx = app.extensions["job_context"]
    job_id = client.get(created["job_url"], headers=auth).get_json()["id"]
    with ctx.sessions() as db:
        db.get(Job, job_id).state = "queued"
        db.commit()
    assert run_jobs(app) == 1
    after = client.get(f"/api/v1/artefacts/{created['id']}", headers=auth).get_json()["derivatives"]
    assert {k: v["sha256"] for k, v in after.items()} == {k: v["sha256"] for k, v in before.items()}


@pytest.mark.integration
def test_distributed_mode_postgres_redis_celery_s3(tmp_path, pg_schema, moto_server, obj_zip):
    import redis

    db_index = random.randint(8, 15)
    redis_url = f"redis://127.0.0.1:6379/{db_index}"
    redis.Redis.from_url(redis_url).flushdb()
    settings = Settings(data_dir=str(tmp_path / "var"), previews=False, queue="celery", redis_url=redis_url,
                        database_url=pg_schema_url(pg_schema), **s3_settings(moto_server))
    live = start_live(settings)
    worker_dir = tmp_path / "worker"
    worker = start_cli(["worker", "--threads", "1"],
                       settings_env(Settings(**{**vars(settings), "data_dir": str(worker_dir)})),
                       tmp_path / "worker.log")
    try:
        assert "runner" not in live.app.extensions  # no in-process workers in this mode
        key = make_key(live.app)
        created = upload(live.url, key, obj_zip, {"title": {"vi": "Hộp"}, "unit": "cm"})
        headers = {"Authorization": f"Bearer {key}"}
        art = wait_for(lambda: (a := requests.get(created["links"]["self"], headers=headers, timeout=5).json())
                       ["status"] in ("ready", "failed") and a, timeout=120)
        assert art["status"] == "ready", (art["error"], (tmp_path / "worker.log").read_text()[-2000:])
        job = requests.get(created["job_url"], headers=headers, timeout=5).json()
        assert job["state"] == "done"
        master = requests.get(art["derivatives"]["master.glb"]["url"], timeout=10)
        assert master.status_code == 200 and master.content[:4] == b"glTF"
        assert master.url.startswith(moto_server.url)
        assert os.path.isdir(worker_dir / "scratch")  # the work happened in the worker process
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        live.stop()
        _stop(live.app)
