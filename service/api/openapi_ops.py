"""
openapi_ops.py
--------------

One `operation()` per /api/v1 view: summary, scope, query, body and answers
with their pydantic models. A view missing here is missing from the
document, and tests/api/test_openapi.py fails.
"""

from __future__ import annotations

from service.api import schemas as s
from service.api.openapi import operation

JSON = "application/json"

operation("docs.openapi_json", summary="This OpenAPI document", tag="meta", scope=None,
          responses={200: (None, "The OpenAPI 3.1 document.")})

operation(
    "artefacts.create_artefact", summary="Upload a scan or photo set with its catalogue metadata", tag="artefacts",
    scope="write", body=s.UploadForm, body_type="multipart/form-data",
    encoding={"metadata": {"contentType": "application/json"}}, more_bodies={JSON: s.ArtefactFromUploads},
    description="Processing starts in the background; follow `job_url`. Uploading the same files again is "
                "idempotent: the earlier artefact comes back with `duplicate: true` and 200. Large scans: send "
                "them as resumable uploads first (docs/uploads.md), then a JSON body with their `upload_ids`.",
    responses={202: (s.UploadAccepted, "Stored and queued."), 200: (s.UploadAccepted, "The same files were "
               "uploaded before; nothing new was queued."), 403: (s.ErrorBody, "Storage quota exceeded."),
               404: (s.ErrorBody, "An upload id is not one of this institution's."),
               409: (s.ErrorBody, "An upload is not complete or was already used."),
               413: (s.ErrorBody, "Larger than the upload limit."), 415: (s.ErrorBody, "Unsupported format."),
               422: (s.ErrorBody, "The files or the metadata cannot be used.")},
)
operation("artefacts.list_view", summary="List artefacts, newest first", tag="artefacts",
          query=s.ArtefactListQuery, responses={200: (s.ArtefactList, "A page of artefacts.")})
operation("artefacts.get_artefact", summary="One artefact with its derivatives and links", tag="artefacts",
          responses={200: (s.Artefact, "The artefact."), 404: (s.ErrorBody, "No such artefact.")})
operation("artefacts.patch_artefact", summary="Edit catalogue metadata", tag="artefacts", scope="write",
          body=s.MetadataPatch, responses={200: (s.Artefact, "The artefact with the new metadata."),
                                            404: (s.ErrorBody, "No such artefact.")})
operation("artefacts.delete_artefact", summary="Withdraw an artefact (links stop working)", tag="artefacts",
          scope="write", responses={204: (None, "Withdrawn."), 404: (s.ErrorBody, "No such artefact.")})
operation("artefacts.reprocess", summary="Process the stored originals again as a new version", tag="artefacts",
          scope="write", responses={202: (s.Artefact, "A new version is queued; the current one stays visible."),
                                    404: (s.ErrorBody, "No such artefact."),
                                    409: (s.ErrorBody, "A version is already being processed.")})

operation("annotations.list_annotations", summary="The artefact's curators' notes in reading order", tag="annotations",
          responses={200: (s.NoteList, "The notes."), 404: (s.ErrorBody, "No such artefact.")})
operation("annotations.create_annotation", summary="Pin a note on the model", tag="annotations", scope="write",
          body=s.NoteCreate, responses={201: (s.Note, "The note."), 400: (s.ErrorBody, "A field breaks a rule."),
                                    404: (s.ErrorBody, "No such artefact."),
                                    409: (s.ErrorBody, "The artefact holds the most notes allowed.")})
operation("annotations.get_annotation", summary="One note", tag="annotations",
          responses={200: (s.Note, "The note."), 404: (s.ErrorBody, "No such artefact or note.")})
operation("annotations.patch_annotation", summary="Change a note's text, point, image, view or order", tag="annotations",
          scope="write", body=s.NoteIn, responses={200: (s.Note, "The note."),
                                                   400: (s.ErrorBody, "A field breaks a rule."),
                                                   404: (s.ErrorBody, "No such artefact or note.")})
operation("annotations.delete_annotation", summary="Remove a note", tag="annotations", scope="write",
          responses={204: (None, "Removed."), 404: (s.ErrorBody, "No such artefact or note.")})
operation("annotations.reorder", summary="Set the notes' reading order", tag="annotations", scope="write",
          body=s.NoteOrder, responses={200: (s.NoteList, "The notes in their new order."),
                                       400: (s.ErrorBody, "The list does not name every note once."),
                                       404: (s.ErrorBody, "No such artefact.")})
operation("jobs.retry_job", summary="Queue a failed job again with fresh attempts", tag="jobs", scope="write",
          responses={202: (s.Job, "The job, queued again."), 404: (s.ErrorBody, "No such job."),
                     409: (s.ErrorBody, "The job has not failed, or its artefact was withdrawn.")})
operation("jobs.get_job", summary="A processing job's state and progress", tag="jobs",
          responses={200: (s.Job, "The job."), 404: (s.ErrorBody, "No such job.")})

operation("keys.list_view", summary="List the institution's API keys", tag="keys", scope="admin",
          responses={200: (s.KeyList, "Keys, revoked ones included; never their secrets.")})
operation("keys.create", summary="Create an API key", tag="keys", scope="admin", body=s.KeyCreate,
          responses={201: (s.KeyCreated, "The key; `key` is shown only here.")})
operation("keys.revoke", summary="Revoke an API key", tag="keys", scope="admin",
          responses={200: (s.Key, "The revoked key; requests with it get 401 at once."),
                     404: (s.ErrorBody, "No such key in this institution.")})
operation("keys.usage_view", summary="Usage against the institution's quotas and limits", tag="keys",
          responses={200: (s.Usage, "Jobs, storage and rate limits.")})

operation("webhooks.list_view", summary="Webhook deliveries, newest first", tag="webhooks",
          query=s.DeliveryListQuery, responses={200: (s.DeliveryList, "A page of deliveries with their last answer.")})
operation("webhooks.get_view", summary="One webhook delivery", tag="webhooks",
          responses={200: (s.Delivery, "The delivery."), 404: (s.ErrorBody, "No such delivery.")})
operation("webhooks.resend", summary="Send a delivery's event again", tag="webhooks", scope="write",
          responses={202: (s.Delivery, "A new pending delivery."), 404: (s.ErrorBody, "No such delivery."),
                     409: (s.ErrorBody, "The institution has no webhook URL.")})

# routes of other modules, described by path: daily statistics (delivery issue's contract)
operation("GET /api/v1/artefacts/{artefact_id}/stats", summary="Daily views, loads, AR launches, QR scans, embeds of "
          "an artefact", tag="stats", query=s.StatsQuery,
          responses={200: (s.ArtefactStats, "One entry per day."), 404: (s.ErrorBody, "No such artefact.")})
operation("GET /api/v1/stats", summary="Daily counts over all the institution's artefacts", tag="stats",
          query=s.StatsQuery, responses={200: (s.Stats, "One entry per day.")})

# resumable uploads (docs/uploads.md)
_UPLOAD_404 = (s.ErrorBody, "No such upload in this institution.")
operation("uploads.create_upload", summary="Start a resumable upload of one file", tag="uploads", scope="write",
          body=s.UploadCreate, description="Answers how to cut the file (`part_size`, `parts_total`) and where parts "
          "go (`mode`). Unfinished uploads expire after HERITAGE_AR_UPLOAD_EXPIRE_HOURS.",
          responses={201: (s.UploadState, "The open upload."), 403: (s.ErrorBody, "Storage quota exceeded."),
                     413: (s.ErrorBody, "Larger than the upload limit.")})
operation("uploads.get_upload", summary="A resumable upload and the parts received so far", tag="uploads",
          responses={200: (s.UploadState, "The upload; resume by sending the parts not listed."), 404: _UPLOAD_404})
operation("uploads.put_part", summary="Send one part (local storage)", tag="uploads", scope="write",
          body=s.PartBody, body_type="application/octet-stream",
          description="Exactly `part_size` bytes (the last part: the rest), with Content-Length. Sending a part again "
                      "replaces it.",
          responses={200: (s.UploadPartInfo, "Stored."), 404: _UPLOAD_404,
                     409: (s.ErrorBody, "The upload is not open, or its parts go to S3.")})
operation("uploads.presign", summary="Presigned URLs to PUT parts straight to the bucket (S3 storage)",
          tag="uploads", scope="write", body=s.PresignRequest,
          description="PUT each part's bytes to its URL (no other headers needed) and keep the ETag header of the answer.",
          responses={200: (s.PresignAnswer, "One URL per part number."), 404: _UPLOAD_404,
                     409: (s.ErrorBody, "The upload is not open, or its parts go to the app.")})
operation("uploads.complete", summary="Finish a resumable upload", tag="uploads", scope="write",
          body=s.UploadComplete, description="Checks every part and the total size, then hashes the file. "
          "S3 storage: send the parts' ETags. Completing twice is harmless.",
          responses={200: (s.UploadDone, "Complete; name it in `upload_ids` when creating the artefact."),
                     404: _UPLOAD_404, 409: (s.ErrorBody, "Parts are missing, or the upload is not open.")})
operation("uploads.delete_upload", summary="Abort a resumable upload and free its space", tag="uploads",
          scope="write", responses={204: (None, "Aborted."), 404: _UPLOAD_404,
                                    409: (s.ErrorBody, "It was used for an artefact already.")})
