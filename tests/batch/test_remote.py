"""A whole batch against a live server: five artefacts, one broken, reports, links and QR labels."""

from __future__ import annotations

import io
import json
import re

import pytest

from service.batch.progress import JsonlDisplay
from service.batch.run import BatchConfig
from service.batch.run import run_batch
from tests.batch.collection import BROKEN
from tests.batch.conftest import check_links
from tests.batch.conftest import decode_labels
from tests.batch.conftest import read_report
from tests.batch.conftest import report_links
from tests.batch.conftest import server_artefacts
from tests.conftest import make_key


@pytest.mark.slow
def test_collection_ends_ready_with_a_report_whose_links_work(live_previews, collection, tmp_path):
    live = live_previews
    key = make_key(live.app)
    events = io.StringIO()
    result = run_batch(BatchConfig(source=collection, server=live.url, key=key, poll=0.3, concurrency=3,
                                   report_dir=tmp_path / "report"), JsonlDisplay(events))

    # the broken one is reported with the server's reason, the rest are ready
    assert result.counts == {"ready": 4, "failed": 1}
    rows = read_report(result.reports["csv"])
    assert rows[BROKEN]["status"] == "failed"
    assert re.search(r"vo-binh\.glb.*could not be read", rows[BROKEN]["error"])
    ready = {k: r for k, r in rows.items() if r["status"] == "ready"}
    assert set(ready) == {"BT-2024-001", "BT-2024-002", "BT-2024-003", "BT-2024-004"}
    assert rows["BT-2024-004"]["title_vi"] == "Tranh sơn mài Phố cổ Hà Nội"
    on_server = {a["id"]: a for a in server_artefacts(live.url, key)}
    assert len(on_server) == 5
    assert on_server[rows["BT-2024-004"]["artefact_id"]]["kind"] == "flat"  # the painting went the photo way
    for row in ready.values():
        assert on_server[row["artefact_id"]]["status"] == "ready"
        assert on_server[row["artefact_id"]]["metadata"]["accession_number"] == row["key"]
        assert row["model"].endswith("/master.glb") and row["share"] and row["embed_snippet"].startswith("<iframe")

    # every link the server routes answers 200: share, short, embed and QR pages, files, API, jobs
    links = report_links(result.reports["html"], rows)
    checked = check_links(links, key)
    for name in ("share", "short", "embed", "qr"):
        assert {r[name] for r in ready.values()} <= checked, name
    assert {r["model"] for r in ready.values()} <= checked
    made = {d["url"] for r in ready.values() for d in on_server[r["artefact_id"]]["derivatives"].values()}
    assert len(made) >= 4 and made <= checked  # every file the server made is linked from the report
    assert {r["api"] for r in rows.values()} <= checked and {r["job"] for r in rows.values()} <= checked

    # the HTML is self-contained: QR images inline, no external scripts or styles
    html = result.reports["html"].read_text(encoding="utf-8")
    assert html.count('src="data:image/svg+xml') == 4
    # every ready artefact has a poster from the previews stage, embedded as a thumbnail
    assert all(r["poster"].endswith((".jpg", ".jpeg", ".png", ".webp")) for r in ready.values())
    assert html.count('src="data:image/jpeg;base64,') == 4
    assert not re.search(r'<(script|link)[^>]+(src|href)="http', html)
    assert "Vò bình gốm vỡ" in html and "could not be read" in html

    # the QR codes on the label sheet decode to each ready artefact's share link, in manifest order
    expected = [ready[k]["share"] for k in sorted(ready)]
    assert decode_labels(result.reports["labels"], 4) == expected

    # progress: per-artefact stages from the server and one "done" per artefact
    lines = events.getvalue().splitlines()
    assert sum('"event": "done"' in line for line in lines) == 5
    assert any('"stage": "upload"' in line for line in lines)
    server_stages = {json.loads(line)["stage"] for line in lines if '"event": "stage"' in line} - {"hash", "upload"}
    assert len(server_stages) >= 3, server_stages  # e.g. queued, load, derive, done: the job's own stages
