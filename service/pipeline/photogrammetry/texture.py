"""
texture.py
----------

UV atlas and texture baking. xatlas cuts the cleaned mesh into charts and
packs them; every texel inside a chart gets its 3D point and normal by
barycentric interpolation; each photo that sees the point (depth test against
the mesh ray-cast from that camera) contributes its colour with a weight that
favours head-on, close views (cos^4), which blends seams softly. Exposure is
balanced first: each photo gets a per-channel gain that matches it to the
blend of all photos where they overlap. Texels no photo sees take the fused
vertex colour, and charts are padded so mipmaps do not bleed background.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import open3d as o3d
import trimesh
import xatlas
from PIL import Image
from trimesh.visual.material import PBRMaterial

from service.pipeline.photogrammetry.dense import DepthMap

log = logging.getLogger(__name__)

PADDING_PX = 4


def unwrap(mesh: trimesh.Trimesh, *, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xatlas charts: (m,) source vertex of each new vertex, (f, 3) faces, (m, 2) UVs in [0, 1]."""
    atlas = xatlas.Atlas()
    atlas.add_mesh(mesh.vertices.astype(np.float32), mesh.faces.astype(np.uint32))
    pack = xatlas.PackOptions()
    pack.resolution = size
    pack.padding = PADDING_PX
    pack.bilinear = True
    atlas.generate(pack_options=pack)
    vmap, faces, uvs = atlas[0]
    return vmap.astype(np.int64), faces.astype(np.int64), uvs.astype(np.float64)


def rasterise(
    uv: np.ndarray, faces: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Texels covered by UV triangles: (n,) face, (n, 3) barycentrics, (n, 2) int texel x, y (image rows down)."""
    tri = uv[faces] * size
    tri[..., 1] = size - tri[..., 1]
    lo = np.floor(tri.min(1)).astype(np.int64)
    span = (np.ceil(tri.max(1)).astype(np.int64) - lo).max(1) + 1
    out_f, out_b, out_p = [], [], []
    b = 1
    while True:
        sel = np.nonzero((span <= b) & (span > b // 2))[0] if b > 1 else np.nonzero(span <= 1)[0]
        if len(sel):
            ox, oy = np.meshgrid(np.arange(b), np.arange(b))
            px = lo[sel, 0, None] + ox.ravel()[None]
            py = lo[sel, 1, None] + oy.ravel()[None]
            bary = _barycentric(tri[sel], px + 0.5, py + 0.5)
            inside = (bary >= -1e-4).all(-1) & (px >= 0) & (px < size) & (py >= 0) & (py < size)
            fi, ki = np.nonzero(inside)
            out_f.append(sel[fi])
            out_b.append(bary[fi, ki])
            out_p.append(np.stack([px[fi, ki], py[fi, ki]], 1))
        if b >= span.max():
            break
        b *= 2
    return np.concatenate(out_f), np.concatenate(out_b), np.concatenate(out_p)


def _barycentric(tri: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    a, b, c = tri[:, 0, None], tri[:, 1, None], tri[:, 2, None]
    v0 = b - a
    v1 = c - a
    den = v0[..., 0] * v1[..., 1] - v1[..., 0] * v0[..., 1]
    den = np.where(np.abs(den) < 1e-12, 1e-12, den)
    dx = x - a[..., 0]
    dy = y - a[..., 1]
    l1 = (dx * v1[..., 1] - v1[..., 0] * dy) / den
    l2 = (v0[..., 0] * dy - dx * v0[..., 1]) / den
    return np.stack([1 - l1 - l2, l1, l2], -1)


def bake(mesh: trimesh.Trimesh, maps: list[DepthMap], *, size: int = 2048) -> trimesh.Trimesh:
    """A UV-mapped copy of `mesh` (SfM coordinates) with a base-colour texture baked from the photos."""
    vmap, faces, uvs = unwrap(mesh, size=size)
    verts = mesh.vertices[vmap]
    fid, bary, pix = rasterise(uvs, faces, size)
    pts = np.einsum("nk,nkd->nd", bary, verts[faces[fid]])
    nrm = mesh.face_normals[_source_face(mesh, vmap, faces)][fid]
    samples, weights = _gather(mesh, maps, pts, nrm)
    colour = _blend(samples, weights)
    seen = weights.sum(0) > 0
    fallback = mesh.visual.vertex_colors[:, :3].astype(np.float64)[vmap]
    colour[~seen] = np.einsum("nk,nkd->nd", bary[~seen], fallback[faces[fid[~seen]]])
    image = np.zeros((size, size, 3), np.uint8)
    image[pix[:, 1], pix[:, 0]] = np.clip(colour, 0, 255).round().astype(np.uint8)
    filled = np.zeros((size, size), np.uint8)
    filled[pix[:, 1], pix[:, 0]] = 1
    image = _pad(image, filled, PADDING_PX * 2)
    material = PBRMaterial(
        name="photogrammetry",
        baseColorTexture=Image.fromarray(image),
        baseColorFactor=np.array([255, 255, 255, 255], np.uint8),
        metallicFactor=0.0,
        roughnessFactor=1.0,
    )
    out = trimesh.Trimesh(
        verts, faces, visual=trimesh.visual.TextureVisuals(uv=uvs, material=material), process=False
    )
    out.metadata["texture"] = {
        "size": size,
        "seen_share": round(float(seen.mean()), 4),
        "views": len(maps),
    }
    log.info("texture: %d texels, %.1f%% seen by a photo", len(fid), 100 * seen.mean())
    return out


def _source_face(mesh: trimesh.Trimesh, vmap: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Index of the original face of each atlas face (xatlas keeps face order)."""
    if len(faces) == len(mesh.faces):
        return np.arange(len(faces))
    tree = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    return tree.nearest.on_surface(mesh.vertices[vmap[faces]].mean(1))[2]


def _gather(
    mesh: trimesh.Trimesh, maps: list[DepthMap], pts: np.ndarray, nrm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per view (v, n, 3) colour samples and (v, n) weights; weight 0 where a view does not see the point."""
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(mesh.vertices.astype(np.float32)),
        o3d.core.Tensor(mesh.faces.astype(np.uint32)),
    )
    samples = np.zeros((len(maps), len(pts), 3), np.float32)
    weights = np.zeros((len(maps), len(pts)), np.float32)
    for k, dm in enumerate(maps):
        v = dm.view
        w, h = v.size
        zbuf = _zbuffer(scene, v)
        p = pts @ v.R.T + v.t
        uv = p @ v.K.T
        with np.errstate(divide="ignore", invalid="ignore"):
            x = uv[:, 0] / uv[:, 2]
            y = uv[:, 1] / uv[:, 2]
        inside = (p[:, 2] > 0) & (x >= 0.5) & (x < w - 1.5) & (y >= 0.5) & (y < h - 1.5)
        xi = np.clip(np.round(x).astype(np.int64), 0, w - 1)
        yi = np.clip(np.round(y).astype(np.int64), 0, h - 1)
        visible = inside & (np.abs(zbuf[yi, xi] - p[:, 2]) < 0.01 * p[:, 2])
        ray = v.centre - pts
        ray /= np.linalg.norm(ray, axis=1, keepdims=True)
        cos = np.clip((ray * nrm).sum(1), 0, 1)
        weights[k] = np.where(visible, cos**4 / np.maximum(p[:, 2], 1e-9) ** 2, 0)
        sel = np.nonzero(weights[k] > 0)[0]
        samples[k, sel] = _bilinear(dm.image, x[sel], y[sel])
    return samples, weights


def _zbuffer(scene, v) -> np.ndarray:
    w, h = v.size
    u, r = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    d = np.stack([u, r, np.ones_like(u)], -1).reshape(-1, 3) @ np.linalg.inv(v.K).T
    dirs = d @ v.R
    rays = np.concatenate([np.broadcast_to(v.centre, dirs.shape), dirs], 1).astype(np.float32)
    t = scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()
    return t.reshape(h, w)  # t along a ray of unit z = depth


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = len(x)
    cols = 4096  # remap wants maps under 32767 on a side
    rows = -(-n // cols)
    mx = np.zeros(rows * cols, np.float32)
    my = np.zeros(rows * cols, np.float32)
    mx[:n] = x
    my[:n] = y
    out = cv2.remap(image, mx.reshape(rows, cols), my.reshape(rows, cols), cv2.INTER_LINEAR)
    return out.reshape(-1, 3)[:n].astype(np.float32)


def _blend(samples: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Exposure-balanced weighted blend (n, 3) float of the samples."""
    total = weights.sum(0)
    safe = np.maximum(total, 1e-12)[:, None]
    first = (weights[..., None] * samples).sum(0) / safe
    for k in range(len(samples)):
        w = weights[k]
        if w.sum() <= 0:
            continue
        gain = (w[:, None] * first).sum(0) / np.maximum((w[:, None] * samples[k]).sum(0), 1e-6)
        samples[k] *= np.clip(gain, 0.7, 1.4)
    return (weights[..., None] * samples).sum(0) / safe


def _pad(image: np.ndarray, filled: np.ndarray, px: int) -> np.ndarray:
    """Grow chart colours into the empty atlas around them by `px` texels."""
    kernel = np.ones((3, 3), np.uint8)
    img = image.copy()
    mask = filled.copy()
    for _ in range(px):
        grown = cv2.dilate(img, kernel)
        ring = (cv2.dilate(mask, kernel) > 0) & (mask == 0)
        img[ring] = grown[ring]
        mask[ring] = 1
    return img
