"""Gallery page times with a large collection: pages, search, most viewed, sitemap, feed, kit.

Inserts N published artefacts (small derivatives, straight into the database and local storage, as the
gallery tests do) into a temporary SQLite data folder, then times each request through the test client
(median of --repeat runs) and counts the SQL statements each one runs.

    PYTHONPATH=. python benchmarks/gallery.py [--artefacts 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from service import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from tests.gallery.helpers import FAKE_MP4  # noqa: E402
from tests.gallery.helpers import picture  # noqa: E402
from tests.gallery.helpers import publish  # noqa: E402

MUSEUMS = ("Bảo tàng Lịch sử Quốc gia", "Bảo tàng Mỹ thuật Việt Nam", "Bảo tàng Dân tộc học Việt Nam")
LICENCES = ("CC0-1.0", "CC-BY-4.0", "CC-BY-NC-4.0", "all-rights-reserved")
CATEGORIES = ("cultural-heritage", "fine-arts", "crafts", "design")


def fill(app, n: int) -> str:
    files = {"thumb.jpg": picture((400, 300), (180, 90, 40)), "poster.jpg": picture((600, 315), (180, 90, 40)),
             "cover.jpg": picture((108, 192), (180, 90, 40)), "turntable.mp4": FAKE_MP4}
    slug = ""
    for i in range(n):
        md = {"title": {"vi": f"Hiện vật số {i}", "en": f"Artefact {i}"}, "creator": f"Nghệ nhân {i % 37}",
              "culture": "Đông Sơn" if i % 10 == 0 else "Kinh", "accession_number": f"BT-{i:05d}",
              "licence": LICENCES[i % 4], "category": CATEGORIES[i % 4], "kind": "scan"}
        slug = publish(app, MUSEUMS[i % 3], md, views=(i * 7919) % 1000, age_days=i / 24, files=files)["slug"]
    return slug


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artefacts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=tmp, testing=True, start_worker=False, previews=False))
        t0 = time.perf_counter()
        slug = fill(app, args.artefacts)
        print(f"inserted {args.artefacts} artefacts in {time.perf_counter() - t0:.1f} s")
        statements = []
        event.listen(app.extensions["db_engine"], "before_cursor_execute", lambda *a: statements.append(1))
        client = app.test_client()
        urls = ["/gallery", "/gallery?page=20", "/gallery?sort=popular", "/gallery?q=dong+son",
                "/gallery?q=nghe+nhan+3&licence=free", "/gallery/bao-tang-my-thuat-viet-nam?category=crafts",
                "/gallery/feed.atom", "/sitemap.xml", f"/kit/{slug}.zip"]
        print("| request | median ms | SQL statements | bytes |\n|---|---|---|---|")
        for url in urls:
            times = []
            for _ in range(args.repeat):
                statements.clear()
                t = time.perf_counter()
                resp = client.get(url)
                body = resp.get_data()
                times.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200, (url, resp.status_code)
            print(f"| `{url.replace(slug, '<slug>')}` | {statistics.median(times):.0f} | {len(statements)} | {len(body)} |")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
