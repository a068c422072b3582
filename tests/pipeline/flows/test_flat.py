"""Flat artefacts: photos + size -> a true-size panel GLB for wall placement."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PIL import Image

from service.errors import InvalidMetadata
from service.pipeline.flows import process
from service.pipeline.metadata import validate_metadata
from service.pipeline.photos.panel import border_colour
from tests.pipeline.photos.helpers import painting


def _save(path, pixels, **kw):
    Image.fromarray(pixels).save(path, **kw)
    return path


def _md(**extra):
    return validate_metadata({"title": {"en": "Painting"}, **extra})


def test_painting_61_by_46_cm_is_a_true_size_wall_panel(tmp_path):
    front = _save(tmp_path / "front.jpg", painting(610, 460), quality=92)
    md = _md(kind="flat", flat_kind="canvas", dimensions={"width": 61, "height": 46, "unit": "cm"})
    manifest = process([front], tmp_path / "out", metadata=md)
    assert manifest["placement"] == "wall"
    assert manifest["kind"] == "flat" and manifest["kind_source"] == "metadata"
    assert manifest["size_source"] == "declared"
    # recipe entries have one shape in every flow, in the order they ran
    assert [e["step"] for e in manifest["recipe"]] == ["panel", "derive"]
    assert manifest["recipe"][0]["options"] == {"flat_kind": "canvas", "depth_m": 0.02, "rectify": False}
    entry = manifest["files"]["master.glb"]
    assert entry["validation"]["errors"] == 0
    mesh = trimesh.load(tmp_path / "out" / "master.glb")
    lo, hi = mesh.bounds
    assert hi - lo == pytest.approx([0.61, 0.46, 0.02], rel=0.005)
    # origin at the centre of the back face; the picture faces +Z
    assert (lo + hi)[:2] == pytest.approx([0, 0], abs=1e-6)
    assert lo[2] == pytest.approx(0, abs=1e-9)
    front_mesh = mesh.geometry["front"]
    assert front_mesh.face_normals[:, 2] == pytest.approx([1, 1])
    assert front_mesh.visual.material.baseColorTexture.size == (610, 460)
    # what derive() adds (thumb/web/ar GLBs, ar.usdz) must keep the size too
    for name in [n for n in manifest["files"] if n.endswith(".glb")]:
        other = trimesh.load(tmp_path / "out" / name)
        assert other.extents == pytest.approx([0.61, 0.46, 0.02], rel=0.005), name
    if "ar.usdz" in manifest["files"]:
        assert _usdz_extents(tmp_path / "out" / "ar.usdz") == pytest.approx(
            [0.61, 0.46, 0.02], rel=0.005
        )


def _usdz_extents(path) -> list[float]:
    """World bounding-box size of a USDZ in metres (metersPerUnit applied)."""
    from pxr import Usd
    from pxr import UsdGeom

    stage = Usd.Stage.Open(str(path))
    box = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default", "render"]).ComputeWorldBound(
        stage.GetPseudoRoot()
    )
    size = box.ComputeAlignedRange().GetSize()
    return [v * UsdGeom.GetStageMetersPerUnit(stage) for v in size]


def _colour_at(mesh, corner) -> np.ndarray:
    """Texture colour at the UV of the vertex nearest `corner` (x, y) of a face."""
    i = np.argmin(np.linalg.norm(mesh.vertices[:, :2] - corner, axis=1))
    u, v = mesh.visual.uv[i]
    tex = np.asarray(mesh.visual.material.baseColorTexture.convert("RGB"))
    h, w = tex.shape[:2]
    y, x = min(h - 1, int((1 - v) * h)), min(w - 1, int(u * w))
    return tex[max(0, y - 3) : y + 4, max(0, x - 3) : x + 4].reshape(-1, 3).mean(axis=0)


def test_picture_is_upright_and_not_mirrored(tmp_path):
    art = np.full((300, 400, 3), 128, np.uint8)
    art[:40, :40] = (220, 30, 30)  # top-left red
    art[:40, -40:] = (30, 30, 220)  # top-right blue
    back = np.full((300, 400, 3), 128, np.uint8)
    back[:40, :40] = (30, 200, 30)  # the back's top-left, seen from behind: green
    files = [_save(tmp_path / "a-front.png", art), _save(tmp_path / "b-back.png", back)]
    md = _md(kind="flat", dimensions={"width": 40, "height": 30, "unit": "cm"})
    process(files, tmp_path / "out", metadata=md)
    scene = trimesh.load(tmp_path / "out" / "master.glb")
    front, back_mesh = scene.geometry["front"], scene.geometry["back"]
    assert _colour_at(front, (-0.2, 0.15)) == pytest.approx([220, 30, 30], abs=20)
    assert _colour_at(front, (0.2, 0.15)) == pytest.approx([30, 30, 220], abs=20)
    # from behind, the viewer's left is +X
    assert _colour_at(back_mesh, (0.2, 0.15)) == pytest.approx([30, 200, 30], abs=20)


def test_front_and_back_with_heuristic_kind(tmp_path):
    art = painting(300, 400, seed=2)
    verso = np.full((400, 300, 3), (120, 90, 60), np.uint8)
    files = [_save(tmp_path / "scroll-verso.png", verso), _save(tmp_path / "scroll-recto.png", art)]
    md = _md(flat_kind="paper", dimensions={"width": 30, "height": 40, "unit": "cm"})
    manifest = process(files, tmp_path / "out", metadata=md)
    assert manifest["kind_source"] == "heuristic"
    assert manifest["kind"] == "flat"
    scene = trimesh.load(tmp_path / "out" / "master.glb")
    assert scene.extents == pytest.approx([0.30, 0.40, 0.001], rel=0.005)
    back = scene.geometry["back"]
    assert back.face_normals[:, 2] == pytest.approx([-1, -1])
    texture = np.asarray(back.visual.material.baseColorTexture.convert("RGB"))
    assert texture.reshape(-1, 3).mean(axis=0) == pytest.approx([120, 90, 60], abs=4)
    edge = scene.geometry["edges"].visual.material.baseColorFactor[:3]
    assert list(edge) == pytest.approx(border_colour(art), abs=2)


def test_missing_size_asks_for_it(tmp_path):
    front = _save(tmp_path / "front.jpg", painting(200, 150))
    with pytest.raises(InvalidMetadata, match="physical size is missing.*dimensions"):
        process([front], tmp_path / "out", metadata=_md(kind="flat"))


def test_scanner_resolution_gives_an_estimated_size(tmp_path):
    # 600 x 450 px at 300 ppi... no: 300 is a default; a 400 dpi flatbed scan
    front = _save(tmp_path / "scan.tif", painting(600, 450), dpi=(400, 400))
    manifest = process([front], tmp_path / "out", metadata=_md(kind="flat", flat_kind="woodblock"))
    assert manifest["size_source"] == "estimated from the scan resolution (400 dpi)"
    assert manifest["dimensions_m"][:2] == pytest.approx(
        [600 / 400 * 0.0254, 450 / 400 * 0.0254], rel=1e-4
    )


@pytest.mark.parametrize(
    ("dims", "match"),
    [
        pytest.param({"width": 61, "height": 0.4, "unit": "cm"}, "outside", id="tiny"),
        pytest.param({"width": 46, "height": 61, "unit": "mm"}, "swapped|cannot be", id="swapped"),
        pytest.param({"width": 61, "height": 4.6, "unit": "cm"}, "cannot be this photo", id="typo"),
        pytest.param({"width": 61, "height": 46, "unit": "m"}, "outside", id="wrong-unit"),
    ],
)
def test_absurd_dimensions_are_refused(tmp_path, dims, match):
    front = _save(tmp_path / "front.jpg", painting(610, 460))
    with pytest.raises(InvalidMetadata, match=match):
        process([front], tmp_path / "out", metadata=_md(kind="flat", dimensions=dims))


def test_three_photos_are_not_a_flat_artefact(tmp_path):
    files = [_save(tmp_path / f"p{i}.jpg", painting(100, 80)) for i in range(3)]
    with pytest.raises(InvalidMetadata, match="one .front. or two"):
        process(
            files,
            tmp_path / "out",
            metadata=_md(kind="flat", dimensions={"width": 10, "height": 8}),
        )


def test_metadata_checks_flat_fields():
    with pytest.raises(InvalidMetadata, match="flat_kind"):
        _md(flat_kind="fresco")
    with pytest.raises(InvalidMetadata, match="rectify"):
        _md(rectify="yes")


def test_rectify_through_the_flow(tmp_path):
    from tests.pipeline.photos.test_rectify import TRUTH
    from tests.pipeline.photos.test_rectify import _photographed
    from tests.pipeline.photos.test_rectify import _wall

    photo = _save(
        tmp_path / "angled.jpg", _photographed(painting(610, 460), _wall(), TRUTH), quality=92
    )
    dims = {"width": 61, "height": 46, "unit": "cm"}
    manifest = process(
        [photo], tmp_path / "out", metadata=_md(kind="flat", rectify=True, dimensions=dims)
    )
    report = manifest["rectification"]["front"]
    assert report["status"] == "rectified"
    assert not any("stretched" in w for w in manifest["warnings"])  # the rectified shape fits
    mesh = trimesh.load(tmp_path / "out" / "master.glb")
    w, h = mesh.geometry["front"].visual.material.baseColorTexture.size
    assert w / h == pytest.approx(61 / 46, rel=0.01)


def test_rectify_declines_on_clutter_and_keeps_the_photo(tmp_path):
    rng = np.random.default_rng(1)
    busy = rng.integers(0, 255, (460, 610, 3), np.uint8)
    photo = _save(tmp_path / "busy.png", busy)
    dims = {"width": 61, "height": 46, "unit": "cm"}
    manifest = process(
        [photo],
        tmp_path / "out",
        metadata=_md(kind="flat", dimensions=dims),
        options={"rectify": True},
    )
    assert manifest["rectification"]["front"]["status"] == "declined"
    assert any(
        w.startswith("rectify: kept the front photo as it is: ") for w in manifest["warnings"]
    )
    mesh = trimesh.load(tmp_path / "out" / "master.glb")
    assert mesh.geometry["front"].visual.material.baseColorTexture.size == (610, 460)


def test_every_flat_kind_has_panel_defaults():
    from service.pipeline import metadata
    from service.pipeline.photos import panel

    assert set(metadata.FLAT_KINDS) == set(panel.FLAT_KINDS)
