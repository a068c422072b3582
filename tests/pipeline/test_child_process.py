"""child_process.Child: the one runner of child processes (jobs, previews, Node)."""

from __future__ import annotations

import sys
import time

import pytest

from service.pipeline.child_process import Child
from service.pipeline.child_process import ChildTimedOut

PY = sys.executable


def test_lines_arrive_as_they_are_printed_and_stderr_is_kept(tmp_path):
    lines = []
    script = "import sys; print('a', flush=True); print('b', flush=True); sys.stderr.write('oops'); sys.exit(3)"
    with Child([PY, "-c", script], timeout=30, on_line=lines.append, stderr_path=tmp_path / "err.log") as child:
        assert child.wait() == 3
        assert child.stderr_text() == "oops"
    assert lines == ["a\n", "b\n"]
    assert (tmp_path / "err.log").read_text() == "oops"


def test_without_a_line_reader_stdout_is_kept_in_a_file():
    with Child([PY, "-c", "print('x' * 200000)"], timeout=30) as child:
        assert child.wait() == 0  # 200 KB would fill a pipe no one reads
        assert len(child.stdout_text().strip()) == 200000


def test_the_deadline_kills_the_child():
    t0 = time.monotonic()
    with Child([PY, "-c", "import time; time.sleep(60)"], timeout=0.5) as child:
        with pytest.raises(ChildTimedOut, match="over 0.5 s"):
            child.wait()
        assert child.proc.poll() is not None
    assert time.monotonic() - t0 < 20


def test_a_sandboxed_child_has_its_own_session_and_a_data_cap():
    script = "import os, resource; print(os.getsid(0) == os.getpid(), resource.getrlimit(resource.RLIMIT_DATA)[0])"
    with Child([PY, "-c", script], timeout=30, sandbox=True, memory_bytes=2 * 1024**3) as child:
        assert child.wait() == 0
        assert child.stdout_text().split() == ["True", str(2 * 1024**3)]


def test_leaving_the_block_kills_a_child_no_one_waited_for():
    with Child([PY, "-c", "import time; time.sleep(60)"], timeout=60) as child:
        proc = child.proc
    assert proc.poll() is not None
