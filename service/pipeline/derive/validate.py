"""
validate.py
-----------

Run the Khronos glTF-Validator (npm `gltf-validator`, a JS library driven by
`validate.js`) on GLB files. The validator does not decode Draco or meshopt,
so validate the uncompressed GLB and check compressed files by decoding
(`compress.decode_check`).
"""

from __future__ import annotations

from pathlib import Path

from service.pipeline.tools import NodeRun
from service.pipeline.tools import run_node

_SCRIPT = Path(__file__).with_name("validate.js")


def validate_gltf(*paths: str | Path, timeout: float = 300) -> list[dict]:
    """Validate GLB/glTF files; return one report per file.

    Returns
    -------
    reports : list of dict
      {"file", "errors", "warnings", "infos", "hints", "messages": [first 20 errors/warnings]}
    """
    if not paths:
        return []
    return run_node(_SCRIPT, [str(p) for p in paths], package="gltf-validator", timeout=timeout)


def start_validation(*paths: str | Path, timeout: float = 300) -> NodeRun:
    """Start validating in the background; `.result()` gives what `validate_gltf` returns.

    Use as a context manager so the validator is stopped if the caller fails first.
    """
    return NodeRun(_SCRIPT, [str(p) for p in paths], package="gltf-validator", timeout=timeout)
