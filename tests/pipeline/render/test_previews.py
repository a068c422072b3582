"""The previews hook end to end: child process, manifest entries, stills, video, failures."""

from __future__ import annotations

import shutil
import subprocess
import sys

import av
import numpy as np
import pytest
import zxingcpp
from PIL import Image

from service.errors import PreviewFailed
from service.pipeline.flows import process
from service.pipeline.manifest import sha256_of
from service.pipeline.render import overlay
from service.pipeline.render.previews import make_previews
from service.pipeline.render.previews import pick_source
from tests.fixtures import CORPUS
from tests.fixtures import REPO
from tests.pipeline.render.textmatch import best_match

TITLE = "Bình gốm men lam thời Lê"
METADATA = {
    "title": {"vi": TITLE, "en": "Blue-glazed vase"},
    "institution": "Bảo tàng",
    "licence": "CC-BY-4.0",
}
URL = "https://heritage.example/a/7"
SMALL_VIDEO = {"turntable_seconds": 1.0, "turntable_fps": 12, "turntable_size": (270, 480)}


def _job(tmp_path, src, **options):
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(src, out / "master.glb")
    body = {"files": {"master.glb": {"role": "master"}}}
    seen = []
    make_previews(
        out, body, metadata=METADATA, options=options, progress=lambda p, s: seen.append((p, s))
    )
    return out, body, seen


@pytest.fixture(scope="module")
def duck_job(tmp_path_factory):
    opts = {**SMALL_VIDEO, "share_url": URL, "hashtags": ["disan"], "transparent_png": True}
    return _job(tmp_path_factory.mktemp("previews"), CORPUS / "formats" / "Duck.glb", **opts)


@pytest.mark.parametrize(
    ("name", "role", "size"),
    [
        ("poster.jpg", "poster", (1200, 630)),
        ("poster.webp", "poster", (1200, 630)),
        ("thumb.jpg", "thumbnail", (512, 512)),
        ("thumb.webp", "thumbnail", (512, 512)),
        ("cover.jpg", "cover", (1080, 1920)),
        ("cover.webp", "cover", (1080, 1920)),
        ("transparent.png", "transparent", (1024, 1024)),
    ],
)
def test_stills_are_listed_and_decode(duck_job, name, role, size):
    out, body, _ = duck_job
    entry = body["files"][name]
    assert (entry["role"], entry["width"], entry["height"]) == (role, *size)
    assert entry["sha256"] == sha256_of(out / name) and entry["source"] == "master.glb"
    with Image.open(out / name) as img:
        assert img.size == size
        assert img.format == {"jpg": "JPEG", "webp": "WEBP", "png": "PNG"}[name.rsplit(".", 1)[1]]
        if name.endswith(".png"):
            assert img.mode == "RGBA"
        assert np.asarray(img.convert("L")).std() > 15  # not blank


def test_turntable_decodes_with_expected_size_frames_and_duration(duck_job):
    out, body, _ = duck_job
    entry = body["files"]["turntable.mp4"]
    assert (entry["role"], entry["width"], entry["height"], entry["fps"], entry["frames"]) == (
        "turntable",
        270,
        480,
        12,
        12,
    )
    with av.open(str(out / "turntable.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, s.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (s.width, s.height) == (270, 480)
        assert c.duration / 1e6 == pytest.approx(1.0, abs=0.05)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 12
    # it turns: first and middle frames differ; the end card (last frame) has the link's QR code
    assert np.abs(frames[0].astype(int) - frames[4].astype(int)).mean() > 5
    big = Image.fromarray(frames[-1]).resize((540, 960), Image.Resampling.LANCZOS)
    assert [r.text for r in zxingcpp.read_barcodes(big)] == [URL]


def test_turntable_is_faststart(duck_job):
    data = (duck_job[0] / "turntable.mp4").read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_cover_shows_the_vietnamese_title_in_the_bundled_font(duck_job):
    out, _, _ = duck_job
    grey = np.asarray(Image.open(out / "cover.jpg").convert("L"))
    size = int(overlay.STYLES["title"][0] * 1080)
    score, (row, _) = best_match(grey, np.asarray(overlay.text_image(TITLE, size)))
    assert score > 0.9
    assert row > 1920 * (1 - overlay.CAPTION_SHARE)


def test_progress_is_reported_inside_the_preview_range(duck_job):
    pcts = [p for p, _ in duck_job[2]]
    assert len(pcts) >= 3 and pcts == sorted(pcts) and 70 <= pcts[0] and pcts[-1] <= 97


def test_previews_false_skips(tmp_path):
    out, body, seen = _job(tmp_path, CORPUS / "formats" / "Duck.glb", previews=False)
    assert list(body["files"]) == ["master.glb"] and not seen
    assert sorted(p.name for p in out.iterdir()) == ["master.glb"]


def test_web_level_is_preferred(tmp_path):
    for n in ("master.glb", "web-2048.glb", "thumb.glb"):
        (tmp_path / n).write_bytes(b"x")
    files = {n: {} for n in ("master.glb", "web-2048.glb", "thumb.glb")}
    assert pick_source(tmp_path, files).name == "web-2048.glb"
    assert pick_source(tmp_path, {"master.glb": {}}).name == "master.glb"
    assert pick_source(tmp_path, {"poster.jpg": {}}) is None


def test_no_model_no_previews(tmp_path):
    body = {"files": {"spin.mp4": {}}}
    make_previews(tmp_path, body, metadata={}, options={}, progress=lambda p, s: None)
    assert body == {"files": {"spin.mp4": {}}}


def test_broken_model_fails_with_reason(tmp_path):
    bad = tmp_path / "bad.glb"
    bad.write_bytes(b"glTF" + b"\x00" * 40)
    with pytest.raises(PreviewFailed, match="previews: "):
        _job(tmp_path, bad, **SMALL_VIDEO)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["master.glb"]


def test_hung_renderer_is_killed_at_the_time_limit(tmp_path):
    with pytest.raises(PreviewFailed, match="time limit"):
        _job(tmp_path, CORPUS / "formats" / "Duck.glb", preview_timeout=0.5, **SMALL_VIDEO)


def test_crash_in_the_child_cannot_kill_the_caller(tmp_path, monkeypatch):
    # a worker that dies from a signal, as a segfault in native GL code would
    from service.pipeline import child_process

    real = subprocess.Popen

    def crashing(cmd, **kw):
        return real(
            [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"], **kw
        )

    monkeypatch.setattr(child_process.subprocess, "Popen", crashing)
    with pytest.raises(PreviewFailed, match="signal 11"):
        _job(tmp_path, CORPUS / "formats" / "Duck.glb")


def test_process_runs_previews_after_the_scan(obj_zip, tmp_path):
    manifest = process([obj_zip], tmp_path / "out", metadata=METADATA, options=SMALL_VIDEO)
    assert manifest["steps"]["previews"] == {"status": "ok"}
    roles = {e["role"] for e in manifest["files"].values()}
    assert {"poster", "thumbnail", "cover", "turntable"} <= roles
    assert all((tmp_path / "out" / n).is_file() for n in manifest["files"])


def test_failed_previews_keep_the_3d_files(obj_zip, tmp_path):
    manifest = process(
        [obj_zip], tmp_path / "out", metadata=METADATA, options={"preview_timeout": 0.2}
    )
    assert manifest["steps"]["previews"]["status"] == "failed"
    assert "time limit" in manifest["steps"]["previews"]["error"]
    assert "master.glb" in manifest["files"] and (tmp_path / "out" / "master.glb").is_file()
    # nothing half-written is left behind
    on_disk = {p.name for p in (tmp_path / "out").iterdir()} - {"manifest.json"}
    assert on_disk == set(manifest["files"])
    assert not any(e.get("role") == "poster" for e in manifest["files"].values())
    assert REPO.is_dir()


def test_panel_swings_instead_of_showing_its_edge(tmp_path, panel_glb):
    out, _, _ = _job(tmp_path, panel_glb, overlay=False, **SMALL_VIDEO)
    with av.open(str(out / "turntable.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    # frames 0 and 6 are the two ends of the swing: mirror images of a panel seen from either side
    assert np.abs(frames[0] - frames[6]).mean() > 2
    assert np.abs(frames[0] - frames[6][:, ::-1]).mean() < np.abs(frames[0] - frames[6]).mean()
    # never edge-on: the panel stays wide in every frame
    for f in frames:
        dark = (np.abs(f - f[2, 2]).sum(axis=-1) > 60).any(axis=0)
        assert dark.sum() > 0.3 * f.shape[1]
