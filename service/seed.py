"""
seed.py
-------

A newcomer's first run: a demo institution, an API key kept in the data
folder, and the sample vase from assets/samples queued for processing, so
the service shows a result at once. Running it again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from service.config import Settings
from service.db import make_engine
from service.db import upgrade
from service.db.queries import create_key
from service.db.queries import get_or_create_institution
from service.jobs.submit import submit
from service.pipeline.metadata import validate_metadata
from service.storage import make_store

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
DEMO = "Demo Museum"


def seed_demo(settings: Settings, *, show_key: bool = True) -> list[str]:
    """Create the demo data if missing; return lines to print (the key itself only with `show_key`)."""
    upgrade(settings.database_url)
    key_file = Path(settings.data_dir) / "demo-api-key.txt"
    engine = make_engine(settings.database_url)
    lines = []
    with Session(engine) as db:
        inst = get_or_create_institution(db, DEMO)
        if key_file.exists():
            key = key_file.read_text().strip()
        else:
            key = create_key(db, DEMO, label="demo", scope="admin")
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(key + "\n")
            key_file.chmod(0o600)
        metadata = validate_metadata(json.loads((SAMPLES / "vase.json").read_text(encoding="utf-8")))
        result = submit(db, make_store(settings), inst, [("vase.glb", SAMPLES / "vase.glb")], metadata)
        db.commit()
        base = settings.base_url or "http://127.0.0.1:8000"
        shown = key if show_key else "(not shown; read it from the file)"
        lines.append(f"demo API key ({key_file}): {shown}")
        key = key if show_key else f"$(cat {key_file})"
        lines.append(f"sample artefact {result.artefact.id} ({'queued' if result.created else result.artefact.status})")
        lines.append(f"  API:   curl -H 'Authorization: Bearer {key}' {base}/api/v1/artefacts/{result.artefact.id}")
        lines.append(f"  share: {base}/ar/{result.artefact.slug}")
    engine.dispose()
    return lines
