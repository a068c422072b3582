"""
dense.py
--------

Dense depth on the CPU: plane-sweep stereo with normalised cross-correlation,
vectorised with OpenCV, then a multi-view geometric consistency filter.

For each placed photo (the reference) we pick up to `neighbours` photos that
share sparse points with it at a useful baseline. A coarse sweep at half
resolution tries `planes` fronto-parallel planes through the depth range its
sparse points span (uniform in inverse depth), warping each neighbour onto
the reference through the plane's homography; a fine search at full
resolution then tries 9 depths per pixel around the coarse winner (rays
remapped per pixel). Every hypothesis is scored by windowed NCC on the colour
axis with most contrast; the score is the mean of the best two neighbours
(robust to occlusion) and the winner is refined by a parabola. Only a running
best is kept, so memory is a few images per view whatever the plane count.
Near the outline of what matched, a depth whose window took all its texture
from across the outline (a plain backdrop pixel beside the object) is dropped:
see `borrowed_texture`.

Depths that fewer than `min_agree` neighbour depth maps confirm (same 3D
point within `agree` relative depth) are dropped. This recovers surfaces no
silhouette shows (the inside of a bowl), which a visual hull cannot.
Measured on 2 shared vCPU: ~2.5 s per 640 px view with 64 coarse planes and
4 neighbours (the single-scale sweep it replaced took ~6 s at 1/4 the depth
resolution).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from service.pipeline.photogrammetry.sfm import Sparse
from service.pipeline.photogrammetry.sfm import View

log = logging.getLogger(__name__)

# a window with less grey variance than this (a std of 2.5 levels: noise) has no texture to match
MIN_VARIANCE = 1e-4


@dataclass
class DepthMap:
    """An undistorted view at dense resolution with its filtered depth.

    Parameters
    ----------
    view : View
      The camera, with K scaled to this resolution and no distortion.
    image : (h, w, 3) uint8
      Undistorted RGB.
    depth : (h, w) float32
      Depth along the optical axis, 0 where unknown.
    mask : (h, w) bool or None
      The object mask, when the upload had one.
    """

    view: View
    image: np.ndarray
    depth: np.ndarray
    mask: np.ndarray | None


def undistort(
    view: View, image: np.ndarray, mask: np.ndarray | None, *, max_side: int
) -> tuple[View, np.ndarray, np.ndarray | None]:
    """Undistort and downscale one view; return the pinhole view, image and mask."""
    K = view.K
    img = cv2.undistort(image, K, np.array([view.k1, 0, 0, 0]))
    if mask is not None:
        mask = cv2.undistort(mask, K, np.array([view.k1, 0, 0, 0]))
    s = min(1.0, max_side / max(view.size))
    w, h = round(view.size[0] * s), round(view.size[1] * s)
    if s < 1:
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        if mask is not None:
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)
    Ks = K.copy()
    Ks[:2] *= s
    Ks[:2, 2] = (K[:2, 2] + 0.5) * s - 0.5
    out = View(
        name=view.name, K=Ks, k1=0.0, R=view.R, t=view.t, size=(w, h), point_ids=view.point_ids
    )
    return out, img, None if mask is None else mask > 127


def pick_neighbours(
    sparse: Sparse,
    *,
    count: int = 4,
    min_angle: float = 4.0,
    max_angle: float = 40.0,
    wide_angle: float = 80.0,
    min_count: int = 3,
) -> tuple[dict[str, list[str]], set[str]]:
    """For each view, the views best suited for stereo with it: shared points at a useful baseline.

    A view with fewer than `min_count` neighbours within `max_angle` (a small
    set shot from far apart, like the 6-photo buddha at 8-95 degrees) also
    takes the narrowest of its views up to `wide_angle`; such views are
    returned as the second item, for the wide-baseline settings.
    """
    index = {pid: i for i, pid in enumerate(sparse.point_ids)}
    out, wide_views = {}, set()
    for r in sparse.views:
        scored, wide = [], []
        for n in sparse.views:
            if n is r:
                continue
            shared = r.point_ids & n.point_ids
            if len(shared) < 10:
                continue
            pts = sparse.points[[index[p] for p in shared if p in index]]
            a = pts - r.centre
            b = pts - n.centre
            cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
            angle = float(np.degrees(np.median(np.arccos(np.clip(cos, -1, 1)))))
            if min_angle <= angle <= max_angle:
                # favour many shared points at 10-20 degrees
                scored.append((len(shared) * np.exp(-(((angle - 15.0) / 12.0) ** 2)), n.name))
            elif max_angle < angle <= wide_angle:
                wide.append((angle, n.name))
        names = [name for _, name in sorted(scored, reverse=True)[:count]]
        if len(names) < min_count and wide:
            names += [name for _, name in sorted(wide)[: min_count - len(names)]]
            wide_views.add(r.name)
        out[r.name] = names
    return out, wide_views


def depth_range(
    view: View, sparse: Sparse, *, far_factor: float = 1.0
) -> tuple[float, float] | None:
    """Near and far depth of the sparse points this view sees, with margins.

    `far_factor` stretches the far end: when features were found on the
    object only, the table it stands on lies beyond them.
    """
    ids = np.isin(sparse.point_ids, list(view.point_ids))
    if ids.sum() < 10:
        return None
    z = (sparse.points[ids] @ view.R.T + view.t)[:, 2]
    z = z[z > 0]
    if len(z) < 10:
        return None
    near, far = np.percentile(z, [1, 99])
    span = far - near
    return max(near - 0.15 * span, 1e-3 * far), (far + 0.15 * span) * far_factor


def plane_sweep(
    ref: tuple[View, np.ndarray, np.ndarray | None],
    others: list[tuple[View, np.ndarray]],
    near: float,
    far: float,
    *,
    planes: int = 64,
    window: int = 7,
    min_score: float = 0.5,
    refine_steps: int = 4,
    slant: float = 0.0,
    outline_colour: float = 20.0,
) -> np.ndarray:
    """(h, w) float32 depth of the reference view, 0 where unsure.

    Coarse to fine: `planes` fronto-parallel planes at half resolution, then
    a per-pixel search of 2 * `refine_steps` + 1 depths (a quarter of a coarse
    step apart) around the upsampled coarse depth at full resolution. With
    `slant` (degrees) the coarse sweep also tries planes tilted by that much
    up, down, left and right: at wide baselines a fronto-parallel window
    does not match a surface the views see at different angles.
    `outline_colour` (RGB levels; 0 turns it off) sets the colour likeness of
    `borrowed_texture`.
    """
    view, image, mask = ref
    w, h = view.size
    weights = _contrast_weights(image)
    grey = _grey(image, weights)
    half = cv2.resize(grey, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    Kh = _scaled_K(view.K, 0.5)
    inv = np.linspace(1.0 / near, 1.0 / far, planes)
    coarse_rel = [
        _relative(
            view,
            v,
            cv2.resize(_grey(img, weights), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
            0.5,
        )
        for v, img in others
    ]
    Kh_inv = np.linalg.inv(Kh)
    # per-pixel x/z, y/z of the half-resolution rays: a tilted plane's inverse depth varies with them
    hx, hy = np.meshgrid(np.arange(w // 2), np.arange(h // 2))
    rx = ((hx - Kh[0, 2]) / Kh[0, 0]).astype(np.float32)
    ry = ((hy - Kh[1, 2]) / Kh[1, 1]).astype(np.float32)
    step = inv[1] - inv[0]
    q0 = np.full((h // 2, w // 2), np.nan, np.float32)
    best_all = np.full((h // 2, w // 2), -np.inf, np.float32)
    for n in _plane_normals(slant):

        def coarse(i, n=n):
            # plane n.X = d through depth 1/inv[i] on the optical axis
            for K2, R, t, g2 in coarse_rel:
                H = K2 @ (R + np.outer(t, n) * inv[i] / n[2]) @ Kh_inv
                yield cv2.warpPerspective(
                    g2,
                    H,
                    (w // 2, h // 2),
                    flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                    borderMode=cv2.BORDER_CONSTANT,
                    borderValue=-1.0,
                )

        best, idx, off = _winner(half, coarse, planes, window)
        q = (inv[idx] + off * step) * (1 + (n[0] * rx + n[1] * ry) / n[2])
        q[(best < min_score - 0.2) | (idx == 0) | (idx == planes - 1)] = np.nan
        better = (best > best_all) & ~np.isnan(q)
        q0[better] = q[better]
        best_all[better] = best[better]
    q0 = cv2.resize(q0, (w, h), interpolation=cv2.INTER_NEAREST)
    # fine: per pixel, rays through the neighbours at inverse depths around q0
    fine_step = step / 4
    px, py = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    ray = np.stack([px, py, np.ones_like(px)], -1) @ np.linalg.inv(view.K).T.astype(np.float32)
    fine_rel = []
    for v, img in others:
        K2, R, t, g2 = _relative(view, v, _grey(img, weights), 1.0)
        fine_rel.append((ray @ (K2 @ R).T.astype(np.float32), (K2 @ t).astype(np.float32), g2))
    q_nan = np.isnan(q0)
    q0 = np.nan_to_num(q0, nan=1.0 / near).astype(np.float32)

    def fine(i):
        q = (q0 + (i - refine_steps) * fine_step).astype(np.float32)
        for A, b, g2 in fine_rel:
            hmg = A + b * q[..., None]
            with np.errstate(divide="ignore", invalid="ignore"):
                mx = hmg[..., 0] / hmg[..., 2]
                my = hmg[..., 1] / hmg[..., 2]
            yield cv2.remap(
                g2, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0
            )

    best, idx, off = _winner(grey, fine, 2 * refine_steps + 1, window)
    q = q0 + (idx - refine_steps + off) * fine_step
    depth = np.where(q > 0, 1.0 / np.maximum(q, 1e-12), 0).astype(np.float32)
    mu = cv2.boxFilter(grey, -1, (window, window), borderType=cv2.BORDER_REFLECT)
    var = cv2.boxFilter(grey * grey, -1, (window, window), borderType=cv2.BORDER_REFLECT) - mu * mu
    good = (best >= min_score) & (var > MIN_VARIANCE) & ~q_nan & (depth >= near) & (depth <= far)
    if mask is not None:
        good &= cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if outline_colour:
        good &= ~borrowed_texture(image, grey, good, window, outline_colour)
    depth[~good] = 0
    return depth


def borrowed_texture(
    image: np.ndarray, grey: np.ndarray, good: np.ndarray, window: int, colour: float
) -> np.ndarray:
    """(h, w) bool: depths near the outline of `good` whose texture came from across it.

    A window centred on a plain backdrop pixel beside the object holds the
    object's edge, matches at the object's depth, and so grows the outline by
    half a window (issue 16: on a sharp-edged box every view's flap is the same
    3D edge, the flaps confirm one another, and a 12 cm height measured 3-4 mm
    tall). Near the outline each window pixel is weighted by its colour
    likeness to the centre (exp(-distance / `colour`), RGB levels: adaptive
    support weights); a pixel whose own-coloured part of the window has no
    texture (MIN_VARIANCE), while the whole window has three times more, borrowed
    it. Object pixels at the outline keep their own texture, so a vase's domed
    top, seen only near its outline, stays; a dull patch of the object has no
    more texture in the whole window than in its own part, so the edges of
    holes in the depth there stay too.
    """
    r = window // 2
    h, w = grey.shape
    kernel = np.ones((window, window), np.uint8)
    inner = cv2.erode(good.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    ys, xs = np.nonzero(good & (inner == 0))
    out = np.zeros((h, w), bool)
    if not len(ys):
        return out
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1].reshape(2, -1)
    Y = np.clip(ys[:, None] + dy, 0, h - 1)
    X = np.clip(xs[:, None] + dx, 0, w - 1)
    rgb = image.astype(np.float32)
    likeness = np.exp(-np.linalg.norm(rgb[Y, X] - rgb[ys, xs][:, None], axis=2) / colour)
    likeness /= likeness.sum(1, keepdims=True)
    g = grey[Y, X]
    own = (likeness * (g - (likeness * g).sum(1, keepdims=True)) ** 2).sum(1)
    whole = g.var(1)
    out[ys, xs] = (own <= MIN_VARIANCE) & (own < 0.3 * whole)
    return out


def _plane_normals(slant: float) -> list[np.ndarray]:
    """Plane normals in reference-camera coordinates: fronto-parallel, plus four tilted by `slant` degrees."""
    out = [np.array([0.0, 0.0, 1.0])]
    if slant > 0:
        s, c = np.sin(np.radians(slant)), np.cos(np.radians(slant))
        out += [np.array([x, y, c]) for x, y in ((s, 0), (-s, 0), (0, s), (0, -s))]
    return out


def _scaled_K(K: np.ndarray, s: float) -> np.ndarray:
    Ks = K.copy()
    Ks[:2] *= s
    Ks[:2, 2] = (K[:2, 2] + 0.5) * s - 0.5
    return Ks


def _relative(ref: View, other: View, grey: np.ndarray, s: float) -> tuple:
    """(K2, R, t, grey) taking reference camera coordinates into `other`'s pixels at scale s."""
    R = other.R @ ref.R.T
    return _scaled_K(other.K, s), R, other.t - R @ ref.t, grey


def _winner(
    grey: np.ndarray, warps, count: int, window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best NCC score, its index and parabola offset over `count` hypotheses.

    `warps(i)` yields the neighbours warped onto the reference for hypothesis i
    (value -1 outside a neighbour). Only a running best is kept.
    """
    box = lambda a: cv2.boxFilter(a, -1, (window, window), borderType=cv2.BORDER_REFLECT)
    mu = box(grey)
    var = np.maximum(box(grey * grey) - mu * mu, 0)
    shape = grey.shape
    best = np.full(shape, -np.inf, np.float32)
    best_i = np.zeros(shape, np.int32)
    before = np.zeros(shape, np.float32)
    after = np.full(shape, np.nan, np.float32)
    prev = np.full(shape, -1.0, np.float32)
    for i in range(count):
        scores = []
        for warped in warps(i):
            mw = box(warped)
            vw = box(warped * warped) - mw * mw
            cov = box(grey * warped) - mu * mw
            ncc = cov / np.sqrt(np.maximum(var * vw, 1e-12))
            ncc[warped < 0] = -1.0  # outside the neighbour (boxFilter smears NaN, so no NaN border)
            scores.append(ncc)
        s = _mean_best_two(scores) if len(scores) > 1 else scores[0]
        hit = best_i == i - 1
        after[hit] = s[hit]
        better = s > best
        best[better] = s[better]
        best_i[better] = i
        before[better] = prev[better]
        after[better] = np.nan
        prev = s
    a = np.where(np.isnan(after), best, after)
    b = np.where(best_i == 0, best, before)
    denom = b - 2 * best + a
    off = np.where(denom < -1e-6, 0.5 * (b - a) / np.where(denom < -1e-6, denom, -1), 0.0)
    return best, best_i, np.clip(off, -0.5, 0.5).astype(np.float32)


def _mean_best_two(scores: list[np.ndarray]) -> np.ndarray:
    """Per-pixel mean of the two highest of a few score images (min/max only, no sort)."""
    first, second = np.maximum(scores[0], scores[1]), np.minimum(scores[0], scores[1])
    for s in scores[2:]:
        second = np.maximum(second, np.minimum(first, s))
        first = np.maximum(first, s)
    return 0.5 * (first + second)


def _contrast_weights(image: np.ndarray) -> np.ndarray:
    """(3,) colour weights of the reference's main colour axis (PCA): a grey with the most contrast.

    Painted or glazed objects often vary in hue more than in brightness; luminance
    alone would hide that texture from the correlation.
    """
    px = image.reshape(-1, 3)[:: max(1, image.size // 3 // 20000)].astype(np.float64)
    px = px - px.mean(0)
    w = np.linalg.eigh(px.T @ px)[1][:, -1]
    w = w * np.sign(w.sum() or 1.0)
    return (w / np.abs(w).sum()).astype(np.float32)


def _grey(image: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    if weights is None:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    return (image.astype(np.float32) @ weights) / 255.0


def consistency(
    maps: dict[str, DepthMap],
    neighbours: dict[str, list[str]],
    *,
    agree: float = 0.01,
    min_agree: int = 2,
    loose: set[str] = frozenset(),
) -> None:
    """Zero the depths that fewer than `min_agree` neighbour depth maps confirm (in place).

    Views in `loose` (wide baselines, few neighbours) may be confirmed by any
    other view, within twice the tolerance.
    """
    kept = {}
    for name, dm in maps.items():
        v = dm.view
        voters = [n for n in maps if n != name] if name in loose else neighbours[name]
        tol = 2 * agree if name in loose else agree
        ys, xs = np.nonzero(dm.depth)
        z = dm.depth[ys, xs]
        pts = _backproject(v, xs, ys, z)
        votes = np.zeros(len(z), np.int32)
        for other in voters:
            o = maps[other]
            p = pts @ o.view.R.T + o.view.t
            uv = p @ o.view.K.T
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.round(uv[:, 0] / uv[:, 2]).astype(np.int64)
                vv = np.round(uv[:, 1] / uv[:, 2]).astype(np.int64)
            oh, ow = o.depth.shape
            inside = (p[:, 2] > 0) & (u >= 0) & (u < ow) & (vv >= 0) & (vv < oh)
            zo = np.zeros(len(z), np.float32)
            zo[inside] = o.depth[vv[inside], u[inside]]
            votes += (zo > 0) & (np.abs(zo - p[:, 2]) < tol * p[:, 2])
        need = min(min_agree, max(1, len(neighbours[name])))
        keep = np.zeros_like(dm.depth)
        ok = votes >= need
        keep[ys[ok], xs[ok]] = z[ok]
        kept[name] = keep
    for name, d in kept.items():
        maps[name].depth = d


def _backproject(v: View, xs: np.ndarray, ys: np.ndarray, z: np.ndarray) -> np.ndarray:
    """(n, 3) world points of pixels (xs, ys) at depths z."""
    rays = np.stack([xs, ys, np.ones_like(xs)], 1).astype(np.float64) @ np.linalg.inv(v.K).T
    cam = rays * z[:, None]
    return (cam - v.t) @ v.R
