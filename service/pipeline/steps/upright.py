"""
upright.py
----------

Detect which axis is up for scans whose file format does not say (OBJ,
PLY, OFF, STL, 3MF, E57, XYZ): the axis on whose side the artefact has a
base to stand on. `orient_up` uses it only when the evidence clearly beats
the format's convention; a declared axis always wins.

NOTES (2026-11-22, corpus in ../shared/corpus, see docs/scan-pipeline.md)

* Candidates are the six axis directions only: scanners and CAD export
  axis-aligned frames, so rotating by other angles would tilt good scans.
* Score of a candidate up axis u = support + flat, both divided by the
  bounding-box cross-section perpendicular to u:
    support: area of the convex hull of the vertices in the bottom 3.5 % of
      the height (the footprint the object would stand on; an open bottom
      rim, as on Laurana's bust, counts),
    flat: area of faces in that slab facing down within 10 degrees (a cut
      base; breaks the tie between a cup's closed base and its open rim).
  A base only counts when the centre of mass is over it.
* Stability alone (the tip-over angle of each resting pose, the ranking
  trimesh's `compute_stable_poses` gives) is not the score: every tall
  object is far more stable lying down (a 10 x 20 x 300 mm box tips at 2
  degrees standing, 45 lying), so it would lay busts and bottles on their
  side. Footprint at the axis extremes is what separates "stands on a base"
  from "rests on a curved side".
* Measured scores (best / convention / runner-up), corpus meshes as loaded:
  bunny +Y 0.52 / same / 0.00; Laurana50k +Y 0.60 / same / 0.09;
  nefertiti.obj (a Z-up OBJ) +Z 0.55 / +Y 0.00; fuze.obj (a Z-up bottle)
  +Z 1.42 / +Y 0.20; teapot.stl +Z 0.57 / same / 0.03; the E57 bali mask
  +Y 0.24 / +Z 0.02 (the museum's glTF of it is +Y); igea has no base
  (best 0.10): undecided, convention kept. Rotating any of them by 90
  degrees about X or Z moves the winner with it (tests/pipeline/test_upright.py).
* One-sided surfaces (single range maps, reliefs, terrain point clouds:
  |area-weighted mean normal| 0.69-0.82 vs <= 0.22 for closed or
  nearly closed scans) are left alone: their rims look like bases.
* Cost: numpy over at most 200k sampled faces plus one 2D hull per axis:
  0.03 s on 100k faces, 0.16 s on 1.3M, 0.46 s on 5.2M (2 shared cores).
"""

from __future__ import annotations

import logging

import numpy as np
import trimesh
from scipy.spatial import ConvexHull
from scipy.spatial import QhullError

log = logging.getLogger(__name__)

AXES = ("+X", "-X", "+Y", "-Y", "+Z", "-Z")

# the base is what lies in the bottom 3.5 % of the height: Laurana's cut base
# is tilted 2.5 degrees and needs 4 % for its full width, while a sphere's
# cap in that slab is only 0.13 of the cross-section (5 % lets the sphere and
# multibody.stl score as based)
BASE_SLAB = 0.035
# faces within 10 degrees of straight down count as a flat base
FLAT_COS = float(np.cos(np.radians(10)))
# a base must cover this much of the cross-section (score, 0..2) to count:
# corpus bases score 0.23-1.42, curved sides and the sphere <= 0.13
MIN_SCORE = 0.15
# and beat the convention's score by this factor (a box scores 2.0 on every
# side, so it keeps its convention)
MARGIN = 2.0
# above this |mean normal| the mesh is one-sided: range map, relief, terrain
ONE_SIDED = 0.5
# faces sampled for the area statistics on large scans
MAX_SAMPLE_FACES = 200_000


def up_scores(meshes: list[trimesh.Trimesh]) -> tuple[dict[str, float], float]:
    """Score how well the artefact stands on a base for each candidate up axis.

    Parameters
    ----------
    meshes : list of trimesh.Trimesh
      Geometry in one frame (any unit).

    Returns
    -------
    scores : dict
      Axis name ("+X" ... "-Z") -> score in [0, 2]; 0 when there is no base
      or the centre of mass is not over it.
    one_sided : float
      |area-weighted mean face normal| in [0, 1]: near 0 for closed surfaces.
    """
    vertices = np.vstack([m.vertices for m in meshes]).astype(np.float64)
    triangles = _sample_triangles(meshes)
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    doubled = np.linalg.norm(cross, axis=1)
    keep = doubled > 0
    normals = cross[keep] / doubled[keep, None]
    areas = doubled[keep] / 2
    centres = triangles[keep].mean(axis=1)
    total = areas.sum()
    if total <= 0:
        return dict.fromkeys(AXES, 0.0), 0.0
    com = (centres * areas[:, None]).sum(axis=0) / total
    one_sided = float(np.linalg.norm((normals * areas[:, None]).sum(axis=0)) / total)
    extent = vertices.max(axis=0) - vertices.min(axis=0)
    scores = {}
    for name in AXES:
        axis, sign = "XYZ".index(name[1]), (1.0 if name[0] == "+" else -1.0)
        plane = [i for i in range(3) if i != axis]
        section = extent[plane[0]] * extent[plane[1]]
        height = vertices[:, axis] * sign
        bottom, tall = height.min(), np.ptp(height)
        if section <= 0 or tall <= 0:
            scores[name] = 0.0
            continue
        slab = tall * BASE_SLAB
        support = _footprint(vertices[height - bottom <= slab][:, plane], com[plane])
        down = (normals[:, axis] * -sign > FLAT_COS) & (centres[:, axis] * sign - bottom <= slab)
        flat = areas[down].sum() / section
        scores[name] = round(float(support / section + flat), 4) if support > 0 else 0.0
    return scores, one_sided


def detect_up(meshes: list[trimesh.Trimesh], *, convention: str) -> dict:
    """Pick the up axis: the best-scoring base if it clearly beats the convention.

    Parameters
    ----------
    meshes : list of trimesh.Trimesh
    convention : str
      The format's usual up axis ("+Y", "+Z").

    Returns
    -------
    decision : dict
      "up" (chosen axis), "detected" (True when it overrides the convention),
      "reason" (one line for the log and manifest), "scores" and "one_sided".
    """
    scores, one_sided = up_scores(meshes)
    best = max(AXES, key=lambda a: (scores[a], a == convention))
    decision = {"up": convention, "detected": False, "scores": scores, "one_sided": round(one_sided, 3)}
    if one_sided > ONE_SIDED:
        decision["reason"] = f"one-sided surface (mean normal {one_sided:.2f}): a range map or relief has no base"
    elif scores[best] < MIN_SCORE:
        decision["reason"] = f"no base found (best {best} scores {scores[best]:.2f} < {MIN_SCORE})"
    elif best == convention or scores[best] < MARGIN * scores[convention]:
        decision["reason"] = f"the convention {convention} is as good a base as any ({scores[convention]:.2f})"
    else:
        decision.update(up=best, detected=True)
        decision["reason"] = (
            f"{best} stands on a base scoring {scores[best]:.2f} vs {scores[convention]:.2f} for {convention}"
        )
    return decision


def _sample_triangles(meshes: list[trimesh.Trimesh]) -> np.ndarray:
    """(n, 3, 3) float triangles, a fixed random subset on large scans."""
    total = sum(len(m.faces) for m in meshes)
    rng = np.random.default_rng(0)
    parts = [np.empty((0, 3, 3))]
    for m in meshes:
        faces = np.asarray(m.faces)
        if total > MAX_SAMPLE_FACES and len(faces):
            # sample before indexing: (n, 3, 3) of 5M faces would be 360 MB
            count = max(1, len(faces) * MAX_SAMPLE_FACES // total)
            faces = faces[np.sort(rng.choice(len(faces), count, replace=False))]
        parts.append(np.asarray(m.vertices, dtype=np.float64)[faces])
    return np.vstack(parts)


def _footprint(points: np.ndarray, com: np.ndarray) -> float:
    """Area of the 2D hull of `points`, or 0 when the centre of mass is outside it."""
    if len(points) < 3:
        return 0.0
    try:
        hull = ConvexHull(points)
    except QhullError:  # collinear: an edge, not a base
        return 0.0
    # hull.equations: outward normals n and offsets d with n.p + d <= 0 inside
    inside = (hull.equations[:, :2] @ com + hull.equations[:, 2]).max() < 0
    return float(hull.volume) if inside else 0.0
