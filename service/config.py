"""
config.py
---------

The one Settings object. `Settings.from_env()` reads `HERITAGE_AR_*`
variables (documented in README.md); tests build `Settings(...)` directly.
Nothing else in the service reads the environment.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Mapping

PREFIX = "HERITAGE_AR_"


@dataclass
class Settings:
    """Deployment settings; every field maps to `HERITAGE_AR_<FIELD>`."""

    # where embedded state lives (SQLite file, local storage, scratch)
    data_dir: str = "var"
    database_url: str = ""  # default: sqlite:///<data_dir>/heritage-ar.db
    base_url: str = ""  # public origin, e.g. https://ar.museum.vn; default: request host (not in production)
    secret_key: str = "dev-only-change-me"
    testing: bool = False
    # "production" refuses to start without base_url or trusted_hosts and with the default secret_key
    env: str = "development"
    trusted_hosts: str = ""  # comma-separated Host names accepted when base_url is unset, e.g. ar.museum.vn
    seed_demo: bool = False  # the Docker entrypoint runs `heritage-ar seed` only when this is set
    auto_migrate: bool = True  # run `db upgrade` when the app starts

    # storage: "local" or "s3"
    storage: str = "local"
    storage_dir: str = ""  # default: <data_dir>/storage
    s3_endpoint_url: str = ""
    s3_bucket: str = "heritage-ar"
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_public_base_url: str = ""  # CDN or public bucket URL; empty: presigned GETs
    s3_presign_seconds: int = 3600
    s3_multipart_mb: int = 8

    # queue: "inline" (in-process worker threads) or "celery" (Redis broker)
    queue: str = "inline"
    worker_threads: int = 1
    start_worker: bool = True  # run worker threads inside `serve`
    redis_url: str = "redis://127.0.0.1:6379/0"
    job_timeout_seconds: int = 1800
    job_memory_mb: int = 8192  # photogrammetry peaks near 3 GB; a scan job stays under 1 GB
    job_max_attempts: int = 3  # a job that crashes its worker this many times fails for good
    job_landlock: bool = True  # confine a job child's writes to its scratch folder (Linux Landlock)

    # limits (DESIGN.md §6)
    max_upload_mb: int = 1024
    max_archive_entries: int = 2000
    max_unpacked_mb: int = 4096
    max_faces: int = 5_000_000
    max_image_pixels: int = 100_000_000
    # resumable uploads (docs/uploads.md); max_upload_mb is their size limit too
    upload_part_mb: int = 8  # part size (S3 needs at least 5); larger files get larger parts (10,000 at most)
    upload_expire_hours: int = 24  # unfinished or unused uploads are freed after this

    # presentation
    hashtags: str = "#heritageAR #museum"
    previews: bool = True  # stills and turntable video after the 3D files
    turntable_seconds: int = 6
    video_overlay: bool = True  # title, institution, licence and hashtags on the turntable
    annotated_turntable: bool = True  # a second turntable with the curators' notes, when there are any
    page_size: int = 20

    # abuse resistance (docs/api.md): limits are "N/second|minute|hour|day", joined with ";" for several
    ratelimit_enabled: bool = True
    ratelimit_storage: str = ""  # limits storage URI; default memory://, or redis_url with the celery queue
    ratelimit_api_read: str = "1200/minute"  # per API key: GET and HEAD under /api/v1
    ratelimit_api_write: str = "120/minute"  # per API key: PATCH, PUT, DELETE, POST other than uploads
    ratelimit_api_upload: str = "600/hour"  # per API key: POST /api/v1/artefacts
    ratelimit_api_parts: str = "1200/minute"  # per API key: PUT /api/v1/uploads/<id>/parts/<n> (local mode)
    ratelimit_public: str = "300/minute"  # per client address: /s/, /qr/, /oembed, /iiif/, /edm/, /voyager/, /verify
    ratelimit_beacon: str = "60/minute"  # per client address: /b/ beacons
    ratelimit_auth_failures: str = "20/minute"  # per client address: requests with a bad key
    trusted_proxies: int = 0  # reverse proxies in front; >0 trusts that many X-Forwarded-For hops
    max_running_jobs: int = 2  # per institution: jobs processed at once
    max_queued_jobs: int = 1000  # per institution: jobs waiting; uploads beyond it get 429
    storage_quota_mb: int = 51200  # per institution: originals + derivatives; 0 = no quota
    webhook_allow_http: bool = False  # accept http:// webhook URLs (development only)
    webhook_allow_private: bool = False  # deliver to loopback, link-local and private addresses
    # Content Credentials (C2PA, docs/interop.md): the institution's signing key and certificate chain
    c2pa_key_path: str = ""  # PEM private key (EC P-256 recommended); empty: files are not signed
    c2pa_chain_path: str = ""  # PEM chain: signing certificate first, then intermediates
    c2pa_trust_anchors_path: str = ""  # PEM roots /verify treats as trusted (e.g. the dev CA)
    verify_max_mb: int = 50  # largest file /verify accepts
    # delivery (docs/delivery.md): published pages and counters
    publish_ttl_seconds: int = 5  # how long each process keeps a published page in memory
    counter: str = ""  # "memory" or "redis"; default: redis with the celery queue, else memory
    count_flush_seconds: int = 5  # counts are written to daily_counts this often (and at shutdown)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from `HERITAGE_AR_*` variables, falling back to defaults."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f, raw)
        return cls(**values)

    def resolved(self) -> "Settings":
        """Fill the defaults that depend on other fields."""
        out = dataclasses.replace(self)
        out.data_dir = os.path.abspath(out.data_dir)
        if not out.database_url:
            out.database_url = "sqlite:///" + os.path.join(out.data_dir, "heritage-ar.db")
        if not out.storage_dir:
            out.storage_dir = os.path.join(out.data_dir, "storage")
        if out.storage not in ("local", "s3"):
            raise ValueError(f"HERITAGE_AR_STORAGE: unknown backend {out.storage!r}; use 'local' or 's3'")
        if out.queue not in ("inline", "celery"):
            raise ValueError(f"HERITAGE_AR_QUEUE: unknown queue {out.queue!r}; use 'inline' or 'celery'")
        if not out.ratelimit_storage:
            out.ratelimit_storage = out.redis_url if out.queue == "celery" else "memory://"
        if out.env not in ("development", "production"):
            raise ValueError(f"HERITAGE_AR_ENV: unknown mode {out.env!r}; use 'development' or 'production'")
        if out.job_max_attempts < 1:
            raise ValueError(f"HERITAGE_AR_JOB_MAX_ATTEMPTS: must be at least 1, got {out.job_max_attempts}")
        if not out.counter:
            out.counter = "redis" if out.queue == "celery" else "memory"
        if out.counter not in ("memory", "redis"):
            raise ValueError(f"HERITAGE_AR_COUNTER: unknown counter {out.counter!r}; use 'memory' or 'redis'")
        return out

    @property
    def hosts(self) -> list[str]:
        """The trusted Host names, lower case."""
        return [h.strip().lower() for h in self.trusted_hosts.split(",") if h.strip()]

    def check_production(self) -> None:
        """Refuse settings that are unsafe on the internet; only in production mode.

        Links must not follow a request's Host header (pages are publicly
        cached, so one forged request would poison them for everyone).
        """
        if self.env != "production":
            return
        if not self.base_url and not self.hosts:
            raise ValueError(
                "HERITAGE_AR_ENV=production: set HERITAGE_AR_BASE_URL (e.g. https://ar.museum.vn) or "
                "HERITAGE_AR_TRUSTED_HOSTS; links must not follow the request's Host header"
            )
        if self.base_url and not self.base_url.startswith("https://"):
            raise ValueError(f"HERITAGE_AR_BASE_URL: {self.base_url!r} must be an https:// origin in production")
        if self.secret_key == Settings.secret_key or len(self.secret_key) < 32:
            raise ValueError("HERITAGE_AR_SECRET_KEY: set a random value of 32+ characters in production "
                             "(python -c 'import secrets; print(secrets.token_urlsafe(48))')")


def _parse(f: dataclasses.Field, raw: str):
    kind = f.type if isinstance(f.type, type) else {"bool": bool, "int": int, "str": str}[str(f.type)]
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{PREFIX}{f.name.upper()}: expected a whole number, got {raw!r}") from None
    return raw


def describe() -> list[tuple[str, object]]:
    """Every variable with its default, for the README and `heritage-ar config`."""
    return [(PREFIX + f.name.upper(), f.default) for f in dataclasses.fields(Settings)]
