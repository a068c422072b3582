"""Rows for a published (or unpublished) version, written straight into an app's database.

The `/files/` rule is about what the database says; these helpers build that
state without running the pipeline, so the attack tests stay fast.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.db import make_engine
from service.db.models import Artefact
from service.db.models import Derivative
from service.db.models import Version
from service.db.models import utcnow
from service.db.queries import get_or_create_institution
from service.storage import derivative_key
from service.storage import make_store
from service.storage import original_key

GLB = b"glTF\x02\x00\x00\x00" + bytes(range(200))


def publish(app, files: dict[str, tuple[bytes, str]], *, status: str = "ready", deleted: bool = False,
            original: tuple[str, bytes] = ("scan.obj", b"v 0 0 0\n")) -> dict:
    """An artefact with one version holding `files` ({name: (bytes, mime)}) and one stored original.

    Returns {"id", "keys": {name: key}, "original": key}.
    """
    settings = app.config["SETTINGS"]
    store = make_store(settings)
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        inst = get_or_create_institution(db, "Test Museum")
        art = Artefact(institution_id=inst.id, status="ready" if status == "ready" else status, title_en="Vase",
                       extra={}, deleted_at=utcnow() if deleted else None)
        db.add(art)
        db.flush()
        okey = original_key(art.id, "ab" * 32, original[0])
        store.put(okey, original[1])
        version = Version(artefact_id=art.id, number=1, status=status,
                          originals=[{"key": okey, "name": original[0], "bytes": len(original[1]), "sha256": "ab" * 32}])
        db.add(version)
        db.flush()
        keys = {}
        for name, (data, mime) in files.items():
            key = derivative_key(art.id, 1, name)
            store.put(key, data, content_type=mime)
            db.add(Derivative(version_id=version.id, name=name, key=key, mime=mime, bytes=len(data),
                              sha256="cd" * 32, info={}))
            keys[name] = key
        store.put(derivative_key(art.id, 1, "manifest.json"), b'{"files": {}}')
        db.commit()
        out = {"id": art.id, "keys": keys, "original": okey}
    engine.dispose()
    return out
