"""Finding 10: uploads copy originals before the write transaction; identical concurrent uploads never 500.

Exercised over real HTTP with concurrent requests: a slow store (2 s per
original, like a large S3 copy) must not hold SQLite's write lock, and two
identical uploads at the same moment answer one 202 and one 200 duplicate,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import start_live
from tests.servers import pg_schema_url

META = {"title": {"en": "Box"}, "unit": "cm"}


class SlowStore:
    """Wraps the app's store: each original takes `seconds` to write."""

    def __init__(self, store, seconds: float) -> None:
        self.store, self.seconds = store, seconds

    def put_file(self, key, path, **kwargs):
        if key.startswith("originals/"):
            time.sleep(self.seconds)
        return self.store.put_file(key, path, **kwargs)

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def live_db(request, tmp_path):
    fields = {}
    if request.param == "postgresql":
        fields["database_url"] = pg_schema_url(request.getfixturevalue("pg_schema"))
    server = start_live(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                                 **fields))
    yield server
    server.stop()
    _stop(server.app)


def _post(base, key, path, results, i, metadata=META):
    with open(path, "rb") as f:
        resp = requests.post(f"{base}/api/v1/artefacts", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                             files={"file": (path.name, f)}, data={"metadata": json.dumps(metadata)})
    results[i] = resp


def test_identical_concurrent_uploads_answer_202_and_200(live_db, obj_zip):
    key = make_key(live_db.app)
    live_db.app.extensions["store"] = SlowStore(live_db.app.extensions["store"], 0.5)
    for _ in range(3):
        results: dict = {}
        threads = [threading.Thread(target=_post, args=(live_db.url, key, obj_zip, results, i)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results.values())
        assert codes == [200, 202], [r.text for r in results.values()]
        ids = {r.json()["id"] for r in results.values()}
        assert len(ids) == 1
        # the next round uploads the same files again after a withdrawal, so both race for a new artefact
        requests.delete(f"{live_db.url}/api/v1/artefacts/{ids.pop()}", headers={"Authorization": f"Bearer {key}"},
                        timeout=10)
    store = live_db.app.extensions["store"].store
    assert len({k.split("/")[1] for k in store.keys("originals/")}) == 3  # the losers' copies were removed


def test_slow_store_does_not_block_other_institutions(live_db, obj_zip, tmp_path):
    from tests.fixtures import textured_obj_zip

    museum_a, museum_b = make_key(live_db.app, "Museum A"), make_key(live_db.app, "Museum B")
    other = textured_obj_zip(tmp_path / "other.zip")
    results: dict = {}
    _post(live_db.url, museum_b, other, results, "b")
    b_id = results["b"].json()["id"]
    live_db.app.extensions["store"] = SlowStore(live_db.app.extensions["store"], 2.0)
    slow = threading.Thread(target=_post, args=(live_db.url, museum_a, obj_zip, results, "a",
                                                {"title": {"en": "Slow"}}))
    slow.start()
    time.sleep(0.5)  # A's upload is now copying its original
    t0 = time.monotonic()
    patched = requests.patch(f"{live_db.url}/api/v1/artefacts/{b_id}", json={"creator": "Museum B's workshop"},
                             headers={"Authorization": f"Bearer {museum_b}"}, timeout=30)
    waited = time.monotonic() - t0
    slow.join()
    assert patched.status_code == 200, patched.text
    assert results["a"].status_code == 202, results["a"].text
    assert waited < 1.0, f"museum B's write waited {waited:.2f} s behind museum A's upload"
