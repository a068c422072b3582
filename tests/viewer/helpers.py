"""Helpers for viewer tests: ready artefacts, extra derivative files, HTML parsing."""

from __future__ import annotations

import hashlib
import json

from lxml import html as lxml_html

from service.db import get_db
from service.db.models import Artefact
from service.db.models import Derivative
from service.db.queries import current_version
from service.pipeline.manifest import mime_of
from service.storage import derivative_key
from service.storage import get_store
from tests.conftest import run_jobs

META = {
    "title": {"vi": "Hộp gỗ sơn mài", "en": "Lacquered box"},
    "creator": "Nghệ nhân Đinh Văn Thành",
    "culture": "Việt Nam",
    "date": "thế kỷ 19",
    "unit": "cm",
    "licence": "CC-BY-4.0",
    "attribution": "Bảo tàng Mỹ thuật Việt Nam",
    "accession_number": "BT-2024-001",
    "description": "Hộp gỗ sơn then, vẽ hoa sen.",
}


def upload(client, auth, path, metadata=META):
    with open(path, "rb") as f:
        data = {"file": (f, path.name), "metadata": json.dumps(metadata)}
        resp = client.post("/api/v1/artefacts", data=data, headers=auth, content_type="multipart/form-data")
    assert resp.status_code in (200, 202), resp.get_data(as_text=True)
    return resp.get_json()


def ready_artefact(app, client, auth, path, metadata=META) -> dict:
    """Upload, process and return the artefact JSON (status ready)."""
    body = upload(client, auth, path, metadata)
    run_jobs(app)
    art = client.get(f"/api/v1/artefacts/{body['id']}", headers=auth).get_json()
    assert art["status"] == "ready", art
    return art


def add_derivative(app, artefact_id: str, name: str, data: bytes, **info) -> str:
    """Store a file as a derivative of the artefact's current version (replacing one of that name)."""
    with app.app_context():
        db = get_db()
        artefact = db.get(Artefact, artefact_id)
        version = current_version(db, artefact)
        key = derivative_key(artefact_id, version.number, name)
        get_store().put(key, data, content_type=mime_of(name))
        for old in [d for d in version.derivatives if d.name == name]:
            version.derivatives.remove(old)  # replace a file the pipeline made
        db.flush()
        db.add(Derivative(version_id=version.id, name=name, key=key, role=info.pop("role", None), mime=mime_of(name),
                          bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), info=info))
        db.commit()
        drop_published(artefact)
    return key


def drop_published(artefact) -> None:
    """Forget an artefact's published pages after changing its files or rows behind the API's back (app context)."""
    from service.api.viewer_publish import drop_pages
    from service.api.viewer_publish import get_cache

    drop_pages(get_store(), artefact.slug)
    get_cache().evict(f"a/{artefact.slug}/")


def path_of(url: str) -> str:
    """The path (and query) of one of our absolute URLs, for the test client."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def parse(resp):
    return lxml_html.fromstring(resp.get_data(as_text=True))


def meta_tags(doc) -> dict:
    """{property or name: content} of a page's meta tags."""
    out = {}
    for el in doc.iter("meta"):
        key = el.get("property") or el.get("name")
        if key:
            out[key] = el.get("content")
    return out


def json_ld(doc) -> dict:
    (script,) = doc.xpath('//script[@type="application/ld+json"]')
    return json.loads(script.text)


class Fetched:
    """A closed test-client response (file responses keep a file open until closed)."""

    def __init__(self, resp) -> None:
        with resp:
            self.status_code = resp.status_code
            self.mimetype = resp.mimetype
            self.headers = resp.headers
            self.data = resp.get_data()

    def get_json(self):
        return json.loads(self.data)


def fetch(client, url: str, **kwargs) -> Fetched:
    """GET one of our URLs (absolute or path) through the test client and close the response."""
    return Fetched(client.get(path_of(url) if "://" in url else url, **kwargs))


def decode_qr(image: bytes) -> str | None:
    """The text of the QR code in a PNG, read by OpenCV, or None.

    OpenCV's ArUco-based detector: the classic `QRCodeDetector` missed 8 of 150 generated share
    links at 300 px (random slugs), the ArUco one none.
    """
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    text, points, _ = cv2.QRCodeDetectorAruco().detectAndDecode(img)
    return text if points is not None and text else None
