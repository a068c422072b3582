"""Findings 7 and 13: the job child has no secrets, writes only its scratch folder, and its stderr stays in the log."""

from __future__ import annotations

import json
import os

import pytest

from service.errors import ProcessingFailed
from service.jobs import landlock
from service.jobs.sandbox import ChildError
from service.jobs.sandbox import child_env
from service.jobs.sandbox import run_child

SECRETS = {
    "HERITAGE_AR_S3_SECRET_ACCESS_KEY": "s3-secret-key-value",
    "HERITAGE_AR_DATABASE_URL": "postgresql://heritage:db-password@db/heritage",
    "HERITAGE_AR_SECRET_KEY": "flask-secret-value",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
    "DATABASE_URL": "postgresql://x:pw@db/x",
    "GITHUB_TOKEN": "ghp_token_value",
}


@pytest.fixture
def spy_flow(monkeypatch, tmp_path):
    """Flows run inside the child: `spy` reports its environment and tries to write outside its folder."""
    pkg = tmp_path / "spy"
    pkg.mkdir()
    (pkg / "sitecustomize.py").write_text(
        "import json, os, sys\n"
        "from service.errors import InvalidMetadata\n"
        "from service.pipeline import flows as run\n"
        "def spy(files, out_dir, *, metadata, options, progress):\n"
        "    report = {'env': dict(os.environ), 'cwd': os.getcwd()}\n"
        "    try:\n"
        "        open(metadata['outside'], 'w').write('pwned')\n"
        "        report['outside'] = 'written'\n"
        "    except OSError as e:\n"
        "        report['outside'] = type(e).__name__\n"
        "    (out_dir / 'report.json').write_text(json.dumps(report))\n"
        "    raise InvalidMetadata('spy: done')\n"
        "def leak(*a, **k):\n"
        "    print('Traceback: File \"/srv/heritage/secret-folder/db.sqlite\" failed', file=sys.stderr)\n"
        "    sys.exit(1)\n"
        "run.FLOWS.update(spy=spy, leak=leak)\n"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pkg), os.getcwd()]))
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return pkg


def _spec(work, inputs, metadata):
    return {"inputs": [str(p) for p in inputs], "out_dir": str(work / "out"), "metadata": metadata,
            "options": {"previews": False}}


def test_child_environment_is_an_allow_list(tmp_path):
    env = child_env(tmp_path, {**SECRETS, "PATH": "/usr/bin", "LANG": "C.UTF-8"})
    assert not set(SECRETS) & set(env)
    assert env["PATH"] == "/usr/bin" and env["HOME"] == str(tmp_path)
    assert env["TMPDIR"].startswith(str(tmp_path))


def test_child_has_no_secrets_and_cannot_write_outside(tmp_path, obj_zip, spy_flow):
    assert landlock.available(), "this kernel lacks Landlock (5.13+); docs/security.md lists the fallback"
    storage = tmp_path / "storage"  # stands for the local store, the database file, other jobs' folders
    storage.mkdir()
    work = tmp_path / "job"
    work.mkdir()
    with pytest.raises(ChildError, match="spy: done"):
        run_child(_spec(work, [obj_zip], {"kind": "spy", "outside": str(storage / "derivatives.glb")}), work,
                  timeout=120, memory_mb=2048, progress=lambda *a: None)
    report = json.loads((work / "out" / "report.json").read_text())
    leaked = [k for k, v in report["env"].items() if k in SECRETS or v in SECRETS.values()]
    assert leaked == []
    assert not [k for k in report["env"] if k.startswith(("HERITAGE_AR_", "AWS_"))]
    assert report["env"]["HOME"] == str(work) and report["env"]["TMPDIR"].startswith(str(work))
    assert report["cwd"] == str(work)
    assert report["outside"] == "PermissionError"
    assert not (storage / "derivatives.glb").exists()


def test_failure_message_carries_no_stderr(tmp_path, obj_zip, spy_flow, caplog):
    work = tmp_path / "job"
    work.mkdir()
    with pytest.raises(ProcessingFailed) as got:
        run_child(_spec(work, [obj_zip], {"kind": "leak"}), work, timeout=120, memory_mb=2048,
                  progress=lambda *a: None)
    assert "/srv/heritage" not in got.value.message and "Traceback" not in got.value.message
    assert "logs" in got.value.message
    assert "/srv/heritage/secret-folder" in caplog.text  # the operator keeps the detail
