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
from pathlib import Path

from service.pipeline.child_process import Child
from service.pipeline.child_process import ChildTimedOut


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
    with NodeRun(script, args, package=package, timeout=timeout) as run:
        return run.result()


class NodeRun:
    """A Node script started in the background, so Python work overlaps it.

    Runs through `child_process.Child`: output in temporary files (a full pipe
    would stall the child while we are busy elsewhere), and leaving the `with`
    block kills the child if no one collected it.

    Examples
    --------
    >>> with NodeRun(script, args, package="gltf-validator") as run:
    ...     other_work()
    ...     lines = run.result()
    """

    def __init__(self, script: Path, args: list[str], *, package: str, timeout: float = 600) -> None:
        if NODE is None or NODE_MODULES is None or not (NODE_MODULES / package).is_dir():
            raise RuntimeError(
                f"{script.stem}: Node.js and the npm package {package} are required; run `npm ci` in the project folder"
            )
        self.name = script.stem
        self.child = Child(
            [NODE, str(script), *args],
            timeout=timeout,
            env={"NODE_PATH": str(NODE_MODULES), "PATH": str(Path(NODE).parent)},
        )
        self._lines: list[dict] | None = None

    @property
    def proc(self):
        """The running process (a `Popen`)."""
        return self.child.proc

    def result(self) -> list[dict]:
        """Wait for the script; return its JSON lines or raise RuntimeError with its stderr."""
        if self._lines is None:
            try:
                code = self.child.wait()
            except ChildTimedOut:
                raise RuntimeError(f"{self.name}: node took over {self.child.timeout:g} s") from None
            if code != 0:
                raise RuntimeError(f"{self.name}: node failed: {self.child.stderr_text().strip()[:500]}")
            text = self.child.stdout_text()
            self._lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        return self._lines

    def __enter__(self) -> NodeRun:
        return self

    def __exit__(self, *exc) -> None:
        self.child.__exit__(*exc)


def node_bin(name: str) -> Path | None:
    """Path of an npm CLI (gltf-transform, gltfpack) in the project's node_modules."""
    if NODE_MODULES is None:
        return None
    path = NODE_MODULES / ".bin" / name
    return path if path.exists() else None
