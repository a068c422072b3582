"""The GPU dense path's CPU parts: method choice, COLMAP's depth-map format,
and the undistorted workspace turned into our views, images and masks.

PatchMatch itself needs CUDA; here a stand-in writes depth maps of a known
plane in COLMAP's format, so everything around it runs for real."""

from __future__ import annotations

import numpy as np
import pycolmap
import pytest
from PIL import Image
from PIL import ImageDraw

from service.errors import BadRequest
from service.pipeline.photogrammetry.colmap_dense import choose_method
from service.pipeline.photogrammetry.colmap_dense import colmap_depth_maps
from service.pipeline.photogrammetry.colmap_dense import cuda_available
from service.pipeline.photogrammetry.colmap_dense import read_colmap_array
from service.pipeline.photogrammetry.sfm import View

SIZE = (480, 360)
F, K1 = 420.0, -0.18
# a plane 2 m in front of the first camera, with dots on it
PLANE_Z = 2.0
DOTS = np.array([[x, y, PLANE_Z] for x in (-0.8, -0.3, 0.3, 0.8) for y in (-0.6, 0.0, 0.6)])


def write_colmap_array(path, array):
    array = np.atleast_3d(np.asarray(array, np.float32))
    h, w, c = array.shape
    with open(path, "wb") as f:
        f.write(f"{w}&{h}&{c}&".encode())
        array.transpose(1, 0, 2).reshape(-1, order="F").tofile(f)


def test_colmap_array_layout(tmp_path):
    # COLMAP writes "width&height&channels&", then the values column-major in
    # (width, height): that is row after row of the image
    w, h = 3, 2
    values = np.arange(w * h, dtype=np.float32)
    (tmp_path / "d.bin").write_bytes(f"{w}&{h}&1&".encode() + values.tobytes())
    depth = read_colmap_array(tmp_path / "d.bin")
    assert depth.shape == (h, w)
    assert depth[1, 0] == 3 and depth[0, 2] == 2
    write_colmap_array(tmp_path / "e.bin", depth)
    assert (tmp_path / "e.bin").read_bytes() == (tmp_path / "d.bin").read_bytes()


def test_method_choice():
    assert choose_method("auto") == ("colmap-cuda" if cuda_available() else "plane-sweep")
    assert choose_method("plane-sweep") == "plane-sweep"
    if not cuda_available():
        with pytest.raises(BadRequest, match="needs pycolmap built with CUDA"):
            choose_method("colmap-cuda")
    with pytest.raises(BadRequest, match="dense_method must be one of"):
        choose_method("gpu")


def _project(R, t, points, k1=K1):
    cam = points @ R.T + t
    x, y = cam[:, 0] / cam[:, 2], cam[:, 1] / cam[:, 2]
    radial = 1 + k1 * (x * x + y * y)
    return np.stack([F * x * radial + SIZE[0] / 2, F * y * radial + SIZE[1] / 2], axis=1)


def _poses():
    angle = np.radians(8)
    R2 = np.array([[np.cos(angle), 0, -np.sin(angle)], [0, 1, 0], [np.sin(angle), 0, np.cos(angle)]])
    return {"a.jpg": (np.eye(3), np.zeros(3)), "b.jpg": (R2, np.array([0.3, 0.0, 0.05]))}


def test_workspace_views_images_and_masks(tmp_path):
    images, model = tmp_path / "images", tmp_path / "sparse"
    images.mkdir()
    model.mkdir()
    rec = pycolmap.Reconstruction()
    rec.add_camera_with_trivial_rig(
        pycolmap.Camera(model="SIMPLE_RADIAL", width=SIZE[0], height=SIZE[1], params=[F, SIZE[0] / 2, SIZE[1] / 2, K1], camera_id=1)
    )
    views, masks = [], {}
    for image_id, (name, (R, t)) in enumerate(_poses().items(), start=1):
        rec.add_image_with_trivial_frame(
            pycolmap.Image(name=name, camera_id=1, image_id=image_id),
            pycolmap.Rigid3d(pycolmap.Rotation3d(R), t),
        )
        # black dots where the distorted camera sees the plane's dots; the mask: the first dot
        photo = Image.new("RGB", SIZE, "white")
        mask = Image.new("L", SIZE, 0)
        for i, (u, v) in enumerate(_project(R, t, DOTS)):
            ImageDraw.Draw(photo).ellipse([u - 4, v - 4, u + 4, v + 4], fill="black")
            if i == 0:
                ImageDraw.Draw(mask).ellipse([u - 10, v - 10, u + 10, v + 10], fill=255)
        photo.save(images / name, quality=95)
        masks[name] = np.asarray(mask)
        K = np.array([[F, 0, SIZE[0] / 2], [0, F, SIZE[1] / 2], [0, 0, 1.0]])
        views.append(View(name=name, K=K, k1=K1, R=R, t=t, size=SIZE))
    rec.write(model)

    def plane_depth(workspace):
        # the stand-in for PatchMatch: exact depth of the plane, in COLMAP's format
        pinhole = pycolmap.Reconstruction(workspace / "sparse")
        for image_id in pinhole.reg_image_ids():
            im = pinhole.image(image_id)
            R, t = _poses()[im.name]
            fx, fy, cx, cy = im.camera.params
            xs, ys = np.meshgrid(np.arange(im.camera.width), np.arange(im.camera.height))
            rays = np.stack([(xs - cx) / fx, (ys - cy) / fy, np.ones_like(xs, float)], axis=-1)
            # camera centre c, world ray d = R^T ray: hit z = PLANE_Z at depth s (ray has z = 1 in camera)
            c = -R.T @ t
            d = rays @ R
            depth = (PLANE_Z - c[2]) / d[..., 2]
            write_colmap_array(workspace / "stereo" / "depth_maps" / f"{im.name}.geometric.bin", depth)

    maps = colmap_depth_maps(model, images, tmp_path / "dense", views, masks, max_side=400, stereo=plane_depth)
    assert sorted(maps) == ["a.jpg", "b.jpg"]
    for name, dm in maps.items():
        R, t = _poses()[name]
        assert dm.view.k1 == 0 and max(dm.view.size) <= 400
        assert dm.image.shape[:2] == dm.depth.shape == dm.mask.shape == (dm.view.size[1], dm.view.size[0])
        # each dot lands where the pinhole view projects it, on a dark pixel
        cam = DOTS @ dm.view.R.T + dm.view.t
        uv = (cam @ dm.view.K.T)[:, :2] / cam[:, 2:]
        inside = (uv[:, 0] > 3) & (uv[:, 0] < dm.view.size[0] - 4) & (uv[:, 1] > 3) & (uv[:, 1] < dm.view.size[1] - 4)
        assert inside.sum() >= 8
        px = np.round(uv[inside]).astype(int)
        assert (dm.image[px[:, 1], px[:, 0]].mean(axis=1) < 110).all(), name
        # the depth read back is the plane's depth at those pixels
        assert np.allclose(dm.depth[px[:, 1], px[:, 0]], cam[inside, 2], rtol=0.01)
        # the mask follows the first dot through the undistortion
        if inside[0]:
            u, v = np.round(uv[0]).astype(int)
            assert dm.mask[v, u] and dm.mask.mean() < 0.02
