"""ar.usdz: authored for Quick Look and checked against UsdValidation and the ARKit packaging rules."""

from __future__ import annotations

import zipfile

import pytest
from pxr import Usd
from pxr import UsdGeom

from service.pipeline.derive.usdz import check_usdz
from service.pipeline.derive.usdz import write_usdz
from tests.pipeline.scenes import uv_sphere


@pytest.fixture(scope="module")
def usdz(tmp_path_factory):
    path = tmp_path_factory.mktemp("usdz") / "ar.usdz"
    return write_usdz(uv_sphere(subdivisions=3, texture=300), path, metadata={"title": {"en": "Sphere"}, "accession_number": "S-1"})


def test_package_passes_every_check(usdz):
    report = check_usdz(usdz)
    assert report["errors"] == 0, report["messages"]
    assert report["validators"] >= 20
    assert all(report["arkit"].values())


def test_stage_is_in_metres_y_up_with_texture(usdz):
    stage = Usd.Stage.Open(str(usdz))
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert stage.GetDefaultPrim().GetPath() == "/Root"
    names = [i.filename for i in zipfile.ZipFile(usdz).infolist()]
    assert names[0].endswith(".usdc") and any(n.endswith(".jpg") for n in names)
    assert stage.GetRootLayer().customLayerData["dc:identifier"] == "S-1"


def test_compressed_package_is_caught(usdz, tmp_path):
    bad = tmp_path / "bad.usdz"
    with zipfile.ZipFile(usdz) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    report = check_usdz(bad)
    assert not report["arkit"]["stored"]
    assert report["errors"] > 0 and any("compressed" in m for m in report["messages"])


def test_webp_texture_is_caught(usdz, tmp_path):
    bad = tmp_path / "webp.usdz"
    with zipfile.ZipFile(usdz) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("extra.webp", b"RIFF0000WEBP")
    report = check_usdz(bad)
    assert not report["arkit"]["file_types"]


def test_same_scene_gives_the_same_bytes(usdz, tmp_path):
    import hashlib
    import time

    time.sleep(2.1)  # zip times have 2 s resolution
    again = write_usdz(uv_sphere(subdivisions=3, texture=300), tmp_path / "ar.usdz", metadata={"title": {"en": "Sphere"}, "accession_number": "S-1"})
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(usdz.read_bytes()).hexdigest()
    assert check_usdz(again)["errors"] == 0


def _pbr_sphere():
    """A sphere whose material uses every glTF map: alpha-masked base colour, normal,
    metallic-roughness (with factors to bake), occlusion and emissive."""
    import numpy as np
    from PIL import Image
    from trimesh.visual.material import PBRMaterial

    from tests.pipeline.scenes import gradient

    scene = uv_sphere(subdivisions=2, texture=64)
    base = np.array(gradient(64).convert("RGBA"))
    base[:32, :, 3] = 40  # the top half is cut out by the mask
    scene.meshes[0].visual.material = PBRMaterial(
        baseColorTexture=Image.fromarray(base),
        baseColorFactor=[255, 255, 255, 255],
        metallicRoughnessTexture=Image.new("RGB", (64, 64), (200, 200, 160)),
        metallicFactor=0.5,
        roughnessFactor=0.25,
        normalTexture=Image.new("RGB", (64, 64), (128, 128, 255)),
        occlusionTexture=Image.new("L", (64, 64), 180),
        emissiveTexture=Image.new("RGB", (64, 64), (255, 255, 255)),
        emissiveFactor=[1.0, 0.5, 0.0],
        alphaMode="MASK",
        alphaCutoff=0.3,
    )
    return scene


@pytest.fixture(scope="module")
def pbr_usdz(tmp_path_factory):
    return write_usdz(_pbr_sphere(), tmp_path_factory.mktemp("pbr") / "ar.usdz", metadata={"title": {"en": "PBR"}})


def _source(surface, name):
    from pxr import UsdShade

    source, output, _ = surface.GetInput(name).GetConnectedSource()
    return UsdShade.Shader(source.GetPrim()), output


@pytest.mark.parametrize(
    ("name", "output", "colour_space"),
    [
        ("diffuseColor", "rgb", "sRGB"),
        ("opacity", "a", "sRGB"),
        ("normal", "rgb", "raw"),
        ("roughness", "g", "raw"),
        ("metallic", "b", "raw"),
        ("occlusion", "r", "raw"),
        ("emissiveColor", "rgb", "sRGB"),
    ],
)
def test_every_pbr_input_reads_a_packaged_texture(pbr_usdz, name, output, colour_space):
    from pxr import UsdShade

    stage = Usd.Stage.Open(str(pbr_usdz))
    surface = UsdShade.Shader(stage.GetPrimAtPath("/Root/Materials/material_0/surface"))
    texture, out = _source(surface, name)
    assert texture.GetIdAttr().Get() == "UsdUVTexture"
    assert out == output
    assert texture.GetInput("sourceColorSpace").Get() == colour_space
    file = texture.GetInput("file").Get()
    assert file.path in zipfile.ZipFile(pbr_usdz).namelist()
    reader, _ = _source(texture, "st")
    assert reader.GetIdAttr().Get() == "UsdPrimvarReader_float2"
    if name == "normal":
        assert tuple(texture.GetInput("scale").Get()) == (2, 2, 2, 1)
        assert tuple(texture.GetInput("bias").Get()) == (-1, -1, -1, 0)
    if name == "opacity":
        assert file.path.endswith(".png")  # JPEG has no alpha
        assert surface.GetInput("opacityThreshold").Get() == pytest.approx(0.3)


def _pixel(usdz, surface_input):
    import io

    import numpy as np
    from PIL import Image
    from pxr import UsdShade

    stage = Usd.Stage.Open(str(usdz))
    surface = UsdShade.Shader(stage.GetPrimAtPath("/Root/Materials/material_0/surface"))
    texture, _ = _source(surface, surface_input)
    data = zipfile.ZipFile(usdz).read(texture.GetInput("file").Get().path)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)[32, 32]


def test_factors_are_baked_into_the_textures(pbr_usdz):
    # metallic-roughness (200, 200, 160) x (1, roughness 0.25, metallic 0.5): data, so linear
    assert _pixel(pbr_usdz, "roughness") == pytest.approx([200, 50, 80], abs=3)
    # emissive white x (1, 0.5, 0) in linear light is sRGB (255, 188, 0)
    assert _pixel(pbr_usdz, "emissiveColor") == pytest.approx([255, 188, 0], abs=3)


def test_pbr_package_passes_every_check_and_is_reproducible(pbr_usdz, tmp_path):
    import hashlib

    report = check_usdz(pbr_usdz)
    assert report["errors"] == 0, report["messages"]
    assert all(report["arkit"].values())
    again = write_usdz(_pbr_sphere(), tmp_path / "ar.usdz", metadata={"title": {"en": "PBR"}})
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(pbr_usdz.read_bytes()).hexdigest()


def test_our_loader_reads_every_map_back(pbr_usdz):
    from service.pipeline.exchange import load

    mat = load([pbr_usdz]).meshes[0].visual.material
    for slot in ("baseColorTexture", "normalTexture", "occlusionTexture", "metallicRoughnessTexture", "emissiveTexture"):
        assert getattr(mat, slot).size == (64, 64), slot
    assert mat.alphaMode == "MASK" and mat.alphaCutoff == pytest.approx(0.3)
    assert mat.baseColorTexture.mode == "RGBA"
    # factors were baked, so the read-back material multiplies by 1
    assert (mat.metallicFactor, mat.roughnessFactor) == (1.0, 1.0)
    assert mat.metallicRoughnessTexture.getpixel((32, 32)) == pytest.approx((200, 50, 80), abs=3)


@pytest.mark.parametrize(
    ("mode", "opacity", "threshold"),
    [
        pytest.param("OPAQUE", None, None, id="opaque-ignores-alpha"),
        pytest.param("BLEND", "a", None, id="blend"),
        pytest.param("MASK", "a", 0.5, id="mask-default-cutoff"),
    ],
)
def test_alpha_mode_sets_opacity(tmp_path, mode, opacity, threshold):
    from pxr import UsdShade

    scene = _pbr_sphere()
    mat = scene.meshes[0].visual.material
    mat.alphaMode, mat.alphaCutoff = mode, None
    stage = Usd.Stage.Open(str(write_usdz(scene, tmp_path / "a.usdz", metadata={})))
    surface = UsdShade.Shader(stage.GetPrimAtPath("/Root/Materials/material_0/surface"))
    got = surface.GetInput("opacity")
    assert (_source(surface, "opacity")[1] if got else None) == opacity
    got = surface.GetInput("opacityThreshold")
    assert (got.Get() if got else None) == threshold
