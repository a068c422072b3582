"""
sandbox.py
----------

Run a pipeline spec in a child process with a wall-time and memory limit,
reporting progress as it goes. The child (started by the pipeline's one
runner, `pipeline/child_process.py`, sandboxed) dies with its parent
(PDEATHSIG), so a killed worker leaves no orphans behind.

The child is treated as hostile (it parses uploaded files with native
code): it gets an allow-listed environment with no storage or database
credentials (`child_env`), its own scratch folder as HOME, TMPDIR and cwd,
and, where the kernel has Landlock, no write access anywhere else
(`landlock.py`). It never sees the store: the worker downloads inputs and
uploads outputs. Failure messages name the stage, never the child's stderr
(which can hold server paths); the stderr tail goes to the log.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path

from service.errors import HeritageError
from service.errors import ProcessingFailed
from service.jobs import landlock
from service.pipeline.child_process import Child
from service.pipeline.child_process import ChildTimedOut
from service.pipeline.progress import Progress

log = logging.getLogger(__name__)

# what a pipeline child may inherit: where programs, libraries and the GPU are, the locale and
# thread counts. Nothing else: no HERITAGE_AR_* (database URL, S3 keys), AWS_*, proxies or tokens.
CHILD_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "LD_LIBRARY_PATH",
    "EGL_PLATFORM",
    "PYOPENGL_PLATFORM",
    "LIBGL_ALWAYS_SOFTWARE",
    "GALLIUM_DRIVER",
    "MESA_GL_VERSION_OVERRIDE",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NODE_PATH",
)


def child_env(workdir: Path, environ: dict | None = None) -> dict:
    """The environment a job child runs with: CHILD_ENV only, HOME and TMPDIR in its scratch folder."""
    environ = os.environ if environ is None else environ
    env = {k: environ[k] for k in CHILD_ENV if k in environ}
    tmp = Path(workdir) / "tmp"
    tmp.mkdir(exist_ok=True)
    env.update(HOME=str(workdir), TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1")
    return env


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
    confine: bool = True,
) -> None:
    """Run `service.jobs.child` on `spec`; raise a HeritageError on any failure.

    With `confine`, the child can write nothing outside `workdir` (Landlock, where the kernel has it).
    """
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
    writable = [str(workdir)]
    with Child(cmd, timeout=timeout, on_line=on_line, stderr_path=log_path, sandbox=True,
               memory_bytes=memory_mb * 1024 * 1024, cwd=workdir, env=child_env(workdir),
               confine=(lambda: landlock.restrict_writes(writable)) if confine else None) as child:
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
    # the tail stays in the operator's log: it can name server paths and library internals
    log.warning("job child: exit %s during %r; stderr tail: %s", code, stage["name"], tail)
    if code < 0:
        name = signal.Signals(-code).name
        reason = "ran out of memory" if name == "SIGKILL" else f"crashed ({name})"
        raise ProcessingFailed(
            f"job: processing {reason} during {stage['name']!r}; the file may be damaged or too complex"
        )
    if "MemoryError" in tail:
        raise ProcessingFailed(
            f"job: processing ran out of memory (limit {memory_mb} MB) during {stage['name']!r}; "
            "upload a decimated scan or ask the operator to raise HERITAGE_AR_JOB_MEMORY_MB"
        )
    raise ProcessingFailed(
        f"job: processing failed during {stage['name']!r} (exit {code}); the operator has the details in the logs"
    )


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[-600:]
