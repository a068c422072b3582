"""Orientation and scale from cameras and metadata, on exact synthetic cameras."""

from __future__ import annotations

import numpy as np
import pytest

from service.errors import InvalidMetadata
from service.pipeline.photogrammetry.orient import scale_bar_length
from service.pipeline.photogrammetry.orient import scale_factor
from service.pipeline.photogrammetry.orient import world_frame
from service.pipeline.photogrammetry.sfm import View
from tests.pipeline.photogrammetry.synth import ring_cameras

K = np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]])


def _views(tilt: np.ndarray) -> list[View]:
    """Ring cameras around (0.1, 0.2, 0.3), expressed in a frame rotated by `tilt`."""
    views = []
    for i, pose in enumerate(ring_cameras(np.array([0.1, 0.2, 0.3]), 2.0, [(30, 12)])):
        R = pose[:3, :3].T @ tilt.T  # world-to-camera in the tilted frame
        c = tilt @ pose[:3, 3]
        views.append(View(name=f"v{i}.jpg", K=K, k1=0.0, R=R, t=-R @ c, size=(640, 480)))
    return views


def test_up_from_camera_ring_and_object_at_origin():
    a = np.radians(70)
    tilt = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    views = _views(tilt)
    T, facts = world_frame(views)
    assert facts["up_from"] == "camera ring"
    assert T[:3, :3] @ (tilt @ [0, 1, 0]) == pytest.approx([0, 1, 0], abs=1e-6)
    assert T[:3, :3] @ (tilt @ [0.1, 0.2, 0.3]) + T[:3, 3] == pytest.approx([0, 0, 0], abs=1e-6)
    front = T[:3, :3] @ views[0].centre + T[:3, 3]
    assert front[0] == pytest.approx(0, abs=1e-6) and front[2] > 0


@pytest.mark.parametrize(
    ("dims", "source", "factor"),
    [
        pytest.param({"height": 20, "unit": "cm"}, "declared height", 0.2 / 4, id="height"),
        pytest.param({"width": 300, "unit": "mm"}, "declared width", 0.3 / 6, id="width"),
        pytest.param({"depth": 1, "unit": "m"}, "declared depth", 1 / 2, id="depth"),
    ],
)
def test_scale_from_declared_dimension(dims, source, factor):
    s, facts = scale_factor(np.array([2.0, 4.0, 6.0]), {"dimensions": dims})
    assert s == pytest.approx(factor) and facts["source"] == source


def test_scale_unknown_is_marked():
    s, facts = scale_factor(np.array([2.0, 4.0, 6.0]), {})
    assert facts["source"] == "unknown" and s * 6 == pytest.approx(0.3)


def test_scale_bar_triangulates_marked_points():
    views = _views(np.eye(3))
    ends = np.array([[0.0, 0.2, 0.3], [0.08, 0.25, 0.3]])
    points = []
    for X in ends:
        sightings = []
        for v in views[:3]:
            uv = K @ (v.R @ X + v.t)
            sightings.append(
                {"photo": v.name.upper(), "xy": (uv[:2] / uv[2] * 2).tolist()}
            )  # originals at 2x
        points.append(sightings)
    lookup = {v.name.upper().lower(): (v.name, 0.5) for v in views}
    length = scale_bar_length({"distance": 8, "points": points}, views, lookup)
    assert length == pytest.approx(np.linalg.norm(ends[1] - ends[0]), rel=1e-6)
    with pytest.raises(InvalidMetadata, match="at least two photos"):
        scale_bar_length({"distance": 8, "points": [points[0][:1], points[1]]}, views, lookup)
