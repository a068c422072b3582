"""
cuda.py
-------

The optional GPU build of pycolmap (`pip install heritage-ar[gpu]`, issue 16):
find the CUDA 12 runtime libraries the NVIDIA wheels ship and load them
before pycolmap's C++ core, and say what this server's pycolmap can do.

NOTES (2026-12-05). The registry has `pycolmap-cuda12` 4.2.1, the same COLMAP
commit (bd1fcf6) and API as the CPU `pycolmap` 4.2.1 the project pins, so no
code adapts to another API (the older `pycolmap-cuda` 3.13.0.dev2 is not
needed). Its core needs `libcudart.so.12` and `libcurand.so.10` (readelf);
they come from `nvidia-cuda-runtime-cu12` and `nvidia-curand-cu12` as
`site-packages/nvidia/<name>/lib/`, which the dynamic loader does not search:
pycolmap-cuda12's own `__init__` preloads them, and `preload_cuda_libs` does
the same for builds that do not (it is run by the package's `__init__`, before
any stage imports pycolmap). The driver (`libcuda.so.1`) comes with the GPU's
machine, not from a wheel; without it `get_num_cuda_devices()` is 0.
Both distributions install the module `pycolmap`: the extra's install
(scripts/setup.sh with WITH_GPU=1) reinstalls pycolmap-cuda12 last so
its core is the one on disk.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

# python package of an NVIDIA wheel -> the library pycolmap-cuda12's core links against
CUDA_LIBS = {"nvidia.cuda_runtime": "libcudart.so.12", "nvidia.curand": "libcurand.so.10"}


def find_cuda_libs(search: list[Path] | None = None) -> dict[str, Path]:
    """Library name -> path of each CUDA runtime library an NVIDIA wheel put on disk.

    Parameters
    ----------
    search : list of Path, optional
      Folders to look in as `site-packages` would be (tests); default the
      import system's own search of the `nvidia` namespace package.
    """
    found = {}
    for module, lib in CUDA_LIBS.items():
        for root in _package_dirs(module, search):
            path = root / "lib" / lib
            if path.is_file():
                found[lib] = path
                break
    return found


def preload_cuda_libs(search: list[Path] | None = None) -> list[str]:
    """Load the CUDA runtime libraries globally so pycolmap's CUDA core links; return those loaded.

    Does nothing (and returns []) where no NVIDIA wheel is installed, as on a CPU server.
    """
    loaded = []
    for lib, path in find_cuda_libs(search).items():
        try:
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
        except OSError:
            log.warning("cuda: %s found at %s but does not load", lib, path, exc_info=True)
            continue
        loaded.append(lib)
    return loaded


def gpu_report() -> dict:
    """What this server's pycolmap can do on a GPU, for the manifest, logs and the GPU run script."""
    import pycolmap

    dists = {}
    for name in ("pycolmap", "pycolmap-cuda12", "pycolmap-cuda"):
        try:
            dists[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    count = getattr(pycolmap, "get_num_cuda_devices", None)
    devices = 0
    if getattr(pycolmap, "has_cuda", False) and count is not None:
        try:
            devices = int(count())
        except RuntimeError:
            log.warning("cuda: pycolmap could not count CUDA devices", exc_info=True)
    return {
        "distributions": dists,
        "build": getattr(pycolmap, "COLMAP_build", "?"),
        "has_cuda": bool(getattr(pycolmap, "has_cuda", False)),
        "devices": devices,
        "cuda_libs": {k: str(v) for k, v in find_cuda_libs().items()},
    }


def _package_dirs(module: str, search: list[Path] | None) -> list[Path]:
    if search is not None:
        return [root.joinpath(*module.split(".")) for root in search]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    return [Path(p) for p in (spec.submodule_search_locations or [])]
