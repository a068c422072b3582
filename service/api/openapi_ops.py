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
    encoding={"metadata": {"contentType": "application/json"}},
    description="Processing starts in the background; follow `job_url`. Uploading the same files again is "
                "idempotent: the earlier artefact comes back with `duplicate: true` and 200.",
    responses={202: (s.UploadAccepted, "Stored and queued."), 200: (s.UploadAccepted, "The same files were "
               "uploaded before; nothing new was queued."), 403: (s.ErrorBody, "Storage quota exceeded."),
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
