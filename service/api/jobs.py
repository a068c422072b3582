"""
jobs.py
-------

`/api/v1/jobs/<id>`: state, progress 0-100, stage and error of a job;
`POST /api/v1/jobs/<id>/retry` queues a failed job again with fresh attempts.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import jsonify

from service.api.auth import require_key
from service.api.present import job_json
from service.db import get_db
from service.db.queries import get_job as find_job
from service.jobs import enqueue
from service.jobs import retry

bp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


@bp.get("/<job_id>")
@require_key
def get_job(job_id: str):
    """A job's state and progress."""
    return jsonify(job_json(find_job(get_db(), g.institution.id, job_id)))


@bp.post("/<job_id>/retry")
@require_key
def retry_job(job_id: str):
    """Start a failed job over (after its attempts ran out, or once the cause is fixed)."""
    db = get_db()
    job = find_job(db, g.institution.id, job_id)
    retry(db, job)
    db.commit()
    enqueue(job.id)
    return jsonify(job_json(job)), 202
