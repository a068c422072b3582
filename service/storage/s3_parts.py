"""
s3_parts.py
-----------

S3-mode resumable uploads: an S3 multipart upload is created when the
upload is, the browser PUTs each part straight to the bucket with a
presigned `UploadPart` URL (the app never sees the bytes), ListParts tells a
returning client what is there, and CompleteMultipartUpload joins them.
The bucket must allow cross-origin PUT and expose ETag (S3Store sets that
CORS rule on the buckets it creates; docs/uploads.md has it for others).
"""

from __future__ import annotations

import hashlib

from botocore.exceptions import ClientError

from service.storage.keys import safe_name
from service.storage.s3 import S3Store

UPLOAD_PREFIX = "uploads/"


def upload_key(upload_id: str, filename: str) -> str:
    """Where the parts of an upload become one object (moved to originals/ when an artefact uses it)."""
    return f"{UPLOAD_PREFIX}{upload_id}/{safe_name(filename)}"


class S3Parts:
    """Multipart uploads in the bucket of an S3Store."""

    def __init__(self, store: S3Store) -> None:
        self.store = store

    @property
    def client(self):
        return self.store.client

    def create(self, key: str, content_type: str | None) -> str:
        """Start an S3 multipart upload at `key`; return its UploadId."""
        self.store.ensure_bucket()
        answer = self.client.create_multipart_upload(
            Bucket=self.store.bucket, Key=key, ContentType="application/octet-stream",
            CacheControl="private, no-store")
        return answer["UploadId"]

    def presign(self, key: str, s3_upload_id: str, number: int, *, expires: int) -> str:
        """A URL the browser can PUT part `number` to, without credentials, for `expires` seconds."""
        return self.client.generate_presigned_url(
            "upload_part", ExpiresIn=expires,
            Params={"Bucket": self.store.bucket, "Key": key, "UploadId": s3_upload_id, "PartNumber": number})

    def list(self, key: str, s3_upload_id: str) -> list[dict]:
        """The parts in the bucket so far: [{number, size, etag}], by number; KeyError if the upload is gone."""
        out = []
        pages = self.client.get_paginator("list_parts").paginate(
            Bucket=self.store.bucket, Key=key, UploadId=s3_upload_id)
        try:
            for page in pages:
                for p in page.get("Parts", []):
                    out.append({"number": p["PartNumber"], "size": p["Size"], "etag": p["ETag"].strip('"')})
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
                raise KeyError(s3_upload_id) from None
            raise
        return sorted(out, key=lambda p: p["number"])

    def complete(self, key: str, s3_upload_id: str, parts: list[dict]) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.store.bucket, Key=key, UploadId=s3_upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p["number"], "ETag": f'"{p["etag"]}"'} for p in parts]})

    def abort(self, key: str, s3_upload_id: str | None) -> None:
        """Drop the multipart upload (its parts) and the object, if either exists."""
        if s3_upload_id:
            try:
                self.client.abort_multipart_upload(Bucket=self.store.bucket, Key=key, UploadId=s3_upload_id)
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") not in ("NoSuchUpload", "404"):
                    raise
        self.store.delete(key)

    def sha256(self, key: str) -> str:
        """SHA-256 of the joined object, read as a stream (memory stays flat)."""
        h = hashlib.sha256()
        with self.store.open(key) as body:
            while chunk := body.read(4 << 20):
                h.update(chunk)
        return h.hexdigest()

    def size(self, key: str) -> int:
        return int(self.store.head(key)["ContentLength"])
