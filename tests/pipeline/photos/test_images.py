"""Photo decoding: ICC to sRGB (8 and 16 bit), orientation, CMYK, HEIC, bad files."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import tifffile
from PIL import Image

from service.errors import InvalidImage
from service.errors import ScanTooLarge
from service.pipeline.photos.images import load_photo
from tests.pipeline.photos.helpers import matrix_trc_profile

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # colour warns that matplotlib is absent
    import colour


def _reference_srgb(adobe: np.ndarray) -> np.ndarray:
    """colour-science's Adobe RGB (1998) -> sRGB, both encoded, floats in [0, 1]."""
    return np.clip(
        colour.RGB_to_RGB(
            adobe, "Adobe RGB (1998)", "sRGB", apply_cctf_decoding=True, apply_cctf_encoding=True
        ),
        0,
        1,
    )


def _delta_e(srgb_a: np.ndarray, srgb_b: np.ndarray) -> np.ndarray:
    def lab(rgb):
        return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb))

    return colour.delta_E(lab(srgb_a), lab(srgb_b), method="CIE 2000")


def _adobe_pixels(n: int = 96, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    px = rng.random((n, n, 3))
    px[:8, :8] = [1, 0, 0]  # the most saturated Adobe red: out of sRGB gamut, clipped
    px[8:16, :8] = [0.5, 0.5, 0.5]
    return px


def test_16bit_adobe_rgb_tiff_becomes_srgb(tmp_path):
    adobe = _adobe_pixels()
    path = tmp_path / "painting.tif"
    tifffile.imwrite(
        path,
        (adobe * 65535 + 0.5).astype(np.uint16),
        photometric="rgb",
        iccprofile=matrix_trc_profile(),
    )
    photo = load_photo(path)
    assert photo.info["bits"] == 16
    assert photo.info["icc"] == "Adobe RGB test"
    got = photo.pixels.astype(np.float64) / 255
    in_gamut = np.all((_reference_srgb(adobe) > 0.002) & (_reference_srgb(adobe) < 0.998), axis=-1)
    de = _delta_e(got, _reference_srgb(adobe))
    assert de.mean() < 2.0
    assert de[in_gamut].mean() < 0.5
    # not a pass-through: the untransformed pixels are far off
    assert _delta_e(adobe, _reference_srgb(adobe)).mean() > 2.0


def test_8bit_adobe_rgb_jpeg_goes_through_littlecms(tmp_path):
    adobe = _adobe_pixels(64)
    path = tmp_path / "print.jpg"
    Image.fromarray((adobe * 255 + 0.5).astype(np.uint8)).save(
        path, quality=100, icc_profile=matrix_trc_profile()
    )
    photo = load_photo(path)
    assert photo.info["icc"] == "Adobe RGB test"
    decoded = np.asarray(Image.open(path).convert("RGB"), np.float64) / 255
    de = _delta_e(photo.pixels / 255.0, _reference_srgb(decoded))
    assert de.mean() < 2.0


def test_exif_orientation_is_applied(tmp_path):
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, :40] = (255, 0, 0)  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(img).save(path, exif=exif, quality=95)
    photo = load_photo(path)
    assert photo.size == (40, 80)
    top = photo.pixels[:30].reshape(-1, 3).mean(axis=0)
    assert top[0] > 200 and top[1] < 60  # the red half is now on top


def test_cmyk_jpeg_is_converted(tmp_path):
    cmyk = Image.new("CMYK", (64, 48), (255, 0, 0, 0))  # pure cyan ink
    path = tmp_path / "cmyk.jpg"
    cmyk.save(path, quality=95)
    photo = load_photo(path)
    r, g, b = photo.pixels.reshape(-1, 3).mean(axis=0)
    assert r < 60 and g > 200 and b > 200


def test_heic_is_decoded(tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    path = tmp_path / "phone.heic"
    Image.new("RGB", (128, 96), (30, 120, 200)).save(path, quality=90)
    photo = load_photo(path)
    assert photo.info["format"] == "heif"
    assert photo.size == (128, 96)
    assert photo.pixels.reshape(-1, 3).mean(axis=0) == pytest.approx([30, 120, 200], abs=6)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (12_000, 10_000)).save(path)  # 120 megapixels, a few KB
    assert path.stat().st_size < 200_000
    with pytest.raises(ScanTooLarge, match="120 megapixels"):
        load_photo(path)
    with pytest.raises(ScanTooLarge, match="limit of 1"):
        load_photo(path, max_pixels=1_000_000)


def test_truncated_jpeg_is_a_readable_error(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)).save(
        buf, "JPEG"
    )
    path = tmp_path / "broken.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(InvalidImage, match="damaged or truncated"):
        load_photo(path)


def test_not_an_image_is_refused(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("not a photo")
    with pytest.raises(Exception, match="not a JPEG"):
        load_photo(path)


@pytest.mark.parametrize(
    ("dpi", "camera", "expected"),
    [
        pytest.param(600, False, 600.0, id="scanner-600"),
        pytest.param(72, False, None, id="default-72"),
        pytest.param(600, True, None, id="camera-exif"),
    ],
)
def test_scan_resolution_is_trusted_only_from_scanners(tmp_path, dpi, camera, expected):
    exif = Image.Exif()
    if camera:
        exif.get_ifd(0x8769)[0x829A] = 0.01  # ExposureTime
    path = tmp_path / "scan.jpg"
    Image.new("RGB", (120, 90), (200, 190, 170)).save(path, dpi=(dpi, dpi), exif=exif)
    assert load_photo(path).dpi == expected
