"""
meshes.py
---------

Load mesh files through trimesh into a `Scene`, with the checks every
loader needs: finite coordinates, at least one face, the face limit, the
texture pixel limit, Draco that really decoded, and materials that look
like the source (trimesh pitfalls 2 and 3 in research/feasibility-geometry.md:
the silent 0.4 diffuse factor and the missing metallicFactor that glTF reads
as fully metallic).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import trimesh
from trimesh.visual.material import PBRMaterial
from trimesh.visual.material import SimpleMaterial

from service.errors import InvalidImage
from service.errors import InvalidScan
from service.errors import ScanTooLarge
from service.errors import UnreadableScan
from service.messages import Message
from service.pipeline.constants import DEFAULT_MAX_FACES
from service.pipeline.constants import DEFAULT_MAX_IMAGE_PIXELS
from service.pipeline.exchange.glb import read_glb
from service.pipeline.exchange.gltf_fix import fixed_copy
from service.pipeline.exchange.references import UploadResolver
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)

# file formats whose convention is +Z up (CAD, 3D printing, most scanners' STL)
Z_UP = {"stl", "3mf"}
# formats whose specification fixes the up axis (+Y): orient_up trusts them
# instead of detecting; every other format only has a convention
UP_IN_FILE = {"glb", "gltf"}

# beyond these a value is damage, not data (1e9 mm is 1,000 km; vertex welding rounds coordinates
# to 8 decimals in int64, which overflows above ~1e10); UVs tile a few times at most
MAX_COORDINATE = 1e9
MAX_UV = 1e4

# PBRMaterial attributes that hold images
TEXTURE_SLOTS = ("baseColorTexture", "normalTexture", "occlusionTexture", "metallicRoughnessTexture", "emissiveTexture")


def load_trimesh(
    path: Path, fmt: str, *, max_faces: int = DEFAULT_MAX_FACES, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
) -> Scene:
    """Read a mesh file with trimesh and return a Scene in the file's own units.

    Parameters
    ----------
    path : Path
      The main file; sibling files (MTL, textures, .bin) are resolved next to it.
    fmt : str
      Format found by `sniff` (trimesh file_type name).
    max_faces : int
      Refuse scans with more faces than this.
    max_image_pixels : int
      Refuse textures with more pixels than this.
    """
    draco = fmt == "glb" and _check_draco(path)
    fixed = fixed_copy(path, fmt) if fmt in ("gltf", "glb") else None
    try:
        loaded = trimesh.load(str(fixed or path), file_type=fmt, process=False, **_resolver(path, fmt))
    except Exception as e:
        log.debug("load: %s failed", path.name, exc_info=True)
        raise UnreadableScan(
            f"load: {path.name!r} could not be read as {fmt.upper()} ({short(e)}); "
            "check that the file is complete and exported correctly"
        ) from None
    finally:
        if fixed is not None:
            fixed.unlink(missing_ok=True)
    meshes = meshes_of(loaded)
    if not meshes:
        raise UnreadableScan(f"load: {path.name!r} contains no triangles; upload a mesh, not only points or lines")
    if draco and any(not m.vertices.any() for m in meshes):
        raise InvalidScan(f"load: the Draco geometry in {path.name!r} decoded to zeros; re-export it without Draco")
    info = {"source_format": fmt, "source_file": path.name, "up_in_file": fmt in UP_IN_FILE, "reader": "trimesh"}
    scene = Scene(meshes=meshes, up="+Z" if fmt in Z_UP else "+Y", info=info)
    if fmt == "dae":
        collada_asset(path, scene)
    return finish(scene, max_faces=max_faces, max_image_pixels=max_image_pixels)


def _resolver(path: Path, fmt: str) -> dict:
    # OBJ side files named the Windows way (`.\\maps\\A.JPG`) are found inside the upload
    return {"resolver": UploadResolver(path.parent)} if fmt == "obj" else {}


def collada_asset(path: Path, scene: Scene) -> None:
    """Take a COLLADA file's declared `<up_axis>`, which trimesh does not apply; trusted like glTF's.

    Its `<unit meter=...>` is left alone: the Khronos duck declares centimetres over
    coordinates that would make it 22 m long (its glTF twin is 1.7 m).
    """
    with open(path, "rb") as f:
        head = f.read(64 * 1024).decode("utf-8", errors="replace")
    asset = re.search(r"<asset>(.*?)</asset>", head, re.S)
    up = asset and re.search(r"<up_axis>\s*([XYZ])_UP\s*</up_axis>", asset.group(1))
    if up:
        scene.up = "+" + up.group(1)
        scene.info["up_in_file"] = True


def finish(scene: Scene, *, max_faces: int, max_image_pixels: int) -> Scene:
    """Checks and material fixes every loader ends with."""
    drop_bad_indices(scene)
    check(scene, max_faces=max_faces)
    for m in scene.meshes:
        check_textures(m, max_image_pixels=max_image_pixels)
        fix_material(m)
        uv = getattr(m.visual, "uv", None)
        if uv is not None:
            uv = np.asarray(uv, dtype=np.float64)
            wild = ~np.isfinite(uv) | (np.abs(uv) > MAX_UV)
            if wild.any():
                bad = int(wild.any(axis=1).sum())
                m.visual.uv = np.where(wild, 0.0, uv)
                scene.warnings.append(Message("load_bad_uv", bad=bad))
        normals = m._cache.cache.get("vertex_normals")
        if normals is not None and not np.isfinite(normals).all():
            # a broken NORMAL attribute: `repair` computes fresh ones
            m._cache.cache.pop("vertex_normals", None)
    scene.info.setdefault("faces", scene.faces)
    scene.info.setdefault("vertices", scene.vertices)
    return scene


def drop_bad_indices(scene: Scene) -> None:
    """Drop faces that name vertices the file does not have (a truncated or miscounted index buffer)."""
    kept = []
    for m in scene.meshes:
        faces = np.asarray(m.faces)
        bad = (faces < 0).any(axis=1) | (faces >= len(m.vertices)).any(axis=1)
        if bad.any():
            scene.warnings.append(
                Message("load_bad_indices", bad=int(bad.sum()), faces=len(faces), vertices=len(m.vertices))
            )
            if bad.all():
                continue
            m.update_faces(~bad)
            m.remove_unreferenced_vertices()
        kept.append(m)
    if scene.meshes and not kept:
        raise InvalidScan("load: every face names vertices the file does not have; the index data is damaged, "
                          "re-export the scan")
    scene.meshes = kept


def meshes_of(loaded) -> list[trimesh.Trimesh]:
    """Triangle meshes of a trimesh load result, in world coordinates (instances repeated)."""
    if isinstance(loaded, trimesh.Scene):
        geoms = loaded.dump(concatenate=False)
    else:
        geoms = [loaded]
    return [g for g in geoms if isinstance(g, trimesh.Trimesh) and len(g.faces) > 0]


def check(scene: Scene, *, max_faces: int) -> None:
    """Raise a readable error for scans we must not process."""
    check_face_limit(scene.faces, max_faces=max_faces)
    for m in scene.meshes:
        shape = np.shape(m.vertices)
        if len(shape) != 2 or shape[1] != 3:
            # e.g. a glTF POSITION accessor declared VEC2: every later step needs x, y and z
            raise InvalidScan(f"load: vertex positions have {shape[1] if len(shape) == 2 else 0} coordinates "
                              "each, not 3 (x, y, z); the file is damaged, re-export the scan")
        if not np.isfinite(m.vertices).all():
            bad = int((~np.isfinite(m.vertices)).any(axis=1).sum())
            raise InvalidScan(f"load: {bad:,} vertices have NaN or infinite coordinates; re-export the scan")
        if len(m.vertices) and np.abs(m.vertices).max() > MAX_COORDINATE:
            raise InvalidScan(
                f"load: coordinates reach {np.abs(m.vertices).max():.3g}, beyond any real object in any unit; "
                "the file is damaged, or re-export it in metres or moved near the origin"
            )


def check_face_limit(faces: int, *, max_faces: int) -> None:
    """Refuse empty scans and scans over the configured face limit."""
    if faces == 0:
        raise InvalidScan("load: the scan has zero faces; upload a mesh with triangles")
    if faces > max_faces:
        raise ScanTooLarge(
            f"load: {faces:,} faces is more than the limit of {max_faces:,}; decimate the scan before upload"
        )


def check_textures(mesh: trimesh.Trimesh, *, max_image_pixels: int) -> None:
    """Refuse textures above the pixel limit (they would exhaust memory downstream)."""
    for image in textures_of(mesh):
        w, h = image.size
        if w * h > max_image_pixels:
            raise InvalidImage(
                f"load: a texture is {w}x{h} = {w * h:,} pixels, over the limit of {max_image_pixels:,}; "
                "resize it (8192x8192 is plenty for a scan) and upload again"
            )


def textures_of(mesh: trimesh.Trimesh) -> list:
    """Distinct PIL images used by a mesh's material."""
    mat = getattr(mesh.visual, "material", None)
    if mat is None:
        return []
    found = []
    for slot in ("image",) + TEXTURE_SLOTS:
        image = getattr(mat, slot, None)
        if image is not None and all(image is not f for f in found):
            found.append(image)
    return found


def fix_material(mesh: trimesh.Trimesh) -> None:
    """Give a mesh a glTF PBR material that renders like its source: white factor, not metal."""
    visual = mesh.visual
    if not isinstance(visual, trimesh.visual.TextureVisuals):
        return
    mat = visual.material
    if isinstance(mat, PBRMaterial):
        factor = mat.baseColorFactor
        if factor is not None and len(factor) == 4 and factor[3] == 0:
            # assimp and some DCC exporters write opacity 0 for "no opacity set"
            mat.baseColorFactor = np.array([*factor[:3], 255], dtype=np.uint8)
            mat.alphaMode = "OPAQUE"
            log.warning("fix_material: %s had alpha 0 (invisible); made opaque", mat.name)
        if mat.metallicFactor is None:
            # glTF's default is 1.0 (metal); a scan is never metal unless the file says so
            mat.metallicFactor = 0.0 if mat.metallicRoughnessTexture is None else 1.0
        if mat.roughnessFactor is None:
            mat.roughnessFactor = 1.0
        clamp_factors(mat)
        return
    image = getattr(mat, "image", None)
    if isinstance(mat, SimpleMaterial) and image is None:
        factor = np.asarray(mat.diffuse, dtype=np.uint8)
    else:
        factor = np.array([255, 255, 255, 255], dtype=np.uint8)
    visual.material = PBRMaterial(
        name=getattr(mat, "name", None),
        baseColorTexture=image,
        baseColorFactor=factor,
        metallicFactor=0.0,
        roughnessFactor=1.0,
    )


def clamp_factors(mat: PBRMaterial) -> None:
    """Clamp every PBR factor to the range glTF allows.

    Exporters write what their own renderer tolerates: assimp turns a 3ds Max
    glossiness of 3.2 into roughnessFactor -2.2 and an emissive of pi into
    emissiveFactor 3.14, which the validator (and so our own derivatives) refuses.
    """
    for name in ("metallicFactor", "roughnessFactor", "alphaCutoff"):
        value = getattr(mat, name, None)
        if value is not None:
            fixed = float(np.clip(np.nan_to_num(float(value), nan=1.0), 0.0, 1.0))
            if fixed != value:
                log.info("fix_material: %s %s %r clamped to %g", mat.name, name, value, fixed)
            setattr(mat, name, fixed)
    emissive = getattr(mat, "emissiveFactor", None)
    if emissive is not None:
        mat.emissiveFactor = np.clip(np.nan_to_num(np.asarray(emissive, dtype=float)), 0.0, 1.0)
    base = getattr(mat, "baseColorFactor", None)
    if base is not None:
        # trimesh keeps it as uint8 already; floats from other paths are clamped first
        mat.baseColorFactor = np.clip(np.nan_to_num(np.asarray(base, dtype=float)), 0, 255).astype(np.uint8)


def _check_draco(path: Path) -> bool:
    # without DracoPy trimesh only warns and returns all-zero positions
    try:
        doc, _ = read_glb(path)
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
        return False  # trimesh reports the real parse error
    if "KHR_draco_mesh_compression" not in (doc.get("extensionsUsed") or []):
        return False
    try:
        import DracoPy  # noqa: F401
    except ImportError:
        raise InvalidScan(
            f"load: {path.name!r} is Draco-compressed and the Draco decoder is not installed; "
            "install DracoPy on the server"
        ) from None
    return True


def short(e: Exception) -> str:
    """First line of an exception, for messages."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


LOADERS = {fmt: load_trimesh for fmt in ("glb", "gltf", "obj", "stl", "dae", "3mf")}
