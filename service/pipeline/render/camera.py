"""
camera.py
---------

Camera maths for previews: orbit directions, look-at and perspective
matrices, and framing that fits the model's hull points snugly inside a
window of the frame for one aspect ratio (tighter than a bounding sphere,
which leaves a lot of headroom in 9:16).

Angles follow model-viewer's `camera-orbit`: azimuth (theta) turns around +Y
starting from +Z towards +X, polar (phi) is measured from +Y, so
`compare_viewer.py` can hand the same numbers to the real viewer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

UP = np.array([0.0, 1.0, 0.0])
# model-viewer's default field of view is about 30 degrees vertically
FOV_Y = 30.0
# 3/4 view: a little to the right of the front, a little from above
AZIMUTH = 30.0
POLAR = 75.0
# depth below this share of width and height makes a panel: framed straight on
FLAT_RATIO = 0.05


@dataclass
class Camera:
    """A perspective camera looking at `target` from `eye` (metres, +Y up)."""

    eye: np.ndarray
    target: np.ndarray
    fov_y: float
    aspect: float
    near: float
    far: float

    def view(self) -> np.ndarray:
        """(4, 4) float32 world-to-camera matrix."""
        return look_at(self.eye, self.target)

    def projection(self) -> np.ndarray:
        """(4, 4) float32 OpenGL perspective matrix."""
        return perspective(self.fov_y, self.aspect, self.near, self.far)

    def orbit(self) -> tuple[float, float, float]:
        """(azimuth deg, polar deg, radius m) as model-viewer's camera-orbit."""
        d = self.eye - self.target
        r = float(np.linalg.norm(d))
        az = math.degrees(math.atan2(d[0], d[2]))
        polar = math.degrees(math.acos(max(-1.0, min(1.0, d[1] / r))))
        return az, polar, r


def orbit_direction(azimuth: float, polar: float) -> np.ndarray:
    """Unit vector from the target towards the eye for model-viewer angles in degrees."""
    a, p = math.radians(azimuth), math.radians(polar)
    return np.array([math.sin(p) * math.sin(a), math.cos(p), math.sin(p) * math.cos(a)])


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(4, 4) float32 view matrix, column vectors (transpose before upload)."""
    f = target - eye
    f = f / np.linalg.norm(f)
    r, u = _basis(f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = r, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m.astype(np.float32)


def perspective(fov_y: float, aspect: float, near: float, far: float) -> np.ndarray:
    """(4, 4) float32 OpenGL projection matrix."""
    t = 1.0 / math.tan(math.radians(fov_y) / 2)
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = t / aspect, t
    m[2, 2] = (far + near) / (near - far)
    m[2, 3] = 2 * far * near / (near - far)
    m[3, 2] = -1.0
    return m.astype(np.float32)


def is_flat(bounds: np.ndarray) -> bool:
    """True for panels: depth (Z) under 5% of both width and height."""
    w, h, d = bounds[1] - bounds[0]
    return bool(d < FLAT_RATIO * w and d < FLAT_RATIO * h)


def default_view(bounds: np.ndarray) -> tuple[float, float]:
    """(azimuth, polar) degrees: straight on for panels, a 3/4 view otherwise."""
    return (0.0, 90.0) if is_flat(bounds) else (AZIMUTH, POLAR)


def frame(
    points: np.ndarray,
    center: np.ndarray,
    direction: np.ndarray,
    aspect: float,
    *,
    fov_y: float = FOV_Y,
    fill: float = 0.86,
    window: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0),
    shift_x: bool = True,
) -> Camera:
    """Fit the points snugly in the window for one viewing direction.

    Parameters
    ----------
    points : (k, 3) float
      Hull points of the model (metres).
    center : (3,) float
      Where the camera starts looking (bounds centre).
    direction : (3,) float
      Unit vector from the target to the eye.
    aspect : float
      Width / height of the frame.
    fill : float
      Share of the window the object's larger projected extent should cover.
    window : (x0, x1, y0, y1) NDC
      Part of the frame kept free for the object (overlays take the rest).
    shift_x : bool
      Re-centre sideways too; a turntable keeps its rotation axis centred instead.

    Returns
    -------
    camera : Camera
    """
    tx = math.tan(math.radians(fov_y) / 2) * aspect
    ty = math.tan(math.radians(fov_y) / 2)
    r, u = _basis(-direction)
    rel = points - center
    x, y, z = rel @ r, rel @ u, rel @ direction
    wx = (window[1] - window[0]) / 2 * fill
    wy = (window[3] - window[2]) / 2 * fill
    ox = oy = 0.0
    for _ in range(6):
        d = float(np.max(z + np.maximum(np.abs(x - ox) / (tx * wx), np.abs(y - oy) / (ty * wy))))
        sx, sy = (x - ox) / ((d - z) * tx), (y - oy) / ((d - z) * ty)
        if shift_x:
            ox += (sx.max() + sx.min()) / 2 * d * tx
        oy += (sy.max() + sy.min()) / 2 * d * ty
    d = float(np.max(z + np.maximum(np.abs(x - ox) / (tx * wx), np.abs(y - oy) / (ty * wy))))
    # move the object onto the window's centre: shift the target against it
    cx, cy = (window[0] + window[1]) / 2, (window[2] + window[3]) / 2
    target = center + r * (ox - cx * d * tx) + u * (oy - cy * d * ty)
    extent = float(np.max(np.linalg.norm(rel, axis=1)))
    return Camera(
        eye=target + direction * d,
        target=target,
        fov_y=fov_y,
        aspect=aspect,
        near=max(d - extent * 1.5, d * 0.01),
        far=d + extent * 3.0,
    )


def turntable_frame(
    points: np.ndarray,
    center: np.ndarray,
    polar: float,
    aspect: float,
    *,
    azimuths: np.ndarray,
    **kw,
) -> list[Camera]:
    """One camera per azimuth at a constant distance, so the object never zooms.

    The rotation axis stays in the middle of the frame; the distance is the
    largest any angle needs.
    """
    fits = [
        frame(points, center, orbit_direction(a, polar), aspect, shift_x=False, **kw)
        for a in azimuths
    ]
    dist = max(float(np.linalg.norm(c.eye - c.target)) for c in fits)
    # keep the vertical placement of the widest view for every frame
    widest = max(fits, key=lambda c: float(np.linalg.norm(c.eye - c.target)))
    target = center.copy()
    target[1] = widest.target[1]
    near = min(c.near for c in fits)
    far = max(c.far for c in fits) + dist
    return [
        Camera(
            eye=target + orbit_direction(a, polar) * dist,
            target=target,
            fov_y=fits[0].fov_y,
            aspect=aspect,
            near=near,
            far=far,
        )
        for a in azimuths
    ]


def _basis(forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # right and up vectors for a camera looking along `forward`
    r = np.cross(forward, UP)
    if np.linalg.norm(r) < 1e-6:  # looking straight down or up
        r = np.array([1.0, 0.0, 0.0])
    r = r / np.linalg.norm(r)
    u = np.cross(r, forward)
    return r, u / np.linalg.norm(u)
