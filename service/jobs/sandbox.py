"""
sandbox.py
----------

Run a pipeline spec in a child process with a wall-time and memory limit,
reporting progress as it goes. The child dies with its parent (PDEATHSIG)
so a killed worker leaves no orphans behind.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

from service.errors import HeritageError
from service.errors import ProcessingFailed

_PR_SET_PDEATHSIG = 1


class ChildError(HeritageError):
    """A HeritageError raised inside the child, carried across with its own code."""

    status = 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]


def _limits(memory_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        os.setsid()
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except OSError:
            pass
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes > 0:
            # RLIMIT_DATA, not RLIMIT_AS: it caps what is allocated, while WebAssembly (node's Draco
            # encoder) and GL drivers reserve many GB of address space they never touch
            resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))

    return apply


def run_child(
    spec: dict,
    workdir: Path,
    *,
    timeout: float,
    memory_mb: int,
    progress: Callable[[int, str], None],
) -> None:
    """Run `service.jobs.child` on `spec`; raise a HeritageError on any failure."""
    spec = dict(spec, result=str(workdir / "result.json"))
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    stage = {"name": "start"}
    log_path = workdir / "child.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.jobs.child", str(spec_path)],
            stdout=subprocess.PIPE,
            stderr=log_file,
            preexec_fn=_limits(memory_mb * 1024 * 1024),
            cwd=str(workdir),
        )

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                stage["name"] = msg.get("stage", stage["name"])
                progress(int(msg.get("progress", 0)), stage["name"])

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise ProcessingFailed(
                f"job: processing took longer than {timeout:.0f} s (during {stage['name']!r}) and was stopped; "
                "try a smaller or decimated file, or ask the operator to raise HERITAGE_AR_JOB_TIMEOUT_SECONDS"
            ) from None
        finally:
            reader.join(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
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
