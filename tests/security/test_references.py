"""Finding 4: a reference inside an upload never reads a file outside it.

USD asset paths (absolute `@/...@` and `@../...@`, textures and sublayers), OBJ
material files and their textures, glTF `uri`s: resolved inside the upload or
refused with a reason. The secret texture is bright magenta, so a leak would be
visible in the output's colours.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from service.errors import HeritageError
from service.pipeline.flows import process
from tests.conftest import run_jobs
from tests.fixtures import checker_png
from tests.fixtures import textured_box_obj
from tests.security.conftest import upload

USDA = """#usda 1.0
(
    upAxis = "Y"
    {sublayers}
)
def Mesh "m" (prepend apiSchemas = ["MaterialBindingAPI"])
{{
    int[] faceVertexCounts = [3, 3]
    int[] faceVertexIndices = [0, 1, 2, 0, 2, 3]
    point3f[] points = [(0, 0, 0), (0.1, 0, 0), (0.1, 0.1, 0), (0, 0.1, 0)]
    texCoord2f[] primvars:st = [(0, 0), (1, 0), (1, 1), (0, 1)] (interpolation = "vertex")
    rel material:binding = </Mat>
}}
def Material "Mat"
{{
    token outputs:surface.connect = </Mat/PBR.outputs:surface>
    def Shader "PBR"
    {{
        uniform token info:id = "UsdPreviewSurface"
        color3f inputs:diffuseColor.connect = </Mat/Tex.outputs:rgb>
        token outputs:surface
    }}
    def Shader "Tex"
    {{
        uniform token info:id = "UsdUVTexture"
        asset inputs:file = @{texture}@
        float2 inputs:st.connect = </Mat/Reader.outputs:result>
        float3 outputs:rgb
    }}
    def Shader "Reader"
    {{
        uniform token info:id = "UsdPrimvarReader_float2"
        token inputs:varname = "st"
        float2 outputs:result
    }}
}}
"""


@pytest.fixture
def secret(tmp_path) -> Path:
    """A server file outside every upload."""
    folder = tmp_path / "server-secrets"
    folder.mkdir()
    Image.new("RGB", (16, 16), (255, 0, 255)).save(folder / "secret.png")
    (folder / "other.usda").write_text('#usda 1.0\ndef Xform "leak" {}\n')
    return folder / "secret.png"


def _has_magenta(glb: Path) -> bool:
    import trimesh

    for mesh in trimesh.load(glb).geometry.values():
        image = getattr(getattr(mesh.visual, "material", None), "baseColorTexture", None)
        if image is not None and (255, 0, 255) in [c for _, c in image.convert("RGB").getcolors(1 << 16)]:
            return True
    return False


def _upload_dir(tmp_path: Path) -> Path:
    up = tmp_path / "upload"
    up.mkdir()
    return up


def _refused(files: list[Path], out: Path, code: str) -> str:
    with pytest.raises(HeritageError) as got:
        process(files, out)
    assert got.value.code == code, got.value.message
    return got.value.message


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_usda_texture_outside_the_upload_is_refused(tmp_path, secret, form):
    up = _upload_dir(tmp_path)
    texture = str(secret) if form == "absolute" else "../server-secrets/secret.png"
    (up / "evil.usda").write_text(USDA.format(texture=texture, sublayers=""))
    message = _refused([up / "evil.usda"], tmp_path / "out", "unsafe_reference")
    assert "outside the upload" in message and "evil.usda" in message
    assert not (tmp_path / "out" / "master.glb").exists()


def test_usda_etc_path_is_refused(tmp_path):
    up = _upload_dir(tmp_path)
    (up / "evil.usda").write_text(USDA.format(texture="/etc/hostname", sublayers=""))
    _refused([up / "evil.usda"], tmp_path / "out", "unsafe_reference")


def test_usda_sublayer_outside_the_upload_is_refused(tmp_path, secret):
    up = _upload_dir(tmp_path)
    (up / "texture.png").write_bytes(checker_png())
    other = secret.parent / "other.usda"
    (up / "evil.usda").write_text(USDA.format(texture="texture.png", sublayers=f"subLayers = [@{other}@]"))
    _refused([up / "evil.usda"], tmp_path / "out", "unsafe_reference")


def test_usda_texture_inside_the_upload_loads(tmp_path):
    up = _upload_dir(tmp_path)
    (up / "texture.png").write_bytes(checker_png())
    (up / "good.usda").write_text(USDA.format(texture="texture.png", sublayers=""))
    manifest = process([up / "good.usda"], tmp_path / "out")
    assert "master.glb" in manifest["files"]
    assert not _has_magenta(tmp_path / "out" / "master.glb")


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_obj_texture_outside_the_upload_is_not_read(tmp_path, secret, form):
    up = _upload_dir(tmp_path)
    target = str(secret) if form == "absolute" else "../server-secrets/secret.png"
    (up / "box.obj").write_text(textured_box_obj().replace("mtllib box material.mtl", "mtllib box.mtl"))
    (up / "box.mtl").write_text(f"newmtl painted\nKd 1 1 1\nmap_Kd {target}\n")
    _refused([up / "box.obj", up / "box.mtl"], tmp_path / "out", "missing_file")


def test_obj_material_file_outside_the_upload_is_not_read(tmp_path, secret):
    mtl = secret.parent / "box.mtl"
    mtl.write_text("newmtl painted\nKd 1 1 1\nmap_Kd secret.png\n")
    up = _upload_dir(tmp_path)
    (up / "box.obj").write_text(textured_box_obj().replace("mtllib box material.mtl", f"mtllib {mtl}"))
    manifest = process([up / "box.obj"], tmp_path / "out")
    assert any("not in the upload" in w for w in manifest["warnings"])
    assert not _has_magenta(tmp_path / "out" / "master.glb")  # the outside material's texture was not read


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_gltf_uri_outside_the_upload_is_refused(tmp_path, secret, form):
    import trimesh

    up = _upload_dir(tmp_path)
    box = trimesh.creation.box()
    exported = trimesh.exchange.gltf.export_gltf(trimesh.Scene(box))
    doc = json.loads(exported["model.gltf"])
    for name, data in exported.items():
        if name != "model.gltf":
            (up / name).write_bytes(data)
    doc["images"] = [{"uri": str(secret) if form == "absolute" else "../server-secrets/secret.png"}]
    (up / "model.gltf").write_text(json.dumps(doc))
    _refused([up / "model.gltf", *[up / n for n in exported if n != "model.gltf"]], tmp_path / "out", "missing_file")


def test_usda_job_fails_with_a_reason(backend_app, backend_client, backend_auth, tmp_path, secret):
    """The same attack through the API: the job fails, nothing is published."""
    evil = tmp_path / "evil.usda"
    evil.write_text(USDA.format(texture=str(secret), sublayers=""))
    body = upload(backend_client, backend_auth, evil).get_json()
    assert run_jobs(backend_app) == 1
    art = backend_client.get(f"/api/v1/artefacts/{body['id']}", headers=backend_auth).get_json()
    assert art["status"] == "failed", art
    assert art["error"]["code"] == "unsafe_reference", art["error"]
    assert art["error"]["code"] == "unsafe_reference" and "outside the upload" in art["error"]["message"]
    assert backend_app.extensions["store"].keys(f"derivatives/{body['id']}/") == []
