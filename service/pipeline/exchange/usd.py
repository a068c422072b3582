"""
usd.py
------

Read USDZ, USDC and USDA with the official `pxr` bindings (usd-core): every
`UsdGeom.Mesh` in world space, polygons fan-triangulated, `st` UVs (vertex
or faceVarying), `displayColor`, and the textures of a bound
UsdPreviewSurface (diffuse with alpha, normal, occlusion, emissive,
roughness/metallic), read from inside the package, so a USDZ we wrote comes
back with the look it left with. The stage's metersPerUnit and upAxis
become the Scene's unit and up axis.

Asset paths are checked against the upload: every layer the stage uses and
every texture must resolve inside the main file's folder (or its USDZ
package), or the load is refused (`references.refuse_outside`). USD's
resolver would otherwise follow `@/etc/...@` or `@../../x.png@` anywhere.
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
from service.pipeline.exchange.references import inside
from service.pipeline.exchange.references import refuse_outside
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
    _check_layers(stage, path)
    cache = UsdGeom.XformCache()
    meshes = []
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Mesh) and UsdGeom.Imageable(prim).ComputeVisibility() != UsdGeom.Tokens.invisible:
            mesh = _mesh(UsdGeom.Mesh(prim), cache.GetLocalToWorldTransform(prim), max_image_pixels, path)
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


def _check_layers(stage, main: Path) -> None:
    """Refuse a stage that composes a layer from outside the upload (sublayers, references, payloads)."""
    for layer in stage.GetUsedLayers():
        real = layer.realPath
        if real and not inside(_package_of(real), main.parent):
            raise refuse_outside(main, layer.identifier)


def _package_of(resolved: str) -> str:
    """The file a resolved path lives in: `pkg.usdz[textures/a.png]` lives in `pkg.usdz`."""
    return resolved.split("[", 1)[0] if resolved.endswith("]") else resolved


def _mesh(geom, world, max_image_pixels: int, main: Path) -> trimesh.Trimesh | None:
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
    mat = _material(geom, max_image_pixels, main) if uv is not None else None
    if mat is not None:
        mat.doubleSided = bool(geom.GetDoubleSidedAttr().Get())
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


def _material(geom, max_image_pixels: int, main: Path) -> PBRMaterial | None:
    """The bound UsdPreviewSurface as a glTF PBR material, when it reads any texture.

    Reads what `usd_material.py` writes (and what Reality Converter and three.js
    write): diffuse (+ alpha), normal, occlusion, emissive, and roughness/metallic
    from the G/B channels of one texture or from separate single-channel ones.
    """
    from pxr import UsdShade

    material, _ = UsdShade.MaterialBindingAPI(geom.GetPrim()).ComputeBoundMaterial()
    surface = material.ComputeSurfaceSource()[0] if material else None
    if not surface:
        return None
    images: dict[str, Image.Image] = {}

    def source(name: str):
        """(image, output name, texture shader) connected to a surface input, else (None, None, None)."""
        inp = surface.GetInput(name)
        if not inp or not inp.HasConnectedSource():
            return None, None, None
        shader, output, _ = inp.GetConnectedSource()
        shader = UsdShade.Shader(shader.GetPrim())
        file_input = shader.GetInput("file")
        asset = file_input.Get() if file_input else None
        if asset is None or not asset.resolvedPath:
            return None, None, None
        if not inside(_package_of(asset.resolvedPath), main.parent):
            raise refuse_outside(main, asset.path)
        if asset.resolvedPath not in images:
            images[asset.resolvedPath] = _image(asset.resolvedPath, max_image_pixels)
        return images[asset.resolvedPath], output, shader

    def value(name: str, default):
        inp = surface.GetInput(name)
        got = inp.Get() if inp and not inp.HasConnectedSource() else None
        return default if got is None else got

    base, _, base_shader = source("diffuseColor")
    slots = {"baseColorTexture": base}
    slots["normalTexture"] = source("normal")[0]
    slots["occlusionTexture"] = source("occlusion")[0]
    slots["emissiveTexture"] = source("emissiveColor")[0]
    slots["metallicRoughnessTexture"] = _metallic_roughness(source("roughness")[:2], source("metallic")[:2])
    if not any(image is not None for image in slots.values()):
        return None
    mat = PBRMaterial(
        **{k: v for k, v in slots.items() if v is not None},
        baseColorFactor=_base_factor(base_shader, value("diffuseColor", (1.0, 1.0, 1.0)), value("opacity", 1.0)),
        metallicFactor=1.0 if slots["metallicRoughnessTexture"] is not None else float(value("metallic", 0.0)),
        roughnessFactor=1.0 if slots["metallicRoughnessTexture"] is not None else float(value("roughness", 0.5)),
        emissiveFactor=[1.0] * 3 if slots["emissiveTexture"] is not None else list(value("emissiveColor", (0, 0, 0))),
    )
    opacity, output, _ = source("opacity")
    threshold = float(value("opacityThreshold", 0.0))
    if (opacity is not None and opacity is base and output == "a") or value("opacity", 1.0) < 1.0:
        mat.alphaMode = "MASK" if threshold > 0 else "BLEND"
        if threshold > 0:
            mat.alphaCutoff = threshold
    return mat


def _image(resolved: str, max_image_pixels: int) -> Image.Image:
    from pxr import Ar

    data = Ar.GetResolver().OpenAsset(Ar.ResolvedPath(resolved)).GetBuffer()
    image = Image.open(io.BytesIO(bytes(data)))
    if image.size[0] * image.size[1] <= max_image_pixels:
        image.load()  # else finish() reports it with the limit
    return image


def _base_factor(shader, colour, opacity: float) -> list[int]:
    # a texture's `scale` is how three.js writes a colour factor; a constant colour otherwise
    scale = shader.GetInput("scale") if shader else None
    if shader:
        rgba = list(scale.Get()) if scale and scale.Get() is not None else [1.0] * 4
    else:
        rgba = list(colour) + [1.0]
    rgba[3] *= float(opacity)  # a constant opacity (a connected one reads as 1)
    return [int(round(min(max(c, 0.0), 1.0) * 255)) for c in rgba]


def _metallic_roughness(roughness, metallic) -> Image.Image | None:
    """A glTF metallic-roughness image (G roughness, B metallic) from two connected channels."""
    (rough, r_out), (metal, m_out) = roughness, metallic
    if rough is None and metal is None:
        return None
    if rough is metal and (r_out, m_out) == ("g", "b"):
        return rough  # already packed the glTF way
    size = (rough or metal).size
    channel = lambda image, out, default: (  # noqa: E731
        image.convert("RGBA").getchannel("RGBA".index(out.upper()))
        if image is not None and image.size == size and out in ("r", "g", "b", "a")
        else Image.new("L", size, default)
    )
    return Image.merge("RGB", (Image.new("L", size, 255), channel(rough, r_out, 255), channel(metal, m_out, 0)))


LOADERS = {"usdz": load_usd, "usdc": load_usd, "usda": load_usd}
