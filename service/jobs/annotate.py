"""
annotate.py
-----------

Curators' notes follow the model through re-processing: before a new version
is published, every note placed on an earlier version is scaled by the
change in height and snapped onto the new master mesh
(`pipeline.anchors.reproject`). The new points are written in the same
transaction that publishes the version, and only onto notes nobody moved
in the meantime.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import trimesh
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Annotation
from service.db.models import Version
from service.pipeline.anchors import reproject

log = logging.getLogger(__name__)


def reproject_notes(db: Session, artefact_id: str, number: int, out_dir: Path, manifest: dict) -> list[dict]:
    """New points for the artefact's notes on version `number` (not yet written)."""
    notes = db.scalars(select(Annotation).where(Annotation.artefact_id == artefact_id,
                                                Annotation.version < number)).all()
    master = out_dir / "master.glb"
    if not notes or not master.is_file():
        return []
    new_height = _height(manifest)
    heights = {v.number: _height(v.manifest) for v in db.scalars(
        select(Version).where(Version.artefact_id == artefact_id, Version.number.in_({n.version for n in notes})))}
    mesh = trimesh.load(master, force="scene").to_geometry()
    moved = []
    for note in notes:
        old = heights.get(note.version)
        scale = new_height / old if new_height and old else 1.0
        pos, normal, dist = reproject(mesh, np.array([note.position]), scale=scale)
        moved.append({"id": note.id, "was": list(note.position), "position": pos[0].round(6).tolist(),
                      "normal": normal[0].round(6).tolist(), "version": number, "distance": float(dist[0])})
    log.info("annotations: %d notes re-projected onto v%d of %s", len(moved), number, artefact_id)
    return moved


def apply_moves(db: Session, moved: list[dict]) -> None:
    """Write re-projected points onto notes whose point is still the one that was re-projected."""
    for move in moved:
        note = db.get(Annotation, move["id"])
        if note is not None and list(note.position) == move["was"]:
            note.position, note.normal, note.version = move["position"], move["normal"], move["version"]


def _height(manifest: dict | None) -> float | None:
    dims = (manifest or {}).get("dimensions_m")
    return float(dims[1]) if dims and dims[1] else None
