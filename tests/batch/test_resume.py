"""Resume: the batch command killed midway and run again creates no duplicates and finishes the collection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.batch.collection import BROKEN
from tests.batch.conftest import read_report
from tests.batch.conftest import server_artefacts
from tests.conftest import make_key
from tests.conftest import wait_for
from tests.fixtures import REPO


def digitise(manifest, live, key, *extra) -> list[str]:
    return [sys.executable, str(REPO / "scripts" / "digitise.py"), str(manifest), "--server", live.url,
            "--key", key, "--jsonl", "--poll", "0.3", *extra]


def read_state(path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def entries(path, live) -> dict:
    return read_state(path).get("targets", {}).get(live.url, {})


@pytest.mark.slow
def test_killed_run_resumes_without_duplicates(live, collection, tmp_path):
    key = make_key(live.app)
    state = collection.with_name("manifest.heritage-ar-state.json")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(tmp_path / "first.log", "w") as log:
        first = subprocess.Popen(digitise(collection, live, key, "--concurrency", "1"), stdout=log,
                                 stderr=subprocess.STDOUT, env=env)
        try:
            wait_for(lambda: any(e.get("artefact_id") for e in entries(state, live).values()), timeout=60,
                     interval=0.02)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
    before = entries(state, live)
    assert sum(e.get("status") in ("ready", "failed") for e in before.values()) < 5, "killed too late"
    # the crash also lost the answer of one upload the server did accept
    lost = next(k for k, e in before.items() if e.get("artefact_id"))
    doc = read_state(state)
    doc["targets"][live.url][lost] = {}
    state.write_text(json.dumps(doc), encoding="utf-8")

    second = subprocess.run(digitise(collection, live, key), check=False, capture_output=True, text=True, env=env,
                            timeout=240)
    assert second.returncode == 1, second.stderr  # 1: one artefact failed
    summary = json.loads(second.stdout.splitlines()[-1])
    assert summary["counts"] == {"ready": 4, "failed": 1}

    on_server = server_artefacts(live.url, key)
    assert len(on_server) == 5, [a["metadata"].get("accession_number") for a in on_server]
    by_accession = {a["metadata"]["accession_number"]: a for a in on_server}
    assert len(by_accession) == 5
    assert by_accession[BROKEN]["status"] == "failed"
    assert all(a["status"] == "ready" for k, a in by_accession.items() if k != BROKEN)
    after = entries(state, live)
    assert after[lost]["duplicate"] is True and after[lost]["artefact_id"] == by_accession[lost]["id"]
    rows = read_report(collection.parent / "manifest-report" / "report.csv")
    assert {k: r["artefact_id"] for k, r in rows.items()} == {k: a["id"] for k, a in by_accession.items()}

    # a third run has nothing left to upload; a title corrected in the spreadsheet is sent as an edit
    text = collection.read_text(encoding="utf-8")
    collection.write_text(text.replace("Tranh sơn mài Phố cổ Hà Nội", "Tranh sơn mài Phố cổ"), encoding="utf-8")
    t0 = time.monotonic()
    third = subprocess.run(digitise(collection, live, key), check=False, capture_output=True, text=True, env=env,
                           timeout=120)
    assert third.returncode == 1
    assert '"stage": "upload"' not in third.stdout
    assert time.monotonic() - t0 < 30
    final = {a["metadata"]["accession_number"]: a for a in server_artefacts(live.url, key)}
    assert len(final) == 5 and {a["id"] for a in final.values()} == {a["id"] for a in on_server}
    assert final["BT-2024-004"]["metadata"]["title"]["vi"] == "Tranh sơn mài Phố cổ"
    assert read_report(collection.parent / "manifest-report" / "report.csv")["BT-2024-004"]["title_vi"] == \
        "Tranh sơn mài Phố cổ"


@pytest.fixture
def idle(app):
    """A live server whose jobs never run: the batch waits on them until it is stopped."""
    from tests.conftest import LiveServer

    server = LiveServer(app)
    yield server
    server.stop()


def test_sigterm_stops_cleanly_and_the_rerun_uploads_nothing(idle, collection):
    key = make_key(idle.app)
    state = collection.with_name("manifest.heritage-ar-state.json")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.Popen(digitise(collection, idle, key), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
    try:
        wait_for(lambda: sum(bool(e.get("artefact_id")) for e in entries(state, idle).values()) == 5, timeout=60)
    finally:
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted; progress is saved in" in err and "run the same command again" in err
    again = subprocess.run(digitise(collection, idle, key, "--no-wait"), check=False, capture_output=True,
                           text=True, env=env, timeout=60)
    assert again.returncode == 1 and '"stage": "upload"' not in again.stdout
    assert json.loads(again.stdout.splitlines()[-1])["counts"] == {"queued": 5}
    assert len(server_artefacts(idle.url, key)) == 5
