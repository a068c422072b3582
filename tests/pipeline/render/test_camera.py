"""Framing maths: snug fit per aspect, panels straight on, constant turntable distance."""

from __future__ import annotations

import numpy as np
import pytest

from service.pipeline.render import camera as cam


def _project(camera: cam.Camera, points: np.ndarray) -> np.ndarray:
    # NDC x, y of the points
    h = np.c_[points, np.ones(len(points))] @ (camera.projection() @ camera.view()).T
    return h[:, :2] / h[:, 3:4]


BOX = np.array([[x, y, z] for x in (-0.1, 0.3) for y in (0.0, 0.8) for z in (-0.05, 0.05)])


@pytest.mark.parametrize(
    ("aspect", "window"),
    [
        pytest.param(1200 / 630, (-1, 1, -1, 1), id="poster"),
        pytest.param(1.0, (-1, 1, -1, 1), id="square"),
        pytest.param(1080 / 1920, (-1, 1, -0.4, 0.96), id="vertical-with-caption"),
    ],
)
def test_frame_is_snug_and_centred_in_window(aspect, window):
    center = BOX.mean(axis=0)
    c = cam.frame(BOX, center, cam.orbit_direction(30, 75), aspect, window=window, fill=0.9)
    ndc = _project(c, BOX)
    lo, hi = ndc.min(axis=0), ndc.max(axis=0)
    # inside the window
    assert lo[0] >= window[0] - 1e-6 and hi[0] <= window[1] + 1e-6
    assert lo[1] >= window[2] - 1e-6 and hi[1] <= window[3] + 1e-6
    # centred in it
    assert abs((lo[0] + hi[0]) / 2 - (window[0] + window[1]) / 2) < 0.02
    assert abs((lo[1] + hi[1]) / 2 - (window[2] + window[3]) / 2) < 0.02
    # snug: the limiting extent covers the requested share of the window
    share = max(
        (hi[0] - lo[0]) / (window[1] - window[0]), (hi[1] - lo[1]) / (window[3] - window[2])
    )
    assert share == pytest.approx(0.9, abs=0.02)


def test_orbit_matches_model_viewer_convention():
    # theta 0 looks from +Z, theta 90 from +X; phi 0 from straight above
    assert np.allclose(cam.orbit_direction(0, 90), [0, 0, 1])
    assert np.allclose(cam.orbit_direction(90, 90), [1, 0, 0])
    assert np.allclose(cam.orbit_direction(0, 0), [0, 1, 0])
    c = cam.frame(BOX, BOX.mean(axis=0), cam.orbit_direction(30, 75), 1.0)
    az, polar, _ = c.orbit()
    assert (az, polar) == pytest.approx((30, 75))


def test_panels_are_framed_straight_on():
    panel = np.array([[0, 0, 0], [0.6, 0.9, 0.01]])
    vase = np.array([[0, 0, 0], [0.3, 0.5, 0.3]])
    assert cam.is_flat(panel) and cam.default_view(panel) == (0.0, 90.0)
    assert not cam.is_flat(vase) and cam.default_view(vase) == (cam.AZIMUTH, cam.POLAR)


def test_turntable_keeps_distance_and_fits_every_angle():
    azimuths = np.arange(12) * 30.0
    cams = cam.turntable_frame(BOX, BOX.mean(axis=0), 75, 9 / 16, azimuths=azimuths)
    dists = [np.linalg.norm(c.eye - c.target) for c in cams]
    assert np.ptp(dists) < 1e-9
    assert len({tuple(np.round(c.target, 9)) for c in cams}) == 1
    for c in cams:
        ndc = _project(c, BOX)
        assert np.abs(ndc).max() <= 1.0
