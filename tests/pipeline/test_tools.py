"""NodeRun: Node scripts in the background, collected or cleaned up."""

from __future__ import annotations

import time

import pytest

from service.pipeline.tools import NodeRun


def _script(tmp_path, body: str):
    path = tmp_path / "s.js"
    path.write_text(body)
    return path


def test_lines_come_back_while_python_works(tmp_path):
    script = _script(tmp_path, "setTimeout(() => { for (let i = 0; i < 3; i++) console.log(JSON.stringify({i})); }, 300);")
    t0 = time.monotonic()
    with NodeRun(script, [], package="gltf-validator") as run:
        started = time.monotonic() - t0
        assert run.result() == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert started < 0.3  # the constructor did not wait for the script


def test_failure_carries_stderr(tmp_path):
    script = _script(tmp_path, "console.error('bad input file'); process.exit(3);")
    with NodeRun(script, [], package="gltf-validator") as run, pytest.raises(RuntimeError, match="s: node failed: bad input file"):
        run.result()


def test_leaving_without_result_kills_the_script(tmp_path):
    script = _script(tmp_path, "setTimeout(() => {}, 60000);")
    with NodeRun(script, [], package="gltf-validator") as run:
        proc = run.proc
    assert proc.poll() is not None


def test_timeout_kills_and_says_so(tmp_path):
    script = _script(tmp_path, "setTimeout(() => {}, 60000);")
    with NodeRun(script, [], package="gltf-validator", timeout=0.5) as run, pytest.raises(RuntimeError, match="took over"):
        run.result()
    assert run.proc.poll() is not None
