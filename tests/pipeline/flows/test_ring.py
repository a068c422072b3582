"""Turntable rings -> spin sets (frames at several sizes, spin.json, spin.mp4)."""

from __future__ import annotations

import json
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from service.errors import InvalidImage
from service.errors import InvalidPhotoSet
from service.errors import ScanTooLarge
from service.pipeline.flows import process
from service.pipeline.metadata import validate_metadata

AXIS = 200  # the turntable axis is left of the photo's centre (240)
FAST = {"spin": {"sizes": (128, 256), "video_side": 256, "video_seconds": 2.0}}


def ring_frame(angle: float, gain: float = 1.0, size=(480, 320)) -> np.ndarray:
    """A vase on a turntable: an off-axis red handle turns around the axis."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3))
    img[:] = (236, 234, 228)
    img -= (x / w * 10)[..., None]  # soft light fall-off
    body = ((x - AXIS) / 50.0) ** 2 + ((y - 170) / 110.0) ** 2 < 1
    img[body] = (70, 110, 160)
    hx = AXIS + 55 * np.sin(angle)
    handle = ((x - hx) / 12.0) ** 2 + ((y - 150) / 30.0) ** 2 < 1
    if np.cos(angle) > -0.3:
        img[handle] = (200, 40, 30)
    return (img * gain).clip(0, 255).astype(np.uint8)


def write_ring(folder, n=16, gains=None, size=(480, 320)):
    folder.mkdir(parents=True, exist_ok=True)
    gains = gains if gains is not None else np.ones(n)
    paths = []
    for i in range(n):
        p = folder / f"IMG_{i + 1}.jpg"  # natural order: IMG_2 before IMG_10
        Image.fromarray(ring_frame(2 * np.pi * i / n, gains[i], size)).save(p, quality=92)
        paths.append(p)
    return paths


def _pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _md(**extra):
    return validate_metadata({"title": {"en": "Vase"}, **extra})


def test_ring_becomes_a_centred_matched_spin_set(tmp_path):
    gains = np.random.default_rng(4).uniform(0.88, 1.1, 16)
    paths = write_ring(tmp_path / "ring", gains=gains)
    out = tmp_path / "out"
    manifest = process(paths[::-1], out, metadata=_md(), options=FAST)
    assert manifest["kind"] == "ring" and manifest["kind_source"] == "heuristic"
    assert [e["step"] for e in manifest["recipe"]] == ["spin"]
    assert set(manifest["recipe"][0]["options"]) == {"sizes", "crop", "gains"}
    spin = json.loads((out / "spin.json").read_text())
    assert spin["frames"] == 16
    assert [s["size"] for s in spin["sizes"]] == [128, 256]
    for level in spin["sizes"]:
        assert level["frames"] == [f"spin-{level['size']}-{i:03d}.jpg" for i in range(16)]
        for name in level["frames"]:
            assert manifest["files"][name]["role"] == "spin-frame"
            assert "/" not in name
            with Image.open(out / name) as im:
                assert im.size == (level["width"], level["height"])
        assert max(level["width"], level["height"]) == level["size"]
    # order follows the numbers in the names, not the upload order
    assert manifest["source"]["photos"][:3] == ["IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg"]
    # exposure: the backdrop of every frame now matches
    backdrops = [
        np.median(_pixels(out / n)[:6].reshape(-1, 3), axis=0) for n in spin["sizes"][1]["frames"]
    ]
    assert np.ptp(np.array(backdrops), axis=0).max() <= 6
    assert np.ptp(gains * 234) > 35  # the input really differed
    # centring: the axis sits in the middle of the crop
    x0, y0, x1, y1 = manifest["spin"]["crop"]
    assert (x0 + x1) / 2 == pytest.approx(AXIS, abs=4)
    assert x0 < AXIS - 70 and x1 > AXIS + 70 and y0 < 60 and y1 > 280


@pytest.mark.slow
def test_spin_mp4_is_web_h264(tmp_path):
    paths = write_ring(tmp_path / "ring", n=12)
    manifest = process(paths, tmp_path / "out", metadata=_md(kind="ring"), options=FAST)
    video = tmp_path / "out" / "spin.mp4"
    entry = manifest["files"]["spin.mp4"]
    assert entry["mime"] == "video/mp4"
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(video))
    assert frames == entry["frames"] and frames % 12 == 0 and secs >= 2.0
    data = video.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(video)], capture_output=True, text=True
    )
    assert "h264" in probe.stderr and "yuv420p" in probe.stderr
    check = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(video), "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and check.stderr == ""


def test_ring_of_one_photo_is_refused(tmp_path):
    paths = write_ring(tmp_path / "ring", n=1)
    with pytest.raises(InvalidPhotoSet, match="1 photo.*at least 12"):
        process(paths, tmp_path / "out", metadata=_md(kind="ring"))


def test_mixed_sizes_are_refused(tmp_path):
    paths = write_ring(tmp_path / "ring", n=12)
    Image.fromarray(ring_frame(0.3, size=(400, 300))).save(paths[5], quality=90)
    with pytest.raises(
        InvalidPhotoSet, match=r"mixed sizes; most are 480x320 but IMG_6.jpg \(400x300\)"
    ):
        process(paths, tmp_path / "out", metadata=_md(kind="ring"))


def test_corrupted_jpeg_in_a_ring_is_named(tmp_path):
    paths = write_ring(tmp_path / "ring", n=12)
    data = paths[7].read_bytes()
    paths[7].write_bytes(data[: len(data) // 3])
    with pytest.raises(InvalidImage, match="IMG_8.jpg.*damaged or truncated"):
        process(paths, tmp_path / "out", metadata=_md(kind="ring"), options=FAST)


def test_decompression_bomb_in_a_ring_is_refused(tmp_path):
    paths = write_ring(tmp_path / "ring", n=12)
    Image.new("L", (10_000, 10_050)).save(paths[0], quality=10)  # 100.5 MP, under 1 MB on disk
    with pytest.raises(ScanTooLarge, match="IMG_1.jpg.*100 megapixels"):
        process(paths, tmp_path / "out", metadata=_md(kind="ring"))


def test_few_photos_without_kind_ask_for_it(tmp_path):
    paths = write_ring(tmp_path / "ring", n=5)
    with pytest.raises(Exception, match="5 photos and no metadata.kind"):
        process(paths, tmp_path / "out", metadata=_md())


def _mask_boxes(folder, size):
    """Per-frame object boxes (x0, y0, x1, y1) and centroid x from the corpus masks, at `size`."""
    out = []
    for p in sorted(folder.glob("*_mask.JPG")):
        with Image.open(p) as im:
            im.draft("L", size)
            a = np.asarray(im.convert("L").resize(size)) > 127
        ys, xs = np.nonzero(a)
        out.append((xs.min(), ys.min(), xs.max(), ys.max(), xs.mean()))
    return np.array(out)


@pytest.mark.slow
def test_socketed_axe_ring_becomes_a_spin_set(corpus, tmp_path):
    axe = corpus / "photosets" / "socketed-axe"
    out = tmp_path / "out"
    options = {"spin": {"sizes": (320, 640), "video_side": 640, "video_seconds": 2.2}}
    manifest = process(
        [axe / "images", axe / "masks"], out, metadata=_md(kind="ring"), options=options
    )
    spin = json.loads((out / "spin.json").read_text())
    assert spin["frames"] == 22
    assert (
        manifest["source"]["photos"][0] == "IMG_8839.JPG"
        and manifest["source"]["photos"][-1] == "IMG_8860.JPG"
    )
    assert manifest["spin"]["masks"] is True
    assert {f for f in manifest["files"]} == {n for s in spin["sizes"] for n in s["frames"]} | {
        "spin.json",
        "spin.mp4",
    }
    # the crop is centred on the axe's mean position (the turntable axis) and holds it in every frame
    x0, y0, x1, y1 = manifest["spin"]["crop"]
    boxes = _mask_boxes(axe / "masks", tuple(manifest["source"]["photo_size"]))
    assert (x0 + x1) / 2 == pytest.approx(
        boxes[:, 4].mean(), abs=0.02 * manifest["source"]["photo_size"][0]
    )
    assert (
        x0 <= boxes[:, 0].min()
        and y0 <= boxes[:, 1].min()
        and x1 >= boxes[:, 2].max()
        and y1 >= boxes[:, 3].max()
    )
    assert (x1 - x0) < 0.95 * manifest["source"]["photo_size"][0]  # really cropped
    first = _pixels(out / spin["sizes"][1]["frames"][0])
    assert max(first.shape[:2]) == 640
