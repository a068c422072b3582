"""derive(): every level written, validated, decoded back, rights embedded, listed in the manifest."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import trimesh
from pxr import Usd

from service.errors import InvalidImage
from service.errors import InvalidScan
from service.errors import MissingFile
from service.errors import ScanTooLarge
from service.errors import UnsupportedFormat
from service.pipeline.derive import derive
from service.pipeline.exchange.glb import read_glb
from service.pipeline.flows import process
from tests.fixtures import CORPUS
from tests.pipeline.scenes import uv_sphere

METADATA = {
    "title": {"vi": "Con vịt", "en": "Duck"},
    "creator": "Sony Computer Entertainment",
    "date": "2006",
    "institution": "Khronos sample models",
    "licence": "CC-BY-4.0",
    "accession_number": "KHR-0001",
}
ROLES = {"master", "thumb", "web", "ar", "usdz"}


@pytest.fixture(scope="module")
def duck(tmp_path_factory):
    out = tmp_path_factory.mktemp("duck")
    stages = []
    manifest = process([CORPUS / "formats" / "Duck.glb"], out, metadata=METADATA, progress=lambda p, s: stages.append((p, s)))
    return out, manifest, stages


@pytest.fixture(scope="module")
def sphere(tmp_path_factory):
    """81,920 faces and a 1500 px texture: thumb simplified, web-1024 and web-2048 written."""
    out = tmp_path_factory.mktemp("sphere")
    body = derive(uv_sphere(subdivisions=6, texture=1500), out, metadata=METADATA, options={}, progress=lambda p, s: None)
    return out, body


def test_every_file_is_flat_listed_and_has_a_role(duck):
    out, manifest, _ = duck
    files = manifest["files"]
    on_disk = {p.name for p in out.iterdir()} - {"manifest.json"}
    assert on_disk == set(files)
    assert {"master.glb", "thumb.glb", "web-1024.glb", "ar.glb", "ar.usdz"} <= set(files)
    assert {e["role"] for e in files.values()} == ROLES
    for name, entry in files.items():
        assert "/" not in name
        assert entry["bytes"] == (out / name).stat().st_size
        assert len(entry["sha256"]) == 64
        assert entry["faces"] > 0 and entry["recipe"]
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["files"] == json.loads(json.dumps(files))


def test_small_scan_is_not_inflated(duck):
    _, manifest, _ = duck
    files = manifest["files"]
    # 4,212 faces and a 512 px texture: every level reuses the scan, no 2048/4096 copies
    for name in ("thumb.glb", "web-1024.glb", "ar.glb"):
        assert files[name]["faces"] == 4212
        assert files[name]["texture_size"] == 512
        assert files[name]["recipe"][0]["reused_source"] is True
    assert manifest["levels"]["web-2048"] == manifest["levels"]["web-4096"] == "web-1024.glb"
    assert "web-2048.glb" not in files


def test_glbs_validate_and_decode_back(duck):
    out, manifest, _ = duck
    files = manifest["files"]
    assert files["master.glb"]["validation"]["errors"] == 0
    master = trimesh.load(out / "master.glb", force="mesh")
    for name, entry in files.items():
        if entry["role"] in ("thumb", "web", "ar"):
            assert entry["validation"]["uncompressed"]["errors"] == 0
            assert entry["validation"]["decoded"]["faces"] == entry["faces"]
            doc, _ = read_glb(out / name)
            assert "KHR_draco_mesh_compression" in doc["extensionsRequired"]
            mesh = trimesh.load(out / name, force="mesh")
            assert np.allclose(mesh.bounds, master.bounds, atol=1e-3)
            assert mesh.visual.uv is not None and np.ptp(mesh.vertices, axis=0).min() > 0.01


def test_rights_are_inside_every_file(duck):
    out, manifest, _ = duck
    for name in manifest["files"]:
        if name.endswith(".glb"):
            doc, _ = read_glb(out / name)
            assert doc["asset"]["copyright"] == "Khronos sample models — CC BY 4.0"
            packet = doc["extensions"]["KHR_xmp_json_ld"]["packets"][doc["asset"]["extensions"]["KHR_xmp_json_ld"]["packet"]]
            assert packet["dc:identifier"] == "KHR-0001"
            titles = {t["@language"]: t["@value"] for k, t in packet["dc:title"].items() if k.startswith("rdf:_")}
            assert titles == {"vi": "Con vịt", "en": "Duck"}
            assert packet["dc:creator"]["@list"] == ["Sony Computer Entertainment"]
            assert packet["dc:date"]["@list"] == ["2006"]
            assert "CC BY 4.0" in packet["dc:rights"]["rdf:_1"]["@value"]
    stage = Usd.Stage.Open(str(out / "ar.usdz"))
    layer = stage.GetRootLayer().customLayerData
    assert layer["dc:identifier"] == "KHR-0001"
    assert layer["dc:title@vi"] == "Con vịt" and layer["dc:title@en"] == "Duck"
    assert layer["dc:rights"] == "Khronos sample models — CC BY 4.0"


def test_usdz_passes_usd_validation_and_arkit_rules(duck):
    _, manifest, _ = duck
    check = manifest["files"]["ar.usdz"]["validation"]
    assert check["errors"] == 0 and check["validators"] >= 20
    assert all(check["arkit"].values())


def test_progress_is_reported_in_order(duck):
    _, _, stages = duck
    percents = [p for p, _ in stages]
    assert percents == sorted(percents) and percents[-1] == 100
    assert {"load", "levels", "compress", "usdz"} <= {s for _, s in stages}


def test_large_scene_gets_budgets_and_texture_variants(sphere):
    out, body = sphere
    files = body["files"]
    assert files["master.glb"]["faces"] == 81920
    assert files["master.glb"]["texture_size"] == 1500
    assert files["thumb.glb"]["faces"] <= 20000 and files["thumb.glb"]["texture_size"] == 512
    assert files["thumb.glb"]["bytes"] <= 200_000
    assert files["web-1024.glb"]["texture_size"] == 1024
    assert files["web-2048.glb"]["texture_size"] == 1500  # never enlarged
    assert body["levels"]["web-4096"] == "web-2048.glb"
    assert files["ar.glb"]["faces"] == 81920 and files["ar.glb"]["texture_size"] == 1500
    assert files["ar.usdz"]["faces"] == 81920
    # the thumb's colours still come from the right place in the texture
    thumb = trimesh.load(out / "thumb.glb", force="mesh")
    assert np.ptp(thumb.visual.uv, axis=0).min() > 0.9


def test_browser_levels_carry_webp_and_ar_keeps_jpeg(sphere):
    """thumb/web: EXT_texture_webp (required); ar: JPEG for Scene Viewer and the USDZ."""
    import io

    from PIL import Image

    out, body = sphere
    master_doc, master_bin = read_glb(out / "master.glb")
    for name in ("thumb.glb", "web-1024.glb", "web-2048.glb", "ar.glb"):
        doc, binary = read_glb(out / name)
        webp = name != "ar.glb"
        assert [i["mimeType"] for i in doc["images"]] == ["image/webp" if webp else "image/jpeg"], name
        texture = doc["textures"][0]
        if webp:
            assert texture["extensions"]["EXT_texture_webp"]["source"] == 0 and "source" not in texture
            assert doc["extensionsRequired"].count("EXT_texture_webp") == 1
            assert "EXT_texture_webp" in doc["extensionsUsed"]
        else:
            assert texture["source"] == 0 and "EXT_texture_webp" not in doc.get("extensionsUsed", [])
        view = doc["bufferViews"][doc["images"][0]["bufferView"]]
        image = Image.open(io.BytesIO(binary[view.get("byteOffset", 0) : view.get("byteOffset", 0) + view["byteLength"]]))
        assert image.format == ("WEBP" if webp else "JPEG")
        assert list(image.size) == doc["images"][0]["extras"]["size"]
        # same colours as the master's texture, shrunk: lossy, not wrong
        view = master_doc["bufferViews"][master_doc["images"][0]["bufferView"]]
        master = Image.open(io.BytesIO(master_bin[view.get("byteOffset", 0) : view.get("byteOffset", 0) + view["byteLength"]]))
        want = np.asarray(master.convert("RGB").resize(image.size, Image.Resampling.BOX), dtype=float)
        got = np.asarray(image.convert("RGB"), dtype=float)
        assert np.abs(got - want).mean() < 6, name
        assert body["files"][name]["validation"]["uncompressed"]["errors"] == 0


def test_vertex_coloured_scan_keeps_colours(tmp_path, corpus):
    manifest = process([corpus / "formats" / "comments.off"], tmp_path / "out", metadata={"title": {"en": "Cube"}})
    doc, _ = read_glb(tmp_path / "out" / "ar.glb")
    assert "COLOR_0" in doc["meshes"][0]["primitives"][0]["attributes"]
    assert len(np.unique(colours_of(tmp_path / "out" / "master.glb")[:, :3], axis=0)) == 6
    stage = Usd.Stage.Open(str(tmp_path / "out" / "ar.usdz"))
    assert any(p.GetAttribute("primvars:displayColor") for p in stage.Traverse())
    assert manifest["files"]["ar.usdz"]["validation"]["errors"] == 0


@pytest.mark.parametrize(
    ("name", "data", "options", "error", "match"),
    [
        pytest.param("a.obj", b"v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n", {}, InvalidScan, "NaN or infinite", id="nan"),
        pytest.param("a.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", {}, InvalidScan, "no triangles", id="zero-faces"),
        pytest.param("a.dat", bytes(range(256)) * 4, {}, UnsupportedFormat, "no 3D file found", id="unknown"),
    ],
)
def test_bad_input_fails_with_a_reason(tmp_path, name, data, options, error, match):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(error, match=match):
        process([path], tmp_path / "out", metadata={}, options=options)


def colours_of(path) -> np.ndarray:
    """COLOR_0 of the first primitive of an uncompressed GLB, as (n, 4) uint8."""
    doc, binary = read_glb(path)
    acc = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["COLOR_0"]]
    view = doc["bufferViews"][acc["bufferView"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    return np.frombuffer(binary, np.uint8, acc["count"] * 4, start).reshape(-1, 4)


def test_bad_limits_fail_with_a_reason(tmp_path, obj_zip, corpus):
    with pytest.raises(ScanTooLarge, match="limit of 10"):
        process([obj_zip], tmp_path / "a", metadata={}, options={"max_faces": 10})
    with pytest.raises(InvalidImage, match="over the limit"):
        process([obj_zip], tmp_path / "b", metadata={}, options={"max_image_pixels": 100})
    upload = tmp_path / "upload"
    upload.mkdir()
    for name in ("Duck.gltf", "Duck0.bin"):  # the texture is left out
        shutil.copy(corpus / "formats/duck-gltf" / name, upload / name)
    with pytest.raises(MissingFile, match="DuckCM.png"):
        process([upload / "Duck.gltf", upload / "Duck0.bin"], tmp_path / "c", metadata={})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rel", "faces"),
    [
        pytest.param("scans/bali-mask", 100000, id="bali-mask-gltf"),
        pytest.param("scans/sea-turtle/sea_turtle-150k-2048-medium.glb", 150000, id="sea-turtle-draco"),
        pytest.param("scans/igea/igea.ply", 268686, id="igea-strips"),
    ],
)
def test_corpus_scan_derivatives(tmp_path, rel, faces):
    manifest = process([CORPUS / rel], tmp_path / "out", metadata=METADATA)
    files = manifest["files"]
    assert files["master.glb"]["faces"] == faces
    assert files["master.glb"]["validation"]["errors"] == 0
    assert files["thumb.glb"]["faces"] <= 20000 and files["thumb.glb"]["bytes"] <= 200_000
    assert files["ar.glb"]["faces"] <= 100000
    assert all(e["faces"] <= 150000 for e in files.values() if e["role"] == "web")
    assert files["ar.usdz"]["validation"]["errors"] == 0
    for entry in files.values():
        if entry["role"] in ("thumb", "web", "ar"):
            assert entry["validation"]["uncompressed"]["errors"] == 0
            assert entry["validation"]["decoded"]["draco"]
