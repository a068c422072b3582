"""
models.py
---------

Tables: institutions, API keys (hash only), artefacts with catalogue
metadata, versions, derivatives, jobs, curators' annotations and resumable uploads. Every artefact belongs to one
institution and every API query filters on it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import true
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

# a short code must be easy to type from a video: no 0/O, 1/l/I
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


def new_slug() -> str:
    # 128 bits: share links cannot be enumerated
    return secrets.token_urlsafe(16)


def new_short_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(7))


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # the public gallery's address for this institution, /gallery/<slug> (ASCII, from the name)
    slug: Mapped[str | None] = mapped_column(String(80), unique=True, index=True)
    # where to POST "artefact.ready" / "artefact.failed" events, signed with the secret (HMAC-SHA256)
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    # what a new upload starts with in the studio (studio/settings.py); the API takes records as sent
    default_licence: Mapped[str | None] = mapped_column(String(40))
    default_attribution: Mapped[str | None] = mapped_column(String(1000))
    default_listed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    keys: Mapped[list["ApiKey"]] = relationship(back_populates="institution")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    # read < write < admin (admin also manages keys); keys made before scopes existed are admin
    scope: Mapped[str] = mapped_column(String(10), default="write", server_default="admin")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    institution: Mapped[Institution] = relationship(back_populates="keys")


class Artefact(Base):
    __tablename__ = "artefacts"
    __table_args__ = (UniqueConstraint("institution_id", "content_hash", name="uq_artefact_content"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True, default=new_slug)
    short_code: Mapped[str] = mapped_column(String(12), unique=True, default=new_short_code)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    # declared by the upload, or filled from the manifest once the pipeline decided; None = not known yet
    kind: Mapped[str | None] = mapped_column(String(20))

    # catalogue metadata (the columns a museum searches by; the rest in `extra`)
    title_vi: Mapped[str | None] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    creator: Mapped[str | None] = mapped_column(Text)
    culture: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(200))
    accession_number: Mapped[str | None] = mapped_column(String(200), index=True)
    width: Mapped[float | None] = mapped_column(Float)
    height: Mapped[float | None] = mapped_column(Float)
    depth: Mapped[float | None] = mapped_column(Float)
    dimension_unit: Mapped[str | None] = mapped_column(String(8))
    licence: Mapped[str | None] = mapped_column(String(40))
    attribution: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    # False keeps a published artefact out of the public gallery, sitemap and feeds; its links still work
    listed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # titles, creator, culture and accession number folded (lower case, no diacritics) for gallery search
    search_text: Mapped[str | None] = mapped_column(Text)

    # sha256 over the uploaded files: a rerun of the same upload finds this artefact
    content_hash: Mapped[str | None] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    page_views: Mapped[int] = mapped_column(BigInteger, default=0)
    model_loads: Mapped[int] = mapped_column(BigInteger, default=0)
    ar_launches: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    institution: Mapped[Institution] = relationship()
    versions: Mapped[list["Version"]] = relationship(back_populates="artefact", order_by="Version.number")


class GalleryCount(Base):
    """Gallery events per day: `search` (artefact_id "") and `kit` downloads (per artefact)."""

    __tablename__ = "gallery_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    event: Mapped[str] = mapped_column(String(20), primary_key=True)
    artefact_id: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("artefact_id", "number", name="uq_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artefact_id: Mapped[str] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    originals: Mapped[list] = mapped_column(JSON, default=list)  # [{key, name, bytes, sha256}]
    manifest: Mapped[dict | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ready_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    artefact: Mapped[Artefact] = relationship(back_populates="versions")
    derivatives: Mapped[list["Derivative"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Derivative.name"
    )


class Derivative(Base):
    __tablename__ = "derivatives"
    __table_args__ = (UniqueConstraint("version_id", "name", name="uq_derivative_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(500))
    role: Mapped[str | None] = mapped_column(String(40))
    mime: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    info: Mapped[dict] = mapped_column(JSON, default=dict)

    version: Mapped[Version] = relationship(back_populates="derivatives")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    artefact_id: Mapped[str] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str | None] = mapped_column(String(60))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebhookDelivery(Base):
    """One event for one institution's webhook: the outbox row a dispatcher sends and retries."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=utcnow, index=True)
    last_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of the last attempt
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
class Annotation(Base):
    """A curator's note pinned to a point on the model's surface (metres, +Y up, base at the origin)."""

    __tablename__ = "annotations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    artefact_id: Mapped[str] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    position: Mapped[list] = mapped_column(JSON)  # [x, y, z]
    normal: Mapped[list] = mapped_column(JSON)  # [x, y, z], unit length
    title_vi: Mapped[str | None] = mapped_column(String(120))
    title_en: Mapped[str | None] = mapped_column(String(120))
    body_vi: Mapped[str | None] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(500))
    camera: Mapped[dict | None] = mapped_column(JSON)  # {"orbit": [deg, deg, m], "target": [x, y, z], "fov": deg}
    order_index: Mapped[int] = mapped_column(Integer, default=0)
    # the version whose mesh the point was placed on; re-projection moves it onto later ones
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DailyCount(Base):
    """Events per artefact per UTC day (view, load, ar, qr, embed), written in batches by the counters."""

    __tablename__ = "daily_counts"
    __table_args__ = (UniqueConstraint("artefact_id", "day", "event", name="uq_daily_count"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artefact_id: Mapped[str] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    event: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyReferrer(Base):
    """Embed page loads per artefact per UTC day by the host of the page that framed the embed."""

    __tablename__ = "daily_referrers"
    __table_args__ = (UniqueConstraint("artefact_id", "day", "host", name="uq_daily_referrer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artefact_id: Mapped[str] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    host: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class User(Base):
    """A member of a museum's staff who signs in to the studio; `role` is admin, editor or viewer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower case
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10), default="editor")
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None until the one-time link is used
    # changes when the password is set or reset: sessions carrying an older stamp are signed out
    session_stamp: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    institution: Mapped[Institution] = relationship()


class SignInToken(Base):
    """A one-time sign-in link (first sign-in or a password reset by an admin); only its hash is stored."""

    __tablename__ = "sign_in_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Upload(Base):
    """A resumable upload of one file (docs/uploads.md): open while parts arrive, complete, then consumed by an artefact.

    `mode` says where the parts go: "local" (PUT to the app, written into one file at their offsets) or "s3"
    (PUT by the browser straight to the bucket with presigned URLs, into the S3 multipart upload `s3_upload_id`).
    """

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(8))  # local | s3
    part_size: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|complete|consuming|consumed|expired
    key: Mapped[str | None] = mapped_column(String(500))  # s3: the object the parts become
    s3_upload_id: Mapped[str | None] = mapped_column(String(1024))
    sha256: Mapped[str | None] = mapped_column(String(64))
    artefact_id: Mapped[str | None] = mapped_column(String(32))  # set when consumed
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UploadPart(Base):
    """One received part of a local-mode upload (s3 mode: copied from ListParts at completion)."""

    __tablename__ = "upload_parts"

    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(100))
