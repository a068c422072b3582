"""The offscreen renderer on corpus scans and generated objects: coverage, centring, upright, colour."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from service.pipeline.render import camera as cam
from service.pipeline.render.gl import Renderer
from service.pipeline.render.model import bounds_of
from service.pipeline.render.model import load_parts
from service.pipeline.render.model import points_of
from tests.fixtures import CORPUS

SCANS = [
    pytest.param("formats/Duck.glb", id="duck"),
    pytest.param("scans/sea-turtle/sea_turtle-20k-thumb.glb", id="turtle-draco"),
]


class Scene:
    """A loaded model with its renderer and framing inputs."""

    def __init__(self, path):
        self.parts = load_parts(path)
        self.bounds = bounds_of(self.parts)
        self.points = points_of(self.parts)
        self.center = (self.bounds[0] + self.bounds[1]) / 2
        self.renderer = Renderer(self.parts)

    def shoot(self, size, *, azimuth=None, polar=None, **kw):
        az, po = cam.default_view(self.bounds)
        az = az if azimuth is None else azimuth
        po = po if polar is None else polar
        camera = cam.frame(self.points, self.center, cam.orbit_direction(az, po), size[0] / size[1])
        return self.renderer.render(camera, size, **kw)


@pytest.fixture(scope="module")
def scenes():
    loaded = {}

    def get(rel):
        if rel not in loaded:
            loaded[rel] = Scene(CORPUS / rel)
        return loaded[rel]

    yield get
    for s in loaded.values():
        s.renderer.release()


def _mask(rgba):
    # the object is opaque; the shadow and background are not
    return rgba[..., 3] == 255


@pytest.mark.parametrize("rel", SCANS)
@pytest.mark.parametrize(
    "size", [(512, 512), (600, 315), (270, 480)], ids=["thumb", "poster", "vertical"]
)
def test_still_covers_a_sane_centred_share(scenes, rel, size):
    rgba = scenes(rel).shoot(size, transparent=True)
    mask = _mask(rgba)
    assert 0.08 < mask.mean() < 0.85
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    cx, cy = (xs.min() + xs.max()) / 2 / w, (ys.min() + ys.max()) / 2 / h
    assert abs(cx - 0.5) < 0.04 and abs(cy - 0.5) < 0.04
    # snug: the limiting extent fills most of the frame, with a margin
    fill = max((xs.max() - xs.min()) / w, (ys.max() - ys.min()) / h)
    assert 0.75 < fill < 0.95


@pytest.mark.parametrize("rel", SCANS)
def test_opaque_still_is_not_blank_and_has_a_grounding_shadow(scenes, rel):
    s = scenes(rel)
    rgb = s.shoot((256, 256))[..., :3].astype(float)
    alpha = s.shoot((256, 256), transparent=True)[..., 3]
    assert rgb.std() > 15
    # shadow: partly transparent pixels below the object's lowest row
    ys = np.nonzero(alpha == 255)[0]
    below = alpha[ys.max() - 20 :, :]
    assert ((below > 20) & (below < 255)).sum() > 200


@pytest.mark.parametrize("rel", SCANS)
def test_object_colour_is_close_to_its_texture(scenes, rel, corpus):
    # mean over a full turn (every side seen once) against the texture sampled on the surface
    s = scenes(rel)
    means = []
    for az in (0, 90, 180, 270):
        rgba = s.shoot((256, 256), azimuth=az, polar=80, transparent=True)
        means.append(rgba[_mask(rgba)][:, :3].mean(axis=0))
    rendered = np.mean(means, axis=0)
    expected = _texture_mean(corpus / rel)
    assert np.abs(rendered - expected).max() < 45, (rendered, expected)
    assert np.abs(rendered - expected).mean() < 25, (rendered, expected)


def _texture_mean(path) -> np.ndarray:
    # area-weighted base colour under each face's UV centroid, sRGB 0..255
    cols, weights = [], []
    for m in trimesh.load(path, force="scene").dump(concatenate=False):
        img = np.asarray(m.visual.material.baseColorTexture.convert("RGB")).astype(float)
        uv = m.visual.uv[m.faces].mean(axis=1)
        h, w = img.shape[:2]
        x = np.clip((uv[:, 0] % 1) * w, 0, w - 1).astype(int)
        y = np.clip((1 - uv[:, 1] % 1) * h, 0, h - 1).astype(int)
        cols.append(img[y, x])
        weights.append(m.area_faces)
    c, wts = np.concatenate(cols), np.concatenate(weights)
    return (c * wts[:, None]).sum(axis=0) / wts.sum()


def test_asymmetric_object_renders_upright_with_vertex_colours(stacked_glb):
    s = Scene(stacked_glb)
    try:
        rgba = s.shoot((256, 256), transparent=True)
    finally:
        s.renderer.release()
    rgb = rgba[..., :3].astype(int)
    obj = _mask(rgba)
    red = obj & (rgb[..., 0] > rgb[..., 2] + 60)
    blue = obj & (rgb[..., 2] > rgb[..., 0] + 60)
    assert red.sum() > 500 and blue.sum() > 500
    # the narrow red column stands on the wide blue base: red is higher in the image
    assert np.nonzero(red)[0].mean() < np.nonzero(blue)[0].mean() - 30
    # and the wide part is at the bottom
    width = lambda m: np.percentile(m.sum(axis=1)[m.any(axis=1)], 90)
    assert width(blue) > 2 * width(red)


def test_panel_is_framed_straight_on_with_texture_the_right_way_up(panel_glb):
    s = Scene(panel_glb)
    try:
        assert cam.is_flat(s.bounds)
        rgba = s.shoot((200, 300), transparent=True)
    finally:
        s.renderer.release()
    obj = _mask(rgba)
    ys, xs = np.nonzero(obj)
    # straight on: the panel is an axis-aligned rectangle filling its bounding box
    assert obj[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].mean() > 0.97
    rgb = rgba[..., :3].astype(int)
    mid = (ys.min() + ys.max()) // 2
    upper, lower = (
        rgb[ys.min() : mid - 5][obj[ys.min() : mid - 5]],
        rgb[mid + 5 : ys.max()][obj[mid + 5 : ys.max()]],
    )
    assert (upper[:, 0] > upper[:, 2] + 60).mean() > 0.95  # red on top, as in the image
    assert (lower[:, 2] > lower[:, 0] + 60).mean() > 0.95


def test_transparent_background_is_clear(scenes):
    rgba = scenes("formats/Duck.glb").shoot((128, 128), transparent=True)
    assert rgba[0, 0, 3] == 0 and rgba[0, -1, 3] == 0 and rgba[-1, 0, 3] == 0


def test_fxaa_frame_matches_msaa_frame(scenes):
    s = scenes("formats/Duck.glb")
    a = s.shoot((256, 256), samples=4).astype(int)
    b = s.shoot((256, 256), samples=0, fxaa=True).astype(int)
    assert np.abs(a - b).mean() < 3
