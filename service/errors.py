"""
errors.py
---------

Errors a user can act on. Each carries a stable `code`, an HTTP `status` and a
message that says what failed and what to do. They are translated once per
surface: the HTTP error handler in `create_app`, `cli.main`, and the job runner
(which stores `code` and `message` on the failed job). Any other exception is
a bug and propagates.
"""

from __future__ import annotations

from typing import ClassVar

from service.messages import render


class HeritageError(Exception):
    """An error that heritage-ar can show to the person who caused it."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def to_dict(self, lang: str = "en") -> dict:
        """The JSON error body; `lang` "vi" gives the Vietnamese wording where the message has one."""
        body = {"code": self.code, "message": render(self.message, lang)}
        if self.context:
            body["details"] = {k: v for k, v in self.context.items() if v is not None}
        return body


class BadRequest(HeritageError):
    code = "bad_request"


class InvalidMetadata(HeritageError):
    code = "invalid_metadata"


class InvalidAnnotation(HeritageError):
    code = "invalid_annotation"
class MetadataTooLarge(InvalidMetadata):
    code = "metadata_too_large"
    status = 413


class MissingFile(HeritageError):
    code = "missing_file"


class Unauthorized(HeritageError):
    code = "unauthorized"
    status = 401


class NotFound(HeritageError):
    code = "not_found"
    status = 404


class ArtefactNotFound(NotFound):
    code = "artefact_not_found"


class Conflict(HeritageError):
    code = "conflict"
    status = 409


class UploadTooLarge(HeritageError):
    code = "upload_too_large"
    status = 413


class UnsupportedFormat(HeritageError):
    code = "unsupported_format"
    status = 415


class UnsafeArchive(HeritageError):
    code = "unsafe_archive"
    status = 422


class InvalidScan(HeritageError):
    code = "invalid_scan"
    status = 422


class UnreadableScan(InvalidScan):
    """The reader could not parse the file (or found no triangles in it); another reader may."""


class UnsafeReference(InvalidScan):
    """A file inside the upload points at a file outside it (absolute path, `..`)."""

    code = "unsafe_reference"


class ScanTooLarge(HeritageError):
    code = "scan_too_large"
    status = 422


class InvalidImage(HeritageError):
    code = "invalid_image"
    status = 422


class ProcessingFailed(HeritageError):
    """The child process died, ran out of time or memory."""

    code = "processing_failed"
    status = 500


class InvalidPhotoSet(HeritageError):
    """A photo set that cannot be what its kind says (too few frames, mixed sizes)."""

    code = "invalid_photo_set"
    status = 422


class PreviewFailed(HeritageError):
    """Stills or the turntable could not be rendered; the 3D files are unaffected."""

    code = "preview_failed"
    status = 500


class InvalidManifest(HeritageError):
    """A batch manifest (folder tree, CSV or XLSX) cannot be read as a whole."""

    code = "invalid_manifest"


class ServerUnreachable(HeritageError):
    """The batch client gave up on a server after its retries."""

    code = "server_unreachable"
    status = 503


class UploadRejected(HeritageError):
    """The server refused a batch upload (4xx); retrying the same request will not help."""

    code = "upload_rejected"


class Forbidden(HeritageError):
    """The key is valid but its scope does not allow this."""

    code = "insufficient_scope"
    status = 403


class QuotaExceeded(HeritageError):
    """An institution's storage quota would be exceeded; free space or ask the operator."""

    code = "storage_quota_exceeded"
    status = 403


class QueueFull(HeritageError):
    """An institution has as many jobs waiting as it may; retry when some have run."""

    code = "queue_full"
    status = 429

    def __init__(self, message: str, *, retry_after: int = 60, **context: object) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class UploadNotFound(NotFound):
    """No resumable upload with this id in the caller's institution."""

    code = "upload_not_found"


class PartRejected(HeritageError):
    """A part of a resumable upload has the wrong number or size, or the upload is not open."""

    code = "part_rejected"
