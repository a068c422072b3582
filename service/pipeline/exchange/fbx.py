"""
fbx.py
------

FBX through the Open Asset Import Library CLI (`assimp`, Debian package
assimp-utils): convert to glTF binary in a scratch folder next to the input,
then read it with the glTF loader. Binary FBX 7.4 (the FBX SDK / Blender
layout, texture beside the file or embedded) and ASCII FBX both load
(tests/pipeline/test_exchange.py). What assimp 5.2.5 cannot read is its own
binary output, which its writer leaves malformed (no nested-list null
records, assimp issue #4686); such a failure is a clear error that tells the
technician which export to use instead.

NOTES (2026-11, issue 3): the `ufbx` wheel on PyPI (0.0.5, bindings by the
ufbx author) reads the same files, but its Python objects crashed the
interpreter (SIGSEGV on garbage collection) after `with load_file(...)` and
after reading an embedded texture through a material map, so it is not used
in the worker. three.js's FBXLoader stops on "document is not defined" in
node (it loads textures through the DOM). `fbx2gltf` on npm (0.9.7, a wrapper
around prebuilt FBX2glTF binaries) was not tried.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from service.errors import InvalidScan
from service.errors import UnsupportedFormat
from service.pipeline.exchange.meshes import load_trimesh

log = logging.getLogger(__name__)

ASSIMP = shutil.which("assimp")
TIMEOUT_S = 600


def load_fbx(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int):
    """Convert an FBX with assimp and load the result."""
    if ASSIMP is None:
        raise UnsupportedFormat(
            "load: FBX needs the assimp tool on the server (apt-get install assimp-utils); "
            "or export the scan as OBJ or glTF"
        )
    # written next to the FBX: assimp's GLB names textures by relative URI
    fd, name = tempfile.mkstemp(prefix=".assimp-", suffix=".glb", dir=path.parent)
    os.close(fd)
    out = Path(name)
    try:
        try:
            done = subprocess.run(
                [ASSIMP, "export", str(path), str(out), "-fglb2"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InvalidScan(f"load: converting {path.name!r} from FBX took over {TIMEOUT_S} s") from None
        if done.returncode != 0 or not out.is_file():
            reason = (done.stderr or done.stdout).strip().splitlines()
            reason = reason[-1][:200] if reason else f"exit code {done.returncode}"
            raise InvalidScan(
                f"load: {path.name!r} could not be read as FBX ({reason}); "
                "export the scan as OBJ (with MTL and textures) or glTF instead"
            )
        scene = load_trimesh(out, "glb", max_faces=max_faces, max_image_pixels=max_image_pixels)
    finally:
        out.unlink(missing_ok=True)
    # the GLB is assimp's, so its +Y says nothing about the FBX's own axes
    scene.info.update(
        {"source_format": "fbx", "source_file": path.name, "converted_with": "assimp", "up_in_file": False}
    )
    return scene


LOADERS = {"fbx": load_fbx}
