"""Fair claiming across institutions and per-institution quotas, at the queue level (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db import upgrade
from service.db.models import Artefact
from service.db.models import Job
from service.db.models import Version
from service.db.queries import get_or_create_institution
from service.jobs.fair import fair_order
from tests.servers import pg_schema_url

T0 = dt.datetime(2026, 1, 1, 12, 0, 0)


def add_jobs(db: Session, name: str, count: int, start: int) -> int:
    inst = get_or_create_institution(db, name)
    for i in range(count):
        art = Artefact(institution_id=inst.id, extra={}, title_en=f"{name} {i}")
        db.add(art)
        db.flush()
        version = Version(artefact_id=art.id, number=1, originals=[])
        db.add(version)
        db.flush()
        db.add(Job(institution_id=inst.id, artefact_id=art.id, version_id=version.id,
                   created_at=T0 + dt.timedelta(seconds=start + i)))
    db.flush()
    return inst.id


def claim_order(db: Session, n: int, names: dict[int, str]) -> list[str]:
    """Run `n` jobs one after another as a single worker would: claim the fairest, finish it."""
    order = []
    for step in range(n):
        ids = fair_order(db, max_running=2)
        job = db.get(Job, ids[0])
        job.state, job.started_at = "running", T0 + dt.timedelta(minutes=10, seconds=step)
        db.flush()
        job.state = "done"
        db.flush()
        order.append(names[job.institution_id])
    return order


def check_interleaving(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        big = add_jobs(db, "Big batch museum", 20, start=0)
        small = add_jobs(db, "Small museum", 2, start=100)  # queued after the whole batch
        order = claim_order(db, 22, {big: "big", small: "small"})
        # first come, first served would put both small jobs last (positions 20 and 21)
        assert order[:4] == ["big", "small", "big", "small"]
        assert order.count("big") == 20 and order.count("small") == 2
        db.rollback()
    engine.dispose()


def test_batch_from_one_institution_does_not_starve_another_sqlite(tmp_path):
    check_interleaving(f"sqlite:///{tmp_path / 'fair.db'}")


def test_batch_from_one_institution_does_not_starve_another_postgres(pg_schema):
    check_interleaving(pg_schema_url(pg_schema))


@pytest.mark.parametrize("max_running", [1, 2])
def test_institution_at_its_concurrency_limit_is_skipped(tmp_path, max_running):
    url = f"sqlite:///{tmp_path / 'cap.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        a = add_jobs(db, "A", 5, start=0)
        b = add_jobs(db, "B", 1, start=50)
        running = db.scalars(select(Job).where(Job.institution_id == a).order_by(Job.created_at)).all()[:max_running]
        for job in running:
            job.state, job.started_at = "running", T0
        db.flush()
        ids = fair_order(db, max_running=max_running)
        assert [db.get(Job, i).institution_id for i in ids] == [b]
        # with no limit, A is still offered, after B (B has nothing running)
        ids = fair_order(db, max_running=0)
        assert [db.get(Job, i).institution_id for i in ids] == [b, a]
    engine.dispose()
