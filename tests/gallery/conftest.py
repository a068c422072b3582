"""Gallery fixtures: one app with a small collection for the read-only tests of a module."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from service import create_app
from service.api.limits import limiter
from service.config import Settings
from tests.conftest import _stop
from tests.gallery.helpers import ETHNOLOGY
from tests.gallery.helpers import FINE_ARTS
from tests.gallery.helpers import publish

EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'

# name -> (institution, metadata, options); the titles say what each one tests
COLLECTION = {
    "ao_dai": (ETHNOLOGY, {
        "title": {"vi": "Áo dài lụa tơ tằm", "en": "Silk áo dài"}, "creator": "Nhà may Thái Tuấn",
        "culture": "Kinh", "category": "design", "kind": "scan", "licence": "CC-BY-4.0",
        "accession_number": "DTH-2024-017", "attribution": "Bảo tàng Dân tộc học Việt Nam",
        "secret_note": "GHI-CHU-NOI-BO",  # an unknown field: private, never on a public page
    }, {"views": 5, "age_days": 4, "colour": (190, 40, 60)}),
    "dong_ho": (FINE_ARTS, {
        "title": {"vi": "Tranh Đông Hồ: Đám cưới chuột", "en": "Dong Ho print: The Mouse Wedding"},
        "culture": "Làng Đông Hồ", "category": "fine-arts", "kind": "flat", "licence": "CC0-1.0",
        "accession_number": "MT-1932",
    }, {"views": 50, "age_days": 3, "colour": (230, 180, 60)}),
    "drum": (FINE_ARTS, {
        "title": {"vi": "Trống đồng Ngọc Lũ", "en": "Ngoc Lu bronze drum"}, "culture": "Đông Sơn",
        "category": "cultural-heritage", "kind": "scan", "licence": "CC-BY-NC-4.0",
        "accession_number": "LSb_100%", "creator": "Người Việt cổ",
    }, {"views": 20, "age_days": 2, "colour": (90, 140, 110)}),
    "hat": (ETHNOLOGY, {
        "title": {"vi": "Nón lá", "en": "Conical hat"}, "category": "crafts", "kind": "photogrammetry",
        "licence": "all-rights-reserved", "accession_number": "DTH-0001",
    }, {"views": 1, "age_days": 1, "colour": (170, 150, 100)}),
    "evil": (FINE_ARTS, {"title": {"vi": EVIL}, "description": EVIL, "licence": "CC-BY-SA-4.0",
                         "category": "crafts"}, {"age_days": 5, "colour": (60, 80, 160)}),
    "withdrawn": (FINE_ARTS, {"title": {"vi": "Bình gốm đã rút", "en": "Withdrawn jar"}, "licence": "CC0-1.0",
                              "category": "crafts"}, {"deleted": True}),
    "unlisted": (ETHNOLOGY, {"title": {"vi": "Ấm trà không công khai", "en": "Unlisted teapot"},
                             "licence": "CC0-1.0", "category": "crafts", "listed": False}, {}),
    "processing": (FINE_ARTS, {"title": {"vi": "Tượng đang xử lý", "en": "Statue in processing"},
                               "licence": "CC0-1.0", "category": "crafts"}, {"status": "processing"}),
}
HIDDEN = ("withdrawn", "unlisted", "processing")


def make_gallery(root, **overrides):
    app = create_app(Settings(data_dir=str(root), testing=True, start_worker=False, previews=False,
                              hashtags="#BanSacViet #DiSan", **overrides))
    arts = {name: publish(app, inst, md, **opts) for name, (inst, md, opts) in COLLECTION.items()}
    return SimpleNamespace(app=app, client=app.test_client(), arts=arts)


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """An app holding COLLECTION (five shown, three hidden)."""
    site = make_gallery(tmp_path_factory.mktemp("gallery") / "var", base_url="https://ar.example.vn")
    yield site
    _stop(site.app)


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate-limit counters are per process: each test starts from zero."""
    if getattr(limiter, "_storage", None) is not None:  # set once an app has initialised the limiter
        limiter.reset()
    yield
    if getattr(limiter, "_storage", None) is not None:
        limiter.reset()
