"""
s3.py
-----

Any S3-compatible store (AWS S3, MinIO, Garage, R2, Ceph RGW) through
boto3. Uploads stream from disk with multipart above a threshold
(`upload_file` + `TransferConfig`), so a 2 GB scan never sits in memory.
Derivatives get a public/CDN URL when one is configured, else presigned GETs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from service.mime import mime_of
from service.storage.base import Store
from service.storage.keys import cache_control

log = logging.getLogger(__name__)


class S3Store(Store):
    """Objects in one S3 bucket, created on first use if missing."""

    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        public_base_url: str | None = None,
        presign_seconds: int = 3600,
        multipart_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.bucket = bucket
        self.public_base_url = public_base_url
        self.presign_seconds = presign_seconds
        self.transfer = TransferConfig(
            multipart_threshold=multipart_bytes, multipart_chunksize=multipart_bytes, max_concurrency=4
        )
        self._client_args = dict(
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
        )
        # boto3 clients are thread-safe but sessions are not: one client per thread, as its docs advise
        self._local = threading.local()
        self._bucket_checked = False

    @property
    def client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = boto3.session.Session().client("s3", **self._client_args)
            self._local.client = client
        return client

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        if self._bucket_checked:
            return
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            args = {"Bucket": self.bucket}
            region = self._client_args["region_name"]
            if region and region != "us-east-1":
                args["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self.client.create_bucket(**args)
            # viewers on other origins (embeds, model-viewer) fetch models with CORS
            self.client.put_bucket_cors(
                Bucket=self.bucket,
                CORSConfiguration={
                    "CORSRules": [
                        {
                            "AllowedMethods": ["GET", "HEAD"],
                            "AllowedOrigins": ["*"],
                            "AllowedHeaders": ["*"],
                            "ExposeHeaders": ["Content-Length", "Content-Range", "ETag"],
                            "MaxAgeSeconds": 86400,
                        },
                        # resumable uploads (docs/uploads.md): browsers PUT parts to presigned URLs and read
                        # each part's ETag; a presigned URL is the credential, so any origin may use one
                        {
                            "AllowedMethods": ["PUT"],
                            "AllowedOrigins": ["*"],
                            "AllowedHeaders": ["*"],
                            "ExposeHeaders": ["ETag"],
                            "MaxAgeSeconds": 3600,
                        },
                    ]
                },
            )
            log.info("s3: created bucket %s", self.bucket)
        self._bucket_checked = True

    def put_file(self, key: str, path: str | Path, *, content_type: str | None = None) -> None:
        self.ensure_bucket()
        self.client.upload_file(
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type or mime_of(key), "CacheControl": cache_control(key)},
            Config=self.transfer,
        )

    def open(self, key: str) -> BinaryIO:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
                raise KeyError(key) from None
            raise
        return contextlib.closing(body)  # type: ignore[return-value]

    def download(self, key: str, path: str | Path) -> Path:
        try:
            self.client.download_file(self.bucket, key, str(path), Config=self.transfer)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise KeyError(key) from None
            raise
        return Path(path)

    def move(self, src: str, dst: str) -> None:
        """Copy an object inside the bucket (multipart copy when large), then delete the source."""
        self.ensure_bucket()
        self.client.copy({"Bucket": self.bucket, "Key": src}, self.bucket, dst, Config=self.transfer,
                         ExtraArgs={"ContentType": "application/octet-stream", "CacheControl": cache_control(dst),
                                    "MetadataDirective": "REPLACE"})
        self.delete(src)

    def head(self, key: str) -> dict:
        return self.client.head_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
            return True
        except ClientError:
            return False

    def keys(self, prefix: str = "") -> list[str]:
        self.ensure_bucket()
        out = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            out.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(out)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def url(self, key: str, *, base_url: str = "") -> str:
        if self.public_base_url:
            return f"{self.public_base_url.rstrip('/')}/{quote(key)}"
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.presign_seconds
        )

    def ping(self) -> None:
        self.ensure_bucket()
        self.client.head_bucket(Bucket=self.bucket)
