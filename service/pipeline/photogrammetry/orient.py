"""
orient.py
---------

Where is up, where is the object, how big is it. Up comes from the cameras:
photographers hold the camera upright and walk (or turn the turntable) in
rings, so the ring's axis, signed by the cameras' mean up vector, is the
object's +Y. The object sits where the optical axes meet. The first photo
becomes the front (+Z). Scale comes from a declared dimension or a scale bar
between two marked points; without either it is "unknown".
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from service.errors import InvalidMetadata
from service.pipeline.constants import UNITS
from service.pipeline.photogrammetry.sfm import View

log = logging.getLogger(__name__)

# the ring of camera centres counts as a plane when its thinnest spread is
# below this share of the next one
RING_FLATNESS = 0.35
# a ground plane holds at least this share of the dense points ...
GROUND_MIN_SHARE = 0.02
# ... and has at most this share below it (mismatches)
GROUND_MAX_BELOW = 0.01
# size given to an object of unknown scale (its largest dimension, metres)
UNKNOWN_SCALE_SIZE = 0.3


def look_at_point(views: list[View]) -> np.ndarray:
    """(3,) least-squares point nearest to every optical axis."""
    A = np.zeros((3, 3))
    b = np.zeros(3)
    for v in views:
        d = v.axis / np.linalg.norm(v.axis)
        P = np.eye(3) - np.outer(d, d)
        A += P
        b += P @ v.centre
    return np.linalg.lstsq(A, b, rcond=None)[0]


def up_vector(views: list[View]) -> tuple[np.ndarray, str]:
    """(3,) unit up in SfM coordinates and how it was found."""
    cam_up = -np.mean([v.R[1] for v in views], axis=0)
    cam_up /= np.linalg.norm(cam_up)
    centres = np.array([v.centre for v in views])
    _, s, vt = np.linalg.svd(centres - centres.mean(0))
    if len(views) >= 5 and s[2] < RING_FLATNESS * s[1]:
        normal = vt[2] * np.sign(vt[2] @ cam_up)
        if normal @ cam_up > np.cos(np.radians(45)):
            return normal, "camera ring"
    return cam_up, "camera up vectors"


def ground_plane(
    points: np.ndarray, centres: np.ndarray, *, tolerance: float, tries: int = 2000, seed: int = 0
) -> tuple[np.ndarray, float] | None:
    """The plane the object stands on: (3,) unit normal towards the cameras and offset d (n.x + d = 0).

    RANSAC over (n, 3) dense points for the plane with the most points within
    `tolerance` that has every camera centre (k, 3) on one side and almost
    nothing below it (so not a plane through the object). Triples are drawn
    from one point's neighbourhood: a table is a small share of the points.
    Returns None without such a plane.
    """
    from scipy.spatial import cKDTree

    if len(points) < 100:
        return None
    rng = np.random.default_rng(seed)
    near = cKDTree(points).query(points[rng.choice(len(points), tries)], k=30)[1]
    pick = near[np.arange(tries)[:, None], rng.integers(0, 30, (tries, 3))]
    a, b, c = points[pick[:, 0]], points[pick[:, 1]], points[pick[:, 2]]
    normals = np.cross(b - a, c - a)
    length = np.linalg.norm(normals, axis=1)
    best, best_count = None, max(GROUND_MIN_SHARE * len(points), 50)
    for n, p0, size in zip(normals, a, length):
        if size < 1e-12:
            continue
        n = n / size
        side = (centres - p0) @ n
        if not ((side > 3 * tolerance).all() or (side < -3 * tolerance).all()):
            continue
        n = n * np.sign(side[0])
        h = (points - p0) @ n
        count = int((np.abs(h) < tolerance).sum())
        if count > best_count and (h < -3 * tolerance).mean() < GROUND_MAX_BELOW:
            best, best_count = (n, p0), count
    if best is None:
        return None
    n, p0 = best
    inliers = points[np.abs((points - p0) @ n) < tolerance]
    # least squares on the inliers, kept facing the cameras
    mean = inliers.mean(0)
    refined = np.linalg.svd(inliers - mean)[2][2]
    refined *= np.sign(refined @ n)
    log.info("orient: ground plane through %d of %d dense points", len(inliers), len(points))
    return refined, float(-refined @ mean)


def world_frame(
    views: list[View],
    *,
    ground: tuple[np.ndarray, float] | None = None,
    centre: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """(4, 4) rigid transform from SfM coordinates to +Y up, object at the origin, first photo at +Z.

    Up is the camera ring's axis when the cameras form a ring; else the
    `ground` plane's normal (n, d) when one was found, with the origin on the
    plane under `centre`; else the cameras' mean up vector.
    """
    up, how = up_vector(views)
    centre = look_at_point(views) if centre is None else centre
    if ground is not None and how != "camera ring":
        up, how = ground[0], "ground plane"
        centre = centre - (centre @ up + ground[1]) * up
    front = views[0].centre - centre
    front -= (front @ up) * up
    if np.linalg.norm(front) < 1e-9:
        front = np.cross(up, [1.0, 0.0, 0.0])
    z = front / np.linalg.norm(front)
    x = np.cross(up, z)
    rot = np.stack([x, up, z])
    T = np.eye(4)
    T[:3, :3] = rot
    T[:3, 3] = -rot @ centre
    return T, {"up_from": how}


def cut_off(points: np.ndarray, views: list[View], *, margin: float = 0.005) -> list[str]:
    """Names of the views whose frame the object reaches: some of its (n, 3) `points` (SfM frame)
    fall outside the photo or within `margin` of its larger side from the edge.

    An object cut off in most photos cannot be measured: its height comes out
    short and a declared height then scales the whole model up (issue 16: a vase
    whose base no photo showed came out 5 % too big).
    """
    out = []
    for v in views:
        w, h = v.size
        cam = points @ v.R.T + v.t
        cam = cam[cam[:, 2] > 1e-9]
        uv = cam @ v.K.T
        x, y = uv[:, 0] / uv[:, 2], uv[:, 1] / uv[:, 2]
        edge = margin * max(w, h)
        behind = len(cam) < len(points)  # a camera inside or beside the object cannot frame it
        if behind or (x < edge).any() or (x > w - 1 - edge).any() or (y < edge).any() or (y > h - 1 - edge).any():
            out.append(v.name)
    return out


def scale_factor(extents: np.ndarray, metadata: dict) -> tuple[float, dict]:
    """Metres per model unit from declared dimensions, and the manifest facts.

    `extents` are the oriented model's (x, y, z) sizes; height is y, width the
    larger and depth the smaller horizontal size.
    """
    dims = metadata.get("dimensions") or {}
    unit = UNITS[dims.get("unit", "cm")]
    horizontal = sorted([extents[0], extents[2]], reverse=True)
    for key, size in (("height", extents[1]), ("width", horizontal[0]), ("depth", horizontal[1])):
        if dims.get(key):
            metres = dims[key] * unit
            return metres / size, {"source": f"declared {key}", "declared_m": round(metres, 6)}
    return UNKNOWN_SCALE_SIZE / float(max(extents)), {
        "source": "unknown",
        "note": f"no dimension or scale bar given: the largest side was set to {UNKNOWN_SCALE_SIZE} m",
    }


def scale_bar_length(bar: dict, views: list[View], photo_scale: dict[str, float]) -> float:
    """Model-unit distance between the two marked points of a scale bar.

    `bar` is {"distance": 8, "unit": "cm", "points": [[{"photo": "IMG_1.JPG",
    "xy": [x, y]}, ...], [...]]} with pixel positions in the original photos,
    each point seen in at least two placed photos. `photo_scale` maps an
    uploaded file name to (prepared name, downscale factor).
    """
    pts = bar.get("points")
    if not isinstance(pts, list) or len(pts) != 2:
        raise InvalidMetadata(
            "metadata.scale_bar.points: give two points, each as a list of {photo, xy} sightings"
        )
    by_name = {v.name: v for v in views}
    ends = []
    for k, sightings in enumerate(pts):
        rows = []
        for s in sightings if isinstance(sightings, list) else []:
            prepared = photo_scale.get(str(s.get("photo", "")).lower())
            if prepared is None or prepared[0] not in by_name:
                continue
            v = by_name[prepared[0]]
            xy = np.array(s["xy"], float) * prepared[1]
            und = cv2.undistortPoints(
                xy.reshape(1, 1, 2), v.K, np.array([v.k1, 0, 0, 0]), P=v.K
            ).reshape(2)
            P = v.K @ np.hstack([v.R, v.t[:, None]])
            rows += [und[0] * P[2] - P[0], und[1] * P[2] - P[1]]
        if len(rows) < 4:
            raise InvalidMetadata(
                f"metadata.scale_bar.points[{k}]: mark the point in at least two photos that could be placed"
            )
        X = np.linalg.svd(np.array(rows))[2][-1]
        ends.append(X[:3] / X[3])
    return float(np.linalg.norm(ends[0] - ends[1]))
