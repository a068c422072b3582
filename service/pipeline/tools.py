"""
tools.py
--------

External tools the pipeline drives, looked up once at import and failing
only when used (STYLE rule 7): Node.js with the project's node_modules
(gltf-validator, glTF-Transform, gltfpack) and the assimp CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path


def _find_node_modules() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "node_modules"
        if (candidate / "@gltf-transform").is_dir() or (candidate / "gltf-validator").is_dir():
            return candidate
    return None


NODE = shutil.which("node")
NODE_MODULES = _find_node_modules()


def run_node(script: Path, args: list[str], *, package: str, timeout: float = 600) -> list[dict]:
    """Run one of our Node scripts with the project's node_modules; return its JSON lines.

    Parameters
    ----------
    script : Path
      A `.js` file next to the calling module.
    args : list of str
    package : str
      npm package the script needs, named in the error when it is missing.
    """
    if NODE is None or NODE_MODULES is None or not (NODE_MODULES / package).is_dir():
        raise RuntimeError(
            f"{script.stem}: Node.js and the npm package {package} are required; run `npm ci` in the project folder"
        )
    done = subprocess.run(
        [NODE, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"NODE_PATH": str(NODE_MODULES), "PATH": str(Path(NODE).parent)},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script.stem}: node failed: {done.stderr.strip()[:500]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def node_bin(name: str) -> Path | None:
    """Path of an npm CLI (gltf-transform, gltfpack) in the project's node_modules."""
    if NODE_MODULES is None:
        return None
    path = NODE_MODULES / ".bin" / name
    return path if path.exists() else None
