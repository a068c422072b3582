"""The same Alembic migrations and models on SQLite (WAL) and on the machine's PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db import upgrade
from service.db.models import Artefact
from service.db.models import Derivative
from service.db.models import Job
from service.db.models import Version
from service.db.queries import create_key
from service.db.queries import get_artefact
from service.db.queries import institution_for_key
from service.db.queries import metadata_of
from service.db.queries import set_metadata
from service.errors import ArtefactNotFound
from service.errors import Unauthorized
from tests.servers import pg_schema_url

TABLES = {"institutions", "api_keys", "artefacts", "versions", "derivatives", "jobs", "alembic_version"}


def round_trip(url: str) -> None:
    upgrade(url)
    upgrade(url)  # a second run is a no-op
    engine = make_engine(url)
    assert TABLES <= set(inspect(engine).get_table_names())
    with Session(engine) as db:
        key = create_key(db, "Bảo tàng Mỹ thuật Việt Nam")
        other_key = create_key(db, "Other Museum")
        inst = institution_for_key(db, key)
        other = institution_for_key(db, other_key)
        art = Artefact(institution_id=inst.id, extra={})
        set_metadata(art, {
            "title": {"vi": "Tượng Phật", "en": "Buddha statue"}, "creator": "unknown", "culture": "Lý dynasty",
            "date": "11th century", "accession_number": "BTMT-123",
            "dimensions": {"width": 20.0, "height": 45.5, "unit": "cm"}, "licence": "CC-BY-4.0",
            "attribution": "Vietnam National Museum of Fine Arts", "category": "cultural-heritage",
            "description": "Gỗ sơn son thếp vàng", "kind": "scan", "material": "wood",
        })
        db.add(art)
        db.flush()
        version = Version(artefact_id=art.id, number=1, originals=[{"key": "k", "name": "a.obj"}])
        db.add(version)
        db.flush()
        db.add(Derivative(version_id=version.id, name="master.glb", key="derivatives/x/v1/master.glb",
                          mime="model/gltf-binary", bytes=10, sha256="0" * 64, info={"faces": 12}))
        db.add(Job(institution_id=inst.id, artefact_id=art.id, version_id=version.id))
        db.commit()
        art_id, inst_id, other_id = art.id, inst.id, other.id
    with Session(engine) as db:
        art = get_artefact(db, inst_id, art_id)
        md = metadata_of(art)
        assert md["title"] == {"vi": "Tượng Phật", "en": "Buddha statue"}
        assert md["dimensions"] == {"unit": "cm", "width": 20.0, "height": 45.5}
        assert md["material"] == "wood" and md["institution"] == "Bảo tàng Mỹ thuật Việt Nam"
        assert art.versions[0].derivatives[0].info == {"faces": 12}
        assert art.slug != art.short_code and len(art.slug) >= 20
        with pytest.raises(ArtefactNotFound):
            get_artefact(db, other_id, art_id)
        with pytest.raises(Unauthorized):
            institution_for_key(db, key + "x")
        stored = db.execute(text("SELECT key_hash FROM api_keys")).scalars().all()
        assert key not in stored and all(len(h) == 64 for h in stored)
    engine.dispose()


def test_sqlite_round_trip_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    round_trip(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


@pytest.mark.integration
def test_postgres_round_trip(pg_schema):
    round_trip(pg_schema_url(pg_schema))
