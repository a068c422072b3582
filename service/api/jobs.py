"""
jobs.py
-------

`/api/v1/jobs/<id>`: state, progress 0-100, stage and error of a job.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import jsonify

from service.api.auth import require_key
from service.api.present import job_json
from service.db import get_db
from service.db.queries import get_job as find_job

bp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


@bp.get("/<job_id>")
@require_key
def get_job(job_id: str):
    """A job's state and progress."""
    return jsonify(job_json(find_job(get_db(), g.institution.id, job_id)))
