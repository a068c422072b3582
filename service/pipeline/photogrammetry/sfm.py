"""
sfm.py
------

Structure from motion with pycolmap on the CPU: SIFT features, matching,
incremental mapping. Gives each photo that could be placed its camera
(intrinsics, pose, lens distortion) and says why the others could not be.

Measured (research notes, 2 vCPU): 36 views at 1000 px in ~73 s; the
socketed-axe ring (22 views) registers completely at 1600 px with masks.
Exhaustive matching is quadratic, so sets over `EXHAUSTIVE_MAX` photos are
matched sequentially (neighbours in name order plus loop closure by overlap).

NOTES (issue 16, 2026-12-05). A sharp-edged box (synthetic, 28 views at 800 x
600 on rings at 15 and 50 degrees) split into 5 groups (12, 5, 5, 5, 4): each
flat face's views matched among themselves, not across the rings. Tried on
it: looser registration (abs_pose_min_num_inliers 15, inlier ratio 0.1,
init inliers 50) with guided matching or the structure-less fallback: still
5 groups; global mapping (GLOMAP): 28/28 in 28 s; SIFT with affine shape and
domain-size pooling: 28/28 in 31 s against 12 s for the failed pass. The
second pass runs only when the first leaves photos out, so sets that place
at once (the corpus, the vases) are untouched.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
import pycolmap

from service.errors import InvalidImage
from service.pipeline.photogrammetry.images import MIN_PHOTOS
from service.pipeline.photogrammetry.images import PreparedPhoto

log = logging.getLogger(__name__)

EXHAUSTIVE_MAX = 60
# fewer keypoints than this: the photo is blurred, empty or textureless
MIN_KEYPOINTS = 100
# a first pass placing fewer than this share of the photos is redone with affine-covariant SIFT
RETRY_SHARE = 0.9
# COLMAP pair ids are image_id1 * PAIR_BASE + image_id2
PAIR_BASE = 2147483647


@dataclass
class View:
    """A placed photo: pinhole camera after undistortion.

    Parameters
    ----------
    name : str
      Prepared photo name.
    K : (3, 3) float
      Intrinsics in prepared-image pixels.
    k1 : float
      Radial distortion of COLMAP's SIMPLE_RADIAL model.
    R, t : (3, 3), (3,) float
      World to camera: x_cam = R @ x_world + t (OpenCV axes, y down).
    size : (int, int)
      Width, height.
    point_ids : set of int
      Sparse points seen in this photo.
    """

    name: str
    K: np.ndarray
    k1: float
    R: np.ndarray
    t: np.ndarray
    size: tuple[int, int]
    point_ids: set = field(default_factory=set, repr=False)

    @property
    def centre(self) -> np.ndarray:
        return -self.R.T @ self.t

    @property
    def axis(self) -> np.ndarray:
        """Unit viewing direction in world coordinates."""
        return self.R[2]


@dataclass
class Sparse:
    """Cameras and points of the largest model."""

    views: list[View]
    points: np.ndarray
    colours: np.ndarray
    point_ids: np.ndarray
    failed: dict[str, str]
    stats: dict
    model_dir: Path | None = None  # the model on disk, for COLMAP's dense workspace


def reconstruct(
    photos: list[PreparedPhoto], work: Path, *, threads: int = 2, min_photos: int = MIN_PHOTOS
) -> Sparse:
    """Place the photos: features, matching, incremental mapping.

    When the first pass leaves photos out, the set is matched again with
    affine-covariant SIFT and the pass that places more photos is kept.
    Raises InvalidImage when too few photos can be placed.
    """
    models, db_path = _map(photos, work, threads=threads, affine=False)
    features = "sift"
    if _most_placed(models) < RETRY_SHARE * len(photos):
        log.info(
            "sfm: %d of %d photos placed; again with affine-covariant SIFT",
            _most_placed(models),
            len(photos),
        )
        again, again_db = _map(photos, work / "affine", threads=threads, affine=True)
        if _most_placed(again) > _most_placed(models):
            models, db_path, features = again, again_db, "affine sift"
    sparse = _largest(models, photos, db_path, min_photos)
    sparse.stats["features"] = features
    sparse.model_dir = db_path.parent / "sparse" / "best"
    sparse.model_dir.mkdir(exist_ok=True)
    max(models.values(), key=lambda r: r.num_reg_images()).write(sparse.model_dir)
    return sparse


def _most_placed(models: dict) -> int:
    return max((r.num_reg_images() for r in models.values()), default=0)


def _map(
    photos: list[PreparedPhoto], work: Path, *, threads: int, affine: bool
) -> tuple[dict, Path]:
    """One pass of features, matching and incremental mapping in `work`: (models, database path)."""
    work.mkdir(exist_ok=True)
    db_path = work / "sfm.db"
    image_dir = photos[0].path.parent
    mask_dir = work / "colmap-masks"
    if any(p.mask is not None for p in photos):
        mask_dir.mkdir(exist_ok=True)
        for p in photos:
            if p.mask is not None:
                shutil.copy(p.mask, mask_dir / (p.name + ".png"))
    reader = pycolmap.ImageReaderOptions()
    reader.camera_model = "SIMPLE_RADIAL"
    if photos[0].focal_px:
        w, h = photos[0].size
        reader.camera_params = f"{photos[0].focal_px:.3f},{w / 2:.3f},{h / 2:.3f},0"
    if mask_dir.exists():
        reader.mask_path = str(mask_dir)
    extraction = pycolmap.FeatureExtractionOptions()
    extraction.num_threads = threads
    extraction.max_image_size = max(photos[0].size)
    if affine:
        # affine shape and domain-size pooling match planes seen 35-45 degrees apart (box faces
        # between the rings), which upright SIFT does not: NOTES at the top
        extraction.sift.estimate_affine_shape = True
        extraction.sift.domain_size_pooling = True
    pycolmap.extract_features(
        db_path,
        image_dir,
        image_names=[p.name for p in photos],
        camera_mode=pycolmap.CameraMode.SINGLE,
        reader_options=reader,
        extraction_options=extraction,
        device=pycolmap.Device.cpu,
    )
    matching = pycolmap.FeatureMatchingOptions()
    matching.num_threads = threads
    if len(photos) <= EXHAUSTIVE_MAX:
        pycolmap.match_exhaustive(db_path, matching_options=matching, device=pycolmap.Device.cpu)
    else:
        pairing = pycolmap.SequentialPairingOptions()
        pairing.overlap = 12
        pairing.quadratic_overlap = True
        pycolmap.match_sequential(
            db_path, matching_options=matching, pairing_options=pairing, device=pycolmap.Device.cpu
        )
    options = pycolmap.IncrementalPipelineOptions()
    options.num_threads = threads
    options.random_seed = 1
    options.min_model_size = 3
    out = work / "sparse"
    out.mkdir(exist_ok=True)
    return pycolmap.incremental_mapping(db_path, image_dir, out, options), db_path


def _largest(models: dict, photos: list[PreparedPhoto], db_path: Path, min_photos: int) -> Sparse:
    rec = max(models.values(), key=lambda r: r.num_reg_images()) if models else None
    placed = {} if rec is None else {rec.image(i).name: rec.image(i) for i in rec.reg_image_ids()}
    failed = _why_not_placed(db_path, [p.name for p in photos if p.name not in placed])
    others = sorted((r.num_reg_images() for r in models.values()), reverse=True)[1:]
    n = len(photos)
    if len(placed) < max(min_photos, n // 2):
        hint = "shoot with more overlap (a photo every 10-15 degrees) and keep the object filling the frame"
        if others and others[0] >= 3:
            hint = (
                f"the photos form {len(models)} separate groups ({len(placed)}, {', '.join(map(str, others))}): "
                "make sure the set shows one object and the rings overlap"
            )
        raise InvalidImage(
            f"sfm: only {len(placed)} of {n} photos could be placed: {hint}", failed=failed
        )
    views = []
    for name, im in sorted(placed.items()):
        cam = im.camera
        f, cx, cy, k1 = cam.params
        pose = im.cam_from_world() if callable(im.cam_from_world) else im.cam_from_world
        m = pose.matrix()
        views.append(
            View(
                name=name,
                K=np.array([[f, 0, cx], [0, f, cy], [0, 0, 1.0]]),
                k1=float(k1),
                R=np.asarray(m[:, :3]),
                t=np.asarray(m[:, 3]),
                size=(cam.width, cam.height),
                point_ids={p.point3D_id for p in im.points2D if p.has_point3D()},
            )
        )
    ids = np.array(sorted(rec.points3D.keys()), dtype=np.int64)
    pts = np.array([rec.points3D[i].xyz for i in ids]).reshape(-1, 3)
    cols = np.array([rec.points3D[i].color for i in ids]).reshape(-1, 3)
    stats = {
        "registered": len(placed),
        "photos": n,
        "points": len(ids),
        "reprojection_px": round(float(rec.compute_mean_reprojection_error()), 3),
        "focal_px": round(float(views[0].K[0, 0]), 1),
        "groups": 1 + len(others),
    }
    if others and others[0] >= 3:
        stats["other_groups"] = others
    log.info(
        "sfm: placed %d of %d photos, %d points, %.2f px",
        len(placed),
        n,
        len(ids),
        stats["reprojection_px"],
    )
    return Sparse(views=views, points=pts, colours=cols, point_ids=ids, failed=failed, stats=stats)


def _why_not_placed(db_path: Path, names: list[str]) -> dict[str, str]:
    """A reason for each photo the mapper left out, from the feature database."""
    if not names:
        return {}
    db = pycolmap.Database.open(db_path)
    try:
        by_name = {im.name: im.image_id for im in db.read_all_images()}
        pairs, counts = db.read_two_view_geometry_num_inliers()
        verified = {}
        for pair, c in zip(pairs, counts):
            for i in divmod(int(pair), PAIR_BASE):
                verified[i] = max(verified.get(i, 0), int(c))
        reasons = {}
        for name in names:
            i = by_name.get(name)
            kp = db.num_keypoints_for_image(i) if i is not None else 0
            if kp < MIN_KEYPOINTS:
                reasons[name] = f"only {kp} features: blurred, too dark or a plain surface"
            elif verified.get(i, 0) < 15:
                reasons[name] = "shares too little with the other photos: shoot with more overlap"
            else:
                reasons[name] = (
                    f"matches other photos ({verified[i]} points) but could not be placed consistently"
                )
        return reasons
    finally:
        db.close()
