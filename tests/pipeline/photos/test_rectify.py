"""Rectification of flat artefacts photographed at an angle."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from service.pipeline.photos.rectify import rectify
from tests.pipeline.photos.helpers import painting

W, H = 1600, 1200


def _wall(seed: int = 0) -> np.ndarray:
    """A plain, slightly uneven wall: a soft light gradient and sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    base = 205 + 18 * (x / W) - 10 * (y / H)
    wall = np.stack([base, base - 4, base - 12], axis=-1) + rng.normal(0, 2.0, (H, W, 3))
    return wall.clip(0, 255).astype(np.uint8)


def _photographed(
    art: np.ndarray, background: np.ndarray, corners: np.ndarray, seed: int = 0
) -> np.ndarray:
    h, w = art.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    warped = cv2.warpPerspective(art, m, (W, H), flags=cv2.INTER_LINEAR)
    inside = (
        cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (W, H), flags=cv2.INTER_LINEAR)
        / 255.0
    )
    photo = background * (1 - inside[..., None]) + warped * inside[..., None]
    photo += np.random.default_rng(seed).normal(0, 1.5, photo.shape)
    return cv2.GaussianBlur(photo.clip(0, 255).astype(np.uint8), (3, 3), 0)


# a painting shot from the left and slightly below, rotated a little
TRUTH = np.array([[430.0, 250.0], [1240.0, 330.0], [1190.0, 960.0], [390.0, 905.0]])


def test_angled_painting_on_plain_wall_is_rectified():
    art = painting(610, 460)
    photo = _photographed(art, _wall(), TRUTH)
    out, report = rectify(photo, aspect=61 / 46)
    assert report["status"] == "rectified", report
    err = np.abs(np.array(report["corners"]) - TRUTH).max(axis=1)
    assert (err / W).max() < 0.01
    # the rectified picture is the painting, not the wall
    back = cv2.resize(out, (610, 460), interpolation=cv2.INTER_AREA).astype(float)
    assert np.abs(back - art).mean() < 12
    assert out.shape[1] / out.shape[0] == pytest.approx(61 / 46, rel=0.01)


def test_cluttered_photo_is_declined_and_kept():
    rng = np.random.default_rng(5)
    clutter = _wall()
    for _ in range(60):  # shelves, frames, labels behind the painting
        x, y = rng.integers(0, W - 200), rng.integers(0, H - 150)
        clutter[y : y + rng.integers(30, 150), x : x + rng.integers(30, 200)] = rng.integers(
            0, 255, 3
        )
    photo = _photographed(painting(610, 460), clutter, TRUTH)
    out, report = rectify(photo)
    assert report["status"] == "declined"
    assert report["reason"]  # says why, e.g. "the background is not plain (...)"
    assert out is photo


def test_painting_cut_by_the_frame_is_declined():
    corners = TRUTH.copy()
    corners[:, 0] -= 420  # runs off the left edge
    _, report = rectify(_photographed(painting(610, 460), _wall(), corners))
    assert report == {
        "status": "declined",
        "reason": "the artefact touches the left edge of the photo",
    }
