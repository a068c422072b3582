"""Studio accounts: password hashing, sign-in and out, cookie flags, CSRF, rate limits, one-time links, CLI."""

from __future__ import annotations

import markupsafe
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import cli
from service.config import Settings
from service.db import make_engine
from service.db.models import User
from service.db.users import hash_password
from tests.studio.helpers import PASSWORD
from tests.studio.helpers import csrf_of
from tests.studio.helpers import make_user
from tests.studio.helpers import sign_in


def _user(app, email: str) -> User:
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        user = db.scalar(select(User).where(User.email == email))
    engine.dispose()
    return user


def test_password_is_hashed_with_scrypt_and_salted():
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a.startswith("scrypt:") and a != b and PASSWORD not in a


def test_root_shows_sign_in_and_api_is_unchanged(client):
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/signin")
    page = client.get("/signin", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'for="email">Email<' in page and 'for="password">Password<' in page and ">Sign in</button>" in page
    assert client.get("/api/v1/artefacts").status_code == 401


def test_sign_in_sets_a_safe_cookie_and_signs_out(app, client):
    make_user(app, "an@museum.vn")
    resp = sign_in(client, "An@Museum.vn")
    assert resp.status_code == 302
    cookie = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("studio_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/").status_code == 200
    token = csrf_of(client.get("/").get_data(as_text=True))
    client.post("/signout", data={"csrf_token": token})
    assert client.get("/").status_code == 302
    assert _user(app, "an@museum.vn").last_sign_in_at is not None


def test_cookie_is_secure_in_production(tmp_path):
    from service import create_app
    from tests.conftest import _stop

    app = create_app(Settings(data_dir=str(tmp_path / "p"), testing=True, start_worker=False, env="production",
                              base_url="https://ar.museum.vn", secret_key="x" * 40))
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        _stop(app)


def test_wrong_password_and_unknown_email_are_refused_alike(app, client):
    make_user(app, "an@museum.vn")
    wrong = sign_in(client, "an@museum.vn", "not the password")
    unknown = sign_in(client, "nobody@museum.vn", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_data(as_text=True).count("role=\"alert\"") == 1
    assert client.get("/").status_code == 302


def test_sign_in_without_csrf_token_is_refused(app, client):
    make_user(app, "an@museum.vn")
    client.get("/signin")
    resp = client.post("/signin", data={"email": "an@museum.vn", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302


def test_sign_in_attempts_are_rate_limited(tmp_path):
    from service import create_app
    from tests.conftest import _stop

    app = create_app(Settings(data_dir=str(tmp_path / "r"), testing=True, start_worker=False,
                              ratelimit_auth_failures="3/minute"))
    try:
        make_user(app, "an@museum.vn")
        client = app.test_client()
        codes = [sign_in(client, "an@museum.vn", "guess %d" % i).status_code for i in range(4)]
        assert codes == [401, 401, 401, 429]
        assert sign_in(client, "an@museum.vn").status_code == 429  # even the right one, until the window passes
    finally:
        _stop(app)


def test_next_only_goes_to_our_own_pages(app, client):
    make_user(app, "an@museum.vn")
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    resp = client.post("/signin", data={"email": "an@museum.vn", "password": PASSWORD, "csrf_token": token,
                                        "next": "//evil.example/x"})
    assert resp.headers["Location"] == "/"


def test_cli_creates_a_user_with_password_from_stdin(app, monkeypatch):
    settings = app.config["SETTINGS"]
    monkeypatch.setenv("HERITAGE_AR_DATA_DIR", settings.data_dir)
    result = CliRunner().invoke(cli, ["users", "create", "--institution", "Bảo tàng Hà Nội", "--email", "Lan@hn.vn",
                                      "--role", "admin", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    user = _user(app, "lan@hn.vn")
    assert user.role == "admin" and user.password_hash.startswith("scrypt:")
    assert sign_in(app.test_client(), "lan@hn.vn").status_code == 302
    again = CliRunner().invoke(cli, ["users", "create", "--institution", "X", "--email", "lan@hn.vn",
                                     "--password-stdin"], input=PASSWORD + "\n")
    assert again.exit_code != 0 and "already has an account" in again.output
    short = CliRunner().invoke(cli, ["users", "create", "--institution", "X", "--email", "b@hn.vn",
                                     "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 10" in short.output


def test_cli_one_time_link_sets_the_password_once(app, monkeypatch):
    monkeypatch.setenv("HERITAGE_AR_DATA_DIR", app.config["SETTINGS"].data_dir)
    result = CliRunner().invoke(cli, ["users", "create", "--institution", "Bảo tàng Huế", "--email", "minh@hue.vn"])
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert "/welcome/" in link
    path = "/welcome/" + link.rsplit("/welcome/", 1)[1]
    client = app.test_client()
    assert sign_in(client, "minh@hue.vn", "").status_code == 401  # no password yet
    page = client.get(path)
    assert page.status_code == 200 and "minh@hue.vn" in page.get_data(as_text=True)
    token = csrf_of(page.get_data(as_text=True))
    differ = client.post(path, data={"password": PASSWORD, "password2": PASSWORD + "x", "csrf_token": token})
    assert differ.status_code == 400
    short = client.post(path, data={"password": "short", "password2": "short", "csrf_token": token})
    assert short.status_code == 400 and "password: mật khẩu cần ít nhất 10 ký tự" in short.get_data(as_text=True)
    done = client.post(path, data={"password": PASSWORD, "password2": PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and client.get("/").status_code == 200
    assert app.test_client().get(path).status_code == 404  # used once
    assert sign_in(app.test_client(), "minh@hue.vn").status_code == 302


def test_admin_reset_ends_sessions_and_gives_a_new_link(app, client):
    make_user(app, "boss@museum.vn", "admin")
    make_user(app, "an@museum.vn", "editor")
    other = app.test_client()
    sign_in(other, "an@museum.vn")
    assert other.get("/").status_code == 200
    sign_in(client, "boss@museum.vn")
    token = csrf_of(client.get("/studio/users").get_data(as_text=True))
    an = _user(app, "an@museum.vn")
    resp = client.post(f"/studio/users/{an.id}/reset", data={"csrf_token": token})
    assert resp.status_code == 200 and "/welcome/" in resp.get_data(as_text=True)
    assert other.get("/").status_code == 302  # signed out at once
    assert sign_in(app.test_client(), "an@museum.vn").status_code == 401  # the old password is gone


def test_admin_adds_a_user_of_their_own_institution(app, client):
    make_user(app, "boss@museum.vn", "admin")
    sign_in(client, "boss@museum.vn")
    token = csrf_of(client.get("/studio/users").get_data(as_text=True))
    resp = client.post("/studio/users", data={"email": "new@museum.vn", "role": "viewer", "csrf_token": token})
    assert resp.status_code == 200 and "/welcome/" in resp.get_data(as_text=True)
    assert _user(app, "new@museum.vn").institution_id == _user(app, "boss@museum.vn").institution_id
    bad = client.post("/studio/users", data={"email": "new@museum.vn", "role": "viewer", "csrf_token": token})
    assert bad.status_code == 409
    # the refusals read in the page's language (the default is Vietnamese), as English with Accept-Language: en
    text = bad.get_data(as_text=True)
    assert "user: new@museum.vn đã có tài khoản" in text and "already has an account" not in text
    bad = client.post("/studio/users", data={"email": "not an email", "role": "viewer", "csrf_token": token},
                      headers={"Accept-Language": "en"})
    message = str(markupsafe.escape("user: 'not an email' is not an email address"))
    assert bad.status_code == 400 and message in bad.get_data(as_text=True)


@pytest.mark.parametrize(("lang_header", "cookie", "want"), [
    pytest.param("en-GB,en;q=0.9", None, "en", id="accept-language-en"),
    pytest.param("vi", None, "vi", id="accept-language-vi"),
    pytest.param("fr", None, "vi", id="default-vi"),
    pytest.param("en", "vi", "vi", id="switch-wins"),
])
def test_language_from_accept_language_and_the_switch(client, lang_header, cookie, want):
    if cookie:
        client.set_cookie("studio_lang", cookie)
    page = client.get("/signin", headers={"Accept-Language": lang_header}).get_data(as_text=True)
    assert f'<html lang="{want}">' in page
    assert ("Đăng nhập" in page) == (want == "vi")


def test_language_switch_is_remembered(client):
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    resp = client.post("/studio/lang", data={"lang": "en", "next": "/signin", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/signin"
    assert '<html lang="en">' in client.get("/signin", headers={"Accept-Language": "vi"}).get_data(as_text=True)


def test_every_text_exists_in_both_languages():
    from service.studio.text import TEXT

    assert set(TEXT["vi"]) == set(TEXT["en"])
    assert set(TEXT["vi"]["kinds"]) == set(TEXT["en"]["kinds"])


def test_job_stages_read_as_plain_words():
    from service.studio.text import stage_names

    assert stage_names("vi")["normalise"] == "làm sạch, đặt kích thước và hướng"
    assert stage_names("en")["upload"] == "storing the files"
