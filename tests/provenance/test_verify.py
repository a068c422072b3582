"""The public /verify page: server-side checks through the Flask client, and in real Chromium."""

from __future__ import annotations

import io
import shutil

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from service.config import Settings
from service.pipeline.manifest import describe_file
from service.provenance.sign import load_key
from service.provenance.sign import sign_outputs
from tests.conftest import _stop
from tests.conftest import start_live
from tests.fixtures import CORPUS
from tests.interop.conftest import jpeg
from tests.interop.conftest import make_ready  # noqa: F401 - shared fixtures
from tests.interop.conftest import ready_template  # noqa: F401
from tests.provenance.test_c2pa import _definition
from tests.provenance.test_c2pa import _flip
from tests.provenance.test_c2pa import certs  # noqa: F401
from tests.viewer.browser import launch
from tests.viewer.helpers import add_derivative
from tests.viewer.helpers import path_of


@pytest.fixture
def files(tmp_path, certs):  # noqa: F811
    """A signed poster and GLB (with its sidecar), and an edited copy of the poster."""
    out = tmp_path / "signed"
    out.mkdir()
    (out / "poster.jpg").write_bytes(jpeg())
    shutil.copy(CORPUS / "formats" / "Duck.glb", out / "ar.glb")
    manifest = {"files": {p.name: describe_file(p) for p in out.iterdir()}}
    sign_outputs(out, manifest, load_key(str(certs["key"]), str(certs["chain"])), _definition)
    (tmp_path / "edited.jpg").write_bytes(_flip((out / "poster.jpg").read_bytes()))
    return {"poster": out / "poster.jpg", "edited": tmp_path / "edited.jpg", "glb": out / "ar.glb",
            "sidecar": out / "ar.glb.c2pa"}


def _post(client, path, **extra):
    with open(path, "rb") as f:
        return client.post("/verify?format=json", data={"file": (f, path.name), **extra},
                           content_type="multipart/form-data")


def test_verify_reports_signed_edited_and_plain_files(make_ready, files):  # noqa: F811
    client = make_ready().client
    page = client.get("/verify?lang=en")
    assert page.status_code == 200 and 'name="file"' in page.get_data(as_text=True)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    good = _post(client, files["poster"]).get_json()
    assert good["state"] == "intact" and good["artefact"]["accession_number"] == "BTLS-1234"
    assert good["issuer"] == "Bảo tàng Lịch sử Quốc gia"
    bad = _post(client, files["edited"]).get_json()
    assert bad["state"] == "altered" and "assertion.dataHash.mismatch" in bad["failures"]
    with open(files["sidecar"], "rb") as s, open(files["glb"], "rb") as g:
        glb = client.post("/verify?format=json", data={"file": (g, "ar.glb"), "sidecar": (s, "ar.glb.c2pa")},
                          content_type="multipart/form-data").get_json()
    assert glb["state"] == "intact"
    html = client.post("/verify?lang=en", data={"file": (io.BytesIO(jpeg()), "plain.jpg")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "No Content Credentials found" in html


def test_verify_limits_and_errors(make_ready, files):  # noqa: F811
    client = make_ready(verify_max_mb=1).client
    # encoded in memory (the test client would spool a body this large to a temporary file it never closes)
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(b"\xff\xd8\xff" + b"0" * (2 << 20)), "big.jpg")})
    big = client.post("/verify", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "upload_too_large"
    empty = client.post("/verify", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400 and empty.get_json()["error"]["code"] == "bad_request"
    foreign = client.get("/verify?url=https://evil.example/derivatives/x/v1/poster.jpg")
    assert foreign.status_code == 404 and foreign.get_json()["error"]["code"] == "not_found"


def test_verify_a_link_to_one_of_our_files(make_ready, files):  # noqa: F811
    r = make_ready()
    add_derivative(r.app, r.art["id"], "poster.jpg", files["poster"].read_bytes(), role="poster")
    add_derivative(r.app, r.art["id"], "ar.glb", files["glb"].read_bytes(), role="ar")
    add_derivative(r.app, r.art["id"], "ar.glb.c2pa", files["sidecar"].read_bytes(), role="content-credentials")
    art = r.client.get(f"/api/v1/artefacts/{r.art['id']}", headers=r.auth).get_json()
    report = r.client.get("/verify?format=json&url=" + art["derivatives"]["poster.jpg"]["url"]).get_json()
    assert report["state"] == "intact" and report["file"] == "poster.jpg"
    # a GLB dropped without its sidecar: ours, so the page finds the sidecar we published
    assert _post(r.client, files["glb"]).get_json()["state"] == "intact"


@pytest.mark.slow
def test_verify_page_in_chromium_shows_signed_and_edited(tmp_path, files):
    live = start_live(Settings(data_dir=str(tmp_path / "live"), testing=True, start_worker=False, previews=False))
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            for name, state, text in (("poster", "intact", "Intact"), ("edited", "altered", "ALTERED")):
                page.goto(f"{live.url}/verify?lang=en")
                page.set_input_files("#file", str(files[name]))
                page.click("button[type=submit]")
                page.wait_for_selector("#verdict")
                assert page.get_attribute("#verdict", "data-state") == state
                assert text in page.inner_text("#verdict")
                assert "BTLS-1234" in page.inner_text("#result")
                assert "Bảo tàng Lịch sử Quốc gia" in page.inner_text("#issuer")
                assert "CC BY 4.0" in page.inner_text("#licence")
            browser.close()
        assert errors == []
    finally:
        live.stop()
        _stop(live.app)
