"""
commands.py
-----------

`heritage-ar users ...`: create a studio user (the password read from
standard input, or a one-time sign-in link printed), list an
institution's users, and reset a password (a new one-time link).
"""

from __future__ import annotations

import sys

import click

from service.errors import HeritageError


def _session():
    from service.cli import _session as session

    return session()


def _link(raw: str) -> str:
    from service.cli import _settings

    root = _settings().base_url or "http://127.0.0.1:8000"
    return f"{root.rstrip('/')}/welcome/{raw}"


@click.group()
def users() -> None:
    """Studio users (museum staff who sign in with a browser)."""


@users.command("create")
@click.option("--institution", required=True, help="Institution name (created if new).")
@click.option("--email", required=True, help="The user's email, used to sign in.")
@click.option("--role", type=click.Choice(["admin", "editor", "viewer"]), default="editor", show_default=True,
              help="admin: users and settings; editor: upload, edit, withdraw; viewer: read and statistics.")
@click.option("--name", default=None, help="The user's name, as shown in the studio.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (first line).")
def users_create(institution: str, email: str, role: str, name: str | None, password_stdin: bool) -> None:
    """Create a user; without --password-stdin, print a one-time sign-in link (valid 72 hours)."""
    from service.db.users import create_user
    from service.db.users import issue_link

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    with _session() as session:
        try:
            user = create_user(session, institution, email, role, name=name, password=password)
            raw = None if password is not None else issue_link(session, user)
        except HeritageError as e:
            raise click.ClickException(e.message) from None
        session.commit()
        email = user.email
    if raw is None:
        click.echo(f"created {email} ({role}) at {institution}")
    else:
        click.echo(_link(raw))


@users.command("list")
@click.option("--institution", required=True, help="Institution name.")
def users_list(institution: str) -> None:
    """List an institution's users: id, email, role, last sign-in."""
    from service.db.queries import find_institution
    from service.db.users import users_of

    with _session() as session:
        try:
            inst = find_institution(session, institution)
        except HeritageError as e:
            raise click.ClickException(e.message) from None
        for u in users_of(session, inst.id):
            last = u.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if u.last_sign_in_at else "-"
            click.echo(f"{u.id}\t{u.email}\t{u.role}\t{last}")


@users.command("reset")
@click.option("--email", required=True, help="The user's email.")
def users_reset(email: str) -> None:
    """Reset a user's password: sessions end, and a new one-time sign-in link is printed."""
    from sqlalchemy import select

    from service.db.models import User
    from service.db.users import reset_password

    with _session() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"user {email!r} not found")
        raw = reset_password(session, user)
        session.commit()
    click.echo(_link(raw))
