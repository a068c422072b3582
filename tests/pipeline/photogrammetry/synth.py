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


def lobed_vase(height: float = 0.30, lobes: int = 3, depth: float = 0.2) -> trimesh.Trimesh:
    """A closed vase whose cross-section has `lobes` lobes with concave valleys between them.

    The section is r(theta) = r(y) (1 + depth cos(lobes theta)); its valleys are
    concave where depth > 1 / (lobes^2 + 1) (0.1 for three lobes), so 0.2 gives
    valleys a convex closure or a fused band would fill.
    """
    y = np.linspace(0.0, 1.0, 60)
    r = height * (0.16 + 0.07 * np.sin(y * np.pi * 1.2) - 0.035 * y)
    theta = np.linspace(0.0, 2 * np.pi, 144, endpoint=False)
    section = 1 + depth * np.cos(lobes * theta)
    return _lathe(y * height, r[:, None] * section[None, :], theta)


def fluted_vase(height: float = 0.24, flutes: int = 12) -> trimesh.Trimesh:
    """A closed column-like vase with `flutes` rounded grooves (concave) around it."""
    y = np.linspace(0.0, 1.0, 50)
    r = height * (0.2 + 0.06 * np.sin(y * np.pi) - 0.04 * y)
    theta = np.linspace(0.0, 2 * np.pi, 240, endpoint=False)
    # |cos| grooves: the flute bottoms are concave, the ridges between them sharp
    section = 1 - 0.06 * np.abs(np.cos(flutes / 2 * theta))
    return _lathe(y * height, r[:, None] * section[None, :], theta)


def figurine(height: float = 0.25) -> trimesh.Trimesh:
    """A figurine-like shape on a round base: body, head, a thin arm that loops back into
    the body (a hole through the shape) and a thin raised arm.

    Parts overlap rather than being joined by booleans; ray casting and the
    visible-surface sampling in truth.py only see the outer surface.
    """
    s = height / 0.25
    base = trimesh.creation.cylinder(radius=0.055 * s, height=0.02 * s, sections=64)
    base.apply_transform(_z_to_y()).apply_translation([0, 0.01 * s, 0])
    body = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    body.apply_scale([0.045 * s, 0.08 * s, 0.035 * s]).apply_translation([0, 0.1 * s, 0])
    head = trimesh.creation.icosphere(subdivisions=4, radius=0.03 * s).apply_translation([0, 0.205 * s, 0])
    neck = trimesh.creation.cylinder(radius=0.014 * s, height=0.05 * s, sections=32)
    neck.apply_transform(_z_to_y()).apply_translation([0, 0.17 * s, 0])
    # a handle: a 9 mm thick ring standing in the x-y plane, half sunk in the body's side,
    # so the photos from the front and back look through the hole it leaves
    handle = trimesh.creation.torus(
        major_radius=0.035 * s, minor_radius=0.0045 * s, major_sections=64, minor_sections=16
    )
    handle.apply_translation([0.045 * s, 0.11 * s, 0])
    # a raised arm on the other side: a thin cylinder from the shoulder, up and out
    arm = trimesh.creation.cylinder(radius=0.006 * s, height=0.09 * s, sections=24)
    arm.apply_transform(_z_to_y())
    arm.apply_transform(trimesh.transformations.rotation_matrix(np.radians(-35), [0, 0, 1]))
    arm.apply_translation([-0.055 * s, 0.17 * s, 0])
    return trimesh.util.concatenate([base, body, head, neck, handle, arm])


def box(size: tuple[float, float, float] = (0.20, 0.12, 0.15)) -> trimesh.Trimesh:
    """A flat-bottomed box with sharp edges (w, h, d metres), standing on y = 0."""
    mesh = trimesh.creation.box(extents=size)
    return mesh.apply_translation([0, size[1] / 2, 0])


# the family the issue 16 tests and benchmark run: name -> truth mesh maker
FAMILY = {
    "bowl": bowl,
    "lobed_vase": lobed_vase,
    "fluted_vase": fluted_vase,
    "figurine": figurine,
    "box": box,
}


def _lathe(ys: np.ndarray, radii: np.ndarray, theta: np.ndarray) -> trimesh.Trimesh:
    """A closed solid of (m,) heights and (m, k) radii at (k,) angles about +Y, capped flat."""
    m, k = radii.shape
    x = radii * np.sin(theta)[None, :]
    z = radii * np.cos(theta)[None, :]
    y = np.broadcast_to(ys[:, None], (m, k))
    verts = np.concatenate([np.stack([x, y, z], -1).reshape(-1, 3), [[0, ys[0], 0], [0, ys[-1], 0]]])
    i, j = np.meshgrid(np.arange(m - 1), np.arange(k), indexing="ij")
    a, b = i * k + j, i * k + (j + 1) % k
    c, d = a + k, b + k
    side = np.concatenate([np.stack([a, b, c], -1), np.stack([b, d, c], -1)]).reshape(-1, 3)
    ring = np.arange(k)
    bottom = np.stack([np.full(k, m * k), (ring + 1) % k, ring], 1)
    top = np.stack([np.full(k, m * k + 1), (m - 1) * k + ring, (m - 1) * k + (ring + 1) % k], 1)
    mesh = trimesh.Trimesh(verts, np.concatenate([side, bottom, top]), process=True)
    mesh.fix_normals()
    return mesh


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
    rays, hit = cast(mesh, pose, size, focal)
    t = hit["t_hit"].numpy()
    ok = np.isfinite(t)
    img = np.tile(BACKDROP, (len(rays), 1))
    pts = rays[ok, :3] + rays[ok, 3:] * t[ok, None]
    nrm = mesh.face_normals[hit["primitive_ids"].numpy()[ok]]
    img[ok] = truth_colour(pts, nrm)
    img = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8).reshape(h, w, 3)
    return img, ok.reshape(h, w)


def cast(mesh: trimesh.Trimesh, pose: np.ndarray, size: tuple[int, int], focal: float) -> tuple[np.ndarray, dict]:
    """(w * h, 6) float32 pixel rays (origin, unit direction) of a pinhole camera at `pose`
    (camera to world, OpenCV axes) and open3d's hits of them on `mesh`."""
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
    return rays, scene.cast_rays(o3d.core.Tensor(rays))


def write_photo_set(
    mesh: trimesh.Trimesh,
    folder: Path,
    *,
    rings: list[tuple[float, int]],
    size: tuple[int, int] = (640, 480),
    focal_35mm: int = 32,
    masks: bool = False,
    fmt: str = "jpg",
    closer: float = 1.0,
) -> list[Path]:
    """Render `mesh` from camera rings into photos with EXIF focal length; return the paths.

    `fmt` "heic" writes what an iPhone does (HEIF through pillow-heif); `closer` < 1 moves
    the rings in from the distance a photographer frames the object at, cutting it off.
    """
    folder.mkdir(parents=True, exist_ok=True)
    focal = focal_35mm * np.hypot(*size) / 43.267  # as EXIF defines it: by the diagonal
    centre, distance = _placement(mesh, size, focal_35mm)
    paths = []
    for i, pose in enumerate(ring_cameras(centre, distance * closer, rings)):
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
    """Centre and distance of the camera rings: close, but with the whole object in every frame.

    The first guess (the bounding sphere at 0.85 of the frame) cut the ends of
    tall objects off the photos (issue 16: a vase's base and rim in no photo,
    so its height came out short and the declared height made it 5 % too wide);
    a photographer frames the object, so the distance grows until no vertex
    falls within 2 % of the frame's edge from any height up to 70 degrees.
    """
    focal = focal_35mm * np.hypot(*size) / 43.267
    lo, hi = mesh.bounds
    centre = (lo + hi) / 2
    radius = np.linalg.norm(hi - lo) / 2
    distance = radius / np.tan(np.arctan(min(size) / 2 / focal)) * 0.85
    w, h = size
    while True:
        inside = True
        for pose in ring_cameras(centre, distance, [(e, 12) for e in (0, 15, 30, 50, 70)]):
            p = (mesh.vertices - pose[:3, 3]) @ pose[:3, :3]
            u, v = p[:, 0] / p[:, 2] * focal, p[:, 1] / p[:, 2] * focal
            if (np.abs(u) > 0.48 * w).any() or (np.abs(v) > 0.48 * h).any():
                inside = False
                break
        if inside:
            return centre, distance
        distance *= 1.03
