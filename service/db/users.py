"""
users.py
--------

Studio accounts: staff users of one institution with a role, their
passwords and one-time sign-in links. Passwords are hashed with scrypt
(Werkzeug's `generate_password_hash`, OpenSSL underneath: a memory-hard KDF
with a random salt per hash); sign-in links are random tokens of which only
the SHA-256 is stored, good once and for a limited time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from service.db.models import Institution
from service.db.models import SignInToken
from service.db.models import User
from service.db.models import utcnow
from service.db.queries import get_or_create_institution
from service.errors import BadRequest
from service.errors import Conflict
from service.errors import NotFound
from service.messages import Message

ROLES = ("viewer", "editor", "admin")
# the API key scope each role acts with (auth.py): viewers read, editors write, admins manage
ROLE_SCOPE = {"viewer": "read", "editor": "write", "admin": "admin"}
MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # scrypt hashes anything, but a megabyte "password" is a denial of service
LINK_HOURS = 72
# a fixed hash to check against when the email is unknown, so both answers take the same time
_DUMMY_HASH = generate_password_hash("heritage-ar-not-a-password")


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password` (n=2**15, r=8, p=1: Werkzeug's default)."""
    check_password(password)
    return generate_password_hash(password, method="scrypt")


def check_password(password: str) -> None:
    """BadRequest when a new password is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise BadRequest(Message("password_short", min=MIN_PASSWORD), field="password")
    if len(password) > MAX_PASSWORD:
        raise BadRequest(Message("password_long", max=MAX_PASSWORD), field="password")


def normal_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise BadRequest(Message("user_email", email=email), field="email")
    return email


def create_user(db: Session, institution_name: str, email: str, role: str, *, name: str | None = None,
                password: str | None = None) -> User:
    """A new user of an institution (created if new); without a password they sign in by a one-time link."""
    return add_user(db, get_or_create_institution(db, institution_name), email, role, name=name, password=password)


def add_user(db: Session, inst: Institution, email: str, role: str, *, name: str | None = None,
             password: str | None = None) -> User:
    """A new user of `inst`; Conflict when the email is taken (by any institution)."""
    if role not in ROLES:
        raise BadRequest(Message("user_role", role=role, roles=", ".join(ROLES)), field="role")
    email = normal_email(email)
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(Message("user_exists", email=email), field="email")
    user = User(institution_id=inst.id, email=email, name=(name or "").strip() or None, role=role,
                password_hash=hash_password(password) if password is not None else None)
    db.add(user)
    db.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password; every session signed in with the old one ends."""
    user.password_hash = hash_password(password)
    user.session_stamp = secrets.token_hex(16)


def authenticate(db: Session, email: str, password: str) -> User | None:
    """The live user with this email and password, or None (same work for an unknown email)."""
    user = db.scalar(select(User).where(User.email == (email or "").strip().lower(), User.disabled_at.is_(None)))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    ok = len(password or "") <= MAX_PASSWORD and check_password_hash(stored, password or "")
    if not ok or user is None or not user.password_hash:
        return None
    user.last_sign_in_at = utcnow()
    return user


def user_for_session(db: Session, user_id: object, stamp: object) -> User | None:
    """The signed-in user named by a session cookie, if the account is live and the password unchanged."""
    if not isinstance(user_id, int) or not isinstance(stamp, str):
        return None
    user = db.get(User, user_id)
    if user is None or user.disabled_at is not None or not secrets.compare_digest(user.session_stamp, stamp):
        return None
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_link(db: Session, user: User, *, hours: int = LINK_HOURS) -> str:
    """A new one-time sign-in token for `user` (older unused ones stop working); returns the raw token."""
    for old in db.scalars(select(SignInToken).where(SignInToken.user_id == user.id, SignInToken.used_at.is_(None))):
        old.used_at = utcnow()
    raw = secrets.token_urlsafe(32)
    db.add(SignInToken(user_id=user.id, token_hash=_token_hash(raw), expires_at=utcnow() + dt.timedelta(hours=hours)))
    db.flush()
    return raw


def reset_password(db: Session, user: User) -> str:
    """Clear the password and end the user's sessions; returns a one-time link token to choose a new one."""
    user.password_hash = None
    user.session_stamp = secrets.token_hex(16)
    return issue_link(db, user)


def user_for_link(db: Session, raw: str) -> User | None:
    """The user a one-time token is for, while it is unused and unexpired (it is not spent here)."""
    token = _live_token(db, raw)
    return db.get(User, token.user_id) if token is not None else None


def spend_link(db: Session, raw: str, password: str) -> User:
    """Use a one-time token to set the user's password; NotFound when it is spent, expired or unknown."""
    token = _live_token(db, raw)
    if token is None:
        raise NotFound(Message("link_spent"))
    user = db.get(User, token.user_id)
    set_password(user, password)
    token.used_at = utcnow()
    user.last_sign_in_at = utcnow()
    return user


def _live_token(db: Session, raw: str) -> SignInToken | None:
    if not raw or len(raw) > 200:
        return None
    token = db.scalar(select(SignInToken).where(SignInToken.token_hash == _token_hash(raw)))
    if token is None or token.used_at is not None or token.expires_at < utcnow():
        return None
    return token


def users_of(db: Session, institution_id: int) -> list[User]:
    return list(db.scalars(select(User).where(User.institution_id == institution_id).order_by(User.email)))


def get_user(db: Session, institution_id: int, user_id: int) -> User:
    """A user of this institution, or NotFound (another institution's users do not exist here)."""
    user = db.scalar(select(User).where(User.id == user_id, User.institution_id == institution_id))
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user
