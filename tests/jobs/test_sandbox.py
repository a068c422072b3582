"""The child process: crashes, hangs and memory blow-ups fail the job, never the worker."""

from __future__ import annotations

import os

import pytest

from service.errors import ProcessingFailed
from service.jobs.sandbox import ChildError
from service.jobs.sandbox import run_child


def _spec(tmp_path, inputs, metadata=None):
    return {"inputs": [str(p) for p in inputs], "out_dir": str(tmp_path / "out"), "metadata": metadata or {},
            "options": {"previews": False}}


def test_success_reports_progress(tmp_path, obj_zip):
    seen = []
    run_child(_spec(tmp_path, [obj_zip], {"title": {"en": "b"}}), tmp_path, timeout=120, memory_mb=4096,
              progress=lambda pct, stage: seen.append((pct, stage)))
    assert (tmp_path / "out" / "manifest.json").exists()
    stages = [s for _, s in seen]
    assert stages[0] == "unpack" and stages[-1] == "done" and "load" in stages
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)


def test_heritage_error_crosses_with_its_code(tmp_path):
    bad = tmp_path / "scan.obj"
    bad.write_text("hello\n")
    with pytest.raises(ChildError, match="no 3D file found") as info:
        run_child(_spec(tmp_path, [bad]), tmp_path, timeout=60, memory_mb=4096, progress=lambda *a: None)
    assert info.value.code == "unsupported_format"


@pytest.fixture
def evil_flow(monkeypatch, tmp_path):
    """Register a flow that misbehaves, via a module the child imports through sitecustomize."""
    pkg = tmp_path / "evil"
    pkg.mkdir()
    (pkg / "sitecustomize.py").write_text(
        "import os, signal, time\n"
        "from service.pipeline import flows as run\n"
        "def crash(*a, **k): os.kill(os.getpid(), signal.SIGSEGV)\n"
        "def hang(*a, **k): time.sleep(600)\n"
        "def hog(*a, **k):\n"
        "    block = bytearray(8 * 1024**3)\n"
        "run.FLOWS.update(crash=crash, hang=hang, hog=hog)\n"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pkg), os.getcwd()]))
    return pkg


@pytest.mark.parametrize(
    ("kind", "timeout", "match"),
    [
        pytest.param("crash", 120, "crashed \\(SIGSEGV\\)", id="segfault"),
        pytest.param("hang", 3, "longer than 3 s", id="timeout"),
        pytest.param("hog", 120, "out of memory", id="memory"),
    ],
)
def test_misbehaving_child_fails_cleanly(tmp_path, obj_zip, evil_flow, kind, timeout, match):
    with pytest.raises(ProcessingFailed, match=match):
        run_child(_spec(tmp_path, [obj_zip], {"kind": kind}), tmp_path, timeout=timeout, memory_mb=1024,
                  progress=lambda *a: None)
