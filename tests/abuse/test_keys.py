"""API keys: `har_` prefix, scopes, revocation at once, management by CLI and by admin keys."""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy.orm import Session

from service.cli import cli
from service.db import make_engine
from service.db.queries import create_key

MUSEUM = "Bảo tàng Lịch sử Quốc gia"


def key_of(app, institution: str = MUSEUM, scope: str = "write", label: str | None = None) -> dict:
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        raw = create_key(db, institution, scope=scope, label=label)
        db.commit()
    engine.dispose()
    return {"Authorization": f"Bearer {raw}"}


def test_cli_creates_lists_and_revokes_keys(app, client, monkeypatch):
    monkeypatch.setenv("HERITAGE_AR_DATA_DIR", app.config["SETTINGS"].data_dir)
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "--institution", MUSEUM, "--label", "CMS sync", "--scope", "read"])
    assert created.exit_code == 0, created.output
    raw = created.output.strip()
    assert re.fullmatch(r"har_[A-Za-z0-9_-]{40,}", raw)
    auth = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/artefacts", headers=auth).status_code == 200
    listed = runner.invoke(cli, ["keys", "list", "--institution", MUSEUM])
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.output.splitlines() if "CMS sync" in line)
    key_id, prefix, scope = row.split()[:3]
    assert raw.startswith(prefix) and scope == "read" and raw not in listed.output
    revoked = runner.invoke(cli, ["keys", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    r = client.get("/api/v1/artefacts", headers=auth)
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    listed = runner.invoke(cli, ["keys", "list", "--institution", MUSEUM]).output
    assert next(line for line in listed.splitlines() if "CMS sync" in line).split()[3:5] != ["-", "-"]
    assert runner.invoke(cli, ["keys", "list", "--institution", "Nobody"]).exit_code != 0


def test_read_key_cannot_write(app, client):
    auth = key_of(app, scope="read")
    assert client.get("/api/v1/usage", headers=auth).status_code == 200
    r = client.patch("/api/v1/artefacts/x", json={"title": {"en": "x"}}, headers=auth)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "insufficient_scope"
    assert client.post("/api/v1/artefacts", data={}, headers=auth).status_code == 403
    assert client.get("/api/v1/keys", headers=auth).status_code == 403


def test_write_key_cannot_manage_keys(app, client):
    auth = key_of(app, scope="write")
    assert client.get("/api/v1/keys", headers=auth).status_code == 403
    assert client.post("/api/v1/keys", json={"label": "x"}, headers=auth).status_code == 403


def test_admin_key_manages_its_institutions_keys(app, client):
    admin = key_of(app, scope="admin", label="admin")
    other_admin = key_of(app, "Other museum", scope="admin")
    r = client.post("/api/v1/keys", json={"label": "batch script", "scope": "read"}, headers=admin)
    assert r.status_code == 201
    new = r.get_json()
    assert new["key"].startswith("har_") and new["key"].startswith(new["prefix"]) and new["scope"] == "read"
    fresh = {"Authorization": f"Bearer {new['key']}"}
    assert client.get("/api/v1/artefacts", headers=fresh).status_code == 200
    listed = client.get("/api/v1/keys", headers=admin).get_json()["items"]
    assert [k["label"] for k in listed] == ["admin", "batch script"]
    assert all("key" not in k for k in listed) and listed[1]["last_used_at"] is not None
    # another institution cannot see or revoke it
    assert client.delete(f"/api/v1/keys/{new['id']}", headers=other_admin).status_code == 404
    r = client.delete(f"/api/v1/keys/{new['id']}", headers=admin)
    assert r.status_code == 200 and r.get_json()["revoked_at"]
    assert client.get("/api/v1/artefacts", headers=fresh).status_code == 401
    for bad in ({"scope": "root"}, {"label": "x" * 201}, {"unknown": 1}, []):
        r = client.post("/api/v1/keys", json=bad, headers=admin)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request", bad
