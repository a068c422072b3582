"""
usdz.py
-------

Write the AR level as USDZ for iOS Quick Look, and check it the way ARKit
would: a usdc root layer, entries stored uncompressed and 64-byte aligned,
PNG/JPEG textures only, defaultPrim, metersPerUnit and upAxis authored,
plus 0 errors from every `pxr.UsdValidation` validator. usd-core 26.11 has
no ARKit checker any more (research §5), so those packaging rules are ours.

Authoring follows the recipe measured in research §5: UsdPreviewSurface
fed by UsdUVTexture and a UsdPrimvarReader_float2 whose `varname` is a
String (every glTF PBR map: see `usd_material.py`); vertex-coloured scans
use `displayColor` through a UsdPrimvarReader_float3.
"""

from __future__ import annotations

import logging
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from service.errors import InvalidScan
from service.pipeline.derive.rights import usd_layer_data
from service.pipeline.derive.usd_material import TextureFiles
from service.pipeline.derive.usd_material import author_material
from service.pipeline.scene import Scene
from service.pipeline.scene import corner_colours
from service.pipeline.scene import normals_of

log = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = {".usdc", ".usda", ".usd", ".png", ".jpg", ".jpeg", ".m4a", ".mp3", ".wav"}
ALIGN = 64


def write_usdz(scene: Scene, path: str | Path, *, metadata: dict, texture_size: int | None = 2048) -> Path:
    """Author `scene` (metres, +Y up) as a USDZ package at `path` and return the path.

    Parameters
    ----------
    scene : Scene
    path : path
      Output `.usdz`.
    metadata : dict
      Catalogue metadata, written into the root layer's customLayerData.
    texture_size : int or None
      Longest texture side in pixels.
    """
    from pxr import Sdf
    from pxr import Usd
    from pxr import UsdGeom
    from pxr import UsdUtils

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="usdz-") as tmp:
        layer = Path(tmp) / "model.usdc"
        stage = Usd.Stage.CreateNew(str(layer))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        root = UsdGeom.Xform.Define(stage, "/Root")
        Usd.ModelAPI(root.GetPrim()).SetKind("component")
        stage.SetDefaultPrim(root.GetPrim())
        stage.GetRootLayer().customLayerData = usd_layer_data(metadata)
        files = TextureFiles(Path(tmp), texture_size)
        for i, mesh in enumerate(scene.meshes):
            _author_mesh(stage, mesh, i, files)
        stage.GetRootLayer().Save()
        if path.exists():
            path.unlink()
        if not UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(layer)), str(path)):
            raise InvalidScan(f"usdz: packaging {path.name} failed; this is a bug in the pipeline")
    _fixed_zip_times(path)
    log.info("write_usdz: %s, %d faces, %d bytes", path.name, scene.faces, path.stat().st_size)
    return path


def _author_mesh(stage, mesh, i: int, files: TextureFiles) -> None:
    from pxr import Gf
    from pxr import Sdf
    from pxr import UsdGeom
    from pxr import UsdShade
    from pxr import Vt

    visual = mesh.visual
    if visual.kind == "face":
        mesh = corner_colours(mesh)
        visual = mesh.visual
    geom = UsdGeom.Mesh.Define(stage, f"/Root/Geom/mesh_{i}")
    points = np.asarray(mesh.vertices, dtype=np.float32)
    geom.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    geom.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(mesh.faces), 3, dtype=np.int32)))
    geom.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.asarray(mesh.faces, dtype=np.int32).ravel()))
    geom.CreateExtentAttr([Gf.Vec3f(*map(float, points.min(axis=0))), Gf.Vec3f(*map(float, points.max(axis=0)))])
    geom.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    geom.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.asarray(normals_of(mesh), dtype=np.float32)))
    geom.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    if getattr(getattr(visual, "material", None), "doubleSided", False):
        geom.CreateDoubleSidedAttr(True)
    primvars = UsdGeom.PrimvarsAPI(geom)
    material, uses_st = author_material(stage, f"/Root/Materials/material_{i}", visual, files)
    if uses_st:
        st = primvars.CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex)
        st.Set(Vt.Vec2fArray.FromNumpy(np.asarray(visual.uv, dtype=np.float32)))
    elif visual.kind == "vertex":
        colours = np.asarray(visual.vertex_colors, dtype=np.float32) / 255.0
        display = primvars.CreatePrimvar("displayColor", Sdf.ValueTypeNames.Color3fArray, UsdGeom.Tokens.vertex)
        display.Set(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(colours[:, :3])))
    UsdShade.MaterialBindingAPI.Apply(geom.GetPrim()).Bind(material)


def _fixed_zip_times(path: Path) -> None:
    # the packager stamps entries with the current time; zero the DOS time and
    # date fields in place (local and central headers) so the same scan gives
    # the same bytes, without moving the 64-byte aligned data
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    if end < 0:
        return
    (count,) = struct.unpack_from("<H", data, end + 10)
    (offset,) = struct.unpack_from("<I", data, end + 16)
    for _ in range(count):
        if data[offset : offset + 4] != b"PK\x01\x02":
            return
        struct.pack_into("<HH", data, offset + 12, 0, 0x21)  # 1980-01-01 00:00
        (local,) = struct.unpack_from("<I", data, offset + 42)
        if data[local : local + 4] == b"PK\x03\x04":
            struct.pack_into("<HH", data, local + 10, 0, 0x21)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, offset + 28)
        offset += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))


def check_usdz(path: str | Path) -> dict:
    """Check a USDZ against pxr.UsdValidation and the ARKit packaging rules.

    Returns
    -------
    report : dict
      {"errors": int, "messages": [str], "validators": int, "arkit": {rule: bool}}
    """
    from pxr import Usd
    from pxr import UsdGeom
    from pxr import UsdValidation

    path = Path(path)
    messages: list[str] = []
    arkit = _package_rules(path, messages)
    try:
        stage = Usd.Stage.Open(str(path))
    except Exception as e:  # noqa: BLE001 - Tf raises its own error types for broken packages
        messages.append(f"usdz: the package cannot be opened ({str(e).strip().splitlines()[-1][:200]})")
        arkit.update(default_prim=False, meters_per_unit=False, up_axis=False)
        return {"errors": len(messages), "messages": messages[:20], "validators": 0, "arkit": arkit}
    arkit["default_prim"] = bool(stage.GetDefaultPrim())
    arkit["meters_per_unit"] = stage.HasAuthoredMetadata("metersPerUnit")
    arkit["up_axis"] = stage.HasAuthoredMetadata("upAxis") and UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    for rule in ("default_prim", "meters_per_unit", "up_axis"):
        if not arkit[rule]:
            messages.append(f"usdz: {rule.replace('_', ' ')} missing")
    registry = UsdValidation.ValidationRegistry()
    validators = registry.GetOrLoadAllValidators()
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    for err in errors:
        if err.GetType() == UsdValidation.ValidationErrorType.Error:
            messages.append(f"UsdValidation {err.GetName()}: {err.GetMessage()[:200]}")
    return {"errors": len(messages), "messages": messages[:20], "validators": len(validators), "arkit": arkit}


def _package_rules(path: Path, messages: list[str]) -> dict:
    rules = {"root_usdc": False, "stored": True, "aligned": True, "file_types": True}
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    rules["root_usdc"] = bool(infos) and infos[0].filename.endswith(".usdc")
    for info in infos:
        ext = Path(info.filename).suffix.lower()
        if info.compress_type != zipfile.ZIP_STORED:
            rules["stored"] = False
            messages.append(f"usdz: {info.filename} is compressed; ARKit needs stored entries")
        name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
        if (info.header_offset + 30 + name_len + extra_len) % ALIGN:
            rules["aligned"] = False
            messages.append(f"usdz: {info.filename} is not {ALIGN}-byte aligned")
        if ext not in ALLOWED_EXTENSIONS:
            rules["file_types"] = False
            messages.append(f"usdz: {info.filename} has a type ARKit does not read (use PNG or JPEG)")
    if not rules["root_usdc"]:
        messages.append("usdz: the first file in the package must be the .usdc root layer")
    return rules
