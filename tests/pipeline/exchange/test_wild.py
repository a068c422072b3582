"""Files from the wild (issue 15): one regression test per kind of file other people's tools write."""

from __future__ import annotations

import base64
import json
import logging
import struct

import numpy as np
import pytest
import trimesh
from trimesh.visual.material import PBRMaterial

from service.errors import HeritageError
from service.errors import InvalidScan
from service.pipeline.derive.levels import Level
from service.pipeline.derive.levels import _shared_geometry
from service.pipeline.exchange import load
from service.pipeline.exchange.gltf_fix import fan_faces
from service.pipeline.exchange.meshes import clamp_factors
from service.pipeline.exchange.uv_wrap import warn_uv_wrap
from service.pipeline.exchange.uv_wrap import wrapped_faces
from service.pipeline.flows import process
from service.pipeline.scene import Scene
from tests.fixtures import REPO
from tests.fixtures import checker_png
from tests.fixtures import textured_box_obj


def _no_traceback_shown(caplog) -> None:
    """Tracebacks may go to the debug log only."""
    assert not [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG]


# --- OBJ whose MTL names textures the Windows way --------------------------------------------------


@pytest.mark.parametrize(
    ("named", "stored"),
    [
        pytest.param(".\\checker.png", "checker.png", id="dot-backslash"),
        pytest.param("..\\maps\\Checker.PNG", "maps/checker.png", id="parent-folder-and-case"),
        pytest.param("C:\\Scans\\Vase\\TEX\\checker.png", "tex/checker.png", id="absolute-windows"),
    ],
)
def test_obj_windows_texture_paths_are_found_inside_the_upload(tmp_path, named, stored):
    (tmp_path / "box.obj").write_text(textured_box_obj().replace("mtllib box material.mtl", "mtllib box.mtl"))
    (tmp_path / "box.mtl").write_text(f"newmtl painted\nKd 1 1 1\nmap_Kd {named}\n")
    (tmp_path / stored).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / stored).write_bytes(checker_png())
    scene = load([tmp_path / "box.obj", tmp_path / "box.mtl", tmp_path / stored])
    assert scene.faces == 12
    assert scene.meshes[0].visual.material.baseColorTexture.size == (64, 64)


# --- glTF triangle fans ------------------------------------------------------------------------------


def _gltf(tmp_path, *, mode: int, indices: list[int] | None, extra_material: dict | None = None):
    """A unit quad as one primitive with UVs; `indices` None draws the vertices in order."""
    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    uvs = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
    blob = positions.tobytes() + uvs.tobytes()
    views = [{"buffer": 0, "byteOffset": 0, "byteLength": 48}, {"buffer": 0, "byteOffset": 48, "byteLength": 32}]
    accessors = [
        {"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
        {"bufferView": 1, "componentType": 5126, "count": 4, "type": "VEC2"},
    ]
    prim = {"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "mode": mode, "material": 0}
    if indices is not None:
        data = np.array(indices, np.uint16).tobytes()
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data)})
        accessors.append({"bufferView": 2, "componentType": 5123, "count": len(indices), "type": "SCALAR"})
        prim["indices"] = 2
        blob += data
    png = "data:image/png;base64," + base64.b64encode(checker_png()).decode()
    material = {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}
    material.update(extra_material or {})
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [prim]}],
        "materials": [material],
        "textures": [{"source": 0}],
        "images": [{"uri": png}],
        "buffers": [{"byteLength": len(blob), "uri": "quad.bin"}],
        "bufferViews": views,
        "accessors": accessors,
    }
    (tmp_path / "quad.bin").write_bytes(blob)
    (tmp_path / "quad.gltf").write_text(json.dumps(doc))
    return [tmp_path / "quad.gltf", tmp_path / "quad.bin"]


def test_fan_faces_share_the_first_vertex():
    assert fan_faces([0, 3, 2, 1]).tolist() == [[0, 3, 2], [0, 2, 1]]
    assert fan_faces([5, 6]).shape == (0, 3)


@pytest.mark.parametrize("indices", [None, [0, 1, 2, 3]], ids=["drawn-in-order", "indexed"])
def test_gltf_triangle_fans_load_with_uvs_and_texture(tmp_path, indices):
    scene = load(_gltf(tmp_path, mode=6, indices=indices))
    assert scene.faces == 2
    mesh = scene.meshes[0]
    assert mesh.area == pytest.approx(1.0)
    assert mesh.visual.uv is not None and mesh.visual.material.baseColorTexture is not None
    assert not list(tmp_path.glob(".fixed-*"))  # the scratch copy is gone


# --- spec-gloss materials and factors out of range --------------------------------------------------


def test_factors_are_clamped_to_their_valid_range():
    mat = PBRMaterial(roughnessFactor=-2.2, metallicFactor=1.7, emissiveFactor=[3.14, 0, 3.14])
    clamp_factors(mat)
    assert mat.roughnessFactor == 0.0 and mat.metallicFactor == 1.0
    assert np.asarray(mat.emissiveFactor).tolist() == [1.0, 0.0, 1.0]


def test_gltf_with_factors_out_of_range_loads_valid(tmp_path):
    bad = {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "roughnessFactor": -2.2, "metallicFactor": 0.0},
           "emissiveFactor": [3.14, 0.0, 3.14]}
    scene = load(_gltf(tmp_path, mode=4, indices=[0, 1, 2, 0, 2, 3], extra_material=bad))
    mat = scene.meshes[0].visual.material
    assert 0.0 <= mat.roughnessFactor <= 1.0
    assert np.all(np.asarray(mat.emissiveFactor) <= 1.0)


def test_spec_gloss_beside_metal_rough_keeps_the_exporters_metal_rough(tmp_path):
    """assimp's FBX -> glTF: core metal-rough (roughness 1 - 3.2) plus spec-gloss without specularFactor."""
    both = {"pbrMetallicRoughness": {"baseColorFactor": [0.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0,
                                     "roughnessFactor": -2.2},
            "extensions": {"KHR_materials_pbrSpecularGlossiness": {"diffuseFactor": [0.0, 1.0, 1.0, 1.0],
                                                                   "glossinessFactor": 3.2}}}
    mat = load(_gltf(tmp_path, mode=4, indices=[0, 1, 2], extra_material=both)).meshes[0].visual.material
    assert mat.metallicFactor == 0.0  # not chrome from the extension's default specular of 1
    assert mat.roughnessFactor == 0.0  # -2.2 clamped
    assert np.asarray(mat.baseColorFactor).tolist() == [0, 255, 255, 255]


def test_a_thumb_with_fewer_images_never_lends_its_encode_to_a_web_level():
    """The crash 'replace_images: 2 images given, thumb.glb has 1' (spec-gloss glTF, ASCII FBX)."""
    scene = object()
    todo = [
        Level("thumb", "thumb", 20_000, 512, webp=True, base_colour_only=True),
        Level("web-1024", "web", 150_000, 1024, webp=True),
        Level("web-2048", "web", 150_000, 2048, webp=True),
    ]
    shared = _shared_geometry(todo, {lv.name: scene for lv in todo})
    assert shared == {"web-2048": "web-1024"}


def test_spec_gloss_gltf_becomes_valid_derivatives(tmp_path):
    files = _gltf(tmp_path, mode=4, indices=[0, 1, 2, 0, 2, 3])
    doc = json.loads(files[0].read_text())
    doc["extensionsUsed"] = ["KHR_materials_pbrSpecularGlossiness"]
    doc["materials"] = [{"extensions": {"KHR_materials_pbrSpecularGlossiness": {
        "diffuseTexture": {"index": 0}, "specularGlossinessTexture": {"index": 1}, "glossinessFactor": 3.2}}}]
    doc["textures"].append({"source": 1})
    doc["images"].append({"uri": doc["images"][0]["uri"]})
    files[0].write_text(json.dumps(doc))
    manifest = process(files, tmp_path / "out", options={"previews": False})
    assert {"thumb.glb", "web-1024.glb", "master.glb"} <= set(manifest["files"])
    # derive refuses a GLB with validator errors, so reaching here means every one is valid
    assert manifest["files"]["master.glb"]["validation"]["errors"] == 0


# --- COLLADA that trimesh refuses: <polygons>, nested nodes beside cameras and lights ---------------

_DAE = """<?xml version="1.0" encoding="utf-8"?>
<COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1">
  <asset><unit name="meter" meter="1"/><up_axis>Y_UP</up_axis></asset>
  <library_cameras><camera id="cam"><optics><technique_common><perspective><yfov>45</yfov><znear>0.1</znear><zfar>100</zfar></perspective></technique_common></optics></camera></library_cameras>
  <library_lights><light id="sun"><technique_common><directional><color>1 1 1</color></directional></technique_common></light></library_lights>
  <library_geometries><geometry id="box"><mesh>
    <source id="p"><float_array id="pa" count="24">0 0 0 1 0 0 1 1 0 0 1 0 0 0 1 1 0 1 1 1 1 0 1 1</float_array>
      <technique_common><accessor source="#pa" count="8" stride="3"><param name="X" type="float"/><param name="Y" type="float"/><param name="Z" type="float"/></accessor></technique_common></source>
    <vertices id="v"><input semantic="POSITION" source="#p"/></vertices>
    <polygons count="6"><input semantic="VERTEX" source="#v" offset="0"/>
      <p>0 3 2 1</p><p>4 5 6 7</p><p>0 1 5 4</p><p>1 2 6 5</p><p>2 3 7 6</p><p>3 0 4 7</p></polygons>
  </mesh></geometry></library_geometries>
  <library_visual_scenes><visual_scene id="s">
    <node id="camera"><instance_camera url="#cam"/></node>
    <node id="light"><instance_light url="#sun"/></node>
    <node id="outer"><translate>0 1 0</translate><node id="inner"><node id="leaf"><instance_geometry url="#box"/></node></node></node>
  </visual_scene></library_visual_scenes>
  <scene><instance_visual_scene url="#s"/></scene>
</COLLADA>
"""


def test_collada_polygons_under_nested_nodes_beside_camera_and_light(tmp_path, caplog):
    (tmp_path / "box.dae").write_text(_DAE)
    with caplog.at_level(logging.DEBUG):
        scene = load([tmp_path / "box.dae"])
    assert scene.faces == 12
    assert scene.info["reader"] in ("trimesh", "assimp")
    lo, hi = scene.bounds
    assert np.allclose(hi - lo, 1.0, atol=1e-6)
    _no_traceback_shown(caplog)


def test_collada_array_count_that_disagrees_with_its_values(tmp_path):
    """assimp trusts the count and reads past the array (its issue #4286): a cube 1e21 wide."""
    (tmp_path / "box.dae").write_text(_DAE.replace('count="24"', 'count="3"'))
    scene = load([tmp_path / "box.dae"])
    assert scene.faces == 12 and scene.info["source_file"] == "box.dae"
    lo, hi = scene.bounds
    assert np.allclose(hi - lo, 1.0, atol=1e-6)
    assert any("declared a count" in w for w in scene.warnings)
    assert not list(tmp_path.glob(".fixed-*"))


# --- broken files: a clean sentence, the traceback only in the debug log -----------------------------


def test_gltf_indices_past_the_vertex_array(tmp_path):
    scene = load(_gltf(tmp_path, mode=4, indices=[0, 1, 2, 0, 2, 255]))
    assert scene.faces == 1
    assert any("named vertices the file does not have" in w for w in scene.warnings)
    with pytest.raises(InvalidScan, match="index data is damaged"):
        load(_gltf(tmp_path, mode=4, indices=[0, 1, 200, 0, 2, 255]))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.update(meshes="box"), id="meshes-a-string"),
        pytest.param(lambda d: d.update(accessors={"0": 1}), id="accessors-an-object"),
        pytest.param(lambda d: d["meshes"][0].update(primitives=[7]), id="primitive-a-number"),
        pytest.param(lambda d: d.update(buffers=[{"byteLength": "many", "uri": 3}]), id="buffer-wrong-types"),
    ],
)
def test_malformed_gltf_json_is_one_sentence(tmp_path, caplog, change):
    files = _gltf(tmp_path, mode=4, indices=[0, 1, 2])
    doc = json.loads(files[0].read_text())
    change(doc)
    files[0].write_text(json.dumps(doc))
    with caplog.at_level(logging.DEBUG), pytest.raises(HeritageError) as err:
        load(files)
    assert "\n" not in err.value.message and "quad.gltf" in err.value.message
    _no_traceback_shown(caplog)


def test_ply_shorter_than_its_header_is_one_sentence(tmp_path, caplog):
    head = b"ply\nformat binary_little_endian 1.0\nelement vertex 1000\nproperty float x\nproperty float y\n"
    head += b"property float z\nelement face 2000\nproperty list uchar int vertex_indices\nend_header\n"
    (tmp_path / "short.ply").write_bytes(head + struct.pack("<9f", *range(9)))
    with caplog.at_level(logging.DEBUG), pytest.raises(HeritageError):
        load([tmp_path / "short.ply"])
    _no_traceback_shown(caplog)


def test_obj_face_indices_out_of_range(tmp_path, caplog):
    (tmp_path / "bad.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 9\nf 4 5 6\n")
    with caplog.at_level(logging.DEBUG):
        try:
            scene = load([tmp_path / "bad.obj"])
        except HeritageError as e:
            assert "\n" not in e.message
        else:
            assert scene.faces == 1
    _no_traceback_shown(caplog)


def test_a_zip_with_a_damaged_entry_name_is_one_sentence(tmp_path):
    """Found by fuzzing a 3MF: zipfile raises UnicodeDecodeError, not BadZipFile."""
    import zipfile

    from service.pipeline.exchange.archive import collect

    with zipfile.ZipFile(tmp_path / "scan.zip", "w") as z:
        z.writestr("3D/\u00fc.model", "<model/>")
    data = (tmp_path / "scan.zip").read_bytes().replace("\u00fc".encode(), b"\x88\x88")
    (tmp_path / "scan.zip").write_bytes(data)
    with pytest.raises(HeritageError, match="scan.zip"):
        load([tmp_path / "scan.zip"])
    with pytest.raises(HeritageError, match="not a readable zip"):
        collect([tmp_path / "scan.zip"], tmp_path / "work")


# --- UV wrap-around faces: the sample vase and uploads ---------------------------------------------


def _unsplit_cylinder() -> trimesh.Trimesh:
    mesh = trimesh.creation.cylinder(radius=1.0, height=2.0, sections=32)
    angle = np.arctan2(mesh.vertices[:, 1], mesh.vertices[:, 0])
    uv = np.column_stack([(angle / (2 * np.pi)) % 1.0, mesh.vertices[:, 2] / 2 + 0.5])
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv)
    return mesh


def test_uv_wrap_faces_are_found_on_an_unsplit_seam_only():
    assert len(wrapped_faces(_unsplit_cylinder())) >= 2
    box = trimesh.creation.box()
    box.visual = trimesh.visual.TextureVisuals(uv=np.tile([[0, 0], [1, 0], [1, 1]], (3, 1))[: len(box.vertices)])
    assert len(wrapped_faces(box)) == 0


def test_uv_wrap_is_a_manifest_warning_and_the_sample_vase_has_none():
    scene = Scene(meshes=[_unsplit_cylinder()])
    warn_uv_wrap(scene)
    assert any("wrap around the texture" in w for w in scene.warnings)
    vase = load([REPO / "assets" / "samples" / "vase.glb"])
    assert not any("wrap around" in w for w in vase.warnings)


# --- assimp as the fallback reader, recorded in the manifest ---------------------------------------


def test_reader_is_recorded(tmp_path):
    (tmp_path / "box.dae").write_text(_DAE)
    manifest = process([tmp_path / "box.dae"], tmp_path / "out", options={"previews": False})
    assert manifest["source"]["reader"] in ("trimesh", "assimp")
    (tmp_path / "t.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    assert load([tmp_path / "t.obj"]).info["reader"] == "trimesh"
