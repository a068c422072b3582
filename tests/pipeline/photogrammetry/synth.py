"""
synth.py
--------

Synthetic photo sets with known truth for the photogrammetry tests and
benchmark: textured objects of known geometry (metres, +Y up, base at y=0)
rendered by ray casting (open3d's Embree scene) from rings of cameras, on a
plain backdrop, saved as JPEGs whose EXIF carries the focal length.

The surface colour is a solid (3D) multi-scale value noise times a fixed
world-space Lambert light, so a point looks the same from every view (what
photogrammetry assumes) and `truth_colour` gives the colour the photos show.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d
import trimesh
from PIL import Image

BACKDROP = np.array([0.93, 0.93, 0.93])
LIGHT = np.array([0.3, 0.8, 0.5]) / np.linalg.norm([0.3, 0.8, 0.5])


def bowl(height: float = 0.10, radius: float = 0.12, wall: float = 0.008) -> trimesh.Trimesh:
    """An open bowl on a foot ring: concave, its inside only seen from above.

    The outer wall is steep enough that a low camera ring sees it down to the
    foot, so the declared height can be measured from the photos.
    """
    t = np.linspace(0.0, 1.0, 20)
    foot, foot_r = 0.012, 0.75 * radius
    outer_r = foot_r + (radius - foot_r) * t**0.8
    outer_y = foot + (height - foot) * t
    inner_r = np.maximum(outer_r - wall, 0.0)[::-1]
    inner_y = np.maximum(outer_y, foot + wall)[::-1]
    inner_y[0] = height
    inner_r[-1] = 0.0
    profile = np.concatenate(
        [
            [[0.0, 0.0], [foot_r, 0.0]],
            np.stack([outer_r, outer_y], 1),
            np.stack([inner_r, inner_y], 1),
        ]
    )
    return trimesh.creation.revolve(profile, sections=96).apply_transform(_z_to_y())


def vase(height: float = 0.16) -> trimesh.Trimesh:
    """A closed, bulging vase with a lip: mostly convex, with concave waist."""
    y = np.linspace(0.0, 1.0, 40)
    r = 0.045 + 0.025 * np.sin(y * np.pi * 1.3) + 0.012 * np.cos(y * 9)
    profile = np.concatenate([[[0.0, 0.0]], np.stack([r, y * height], 1), [[0.0, height]]])
    return trimesh.creation.revolve(profile, sections=96).apply_transform(_z_to_y())


def _z_to_y() -> np.ndarray:
    # revolve() spins around +Z; our objects stand on +Y
    return trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0])


def albedo(points: np.ndarray, seed: int = 7) -> np.ndarray:
    """(n, 3) float colour in [0, 1] of a solid multi-scale noise at (n, 3) points in metres."""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(points), 3))
    for cell, weight in ((0.03, 0.45), (0.009, 0.35), (0.004, 0.2)):
        table = rng.random((32, 32, 32, 3))
        out += weight * _value_noise(points / cell, table)
    # folding the noise through a sine makes dense blobs and edges for features
    folded = 0.5 + 0.5 * np.sin(2 * np.pi * 2.5 * out)
    base = np.array([0.7, 0.5, 0.35])
    return np.clip(0.1 + 0.45 * base + 0.5 * folded, 0.0, 1.0)


def _value_noise(p: np.ndarray, table: np.ndarray) -> np.ndarray:
    i = np.floor(p).astype(np.int64)
    f = p - i
    f = f * f * (3 - 2 * f)
    n = table.shape[0]
    out = 0.0
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                w = (
                    (f[:, 0] if dx else 1 - f[:, 0])
                    * (f[:, 1] if dy else 1 - f[:, 1])
                    * (f[:, 2] if dz else 1 - f[:, 2])
                )
                c = table[(i[:, 0] + dx) % n, (i[:, 1] + dy) % n, (i[:, 2] + dz) % n]
                out = out + w[:, None] * c
    return out


def truth_colour(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """The colour the photos show at (n, 3) points with (n, 3) outward normals."""
    shade = 0.55 + 0.45 * np.clip(normals @ LIGHT, 0.0, 1.0)
    return albedo(points) * shade[:, None]


def ring_cameras(
    centre: np.ndarray, distance: float, rings: list[tuple[float, int]], *, phase: float = 0.0
) -> list[np.ndarray]:
    """(4, 4) camera-to-world matrices (OpenCV axes: x right, y down, z forward) on rings.

    `rings` lists (elevation in degrees, number of views).
    """
    poses = []
    for k, (elev, n) in enumerate(rings):
        for i in range(n):
            az = 2 * np.pi * i / n + phase + 0.37 * k
            e = np.radians(elev)
            eye = centre + distance * np.array(
                [np.cos(e) * np.sin(az), np.sin(e), np.cos(e) * np.cos(az)]
            )
            fwd = centre - eye
            fwd /= np.linalg.norm(fwd)
            right = np.cross(fwd, [0.0, 1.0, 0.0])
            right /= np.linalg.norm(right)
            down = np.cross(fwd, right)
            pose = np.eye(4)
            pose[:3, :3] = np.stack([right, down, fwd], 1)
            pose[:3, 3] = eye
            poses.append(pose)
    return poses


def render(
    mesh: trimesh.Trimesh, pose: np.ndarray, size: tuple[int, int], focal: float
) -> tuple[np.ndarray, np.ndarray]:
    """Ray-cast one view: (h, w, 3) uint8 image and (h, w) bool object mask."""
    w, h = size
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(mesh.vertices.astype(np.float32)),
        o3d.core.Tensor(mesh.faces.astype(np.uint32)),
    )
    u, v = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    d = np.stack([(u - w / 2) / focal, (v - h / 2) / focal, np.ones_like(u)], -1).reshape(-1, 3)
    d = d @ pose[:3, :3].T
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    rays = np.concatenate([np.broadcast_to(pose[:3, 3], d.shape), d], 1).astype(np.float32)
    hit = scene.cast_rays(o3d.core.Tensor(rays))
    t = hit["t_hit"].numpy()
    ok = np.isfinite(t)
    img = np.tile(BACKDROP, (len(d), 1))
    pts = rays[ok, :3] + rays[ok, 3:] * t[ok, None]
    nrm = mesh.face_normals[hit["primitive_ids"].numpy()[ok]]
    img[ok] = truth_colour(pts, nrm)
    img = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8).reshape(h, w, 3)
    return img, ok.reshape(h, w)


def write_photo_set(
    mesh: trimesh.Trimesh,
    folder: Path,
    *,
    rings: list[tuple[float, int]],
    size: tuple[int, int] = (640, 480),
    focal_35mm: int = 32,
    masks: bool = False,
    fmt: str = "jpg",
) -> list[Path]:
    """Render `mesh` from camera rings into photos with EXIF focal length; return the paths.

    `fmt` "heic" writes what an iPhone does (HEIF through pillow-heif).
    """
    folder.mkdir(parents=True, exist_ok=True)
    focal = focal_35mm * np.hypot(*size) / 43.267  # as EXIF defines it: by the diagonal
    centre, distance = _placement(mesh, size, focal_35mm)
    paths = []
    for i, pose in enumerate(ring_cameras(centre, distance, rings)):
        img, mask = render(mesh, pose, size, focal)
        path = folder / f"view_{i:03d}.{fmt}"
        exif = Image.Exif()
        exif[0x010F] = "heritage-ar"
        exif[0x0110] = "synthetic camera"
        exif.get_ifd(0x8769)[0xA405] = focal_35mm
        Image.fromarray(img).save(path, quality=95, exif=exif.tobytes())
        if masks:
            Image.fromarray((mask * 255).astype(np.uint8)).save(folder / f"view_{i:03d}_mask.png")
        paths.append(path)
    return paths


def camera_eyes(
    mesh: trimesh.Trimesh,
    rings: list[tuple[float, int]],
    size: tuple[int, int],
    focal_35mm: int = 32,
) -> np.ndarray:
    """(k, 3) camera centres `write_photo_set` used for `mesh`."""
    return np.array([p[:3, 3] for p in ring_cameras(*_placement(mesh, size, focal_35mm), rings)])


def _placement(
    mesh: trimesh.Trimesh, size: tuple[int, int], focal_35mm: int
) -> tuple[np.ndarray, float]:
    focal = focal_35mm * np.hypot(*size) / 43.267
    lo, hi = mesh.bounds
    radius = np.linalg.norm(hi - lo) / 2
    return (lo + hi) / 2, radius / np.tan(np.arctan(min(size) / 2 / focal)) * 0.85
