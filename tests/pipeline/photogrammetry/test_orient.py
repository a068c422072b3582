"""Orientation and scale from cameras and metadata, on exact synthetic cameras."""

from __future__ import annotations

import numpy as np
import pytest

from service.errors import InvalidMetadata
from service.pipeline.photogrammetry.orient import cut_off
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


def _box_views(distance_factor: float) -> tuple[np.ndarray, list[View]]:
    """The family's box and exact ring views at `distance_factor` x the distance write_photo_set uses."""
    from tests.pipeline.photogrammetry.synth import _placement
    from tests.pipeline.photogrammetry.synth import box

    mesh, size = box(), (800, 600)
    focal = 32 * np.hypot(*size) / 43.267
    K = np.array([[focal, 0, size[0] / 2 - 0.5], [0, focal, size[1] / 2 - 0.5], [0, 0, 1]])
    centre, distance = _placement(mesh, size, 32)
    views = []
    for i, pose in enumerate(ring_cameras(centre, distance * distance_factor, [(15, 8), (50, 6)])):
        R = pose[:3, :3].T
        views.append(View(name=f"v{i}.jpg", K=K, k1=0.0, R=R, t=-R @ pose[:3, 3], size=size))
    return mesh.sample(5000), views


def test_cut_off_names_the_photos_the_object_overflows():
    points, views = _box_views(1.0)
    assert cut_off(points, views) == []  # framed as a photographer does: a margin all round
    points, views = _box_views(0.6)
    assert cut_off(points, views) == [v.name for v in views]  # too close: every frame cuts it
    # a camera that sees the object from inside it (or behind) cannot have framed it
    inside = View(name="in.jpg", K=views[0].K, k1=0.0, R=np.eye(3), t=np.zeros(3), size=(800, 600))
    assert cut_off(points - points.mean(0), [inside]) == ["in.jpg"]


def test_a_cut_off_object_is_a_warning_only_when_most_photos_cut_it():
    from types import SimpleNamespace

    from service.pipeline.flows.photogrammetry import _warnings

    sparse = SimpleNamespace(views=[object()] * 10, failed={})
    prep = {"photos": 10, "dropped": {}}
    scale = {"source": "declared height"}
    assert _warnings(sparse, prep, scale, cut=5) == []
    (warning,) = _warnings(sparse, prep, scale, cut=6)
    assert "edge of the frame in 6 of 10 photos" in warning and "space around it" in warning
