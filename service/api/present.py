"""
present.py
----------

The JSON shape of an artefact and a job, shared by every endpoint that
returns them.
"""

from __future__ import annotations

from flask import current_app
from flask import request
from flask import url_for
from sqlalchemy.orm import Session

from service.api.viewer_kit import creator_kit
from service.api.viewer_kit import files_of
from service.api.viewer_kit import links_of
from service.db.models import Artefact
from service.db.models import Job
from service.db.queries import current_version
from service.db.queries import latest_job
from service.db.queries import latest_version
from service.db.queries import metadata_of
from service.storage import get_store


def base_url() -> str:
    return (current_app.config["SETTINGS"].base_url or request.url_root).rstrip("/")


def artefact_json(db: Session, artefact: Artefact) -> dict:
    """An artefact with its visible derivatives and links."""
    store = get_store()
    root = base_url()
    version = current_version(db, artefact)
    derivatives = {}
    if version is not None:
        for d in version.derivatives:
            derivatives[d.name] = {
                "url": store.url(d.key, base_url=root),
                "bytes": d.bytes,
                "sha256": d.sha256,
                "mime": d.mime,
                "role": d.role,
                **(d.info or {}),
            }
    latest = latest_version(db, artefact)
    error = None
    if latest is not None and latest.status == "failed":
        error = {"code": latest.error_code, "message": latest.error_message}
    job = latest_job(db, artefact.id)
    links = {
        "self": root + url_for("artefacts.get_artefact", artefact_id=artefact.id),
        "share": f"{root}/ar/{artefact.slug}",
        "short": f"{root}/s/{artefact.short_code}",
        "embed": f"{root}/embed/{artefact.slug}",
        "qr": f"{root}/qr/{artefact.slug}.svg",
    }
    if version is not None:
        public = links_of(artefact, root)
        links.update({k: public[k] for k in ("iiif", "edm", "voyager")})
    if job is not None:
        links["job"] = root + url_for("jobs.get_job", job_id=job.id)
    return {
        "id": artefact.id,
        "status": artefact.status,
        "error": error,
        "kind": artefact.kind,
        "metadata": metadata_of(artefact),
        "version": version.number if version else None,
        "derivatives": derivatives,
        "links": links,
        "stats": {
            "page_views": artefact.page_views,
            "model_loads": artefact.model_loads,
            "ar_launches": artefact.ar_launches,
        },
        "creator_kit": creator_kit(artefact, metadata_of(artefact), files_of(version, root), root,
                                   current_app.config["SETTINGS"].hashtags),
        "warnings": (version.manifest or {}).get("warnings", []) if version else [],
        "created_at": artefact.created_at.isoformat() + "Z",
        "updated_at": artefact.updated_at.isoformat() + "Z",
    }


def job_json(job: Job) -> dict:
    return {
        "id": job.id,
        "artefact_id": job.artefact_id,
        "state": job.state,
        "progress": job.progress,
        "stage": job.stage,
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat() + "Z",
        "started_at": job.started_at.isoformat() + "Z" if job.started_at else None,
        "finished_at": job.finished_at.isoformat() + "Z" if job.finished_at else None,
        "links": {"artefact": base_url() + url_for("artefacts.get_artefact", artefact_id=job.artefact_id)},
    }
