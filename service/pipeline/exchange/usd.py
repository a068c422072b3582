"""
usd.py
------

Read USDZ, USDC and USDA with the official `pxr` bindings (usd-core): every
`UsdGeom.Mesh` in world space, polygons fan-triangulated, `st` UVs (vertex
or faceVarying), `displayColor`, and the diffuse texture of a bound
UsdPreviewSurface, read from inside the package. The stage's metersPerUnit
and upAxis become the Scene's unit and up axis.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial

from service.errors import InvalidScan
from service.pipeline.exchange.meshes import finish
from service.pipeline.exchange.meshes import short
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)

_UNITS = {1.0: "m", 0.01: "cm", 0.001: "mm", 0.0254: "in", 0.3048: "ft"}


def load_usd(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int) -> Scene:
    """Read a USD stage (package or layer) into a Scene."""
    from pxr import Usd
    from pxr import UsdGeom

    try:
        stage = Usd.Stage.Open(str(path))
    except Exception as e:  # noqa: BLE001 - Tf errors for any unreadable layer
        raise InvalidScan(f"load: {path.name!r} could not be read as USD ({short(e)})") from None
    if stage is None:
        raise InvalidScan(f"load: {path.name!r} could not be read as USD")
    cache = UsdGeom.XformCache()
    meshes = []
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Mesh) and UsdGeom.Imageable(prim).ComputeVisibility() != UsdGeom.Tokens.invisible:
            mesh = _mesh(UsdGeom.Mesh(prim), cache.GetLocalToWorldTransform(prim), max_image_pixels)
            if mesh is not None:
                meshes.append(mesh)
    if not meshes:
        raise InvalidScan(f"load: {path.name!r} contains no meshes")
    mpu = round(float(UsdGeom.GetStageMetersPerUnit(stage)), 6)
    up = "+" + str(UsdGeom.GetStageUpAxis(stage))
    # an unauthored upAxis reads as the fallback Y: a convention, not a statement
    info = {"source_format": fmt, "source_file": path.name, "up_in_file": bool(stage.HasAuthoredMetadata("upAxis"))}
    scene = Scene(meshes=meshes, unit=_UNITS.get(mpu), up=up, info=info)
    if scene.unit is None:
        scene.apply_transform(np.diag([mpu, mpu, mpu, 1.0]))
        scene.unit = "m"
    return finish(scene, max_faces=max_faces, max_image_pixels=max_image_pixels)


def _mesh(geom, world, max_image_pixels: int) -> trimesh.Trimesh | None:
    from pxr import UsdGeom

    points = np.asarray(geom.GetPointsAttr().Get() or [], dtype=np.float64)
    counts = np.asarray(geom.GetFaceVertexCountsAttr().Get() or [], dtype=np.int64)
    indices = np.asarray(geom.GetFaceVertexIndicesAttr().Get() or [], dtype=np.int64)
    if len(points) == 0 or len(counts) == 0:
        return None
    corners = _fan(counts)  # (n, 3) indices into the face-vertex list
    matrix = np.asarray(world, dtype=np.float64).T  # Gf matrices are row-vector
    if geom.GetOrientationAttr().Get() == UsdGeom.Tokens.leftHanded:
        corners = corners[:, ::-1]
    st = UsdGeom.PrimvarsAPI(geom).GetPrimvar("st")
    uv = None
    if st and st.HasValue():
        values = np.asarray(st.ComputeFlattened(), dtype=np.float64)
        interp = st.GetInterpolation()
        if interp == UsdGeom.Tokens.faceVarying and len(values) == len(indices):
            uv = values
        elif len(values) == len(points):
            uv = values[indices]
    colour = UsdGeom.PrimvarsAPI(geom).GetPrimvar("displayColor")
    vcol = None
    if colour and colour.HasValue() and colour.GetInterpolation() in (UsdGeom.Tokens.vertex, UsdGeom.Tokens.varying):
        values = np.asarray(colour.ComputeFlattened(), dtype=np.float64)
        if len(values) == len(points):
            vcol = values[indices]
    # one vertex per face corner; the weld step merges them again
    vertices = points[indices][corners.ravel()]
    faces = np.arange(len(vertices)).reshape(-1, 3)
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    image = _texture(geom, max_image_pixels)
    if uv is not None and image is not None:
        mat = PBRMaterial(baseColorTexture=image, baseColorFactor=[255] * 4, metallicFactor=0.0, roughnessFactor=1.0)
        mesh.visual = trimesh.visual.TextureVisuals(uv=uv[corners.ravel()], material=mat)
    elif vcol is not None:
        rgb = (np.clip(vcol[corners.ravel()], 0, 1) * 255).round().astype(np.uint8)
        mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=np.column_stack([rgb, np.full(len(rgb), 255)]))
    mesh.apply_transform(matrix)
    mesh.metadata["name"] = geom.GetPrim().GetName()
    return mesh


def _fan(counts: np.ndarray) -> np.ndarray:
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    tris = []
    for k in range(1, int(counts.max()) - 1):
        sel = counts > k + 1
        s = starts[sel]
        tris.append(np.column_stack([s, s + k, s + k + 1]))
    # keep faces in source order: sort by first corner
    out = np.concatenate(tris)
    return out[np.argsort(out[:, 0], kind="stable")]


def _texture(geom, max_image_pixels: int):
    from pxr import Ar
    from pxr import UsdShade

    material, _ = UsdShade.MaterialBindingAPI(geom.GetPrim()).ComputeBoundMaterial()
    if not material:
        return None
    surface = material.ComputeSurfaceSource()[0]
    if not surface:
        return None
    diffuse = surface.GetInput("diffuseColor")
    if not diffuse or not diffuse.HasConnectedSource():
        return None
    source = diffuse.GetConnectedSource()[0]
    file_input = UsdShade.Shader(source.GetPrim()).GetInput("file")
    asset = file_input.Get() if file_input else None
    if asset is None or not asset.resolvedPath:
        return None
    data = Ar.GetResolver().OpenAsset(Ar.ResolvedPath(asset.resolvedPath)).GetBuffer()
    image = Image.open(io.BytesIO(bytes(data)))
    if image.size[0] * image.size[1] > max_image_pixels:
        return image  # finish() reports it with the limit
    image.load()
    return image


LOADERS = {"usdz": load_usd, "usdc": load_usd, "usda": load_usd}
