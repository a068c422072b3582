"""Bad photo sets fail with a reason a photographer can act on."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PIL import ImageFilter

from service.errors import InvalidImage
from service.pipeline.flows import process
from service.pipeline.photogrammetry.images import find_photos
from service.pipeline.photogrammetry.images import prepare_photos

META = {"title": {"en": "Thing"}, "kind": "photogrammetry"}


def _noise_photos(folder, n, *, size=(320, 240), seed=0, ext="jpg"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        img = (rng.random((size[1] // 8, size[0] // 8, 3)) * 255).astype(np.uint8)
        im = Image.fromarray(img).resize(size, Image.NEAREST)
        paths.append(folder / f"p{i:02d}.{ext}")
        im.save(paths[-1])
    return paths


def test_too_few_photos(tmp_path):
    _noise_photos(tmp_path / "in", 5)
    with pytest.raises(InvalidImage, match="5 photo.* at least 8"):
        process([tmp_path / "in"], tmp_path / "out", metadata=META)


def test_too_many_photos_are_refused_before_decoding(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(12):
        # a JPEG header (the finder reads it) and no image: the count is checked before any decoding
        (folder / f"p{i:02d}.jpg").write_bytes(b"\xff\xd8\xff\xe0not decoded: the count is checked first")
    with pytest.raises(InvalidImage, match=r"12 photos uploaded, the limit is 10; .*one photo in 2\)"):
        process([folder], tmp_path / "out", metadata=META, options={"max_photos": 10})


def test_duplicates_and_blur_are_dropped_with_reasons(tmp_path):
    paths = _noise_photos(tmp_path / "in", 9)
    Image.open(paths[0]).save(tmp_path / "in" / "p00b.jpg")  # the shutter pressed twice: re-encoded, next in order
    (tmp_path / "in" / "p04_copy.jpg").write_bytes(paths[4].read_bytes())  # the same file again
    Image.open(paths[1]).filter(ImageFilter.GaussianBlur(6)).save(tmp_path / "in" / "p98.jpg")
    photos, report = prepare_photos(
        sorted((tmp_path / "in").iterdir()), tmp_path / "work", max_side=200
    )
    assert report["dropped"]["p00b.jpg"].startswith("duplicate of p00.jpg")
    assert report["dropped"]["p04_copy.jpg"].startswith("the same file as p04.jpg")
    assert report["dropped"]["p98.jpg"].startswith("blurred")
    assert len(photos) == 9 and len(report["dropped"]) == 3
    assert report["downscaled"] == 12 and max(photos[0].size) == 200


def test_alike_views_far_apart_are_kept(tmp_path):
    # a turntable of a three-fold symmetric object: views 120 degrees apart are the same picture,
    # neighbours 10 degrees apart are not; none is a duplicate
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(7)
    band = (rng.random((30, 12, 3)) * 255).astype(np.uint8)  # one third of the turn, 12 steps
    strip = np.concatenate([band] * 3, axis=1)  # repeats three times round
    for i in range(36):
        view = np.roll(strip, -i, axis=1)[:, :12]
        Image.fromarray(view).resize((320, 240), Image.NEAREST).save(folder / f"ring{i:02d}.png")
    photos, report = prepare_photos(sorted(folder.iterdir()), tmp_path / "work", max_side=320)
    assert report["dropped"] == {} and len(photos) == 36


def test_all_duplicates_is_an_error(tmp_path):
    (tmp_path / "in").mkdir()
    src = _noise_photos(tmp_path / "one", 1)[0]
    for i in range(9):
        Image.open(src).save(tmp_path / "in" / f"same{i}.jpg")
    with pytest.raises(InvalidImage, match="only 1 of 9 photos are usable .same1.jpg: the same file as same0.jpg"):
        process([tmp_path / "in"], tmp_path / "out", metadata=META)


def test_mixed_cameras(tmp_path):
    _noise_photos(tmp_path / "in", 5, size=(320, 240))
    _noise_photos(tmp_path / "in2", 5, size=(400, 300), seed=3)
    for p in (tmp_path / "in2").iterdir():
        p.rename(tmp_path / "in" / ("b" + p.name))
    with pytest.raises(InvalidImage, match="mixes cameras or image sizes"):
        process([tmp_path / "in"], tmp_path / "out", metadata=META)


def test_unrelated_photos_cannot_be_placed(tmp_path):
    _noise_photos(tmp_path / "in", 10, seed=5)
    with pytest.raises(InvalidImage, match=r"only \d+ of 10 photos could be placed: .*overlap"):
        process([tmp_path / "in"], tmp_path / "out", metadata=META)


def test_gpu_dense_on_a_cpu_server_fails_before_sfm(tmp_path, monkeypatch):
    import pycolmap

    from service.errors import BadRequest

    monkeypatch.setattr(pycolmap, "has_cuda", False, raising=False)  # a CPU-only server, whatever runs the test
    _noise_photos(tmp_path / "in", 10, seed=5)
    with pytest.raises(BadRequest, match="needs pycolmap built with CUDA"):
        process([tmp_path / "in"], tmp_path / "out", metadata=META, options={"dense_method": "colmap-cuda"})


def test_masks_pair_with_their_photos(tmp_path):
    from PIL import Image

    files = [
        tmp_path / n for n in ("A.JPG", "A_mask.png", "b.png", "b_mask.jpg", "notes.txt", "c.tif")
    ]
    for f in files:
        if f.suffix == ".txt":
            f.write_text("not a photo")
        else:  # the finder reads the content, not the extension
            Image.new("RGB", (32, 32)).save(f, format={".JPG": "JPEG", ".jpg": "JPEG"}.get(f.suffix))
    photos, masks = find_photos(files)
    assert [p.name for p in photos] == ["A.JPG", "b.png", "c.tif"]
    assert {k: v.name for k, v in masks.items()} == {"a": "A_mask.png", "b": "b_mask.jpg"}
