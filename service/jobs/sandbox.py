"""
sandbox.py
----------

Run a pipeline spec in a child process with a wall-time and memory limit,
reporting progress as it goes. The child (started by the pipeline's one
runner, `pipeline/child_process.py`, sandboxed) dies with its parent
(PDEATHSIG), so a killed worker leaves no orphans behind.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from service.errors import HeritageError
from service.errors import ProcessingFailed
from service.pipeline.child_process import Child
from service.pipeline.child_process import ChildTimedOut
from service.pipeline.progress import Progress

class ChildError(HeritageError):
    """A HeritageError raised inside the child, carried across with its own code."""

    status = 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]


def run_child(
    spec: dict,
    workdir: Path,
    *,
    timeout: float,
    memory_mb: int,
    progress: Progress,
) -> None:
    """Run `service.jobs.child` on `spec`; raise a HeritageError on any failure."""
    spec = dict(spec, result=str(workdir / "result.json"))
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    stage = {"name": "start"}
    log_path = workdir / "child.log"

    def on_line(line: str) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            return
        stage["name"] = msg.get("stage", stage["name"])
        progress(int(msg.get("progress", 0)), stage["name"])

    cmd = [sys.executable, "-m", "service.jobs.child", str(spec_path)]
    with Child(cmd, timeout=timeout, on_line=on_line, stderr_path=log_path, sandbox=True,
               memory_bytes=memory_mb * 1024 * 1024, cwd=workdir) as child:
        try:
            code = child.wait()
        except ChildTimedOut:
            raise ProcessingFailed(
                f"job: processing took longer than {timeout:.0f} s (during {stage['name']!r}) and was stopped; "
                "try a smaller or decimated file, or ask the operator to raise HERITAGE_AR_JOB_TIMEOUT_SECONDS"
            ) from None
    result_path = workdir / "result.json"
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    if code == 0 and result and result.get("ok"):
        return
    if result and not result.get("ok"):
        raise ChildError(result["code"], result["message"])
    tail = _tail(log_path)
    if code < 0:
        name = signal.Signals(-code).name
        reason = "ran out of memory" if name == "SIGKILL" else f"crashed ({name})"
        raise ProcessingFailed(
            f"job: processing {reason} during {stage['name']!r}; the file may be damaged or too complex. {tail}"
        )
    if "MemoryError" in tail:
        raise ProcessingFailed(
            f"job: processing ran out of memory (limit {memory_mb} MB) during {stage['name']!r}; "
            "upload a decimated scan or ask the operator to raise HERITAGE_AR_JOB_MEMORY_MB"
        )
    raise ProcessingFailed(f"job: processing failed during {stage['name']!r} (exit {code}). {tail}")


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[-600:]
