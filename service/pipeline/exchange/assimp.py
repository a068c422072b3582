"""
assimp.py
---------

The Open Asset Import Library CLI (`assimp`, Debian package assimp-utils)
as a reader: convert a file to glTF binary in a scratch file next to it
(assimp's GLB names external textures by relative URI), then read that with
the glTF loader. FBX always goes this way (exchange/fbx.py); the other
formats come here when trimesh cannot read a file that assimp can
(`exchange.load`): COLLADA `<polygons>`, geometry instanced under nested
nodes beside cameras and lights, OBJ and PLY quirks. The manifest says
which reader was used (`source.reader`).
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import subprocess
import tempfile
from functools import partial
from pathlib import Path

from service.errors import InvalidScan
from service.errors import UnreadableScan
from service.errors import UnsupportedFormat
from service.pipeline.exchange.meshes import load_trimesh

log = logging.getLogger(__name__)

ASSIMP = shutil.which("assimp")
# a damaged file can make assimp spin (a PLY cut off inside its header: for ever), so a conversion
# gets time by the file's size, from TIMEOUT_BASE_S for a small file up to TIMEOUT_S; 5 s a megabyte
# is 0.2 MB/s, far below assimp's real speed, so no sound file comes near it
TIMEOUT_S = 600
TIMEOUT_BASE_S = 20
TIMEOUT_PER_MB_S = 5
# address space of one conversion, from the face limit: assimp took 870 MB for a 1.3M-face OBJ
# (about 670 bytes a face); a damaged count makes it allocate until it fails, which takes a
# minute at 16 GB and seconds at 1.5 GB
MEMORY_BASE_BYTES = 1 << 30
MEMORY_PER_FACE_BYTES = 1000
# formats assimp reads that trimesh may fail on (FBX has its own module)
FALLBACK_FORMATS = {"obj", "dae", "gltf", "glb", "ply", "stl", "off", "3mf"}


def available() -> bool:
    """Whether the assimp tool is installed."""
    return ASSIMP is not None


def load_assimp(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int):
    """Convert a file with assimp and load the GLB it writes; InvalidScan if assimp cannot read it."""
    if ASSIMP is None:
        raise UnsupportedFormat(
            f"load: reading {fmt.upper()} here needs the assimp tool (apt-get install assimp-utils)"
        )
    # glTF binary keeps PBR materials; assimp 5.2's GLB writer fails on skinned and animated
    # meshes ("Failed to write file"), where its OBJ writer (+MTL) still carries UVs and textures
    scene, reason = None, ""
    for ext in ("glb", "obj"):
        scene, reason = _convert(path, fmt, ext, max_faces=max_faces, max_image_pixels=max_image_pixels)
        if scene is not None or "Failed to load" in reason:
            break  # an import failure would only repeat (a damaged file can take assimp a minute)
    if scene is None:
        raise UnreadableScan(f"load: {path.name!r} could not be read as {fmt.upper()} ({reason})")
    # the file written is assimp's, so its +Y says nothing about the source's own axes
    scene.info.update({"source_format": fmt, "source_file": path.name, "reader": "assimp",
                       "converted_with": "assimp", "up_in_file": False})
    return scene


def timeout_for(path: Path) -> float:
    """Seconds one conversion of `path` may take."""
    return min(TIMEOUT_S, TIMEOUT_BASE_S + TIMEOUT_PER_MB_S * path.stat().st_size / 1e6)


def _convert(path: Path, fmt: str, ext: str, *, max_faces: int, max_image_pixels: int):
    """(scene, "") from assimp's `ext` export of `path`, or (None, reason)."""
    timeout = timeout_for(path)
    fd, name = tempfile.mkstemp(prefix=".assimp-", suffix=f".{ext}", dir=path.parent)
    os.close(fd)
    out = Path(name)
    side = out.with_suffix(".mtl")
    try:
        try:
            done = subprocess.run(
                [ASSIMP, "export", str(path), str(out), "-fglb2" if ext == "glb" else "-fobj"],
                capture_output=True, text=True, timeout=timeout, check=False,
                preexec_fn=partial(_limit_memory, MEMORY_BASE_BYTES + MEMORY_PER_FACE_BYTES * max_faces),
            )
        except subprocess.TimeoutExpired:
            raise InvalidScan(
                f"load: converting {path.name!r} from {fmt.upper()} took over {timeout:.0f} s, far longer than "
                "a sound file of its size needs; it is probably damaged: export it again"
            ) from None
        if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            log.debug("assimp: %s to %s failed: %s", path.name, ext, done.stderr[-2000:])
            if done.returncode < 0:
                return None, f"the converter crashed on it, signal {-done.returncode}"
            return None, lines[-1][:200] if lines else f"exit code {done.returncode}"
        return load_trimesh(out, ext, max_faces=max_faces, max_image_pixels=max_image_pixels), ""
    finally:
        out.unlink(missing_ok=True)
        if ext == "obj":
            side.unlink(missing_ok=True)


def _limit_memory(cap: int) -> None:
    # in the child, before exec: never raise the limit the job already set
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
