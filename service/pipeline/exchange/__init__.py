"""
exchange
--------

Readers and writers. `load(files)` finds the main file among an upload's
files by content, checks that its side files are there, and hands it to
the loader registered for its format. Each format module ends with a
`LOADERS` dict merged here: loader(path, fmt, *, max_faces, max_image_pixels) -> Scene.

Files from the wild (issue 15): whatever a loader raises that is not one of
our errors becomes one sentence (the traceback goes to the debug log), and
a file trimesh refuses is tried again with assimp; `source.reader` in the
manifest says which reader made the scene.
"""

from __future__ import annotations

import logging
from pathlib import Path

from service.errors import HeritageError
from service.errors import UnreadableScan
from service.errors import MissingFile
from service.errors import UnsupportedFormat
from service.messages import Message
from service.messages import replace_in
from service.pipeline.constants import DEFAULT_MAX_FACES
from service.pipeline.constants import DEFAULT_MAX_IMAGE_PIXELS
from service.pipeline.exchange import assimp
from service.pipeline.exchange.dae_fix import fixed_counts
from service.pipeline.exchange.fbx import LOADERS as _FBX_LOADERS
from service.pipeline.exchange.meshes import LOADERS as _MESH_LOADERS
from service.pipeline.exchange.meshes import short
from service.pipeline.exchange.meshes import textures_of
from service.pipeline.exchange.off import LOADERS as _OFF_LOADERS
from service.pipeline.exchange.ply import LOADERS as _PLY_LOADERS
from service.pipeline.exchange.points import LOADERS as _POINT_LOADERS
from service.pipeline.exchange.references import check_image_files
from service.pipeline.exchange.references import check_references
from service.pipeline.exchange.references import expects_texture
from service.pipeline.exchange.sniff import IMAGE_FORMATS
from service.pipeline.exchange.sniff import sniff
from service.pipeline.exchange.usd import LOADERS as _USD_LOADERS
from service.pipeline.scene import Scene
from service.pipeline.exchange.uv_wrap import warn_uv_wrap

log = logging.getLogger(__name__)

LOADERS = {**_MESH_LOADERS, **_PLY_LOADERS, **_OFF_LOADERS, **_POINT_LOADERS, **_USD_LOADERS, **_FBX_LOADERS}

# when an upload holds several mesh files, the first format in this list wins
PRIORITY = ["glb", "gltf", "usdz", "usdc", "usda", "obj", "fbx", "dae", "3mf", "ply", "off", "stl", "e57", "xyz"]

_SIDECARS = {"mtl", None} | IMAGE_FORMATS


def _survey(files: list[Path]) -> tuple[Path, str, list[tuple[Path, str | None]]]:
    if not files:
        raise MissingFile("upload: no files to process")
    found = [(f, sniff(f)) for f in files]
    for fmt in PRIORITY:
        for f, got in found:
            if got == fmt:
                return f, fmt, found
    names = ", ".join(repr(f.name) for f in files[:5])
    if all(got in _SIDECARS for _, got in found):
        hint = "it looks like text or images only" if any(got is None for _, got in found) else "only images"
        raise UnsupportedFormat(
            f"upload: no 3D file found among {names} ({hint}); "
            "send OBJ (+MTL, textures), PLY, STL, OFF, GLB, glTF, DAE, 3MF, USDZ, FBX, E57 or XYZ"
        )
    raise UnsupportedFormat(f"upload: no supported 3D file among {names}")


def load(
    files: list[Path], *, max_faces: int = DEFAULT_MAX_FACES, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
) -> Scene:
    """Load the main mesh of an upload into a Scene.

    Parameters
    ----------
    files : list of Path
      Every file of the upload (already unpacked).
    max_faces : int
      Face limit (ScanTooLarge above it).
    max_image_pixels : int
      Pixel limit per texture (InvalidImage above it).
    """
    main, fmt, found = _survey(files)
    loader = LOADERS.get(fmt)
    if loader is None:
        raise UnsupportedFormat(f"load: {main.name!r} is {fmt.upper()}, which this server cannot read yet")
    check_image_files([f for f, got in found if got in IMAGE_FORMATS], max_image_pixels=max_image_pixels)
    notes = check_references(main, fmt)
    scene = read(main, fmt, loader, max_faces=max_faces, max_image_pixels=max_image_pixels)
    scene.warnings.extend(notes)
    warn_uv_wrap(scene)
    if fmt == "obj" and expects_texture(main) and not any(textures_of(m) for m in scene.meshes):
        raise MissingFile(
            f"load: the materials of {main.name!r} name textures, but none could be read; "
            "check that the texture files are JPEG or PNG and that the MTL names them by relative path"
        )
    return scene


def read(main: Path, fmt: str, loader, *, max_faces: int, max_image_pixels: int) -> Scene:
    """`read_with_fallback` on the file, or on a copy with COLLADA array counts corrected (exchange/dae_fix.py)."""
    fixed, count = fixed_counts(main) if fmt == "dae" else (None, 0)
    if fixed is None:
        return read_with_fallback(main, fmt, loader, max_faces=max_faces, max_image_pixels=max_image_pixels)
    try:
        scene = read_with_fallback(fixed, fmt, loader, max_faces=max_faces, max_image_pixels=max_image_pixels)
    except HeritageError as e:
        # the refusal names the upload's file, not our scratch copy
        e.message = e.message.replace(fixed.name, main.name)
        e.args = (e.message,)
        raise
    finally:
        fixed.unlink(missing_ok=True)
    scene.info["source_file"] = main.name
    scene.warnings = [replace_in(w, fixed.name, main.name) for w in scene.warnings]
    scene.warnings.append(Message("load_counts", count=count, name=main.name))
    return scene


def read_with_fallback(main: Path, fmt: str, loader, *, max_faces: int, max_image_pixels: int) -> Scene:
    """Run a format's loader; assimp where it cannot parse the file; never a parser's exception.

    Refusals about the data itself (NaN coordinates, the face limit, a missing texture) stand:
    another reader would only hide them.
    """
    limits = {"max_faces": max_faces, "max_image_pixels": max_image_pixels}
    try:
        scene = loader(main, fmt, **limits)
        scene.info.setdefault("reader", "ours")  # our own parsers (PLY strips, OFF, USD, point clouds)
        return scene
    except UnreadableScan as e:
        first = e
    except HeritageError:
        raise
    except Exception as e:  # noqa: BLE001 - a parser's bug on a bad file is a refusal, not a crash
        log.debug("load: %s failed in %s", main.name, loader.__name__, exc_info=True)
        first = UnreadableScan(
            f"load: {main.name!r} could not be read as {fmt.upper()} ({short(e)}); "
            "check that the file is complete and exported correctly"
        )
    if fmt not in assimp.FALLBACK_FORMATS or not assimp.available():
        raise first from None
    try:
        scene = assimp.load_assimp(main, fmt, **limits)
    except UnreadableScan as e:
        log.debug("load: assimp also refused %s: %s", main.name, e.message)
        raise first from None
    except HeritageError:
        raise  # assimp read it, and what it read is refused for itself (NaN, absurd size, the limits)
    except Exception:  # noqa: BLE001
        log.debug("load: assimp fallback failed on %s", main.name, exc_info=True)
        raise first from None
    log.info("load: %s read with assimp after the first reader refused it (%s)", main.name, first.message)
    scene.warnings.append(Message("load_assimp", name=main.name, reason=str(first.message)))
    return scene
