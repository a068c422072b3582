"""Migration 0009 on SQLite and PostgreSQL: institutions get gallery slugs, existing artefacts are listed
and searchable; gallery search on PostgreSQL with diacritics, LIKE wildcards and injection strings."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db import upgrade
from service.db.gallery import GalleryQuery
from service.db.gallery import count_event
from service.db.gallery import search
from service.db.models import Artefact
from service.db.models import Version
from service.db.queries import get_or_create_institution
from service.db.queries import set_metadata
from tests.servers import pg_schema_url


def backfill(url: str) -> None:
    upgrade(url, "0003")
    engine = make_engine(url)
    with engine.begin() as conn:
        for name in ("Bảo tàng Đà Nẵng", "Bao tang Da Nang", "!!!"):
            conn.execute(text("INSERT INTO institutions (name, created_at) VALUES (:n, CURRENT_TIMESTAMP)"),
                         {"n": name})
        conn.execute(text(
            "INSERT INTO artefacts (id, institution_id, slug, short_code, status, title_vi, culture, accession_number, "
            "extra, current_version, page_views, model_loads, ar_launches, created_at, updated_at) VALUES ('a1', (SELECT MIN(id) FROM institutions), 's1', "
            "'c1', 'ready', 'Tượng Chăm', 'Chăm Pa', 'DN-01', '{}', 1, 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    upgrade(url)
    with engine.connect() as conn:
        slugs = conn.execute(text("SELECT slug FROM institutions ORDER BY id")).scalars().all()
        art = conn.execute(text("SELECT listed, search_text FROM artefacts")).one()
    assert slugs == ["bao-tang-da-nang", "bao-tang-da-nang-2", "institution"]
    assert bool(art.listed) is True and art.search_text == "tuong cham cham pa dn-01"
    with Session(engine) as db:
        assert get_or_create_institution(db, "Bảo tàng ĐÀ NẴNG").slug == "bao-tang-da-nang-3"
    engine.dispose()


def test_sqlite_backfill(tmp_path):
    backfill(f"sqlite:///{tmp_path / 'g.db'}")


@pytest.mark.integration
def test_postgres_backfill(pg_schema):
    backfill(pg_schema_url(pg_schema))


@pytest.mark.integration
def test_postgres_search(pg_schema):
    url = pg_schema_url(pg_schema)
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        inst = get_or_create_institution(db, "Bảo tàng Lịch sử")
        for md in ({"title": {"vi": "Trống đồng Đông Sơn"}, "accession_number": "LS_100%", "licence": "CC0-1.0"},
                   {"title": {"vi": "Áo dài"}, "accession_number": "LS-2001", "licence": "CC-BY-NC-4.0"},
                   {"title": {"vi": "Ẩn"}, "listed": False}):
            art = Artefact(institution_id=inst.id, extra={})
            set_metadata(art, md)
            db.add(art)
            db.flush()
            db.add(Version(artefact_id=art.id, number=1, status="ready", originals=[]))
        db.commit()

        def found(**query):
            rows, total = search(db, GalleryQuery(**query), per_page=10)
            assert total == len(rows)
            return sorted(a.title_vi for a, _ in rows)

        assert found() == ["Trống đồng Đông Sơn", "Áo dài"]
        assert found(q="TRONG DONG") == ["Trống đồng Đông Sơn"]
        assert found(q="ao dai") == ["Áo dài"]
        assert found(q="_1") == ["Trống đồng Đông Sơn"] and found(q="%") == ["Trống đồng Đông Sơn"]
        assert found(q="' OR 1=1; DROP TABLE artefacts; --") == []
        assert found(family="free") == ["Trống đồng Đông Sơn"] and found(family="restricted") == ["Áo dài"]
        assert found(q="ẩn") == []
        assert found(sort="popular") == ["Trống đồng Đông Sơn", "Áo dài"]
        count_event(db, "search")
        count_event(db, "search")
        db.commit()
        assert db.execute(text("SELECT count FROM gallery_counts WHERE event = 'search'")).scalar() == 2
    engine.dispose()
