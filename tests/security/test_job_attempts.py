"""Finding 12: a job that keeps killing its worker stops after HERITAGE_AR_JOB_MAX_ATTEMPTS and can be retried on purpose."""

from __future__ import annotations

import socket
import subprocess
import sys

from sqlalchemy import update

from service.db import session_scope
from service.db.models import Job
from service.jobs.execute import claim
from service.jobs.runner import recover
from tests.conftest import run_jobs
from tests.security.conftest import local_path
from tests.security.conftest import upload


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _job(ctx, job_id) -> Job:
    with session_scope(ctx.sessions) as db:
        job = db.get(Job, job_id)
        db.expunge(job)
        return job


def test_crash_looping_job_stops_after_its_attempts(app, client, auth, obj_zip):
    ctx = app.extensions["job_context"]
    body = upload(client, auth, obj_zip).get_json()
    job_id = local_path(body["job_url"]).rsplit("/", 1)[-1]
    limit = app.config["SETTINGS"].job_max_attempts
    crashes = 0
    while claim(ctx, job_id):
        # the file kills the worker process mid-job: the row stays `running` under a dead pid
        crashes += 1
        with session_scope(ctx.sessions) as db:
            db.execute(update(Job).where(Job.id == job_id).values(worker=f"{socket.gethostname()}:{_dead_pid()}:x"))
        recover(ctx)
        assert crashes <= limit, "the job was claimed again after its last attempt"
    job = _job(ctx, job_id)
    assert crashes == limit == 3
    assert (job.state, job.error_code) == ("failed", "attempts_exhausted")
    assert "/" not in job.error_message.replace("/api/v1/jobs", "")
    art = client.get(f"/api/v1/artefacts/{body['id']}", headers=auth).get_json()
    assert art["status"] == "failed" and art["error"]["code"] == "attempts_exhausted"
    assert run_jobs(app) == 0  # nothing left to pick up

    # on purpose, it can run again with fresh attempts (here the "fix" is that the worker survives)
    retry = client.post(f"/api/v1/jobs/{job_id}/retry", headers=auth)
    assert retry.status_code == 202 and retry.get_json()["state"] == "queued"
    assert retry.get_json()["attempts"] == 0
    assert run_jobs(app) == 1
    assert client.get(f"/api/v1/artefacts/{body['id']}", headers=auth).get_json()["status"] == "ready"
    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=auth).status_code == 409  # done is done


def test_queued_job_over_its_attempts_is_failed_not_run(app, client, auth, obj_zip):
    ctx = app.extensions["job_context"]
    body = upload(client, auth, obj_zip).get_json()
    job_id = local_path(body["job_url"]).rsplit("/", 1)[-1]
    with session_scope(ctx.sessions) as db:
        db.execute(update(Job).where(Job.id == job_id).values(attempts=3))
    run_jobs(app)
    job = _job(ctx, job_id)
    assert (job.state, job.error_code) == ("failed", "attempts_exhausted")
