"""
child_process.py
----------------

The one child-process runner: the job sandbox (`jobs/sandbox.py`), the
preview renderer (`render/previews.py`) and our Node scripts (`tools.py`)
all start their child through `Child`. It gives each the same guarantees:

- a deadline, after which the child (and with `new_session`, its whole
  process group) is killed and `ChildTimedOut` raised;
- stdout either read line by line as it comes (progress) or kept in a
  temporary file, stderr in a file, so a full pipe never stalls the child;
- optional limits applied in the child before it runs: its own session,
  death with the parent (PDEATHSIG), no core dumps, a data-size cap;
- leaving the `with` block kills a child no one waited for.

Examples
--------
>>> with Child(["node", "x.js"], timeout=60) as child:
...     other_work()
...     code = child.wait()
...     lines = child.stdout_text().splitlines()
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


class ChildTimedOut(Exception):
    """The child ran past its deadline and was killed."""


def _limits(memory_bytes: int, then: Callable[[], None] | None = None) -> Callable[[], None]:
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
        if then is not None:
            then()

    return apply


class Child:
    """A child process with a deadline, its output captured without pipes filling up.

    Parameters
    ----------
    cmd : list of str
    timeout : float
      Seconds from start until the child is killed.
    on_line : callable(str) or None
      Called with each stdout line as it arrives (in a reader thread);
      without it stdout goes to a temporary file (`stdout_text`).
    stderr_path : path or None
      File for stderr; a temporary file when None (`stderr_text`).
    sandbox : bool
      Run the child in its own session, killed with its parent, no core
      dumps and `memory_bytes` of data at most (0: no cap).
    confine : callable or None
      With `sandbox`, run in the child after the limits, before it starts
      (the job sandbox restricts its writes there: jobs/landlock.py).
    env, cwd :
      As for `subprocess.Popen`.
    """

    def __init__(
        self,
        cmd: list[str],
        *,
        timeout: float,
        on_line: Callable[[str], None] | None = None,
        stderr_path: str | Path | None = None,
        sandbox: bool = False,
        memory_bytes: int = 0,
        confine: Callable[[], None] | None = None,
        env: dict | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.sandbox = sandbox
        self.out = None if on_line else tempfile.TemporaryFile()
        self.err = open(stderr_path, "w+b") if stderr_path else tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE if on_line else self.out,
            stderr=self.err,
            env=env,
            cwd=None if cwd is None else str(cwd),
            preexec_fn=_limits(memory_bytes, confine) if sandbox else None,
        )
        self.reader = None
        if on_line:
            self.reader = threading.Thread(target=self._pump, args=(on_line,), daemon=True)
            self.reader.start()

    def _pump(self, on_line: Callable[[str], None]) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            on_line(raw.decode(errors="replace"))

    def wait(self) -> int:
        """The child's exit status; raise `ChildTimedOut` (after killing it) past the deadline."""
        try:
            code = self.proc.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise ChildTimedOut(f"over {self.timeout:g} s") from None
        finally:
            if self.reader is not None:
                self.reader.join(timeout=5)
        return code

    def kill(self) -> None:
        """Kill the child (its process group when sandboxed) and reap it."""
        if self.proc.poll() is None:
            try:
                if self.sandbox:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                else:
                    self.proc.kill()
            except ProcessLookupError:
                pass
        self.proc.wait()

    def stdout_text(self) -> str:
        return _read(self.out)

    def stderr_text(self) -> str:
        return _read(self.err)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        for f in (self.out, self.err):
            if f is not None:
                f.close()


def _read(f) -> str:
    if f is None:
        return ""
    f.flush()
    f.seek(0)
    return f.read().decode(errors="replace")
