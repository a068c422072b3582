"""Gallery test data: published artefacts inserted straight into the database and storage
(a ready version with small derivatives), so a test needs no pipeline run."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from PIL import Image
from PIL import ImageDraw

from service.db import get_db
from service.db.models import Artefact
from service.db.models import DailyCount
from service.db.models import Derivative
from service.db.models import Version
from service.db.models import utcnow
from service.db.queries import get_or_create_institution
from service.db.queries import set_metadata
from service.pipeline.manifest import mime_of
from service.storage import derivative_key
from service.storage import get_store

FINE_ARTS = "Bảo tàng Mỹ thuật Việt Nam"
ETHNOLOGY = "Bảo tàng Dân tộc học Việt Nam"
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def picture(size: tuple[int, int], colour: tuple[int, int, int], fmt: str = "JPEG") -> bytes:
    """A poster-like picture: a coloured ground with a lighter disc (recognisable in screenshots)."""
    img = Image.new("RGB", size, tuple(c // 2 for c in colour))
    draw = ImageDraw.Draw(img)
    w, h = size
    r = min(w, h) // 3
    draw.ellipse((w // 2 - r, h // 2 - r, w // 2 + r, h // 2 + r), fill=colour)
    buf = io.BytesIO()
    img.save(buf, format=fmt, quality=80)
    return buf.getvalue()


def publish(app, institution: str, metadata: dict, *, colour=(200, 120, 40), status: str = "ready",
            deleted: bool = False, views: int = 0, age_days: float = 0, files: dict | None = None) -> dict:
    """Insert an artefact with one version (`status`) and small derivatives; return its slug and id."""
    with app.app_context():
        db = get_db()
        inst = get_or_create_institution(db, institution)
        created = utcnow() - dt.timedelta(days=age_days)
        art = Artefact(institution_id=inst.id, status=status, extra={}, page_views=views, created_at=created,
                       deleted_at=utcnow() if deleted else None)
        set_metadata(art, metadata)
        db.add(art)
        db.flush()
        if views:  # the same views as daily counts (today), which the "popular" sort reads
            db.add(DailyCount(artefact_id=art.id, day=dt.datetime.now(dt.timezone.utc).date(), event="view",
                              count=views))
        version = Version(artefact_id=art.id, number=1, status=status, originals=[], manifest={},
                          ready_at=created if status == "ready" else None)
        db.add(version)
        db.flush()
        if files is None:
            files = {
                "thumb.jpg": picture((400, 300), colour),
                "poster.jpg": picture((600, 315), colour),
                "cover.jpg": picture((108, 192), colour),
                "turntable.mp4": FAKE_MP4,
            }
        store = get_store()
        for name, data in files.items():
            key = derivative_key(art.id, 1, name)
            store.put(key, data, content_type=mime_of(name))
            db.add(Derivative(version_id=version.id, name=name, key=key, mime=mime_of(name), bytes=len(data),
                              sha256=hashlib.sha256(data).hexdigest(), info={}))
        db.commit()
        return {"id": art.id, "slug": art.slug, "short_code": art.short_code, "institution": inst.slug}
