"""
storage
-------

Where originals and derivatives live. `Store` is the small interface; the
embedded default `DirStore` keeps files in a local folder served by the app,
`S3Store` talks to any S3-compatible service through boto3. Only this
package builds object keys.

Layout (DESIGN.md §5)::

    originals/<artefact>/<sha256>/<name>      immutable
    derivatives/<artefact>/v<n>/<file>        manifest.json written last
"""

from __future__ import annotations

from flask import Flask
from flask import current_app

from service.storage.base import Store
from service.storage.keys import derivative_key
from service.storage.keys import derivative_prefix
from service.storage.keys import original_key

__all__ = ["Store", "make_store", "get_store", "init_app", "original_key", "derivative_key", "derivative_prefix"]


def make_store(settings) -> Store:
    """Build the store named by `settings.storage`."""
    if settings.storage == "s3":
        from service.storage.s3 import S3Store

        return S3Store(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id or None,
            secret_access_key=settings.s3_secret_access_key or None,
            public_base_url=settings.s3_public_base_url or None,
            presign_seconds=settings.s3_presign_seconds,
            multipart_bytes=settings.s3_multipart_mb * 1024 * 1024,
        )
    from service.storage.local import DirStore

    return DirStore(settings.storage_dir)


def init_app(app: Flask) -> None:
    app.extensions["store"] = make_store(app.config["SETTINGS"])


def get_store() -> Store:
    """The app's store."""
    return current_app.extensions["store"]
