"""The signature-verification examples in docs/api.md accept the service's signatures and reject forgeries."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import pytest

from service.jobs.webhooks import sign
from tests.fixtures import REPO

DOC = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
SECRET = "whsec_docs"
BODY = json.dumps({"event": "artefact.ready", "artefact_id": "abc", "title": "Bình gốm"}, ensure_ascii=False).encode()


def block(lang: str) -> str:
    blocks = re.findall(rf"```{lang}\n(.*?)```", DOC, re.S)
    return next(b for b in blocks if "verify" in b)


def cases() -> list[tuple[str, bytes, bool]]:
    now = int(time.time())
    good = sign(SECRET, now, BODY)
    return [(good, BODY, True), (sign(SECRET, now, BODY + b" "), BODY, False), (sign("other", now, BODY), BODY, False),
            (sign(SECRET, now - 3600, BODY), BODY, False), ("t=x,v1=00", BODY, False), ("", BODY, False)]


def test_python_example():
    scope: dict = {}
    exec(block("python"), scope)  # noqa: S102 - the documentation's own example
    assert [scope["verify"](SECRET, header, body) for header, body, _ in cases()] == [ok for *_, ok in cases()]


def test_javascript_example(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found; scripts/setup.sh installs it")
    checks = [{"header": h, "body": b.decode(), "ok": ok} for h, b, ok in cases()]
    script = block("js") + f"""
const checks = {json.dumps(checks, ensure_ascii=False)};
console.log(JSON.stringify(checks.map((c) => verify("{SECRET}", c.header, Buffer.from(c.body, "utf8")))));
"""
    (tmp_path / "verify.js").write_text(script, encoding="utf-8")
    out = subprocess.run([node, str(tmp_path / "verify.js")], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == [c["ok"] for c in checks]
