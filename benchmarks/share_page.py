"""
share_page.py
-------------

Benchmark (not a test) of the share page a creator puts in a bio:

1. bytes before the model: the HTML, CSS and JS a phone must fetch before the
   3D model starts (raw, gzip -9, and what our server actually sends with
   Accept-Encoding: gzip); target <= 350 KB gzip;
2. time from navigation to model-viewer's first `load` event (the first level:
   thumb.glb when the pipeline made one, else the master) in headless Chromium
   with WebGL on the CPU (SwiftShader), fresh cache each run.

Run: `PYTHONPATH=. python benchmarks/share_page.py [--runs 3] [names...]`
(names are files under the corpus's formats/, found by scripts/corpus.py; default Duck.glb CesiumMilkTruck.glb).
Prints a table and saves benchmarks/out/share_page.png.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import requests
from lxml import html as lxml_html
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import start_live
from tests.conftest import wait_for
from tests.fixtures import CORPUS
from tests.viewer.browser import LOADED
from tests.viewer.browser import launch

OUT = Path(__file__).resolve().parent / "out"
TARGET_GZIP = 350 * 1024


def page_assets(url: str) -> list[str]:
    """The page and every CSS/JS file it makes the browser fetch before the model."""
    doc = lxml_html.fromstring(requests.get(url, timeout=30).content)
    found = [url]
    for el in doc.xpath("//script[@src] | //link[@rel='stylesheet' or @rel='modulepreload'][@href]"):
        found.append(urljoin(url, el.get("src") or el.get("href")))
    # model-viewer fetches this one itself (meshopt switch) before loading a model
    found += [urljoin(url, el.get("data-meshopt")) for el in doc.xpath("//script[@data-meshopt]")]
    return list(dict.fromkeys(found))


def bytes_before_model(url: str) -> list[tuple[str, int, int, int]]:
    """(path, raw bytes, gzip -9 bytes, bytes sent with Accept-Encoding: gzip) per asset."""
    rows = []
    for asset in page_assets(url):
        raw = requests.get(asset, headers={"Accept-Encoding": "identity"}, timeout=30).content
        sent = requests.get(asset, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30)
        wire = len(sent.raw.read())
        rows.append((asset.split("/", 3)[-1][:60], len(raw), len(gzip.compress(raw, 9)), wire))
    return rows


def time_to_load(browser, url: str, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds from navigation to DOMContentLoaded (viewer script evaluated) and to the first
    model-viewer `load`, fresh context (no cache) each run."""
    times, dcl = [], []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 412, "height": 860}, device_scale_factor=1)
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(LOADED, timeout=300_000)
        page.wait_for_function("() => document.documentElement.dataset.firstLoadMs", timeout=30_000)
        times.append(float(page.evaluate("() => document.documentElement.dataset.firstLoadMs")))
        dcl.append(float(page.evaluate(
            "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")))
        context.close()
    return dcl, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=["Duck.glb", "CesiumMilkTruck.glb"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-share-"))
    live = start_live(Settings(data_dir=str(tmp / "live"), testing=True, start_worker=True))
    try:
        auth = {"Authorization": f"Bearer {make_key(live.app)}"}
        arts = {}
        for name in args.names:
            path = CORPUS / "formats" / name
            with open(path, "rb") as f:
                resp = requests.post(f"{live.url}/api/v1/artefacts", files={"file": (name, f)},
                                     data={"metadata": json.dumps({"title": {"en": name}})}, headers=auth, timeout=120)
            arts[name] = resp.json()["id"]
        done = {}
        for name, art_id in arts.items():
            done[name] = wait_for(lambda i=art_id: (b := requests.get(f"{live.url}/api/v1/artefacts/{i}", headers=auth,
                                                                      timeout=30).json())["status"] == "ready" and b,
                                  timeout=600)
        first = done[args.names[0]]["links"]["share"]
        rows = bytes_before_model(first)
        print("\nBytes before the model (share page of", args.names[0] + ")")
        print(f"{'file':62} {'raw':>10} {'gzip -9':>10} {'sent gz':>10}")
        for path, raw, gz, wire in rows:
            print(f"{path:62} {raw:>10,} {gz:>10,} {wire:>10,}")
        total = [sum(r[i] for r in rows) for i in (1, 2, 3)]
        verdict = "OK" if total[1] <= TARGET_GZIP else "OVER"
        print(f"{'total':62} {total[0]:>10,} {total[1]:>10,} {total[2]:>10,}   target {TARGET_GZIP:,} gzip: {verdict}")

        results = []
        with sync_playwright() as p:
            browser = launch(p)
            for name, art in done.items():
                names = art["derivatives"]
                level = "thumb.glb" if "thumb.glb" in names else "master.glb"
                dcl, ms = time_to_load(browser, art["links"]["share"], args.runs)
                results.append((name, level, names[level]["bytes"], ms, dcl))
            browser.close()
        print("\nTime to model-viewer `load` (first level), headless Chromium, WebGL on CPU, fresh cache")
        print(f"{'artefact':24} {'first level':12} {'bytes':>10} {'DCL ms':>8} {'load ms':>8} {'runs (ms)'}")
        for name, level, size, ms, dcl in results:
            print(f"{name:24} {level:12} {size:>10,} {statistics.median(dcl):>8,.0f} {statistics.median(ms):>8,.0f} "
                  f"{', '.join(f'{m:.0f}' for m in ms)}")
        _plot(rows, results)
    finally:
        live.stop()
        _stop(live.app)


def _plot(rows, results) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    labels = [r[0].rsplit("/", 1)[-1] for r in rows]
    a.barh(labels, [r[2] / 1024 for r in rows])
    a.axvline(TARGET_GZIP / 1024, color="red", linestyle="--", label="350 KB target (total)")
    a.set_xlabel("KB gzip")
    a.set_title(f"Bytes before the model: {sum(r[2] for r in rows) / 1024:.0f} KB gzip total")
    a.legend()
    b.bar([r[0] for r in results], [statistics.median(r[3]) / 1000 for r in results])
    b.set_ylabel("seconds (median)")
    b.set_title("Navigation to first model `load`")
    fig.tight_layout()
    fig.savefig(OUT / "share_page.png", dpi=100)
    print("\nplot:", OUT / "share_page.png")


if __name__ == "__main__":
    main()
