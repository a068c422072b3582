"""
validate.py
-----------

Run the Khronos glTF-Validator (npm `gltf-validator`, a JS library driven by
`validate.js`) on GLB files. The validator does not decode Draco or meshopt,
so validate the uncompressed GLB and check compressed files by decoding.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

_SCRIPT = Path(__file__).with_name("validate.js")


def _find_node_modules() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "node_modules"
        if (candidate / "gltf-validator").is_dir():
            return candidate
    return None


NODE = shutil.which("node")
NODE_MODULES = _find_node_modules()


def validate_gltf(*paths: str | Path, timeout: float = 300) -> list[dict]:
    """Validate GLB/glTF files; return one report per file.

    Returns
    -------
    reports : list of dict
      {"file", "errors", "warnings", "infos", "hints", "messages": [first 20 errors/warnings]}
    """
    if NODE is None or NODE_MODULES is None:
        raise RuntimeError(
            "validate_gltf: Node.js and the npm package gltf-validator are required; "
            "run `npm ci` in the project folder"
        )
    if not paths:
        return []
    done = subprocess.run(
        [NODE, str(_SCRIPT), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"NODE_PATH": str(NODE_MODULES), "PATH": str(Path(NODE).parent)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"validate_gltf: validator failed: {done.stderr.strip()[:500]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
