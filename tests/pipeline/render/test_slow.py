"""Full-size checks: the default turntable and the side-by-side with the real viewer."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import av
import pytest

from service.pipeline.render.previews import make_previews
from tests.fixtures import CORPUS
from tests.fixtures import REPO


@pytest.mark.slow
def test_default_turntable_is_full_size(tmp_path):
    shutil.copy(
        CORPUS / "scans" / "sea-turtle" / "sea_turtle-20k-thumb.glb", tmp_path / "master.glb"
    )
    body = {"files": {"master.glb": {}}}
    make_previews(
        tmp_path,
        body,
        metadata={"title": {"en": "Hawksbill turtle"}},
        options={},
        progress=lambda p, s: None,
    )
    entry = body["files"]["turntable.mp4"]
    assert (entry["width"], entry["height"], entry["fps"], entry["frames"], entry["seconds"]) == (
        1080,
        1920,
        30,
        180,
        6.0,
    )
    with av.open(str(tmp_path / "turntable.mp4")) as c:
        s = c.streams.video[0]
        assert (s.width, s.height, s.codec_context.pix_fmt) == (1080, 1920, "yuv420p")
        assert c.duration / 1e6 == pytest.approx(6.0, abs=0.05)
        assert sum(1 for _ in c.decode(video=0)) == 180


@pytest.mark.slow
def test_matches_model_viewer(tmp_path):
    # the harder case: a 150k-face Draco scan with normal and occlusion maps
    rel = "scans/sea-turtle/sea_turtle-150k-2048-medium.glb"
    out = tmp_path / "pair.png"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "compare_viewer.py"), str(CORPUS / rel), "--size", "384", "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=400, cwd=REPO,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    score = float(re.search(r"SSIM (\d\.\d+)", run.stdout).group(1))
    assert score >= 0.8
    assert out.is_file() and out.stat().st_size > 10_000
