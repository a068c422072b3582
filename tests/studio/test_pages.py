"""Studio pages and the session on /api/v1: roles, CSRF on writes, tenant isolation on every route."""

from __future__ import annotations

import io
import re

import markupsafe
import pytest

from service.studio.text import error_names
from tests.studio.helpers import make_user
from tests.studio.helpers import page_token
from tests.studio.helpers import sign_in
from tests.viewer.conftest import make_ready  # noqa: F401  (a processed box in a private app)
from tests.viewer.conftest import ready_template  # noqa: F401

HOME = "Bảo tàng Lịch sử Quốc gia"  # the template artefact's institution (tests.conftest.make_key)
EN = {"Accept-Language": "en"}


@pytest.fixture
def site(make_ready):  # noqa: F811
    ready = make_ready()
    make_user(ready.app, "editor@museum.vn", "editor", HOME)
    make_user(ready.app, "viewer@museum.vn", "viewer", HOME)
    make_user(ready.app, "other@elsewhere.vn", "admin", "Bảo tàng Khác")
    return ready


def signed_in(site, email):
    client = site.app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def test_collection_lists_searches_and_filters(site):
    client = signed_in(site, "editor@museum.vn")
    art = site.art
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Lacquered box" in page and f"/studio/artefacts/{art['id']}" in page and ">ready<" in page
    for q in ("hop go", "BT-2024", "Đinh Văn", "lacquered"):
        assert "Lacquered box" in client.get("/", query_string={"q": q}, headers=EN).get_data(as_text=True), q
    assert "Lacquered box" not in client.get("/", query_string={"q": "vase"}, headers=EN).get_data(as_text=True)
    assert "Lacquered box" not in client.get("/", query_string={"status": "failed"}, headers=EN).get_data(as_text=True)
    assert "Lacquered box" in client.get("/", query_string={"licence": "CC-BY-4.0", "sort": "title"},
                                         headers=EN).get_data(as_text=True)
    assert client.get("/", query_string={"page": "x'; drop", "sort": "evil"}).status_code == 200


def test_artefact_page_shows_status_link_files_and_versions(site):
    client = signed_in(site, "editor@museum.vn")
    art = site.art
    page = client.get(f"/studio/artefacts/{art['id']}", headers=EN).get_data(as_text=True)
    assert 'id="art-status" class="status s-ready">ready<' in page
    assert art["links"]["share"] in page and "/ar/" in page
    assert "master.glb" in page and ">valid<" in page and "Version history" in page
    assert 'for="title_en">Title (English)<' in page
    vi = client.get(f"/studio/artefacts/{art['id']}", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "sẵn sàng" in vi and "Lịch sử phiên bản" in vi


def test_share_and_stats_pages(site):
    client = signed_in(site, "viewer@museum.vn")
    art = site.art
    share = client.get(f"/studio/artefacts/{art['id']}/share", headers=EN).get_data(as_text=True)
    assert "&lt;iframe" in share and "/oembed?url=" in share and f"/qr/{art['links']['share'].rsplit('/', 1)[1]}" in share
    stats = client.get(f"/studio/artefacts/{art['id']}/stats", headers=EN)
    assert stats.status_code == 200 and "<svg" in stats.get_data(as_text=True)
    csv = client.get(f"/studio/artefacts/{art['id']}/stats.csv")
    lines = csv.get_data(as_text=True).splitlines()
    assert csv.mimetype == "text/csv" and lines[0].startswith("date,views,3d_loads,ar_launches") and len(lines) == 91
    assert client.get("/studio/stats").status_code == 200
    assert client.get("/studio/stats.csv").status_code == 200


def test_session_reads_and_writes_the_api_with_the_csrf_token(site):
    client = signed_in(site, "editor@museum.vn")
    art_id = site.art["id"]
    assert client.get("/api/v1/artefacts").get_json()["total"] == 1
    body = {"title": {"en": "Lacquered box, renamed"}}
    refused = client.patch(f"/api/v1/artefacts/{art_id}", json=body)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    wrong = client.patch(f"/api/v1/artefacts/{art_id}", json=body, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 403
    token = page_token(client)
    ok = client.patch(f"/api/v1/artefacts/{art_id}", json=body, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json()["metadata"]["title"]["en"] == "Lacquered box, renamed"
    bad = client.patch(f"/api/v1/artefacts/{art_id}", json={"licence": "CC-XYZ"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and bad.get_json()["error"]["message"].startswith("metadata.licence:")


def test_a_bearer_header_is_judged_as_a_key_even_with_a_session(site):
    client = signed_in(site, "editor@museum.vn")
    resp = client.get("/api/v1/artefacts", headers={"Authorization": "Bearer har_wrong"})
    assert resp.status_code == 401


def test_validate_uses_the_api_rules_and_messages(site):
    client = signed_in(site, "editor@museum.vn")
    token = page_token(client, "/studio/upload")
    ok = client.post("/studio/validate", json={"title": {"en": "A"}}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200
    bad = client.post("/studio/validate", json={"title": {"en": "A"}, "dimensions": {"height": -1, "unit": "cm"}},
                      headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and bad.get_json()["error"]["message"].startswith("metadata.dimensions.height:")
    no_title = client.post("/studio/validate", json={}, headers={"X-CSRFToken": token})
    assert no_title.get_json()["error"]["message"].startswith("metadata.title:")
    assert client.post("/studio/validate", json={"title": {"en": "A"}}).status_code == 400  # no token


def test_validate_answers_in_the_studio_language(site):
    client = signed_in(site, "editor@museum.vn")
    client.set_cookie("studio_lang", "vi")
    token = page_token(client, "/studio/upload")
    bad = client.post("/studio/validate", json={"title": {"en": "A"}, "dimensions": {"height": -1, "unit": "cm"}},
                      headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and bad.headers["Content-Language"] == "vi"
    assert bad.get_json()["error"] == {"code": "invalid_metadata",
                                       "message": "metadata.dimensions.height: cần một số lớn hơn 0, không phải -1"}


def test_viewer_role_reads_but_cannot_write(site):
    client = signed_in(site, "viewer@museum.vn")
    art_id = site.art["id"]
    token = page_token(client)
    assert client.get(f"/studio/artefacts/{art_id}").status_code == 200
    assert client.get("/studio/upload").status_code == 403
    assert client.get("/studio/users").status_code == 403
    resp = client.patch(f"/api/v1/artefacts/{art_id}", json={"title": {"en": "x"}}, headers={"X-CSRFToken": token})
    assert resp.status_code == 403
    assert client.delete(f"/api/v1/artefacts/{art_id}", headers={"X-CSRFToken": token}).status_code == 403
    page = client.get(f"/studio/artefacts/{art_id}").get_data(as_text=True)
    assert 'id="withdraw-btn"' not in page and 'id="edit-form"' not in page


def test_editor_cannot_manage_users(site):
    client = signed_in(site, "editor@museum.vn")
    assert client.get("/studio/users").status_code == 403
    assert client.get("/studio/settings").status_code == 403
    assert client.post("/studio/settings", data={"csrf_token": page_token(client), "licence": "CC0-1.0"}).status_code == 403
    assert client.get("/api/v1/keys").status_code == 403


@pytest.mark.parametrize("path", [
    "/studio/artefacts/{id}", "/studio/artefacts/{id}/share", "/studio/artefacts/{id}/stats",
    "/studio/artefacts/{id}/stats.csv", "/api/v1/artefacts/{id}", "/api/v1/artefacts/{id}/stats",
])
def test_another_institution_sees_nothing(site, path):
    client = signed_in(site, "other@elsewhere.vn")
    assert client.get(path.format(id=site.art["id"])).status_code == 404


def test_another_institution_cannot_change_or_list_it(site):
    client = signed_in(site, "other@elsewhere.vn")
    art_id = site.art["id"]
    token = page_token(client)
    assert "Lacquered box" not in client.get("/", headers=EN).get_data(as_text=True)
    assert client.get("/api/v1/artefacts").get_json()["total"] == 0
    assert client.delete(f"/api/v1/artefacts/{art_id}", headers={"X-CSRFToken": token}).status_code == 404
    assert client.patch(f"/api/v1/artefacts/{art_id}", json={"title": {"en": "x"}},
                        headers={"X-CSRFToken": token}).status_code == 404
    assert client.post(f"/api/v1/artefacts/{art_id}/reprocess", headers={"X-CSRFToken": token}).status_code == 404
    users = client.get("/studio/users").get_data(as_text=True)
    assert "editor@museum.vn" not in users
    assert client.post("/studio/users/1/reset", data={"csrf_token": token}).status_code == 404
    stats = client.get("/studio/stats.csv").get_data(as_text=True)
    assert all(line.endswith(",0,0,0,0,0") for line in stats.splitlines()[1:])


def test_every_studio_page_needs_a_session(site):
    client = site.app.test_client()
    for path in ("/", "/studio/upload", f"/studio/artefacts/{site.art['id']}", "/studio/stats", "/studio/users",
                 "/studio/keys", "/studio/settings"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/signin" in resp.headers["Location"], path


def test_studio_pages_send_a_csp_and_no_store(site):
    client = signed_in(site, "editor@museum.vn")
    resp = client.get(f"/studio/artefacts/{site.art['id']}")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_stats_pages_and_csv_show_the_daily_counts(site):
    import datetime as dt

    from sqlalchemy.orm import Session

    from service.db import make_engine
    from service.db.models import DailyCount

    today = dt.datetime.now(dt.timezone.utc).date()
    engine = make_engine(site.app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        for day, event, n in ((today, "view", 7), (today, "ar", 2), (today - dt.timedelta(days=3), "load", 4),
                              (today - dt.timedelta(days=120), "view", 99)):  # outside the 90 days
            db.add(DailyCount(artefact_id=site.art["id"], day=day, event=event, count=n))
        db.commit()
    engine.dispose()
    client = signed_in(site, "viewer@museum.vn")
    rows = client.get(f"/studio/artefacts/{site.art['id']}/stats.csv").get_data(as_text=True).splitlines()
    assert rows[-1] == f"{today.isoformat()},7,0,2,0,0"
    assert rows[-4] == f"{(today - dt.timedelta(days=3)).isoformat()},0,4,0,0,0"
    page = client.get("/studio/stats", headers=EN).get_data(as_text=True)
    assert '<span class="big">7</span> Views' in page and '<span class="big">2</span> AR launches' in page
    assert page.count("<svg") == 3


def test_a_failed_artefact_shows_the_reason_in_plain_words(site):
    from tests.conftest import run_jobs

    resp = site.client.post("/api/v1/artefacts", headers=site.auth, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(b"this is not a scan"), "notes.txt"),
                                  "metadata": '{"title": {"en": "Broken"}}'})
    art_id = resp.get_json()["id"]
    run_jobs(site.app)
    client = signed_in(site, "editor@museum.vn")
    page = client.get(f"/studio/artefacts/{art_id}", headers=EN).get_data(as_text=True)
    assert ">failed<" in page and "Why it failed" in page
    reason = site.client.get(f"/api/v1/artefacts/{art_id}", headers=site.auth).get_json()["error"]["message"]
    assert reason and str(markupsafe.escape(reason)) in page and "Traceback" not in page
    assert 'id="retry-btn"' in page
    assert ">failed<" in client.get("/", query_string={"status": "failed"}, headers=EN).get_data(as_text=True)
    # in Vietnamese: what went wrong and what to do in Vietnamese, the technical message kept beside it
    code = site.client.get(f"/api/v1/artefacts/{art_id}", headers=site.auth).get_json()["error"]["code"]
    client.set_cookie("studio_lang", "vi")
    page = client.get(f"/studio/artefacts/{art_id}").get_data(as_text=True)
    assert "Lý do thất bại" in page and "Chi tiết kỹ thuật" in page
    assert str(markupsafe.escape(error_names("vi")[code])) in page and str(markupsafe.escape(reason)) in page


def test_admin_makes_and_revokes_api_keys_of_their_institution(site):
    make_user(site.app, "boss@museum.vn", "admin", HOME)
    client = signed_in(site, "boss@museum.vn")
    token = page_token(client, "/studio/keys")
    page = client.post("/studio/keys", data={"label": "CMS sync", "scope": "read", "csrf_token": token},
                       headers=EN).get_data(as_text=True)
    raw = re.search(r'id="c-key" type="text" readonly value="(har_[^"]+)"', page).group(1)
    assert "shown only once" in page
    listed = site.app.test_client().get("/api/v1/artefacts", headers={"Authorization": f"Bearer {raw}"})
    assert listed.status_code == 200 and listed.get_json()["total"] == 1
    key_id = int(re.search(r'/studio/keys/(\d+)/revoke" class="inline">\s*<input type="hidden" name="csrf_token" '
                           r'value="[^"]+">\s*<button type="submit" aria-label="Revoke: CMS sync"', page).group(1))
    other = signed_in(site, "other@elsewhere.vn")
    assert other.post(f"/studio/keys/{key_id}/revoke", data={"csrf_token": page_token(other)}).status_code == 404
    assert "CMS sync" not in other.get("/studio/keys").get_data(as_text=True)
    assert client.post(f"/studio/keys/{key_id}/revoke", data={"csrf_token": token}).status_code == 200
    gone = site.app.test_client().get("/api/v1/artefacts", headers={"Authorization": f"Bearer {raw}"})
    assert gone.status_code == 401
    assert signed_in(site, "editor@museum.vn").get("/studio/keys").status_code == 403


def test_admin_sets_the_webhook_with_the_cli_rules(site):
    make_user(site.app, "boss@museum.vn", "admin", HOME)
    client = signed_in(site, "boss@museum.vn")
    token = page_token(client, "/studio/keys")
    bad = client.post("/studio/keys/webhook", data={"url": "http://127.0.0.1/hook", "csrf_token": token})
    assert bad.status_code == 400
    ok = client.post("/studio/keys/webhook", data={"url": "https://cms.example.org/hook", "csrf_token": token},
                     headers=EN).get_data(as_text=True)
    secret = re.search(r'id="c-secret" type="text" readonly value="(whsec_[^"]+)"', ok).group(1)
    with site.app.app_context():
        from service.db import get_db
        from service.db.queries import find_institution

        inst = find_institution(get_db(), HOME)
        assert (inst.webhook_url, inst.webhook_secret) == ("https://cms.example.org/hook", secret)
    assert secret not in client.get("/studio/keys").get_data(as_text=True)  # shown once


def test_admin_disables_and_enables_a_user(site):
    make_user(site.app, "boss@museum.vn", "admin", HOME)
    editor = signed_in(site, "editor@museum.vn")
    client = signed_in(site, "boss@museum.vn")
    token = page_token(client, "/studio/users")
    with site.app.app_context():
        from sqlalchemy import select

        from service.db import get_db
        from service.db.models import User

        ids = dict(get_db().execute(select(User.email, User.id)).all())
    assert client.post(f"/studio/users/{ids['editor@museum.vn']}/access", data={"csrf_token": token}).status_code == 200
    assert editor.get("/").status_code == 302  # signed out at once
    assert sign_in(site.app.test_client(), "editor@museum.vn").status_code == 401
    client.post(f"/studio/users/{ids['editor@museum.vn']}/access", data={"csrf_token": token, "enable": "1"})
    assert sign_in(site.app.test_client(), "editor@museum.vn").status_code == 302
    assert client.post(f"/studio/users/{ids['boss@museum.vn']}/access", data={"csrf_token": token}).status_code == 403
    other = signed_in(site, "other@elsewhere.vn")
    resp = other.post(f"/studio/users/{ids['editor@museum.vn']}/access", data={"csrf_token": page_token(other)})
    assert resp.status_code == 404


def test_notes_editor_works_with_the_studio_session_of_an_editor(site):
    path = f"/annotate/{site.art['id']}"
    token = re.compile(r'data-csrf="([^"]*)"')
    assert token.search(site.app.test_client().get(path).get_data(as_text=True)).group(1) == ""
    assert token.search(signed_in(site, "viewer@museum.vn").get(path).get_data(as_text=True)).group(1) == ""
    editor = signed_in(site, "editor@museum.vn")
    csrf = token.search(editor.get(path).get_data(as_text=True)).group(1)
    note = {"position": [0, 0.1, 0.05], "normal": [0, 0, 1], "title": {"en": "Mark"}}
    made = editor.post(f"/api/v1/artefacts/{site.art['id']}/annotations", json=note, headers={"X-CSRFToken": csrf})
    assert made.status_code == 201


def test_every_page_has_a_plain_title_and_one_h1(site):
    make_user(site.app, "boss@museum.vn", "admin", HOME)
    client = signed_in(site, "boss@museum.vn")
    art = site.art["id"]
    for path in ("/", "/studio/upload", f"/studio/artefacts/{art}", f"/studio/artefacts/{art}/share",
                 f"/studio/artefacts/{art}/stats", "/studio/stats", "/studio/users", "/studio/keys"):
        page = client.get(path, headers=EN).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert "<" not in title and title.endswith("Heritage AR studio"), (path, title)
        assert page.count("<h1") == 1, path


CUBE_OBJ = "\n".join(
    [f"v {x} {y} {z}" for x in (0, 300) for y in (0, 300) for z in (0, 300)]
    + ["f 1 3 4 2", "f 5 6 8 7", "f 1 2 6 5", "f 3 7 8 4", "f 1 5 7 3", "f 2 4 8 6"]
).encode()


def test_pipeline_warnings_show_in_the_page_language(site):
    """A scan 300 units across with no unit is taken as millimetres, with a warning staff read in their
    language; the API keeps the English text and the manifest the key to rebuild it."""
    from tests.conftest import run_jobs

    resp = site.client.post("/api/v1/artefacts", headers=site.auth, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(CUBE_OBJ), "cube.obj"), "metadata": '{"title": {"en": "Cube"}}'})
    art_id = resp.get_json()["id"]
    run_jobs(site.app)
    art = site.client.get(f"/api/v1/artefacts/{art_id}", headers=site.auth).get_json()
    english = "scale: no unit declared and the scan is 300 units across; assumed millimetres"
    assert english in art["warnings"], art["warnings"]
    manifest = site.client.get(f"/files/derivatives/{art_id}/v1/manifest.json").get_json()
    assert {"key": "scale_guessed_mm", "params": {"extent": 300.0}} in manifest["warning_keys"]
    client = signed_in(site, "editor@museum.vn")
    assert english in client.get(f"/studio/artefacts/{art_id}", headers=EN).get_data(as_text=True)
    client.set_cookie("studio_lang", "vi")
    vi = client.get(f"/studio/artefacts/{art_id}").get_data(as_text=True)
    assert "scale: chưa khai báo đơn vị và bản quét rộng 300 đơn vị; đã coi là milimét" in vi and english not in vi


def test_admin_sets_what_new_uploads_start_with(site):
    """Licence, credit line and gallery listing: checked with the catalogue rules, kept for this institution only,
    and the upload form starts with them."""
    make_user(site.app, "admin@museum.vn", "admin", HOME)
    admin = signed_in(site, "admin@museum.vn")
    page = admin.get("/studio/settings", headers=EN).get_data(as_text=True)
    assert "Settings for new uploads" in page and 'href="/studio/settings"' in page
    token = page_token(admin)
    assert admin.post("/studio/settings", data={"licence": "CC-BY-4.0"}).status_code == 400  # no CSRF token
    bad = admin.post("/studio/settings", data={"csrf_token": token, "licence": "GPL-3.0", "attribution": "x"},
                     headers=EN)
    assert bad.status_code == 400 and "metadata.licence" in bad.get_data(as_text=True)
    admin.set_cookie("studio_lang", "vi")
    bad_vi = admin.post("/studio/settings", data={"csrf_token": token, "licence": "GPL-3.0"}).get_data(as_text=True)
    assert "metadata.licence:" in bad_vi and "Giấy phép" in bad_vi
    admin.set_cookie("studio_lang", "en")
    too_long = admin.post("/studio/settings", data={"csrf_token": token, "attribution": "x" * 1001}, headers=EN)
    assert too_long.status_code == 400 and "metadata.attribution" in too_long.get_data(as_text=True)
    # markup in the credit line is kept as text and never reaches a page as markup
    marked = '<script>alert(1)</script>"><img src=x>'
    assert admin.post("/studio/settings", data={"csrf_token": token, "attribution": marked}).status_code == 200
    form = signed_in(site, "editor@museum.vn").get("/studio/upload", headers=EN).get_data(as_text=True)
    assert marked not in form and str(markupsafe.escape(marked)) in form
    credit = "Bảo tàng Lịch sử Quốc gia, ảnh: Nguyễn Văn A"
    ok = admin.post("/studio/settings", data={"csrf_token": token, "licence": "CC-BY-SA-4.0", "attribution": credit})
    assert ok.status_code == 200 and "Saved." in ok.get_data(as_text=True)
    editor = signed_in(site, "editor@museum.vn")
    form = editor.get("/studio/upload", headers=EN).get_data(as_text=True)
    assert '<option value="CC-BY-SA-4.0" selected>' in form
    assert f'value="{markupsafe.escape(credit)}"' in form
    assert 'id="listed" name="listed" type="checkbox" >' in form  # the box left unticked: not listed
    # another institution's form is untouched, and it cannot read or change these
    other = signed_in(site, "other@elsewhere.vn")
    assert "CC-BY-SA-4.0\" selected" not in other.get("/studio/upload", headers=EN).get_data(as_text=True)
    assert credit not in other.get("/studio/settings", headers=EN).get_data(as_text=True)
    # emptied again: the form starts blank and listed
    admin.post("/studio/settings", data={"csrf_token": token, "licence": "", "attribution": "", "listed": "on"})
    form = editor.get("/studio/upload", headers=EN).get_data(as_text=True)
    assert "selected>" not in form.split('id="licence"')[1].split("</select>")[0]
    assert 'id="listed" name="listed" type="checkbox" checked>' in form
