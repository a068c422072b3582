"""
schemas.py
----------

Pydantic models of the API's request and response bodies. The OpenAPI
document (openapi.py) is generated from them, the key and webhook endpoints
validate their input with them, and the schemathesis test checks that every
answer of the live app matches them, so the description cannot drift.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import RootModel

from service.pipeline.constants import UNITS
from service.pipeline.metadata import CATEGORIES
from service.pipeline.constants import FLAT_KINDS
from service.pipeline.metadata import KINDS
from service.pipeline.metadata import LICENCES

Scope = Literal["read", "write", "admin"]


class Error(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `rate_limited`, `artefact_not_found`.")
    message: str = Field(description="What failed and what to do, for people.")
    details: dict | None = None


class ErrorBody(BaseModel):
    error: Error


class Page(BaseModel):
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=100)
    total: int = Field(ge=0)
    pages: int = Field(ge=0)


class Derivative(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str
    bytes: int
    sha256: str
    mime: str
    role: str | None = None


class Artefact(BaseModel):
    id: str
    status: Literal["queued", "processing", "ready", "failed"]
    error: Error | dict | None = None
    kind: str | None = None
    metadata: dict = Field(description="Catalogue metadata (title, creator, dimensions, licence, ...).")
    version: int | None = None
    derivatives: dict[str, Derivative]
    links: dict[str, str]
    stats: dict[str, int]
    creator_kit: dict
    warnings: list
    created_at: str
    updated_at: str


class ArtefactList(Page):
    items: list[Artefact]


class UploadAccepted(BaseModel):
    id: str
    status: str
    job_url: str | None = None
    duplicate: bool = Field(description="True when the same files were uploaded before: nothing new was queued.")
    links: dict[str, str]


Text = Annotated[str, Field(max_length=20000)]


class Title(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vi: str | None = Field(default=None, pattern=r"\S", description="Vietnamese title.")
    en: str | None = Field(default=None, pattern=r"\S", description="English title.")


class Dimensions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: Literal[tuple(UNITS)] = "cm"  # type: ignore[valid-type]
    width: float | None = Field(default=None, gt=0, description="At most 100 m in any unit.")
    height: float | None = Field(default=None, gt=0)
    depth: float | None = Field(default=None, gt=0)


class MetadataPatch(BaseModel):
    """Catalogue metadata (pipeline/metadata.py checks it); on PATCH only the fields sent change.

    Fields not listed here are kept as private extras: never published (DESIGN §8).
    """

    model_config = ConfigDict(extra="allow")
    title: Title | None = None
    creator: Text | None = None
    culture: Text | None = None
    date: Text | None = None
    accession_number: Text | None = None
    attribution: Text | None = None
    description: Text | None = None
    dimensions: Dimensions | None = None
    licence: Literal[tuple(LICENCES)] | None = None  # type: ignore[valid-type]
    category: Literal[CATEGORIES] | None = None  # type: ignore[valid-type]
    kind: Literal[KINDS] | None = None  # type: ignore[valid-type]
    flat_kind: Literal[tuple(FLAT_KINDS)] | None = None  # type: ignore[valid-type]
    up_axis: Literal["+X", "-X", "+Y", "-Y", "+Z", "-Z"] | None = None
    rectify: bool | None = None


class Metadata(MetadataPatch):
    """Catalogue metadata of an upload: a title in vi or en is required."""

    title: Title


class UploadForm(BaseModel):
    """multipart/form-data: one or more `file` parts (a scan, an archive or photos) and a `metadata` part."""

    file: list[bytes] = Field(min_length=1, json_schema_extra={
        "items": {"type": "string", "contentMediaType": "application/octet-stream"}})
    metadata: Metadata = Field(description='Catalogue metadata as JSON, e.g. {"title": {"vi": "Tượng Phật"}}.')


class Job(BaseModel):
    id: str
    artefact_id: str
    state: Literal["queued", "running", "done", "failed"]
    progress: int = Field(ge=0, le=100)
    stage: str | None = None
    error: dict | None = None
    attempts: int
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    links: dict[str, str]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, max_length=200)
    scope: Scope = "write"


class Key(BaseModel):
    id: int
    prefix: str = Field(description="The key's first characters (`har_...`), to recognise it.")
    label: str | None = None
    scope: Scope
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None


class KeyCreated(Key):
    key: str = Field(description="The secret key, shown only in this answer; store it now.")


class KeyList(BaseModel):
    items: list[Key]


class JobUsage(BaseModel):
    queued: int
    running: int
    max_queued: int
    max_running: int


class StorageUsage(BaseModel):
    used_bytes: int
    quota_bytes: int | None = None


class Usage(BaseModel):
    institution: str
    jobs: JobUsage
    storage: StorageUsage
    rate_limits: dict[str, str]


class Delivery(BaseModel):
    id: str
    event: str
    url: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status: int | None = None
    last_error: str | None = None
    created_at: str
    last_attempt_at: str | None = None
    next_attempt_at: str | None = None
    delivered_at: str | None = None
    payload: dict


class DeliveryList(Page):
    items: list[Delivery]


class StatsQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: dt.date | None = Field(default=None, alias="from", description="First day, YYYY-MM-DD (UTC).")
    to: dt.date | None = Field(default=None, description="Last day, YYYY-MM-DD (UTC).")


class DayCounts(BaseModel):
    date: str
    view: int
    load: int
    ar: int
    qr: int
    embed: int


class Stats(BaseModel):
    """Daily counts of an institution's artefacts (the delivery issue's contract)."""

    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    series: list[DayCounts]
    totals: dict[str, int]


class Referrer(BaseModel):
    host: str
    embed: int


class ArtefactStats(Stats):
    artefact_id: str
    referrers: list[Referrer] = Field(default_factory=list, description="Sites embedding it most (embed loads).")


class ListQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=20, ge=1, le=1_000_000, description="At most 100 are returned.")


class ArtefactListQuery(ListQuery):
    status: Literal["queued", "processing", "ready", "failed", ""] | None = Field(
        default=None, description="Only artefacts in this state; empty or absent: all.")


class DeliveryListQuery(ListQuery):
    state: Literal["pending", "delivered", "failed"] | None = None


def _problem(e) -> str:
    first = e.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"{where}: {first.get('msg', 'invalid')}"


def parse_json(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body as `model`, or BadRequest saying which field is wrong."""
    from flask import request
    from pydantic import ValidationError

    from service.errors import BadRequest

    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("body: send a JSON object (Content-Type: application/json)")
    try:
        return model.model_validate(body)
    except ValidationError as e:
        raise BadRequest(f"body: {_problem(e)}") from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string as `model`, or BadRequest."""
    from flask import request
    from pydantic import ValidationError

    from service.errors import BadRequest

    try:
        return model.model_validate({k: v for k, v in request.args.items() if k in model.model_fields})
    except ValidationError as e:
        raise BadRequest(f"query: {_problem(e)}") from None


Coordinate = Annotated[float, Field(ge=-100, le=100)]
Vector = Annotated[list[Coordinate], Field(min_length=3, max_length=3, description="[x, y, z] in metres, +Y up")]


class LangText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vi: str | None = Field(default=None, max_length=2000)
    en: str | None = Field(default=None, max_length=2000)


class NoteCamera(BaseModel):
    model_config = ConfigDict(extra="forbid")
    orbit: list[float] = Field(min_length=3, max_length=3, description="[theta deg, phi deg, radius m]")
    target: Vector | None = None
    fov: float | None = Field(default=None, ge=5, le=120)


class NoteIn(BaseModel):
    """Fields of a curator's note to change (docs/annotations.md has the limits)."""

    model_config = ConfigDict(extra="forbid")
    position: Vector | None = None
    normal: Vector | None = None
    title: LangText | None = None
    body: LangText | None = None
    image: str | None = Field(default=None, max_length=500, description="an https:// address")
    camera: NoteCamera | None = None
    order: int | None = Field(default=None, ge=0, le=10_000)


class NoteCreate(NoteIn):
    """A new note: a point and a title are needed (docs/annotations.md has the limits)."""

    position: Vector
    title: LangText


class Note(BaseModel):
    id: str
    order: int
    position: Vector
    normal: Vector
    title: dict[str, str]
    body: dict[str, str]
    image: str | None = None
    camera: dict | None = None


class NoteList(BaseModel):
    items: list[Note]


class NoteOrder(BaseModel):
    order: list[str] = Field(description="Every note's id once, in the new reading order.")


# resumable uploads (docs/uploads.md)

class UploadCreate(BaseModel):
    filename: str = Field(min_length=1, max_length=1000, description="The file's name; only its basename is kept.")
    size: int = Field(ge=1, le=2**50, description="Bytes; at most HERITAGE_AR_MAX_UPLOAD_MB.")
    content_type: str | None = Field(default=None, max_length=200)


class UploadPartInfo(BaseModel):
    number: int = Field(ge=1)
    size: int = Field(ge=0)
    etag: str


class UploadState(BaseModel):
    id: str
    filename: str
    size: int
    mode: Literal["local", "s3"] = Field(description="local: PUT parts to the app; s3: PUT them to presigned URLs.")
    part_size: int = Field(description="Bytes per part; the last part holds the rest.")
    parts_total: int
    parts: list[UploadPartInfo] = Field(description="Parts received so far: send the others to resume.")
    state: Literal["open", "complete", "consuming", "consumed", "expired"]
    expires_at: str
    created_at: str
    content_type: str | None = None
    sha256: str | None = None
    artefact_id: str | None = Field(default=None, description="The artefact made from it, once used.")


class PartBody(RootModel[bytes]):
    """The part's bytes, exactly `part_size` of them (the last part: the rest)."""


class PresignRequest(BaseModel):
    numbers: list[Annotated[int, Field(ge=1, le=10_000)]] = Field(min_length=1, max_length=100)


class PresignAnswer(BaseModel):
    urls: dict[str, str] = Field(description="Part number -> presigned PUT URL in the bucket.")


class PartRef(BaseModel):
    number: int = Field(ge=1, le=10_000)
    etag: str = Field(max_length=100)


class UploadComplete(BaseModel):
    parts: list[PartRef] | None = Field(default=None, max_length=10_000,
                                        description="S3 mode: each part's ETag as the bucket answered it.")


class UploadDone(BaseModel):
    id: str
    state: Literal["complete"]
    size: int
    sha256: str | None = None


class ArtefactFromUploads(BaseModel):
    """JSON instead of multipart: finished resumable uploads (docs/uploads.md) and the catalogue metadata."""

    upload_ids: list[str] = Field(min_length=1, max_length=2000)
    metadata: Metadata
