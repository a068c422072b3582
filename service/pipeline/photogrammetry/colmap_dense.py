"""
colmap_dense.py
---------------

The GPU dense path. When pycolmap is built with CUDA, COLMAP's PatchMatch
stereo replaces our CPU plane sweep (research anchors §6: it is far more
complete, but CUDA only). Its geometrically filtered depth maps become the
same `DepthMap`s the CPU path makes, so fusion, carving, texturing and
orientation do not change.

Only `patch_match_stereo` needs the GPU. Undistortion (pycolmap), the
depth-map reader and the conversion to our views and masks are CPU code
and are tested on machines without CUDA.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pycolmap
from PIL import Image

from service.errors import BadRequest
from service.errors import ProcessingFailed
from service.pipeline.photogrammetry.dense import DepthMap
from service.pipeline.photogrammetry.sfm import View

log = logging.getLogger(__name__)

METHODS = ("auto", "plane-sweep", "colmap-cuda")


def cuda_available() -> bool:
    """True when this pycolmap build has CUDA and sees a GPU: PatchMatch stereo can run.

    The CUDA build (`pycolmap-cuda12`, the `gpu` extra) on a machine without a
    GPU or driver has `has_cuda` but no device; that server takes the CPU path.
    """
    if not getattr(pycolmap, "has_cuda", False):
        return False
    count = getattr(pycolmap, "get_num_cuda_devices", None)
    if count is None:  # an older build that cannot say: trust has_cuda
        return True
    try:
        return int(count()) > 0
    except RuntimeError:  # no driver: the CUDA runtime cannot start
        log.warning("colmap_dense: pycolmap has CUDA but cannot count devices", exc_info=True)
        return False


def choose_method(requested: str = "auto") -> str:
    """The dense method to run: "colmap-cuda" or "plane-sweep".

    "auto" takes the GPU when there is one. Asking for "colmap-cuda" on a
    server without it is an error, not a silent fallback: the job's recipe
    would then say something that did not happen.
    """
    if requested not in METHODS:
        raise BadRequest(f"photogrammetry: dense_method must be one of {', '.join(METHODS)}, not {requested!r}")
    if requested == "auto":
        return "colmap-cuda" if cuda_available() else "plane-sweep"
    if requested == "colmap-cuda" and not cuda_available():
        raise BadRequest(
            "photogrammetry: dense_method 'colmap-cuda' needs pycolmap built with CUDA and a GPU; "
            "this server lacks one or both (install heritage-ar[gpu] on a GPU server), "
            "use 'auto' or 'plane-sweep'"
        )
    return requested


def colmap_depth_maps(
    model_dir: Path,
    image_dir: Path,
    workspace: Path,
    views: list[View],
    masks: dict[str, np.ndarray | None],
    *,
    max_side: int,
    stereo: Callable[[Path], None] | None = None,
) -> dict[str, DepthMap]:
    """Undistort the placed photos into a COLMAP workspace, run PatchMatch, read the depth back.

    Parameters
    ----------
    model_dir : Path
      The sparse model (cameras.bin, images.bin, points3D.bin) of the placed photos.
    image_dir : Path
      The prepared photos the model names.
    workspace : Path
      Empty folder for COLMAP's dense workspace.
    views : list of View
      The placed views (distorted, as SfM found them).
    masks : dict
      View name -> (h, w) uint8 mask at prepared size, or None.
    max_side : int
      Longest side of the undistorted images.
    stereo : callable(workspace) or None
      Runs stereo on the workspace; default COLMAP's CUDA PatchMatch with
      geometric consistency.
    """
    undistort = pycolmap.UndistortCameraOptions()
    undistort.max_image_size = max_side
    pycolmap.undistort_images(
        workspace, model_dir, image_dir, image_names=[v.name for v in views], undistort_options=undistort
    )
    (stereo or _patch_match)(workspace)
    pinhole = pycolmap.Reconstruction(workspace / "sparse")
    by_name = {v.name: v for v in views}
    maps = {}
    for image_id in pinhole.reg_image_ids():
        im = pinhole.image(image_id)
        source = by_name[im.name]
        fx, fy, cx, cy = im.camera.params
        view = View(
            name=im.name,
            K=np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.0]]),
            k1=0.0,
            R=source.R,
            t=source.t,
            size=(im.camera.width, im.camera.height),
            point_ids=source.point_ids,
        )
        path = workspace / "stereo" / "depth_maps" / f"{im.name}.geometric.bin"
        depth = read_colmap_array(path) if path.is_file() else np.zeros(view.size[::-1], np.float32)
        image = np.asarray(Image.open(workspace / "images" / im.name).convert("RGB"))
        mask = masks.get(im.name)
        maps[im.name] = DepthMap(
            view,
            image,
            np.nan_to_num(depth.astype(np.float32)).clip(min=0),
            None if mask is None else undistort_mask(mask, source, view),
        )
    missing = sorted(set(by_name) - set(maps))
    if missing:
        log.warning("colmap_dense: %d views not undistorted: %s", len(missing), missing[:5])
    return maps


def undistort_mask(mask: np.ndarray, distorted: View, pinhole: View) -> np.ndarray:
    """Resample a mask taken with `distorted` (SIMPLE_RADIAL) into `pinhole`'s image: (h, w) bool."""
    w, h = pinhole.size
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    x = (xs - pinhole.K[0, 2]) / pinhole.K[0, 0]
    y = (ys - pinhole.K[1, 2]) / pinhole.K[1, 1]
    radial = 1 + distorted.k1 * (x * x + y * y)
    f, cx, cy = distorted.K[0, 0], distorted.K[0, 2], distorted.K[1, 2]
    map_x = (f * x * radial + cx).astype(np.float32)
    map_y = (f * y * radial + cy).astype(np.float32)
    out = cv2.remap(mask.astype(np.uint8), map_x, map_y, cv2.INTER_LINEAR, borderValue=0)
    return out > 127


def read_colmap_array(path: Path) -> np.ndarray:
    """Read a COLMAP dense array (depth or normal map): "w&h&c&" then float32 in column-major order."""
    with open(path, "rb") as f:
        header = b""
        while header.count(b"&") < 3:
            byte = f.read(1)
            if not byte:
                raise ProcessingFailed(f"photogrammetry: {Path(path).name} is not a COLMAP depth map")
            header += byte
        w, h, c = (int(x) for x in header.decode("ascii").split("&")[:3])
        data = np.fromfile(f, np.float32)
    if data.size != w * h * c:
        raise ProcessingFailed(f"photogrammetry: {Path(path).name} holds {data.size} values, not {w}x{h}x{c}")
    return data.reshape((w, h, c), order="F").transpose(1, 0, 2).squeeze()


def _patch_match(workspace: Path) -> None:  # pragma: no cover - needs CUDA
    options = pycolmap.PatchMatchOptions()
    options.geom_consistency = True
    options.filter = True
    pycolmap.patch_match_stereo(workspace, options=options)
