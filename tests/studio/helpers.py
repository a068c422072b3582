"""Helpers for studio tests: users in an app's database, signing in through the form, CSRF tokens."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from service.db import make_engine
from service.db.users import create_user

PASSWORD = "correct horse battery"


def make_user(app, email: str, role: str = "editor", institution: str = "Bảo tàng Mỹ thuật Việt Nam",
              password: str | None = PASSWORD) -> None:
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        create_user(db, institution, email, role, password=password)
        db.commit()
    engine.dispose()


def csrf_of(html: str) -> str:
    """The CSRF token a studio page carries (meta tag and hidden fields hold the same)."""
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    return client.post("/signin", data={"email": email, "password": password, "csrf_token": token})


def page_token(client, path: str = "/") -> str:
    """The CSRF token of a signed-in page (for API writes with the session)."""
    return csrf_of(client.get(path).get_data(as_text=True))
