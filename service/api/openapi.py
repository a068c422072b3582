"""
openapi.py
----------

The OpenAPI 3.1 document of `/api/v1`, generated from the Flask URL map and
the pydantic models in schemas.py: every route under /api/v1 is looked up in
`OPERATIONS` (filled by `operation()` in openapi_ops.py), so a route without
a description is missing from the document and the coverage test fails.
Served at GET /api/v1/openapi.json; /api/docs renders it with the vendored
Swagger UI (no request leaves the origin).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from service.api.schemas import ErrorBody

API_PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass
class Operation:
    summary: str
    tag: str
    responses: dict[int, tuple[type[BaseModel] | None, str]]
    body: type[BaseModel] | None = None
    body_type: str = "application/json"
    query: type[BaseModel] | None = None
    scope: str | None = "read"  # read | write | admin; None: no key needed
    description: str = ""
    headers: dict[int, dict] = field(default_factory=dict)
    encoding: dict = field(default_factory=dict)  # multipart parts' content types
    more_bodies: dict[str, type[BaseModel]] = field(default_factory=dict)  # other accepted content types


OPERATIONS: dict[str, Operation] = {}

_ERRORS = {
    400: "The request is malformed; `error.message` says how.",
    401: "No key, an unknown key or a revoked key.",
    403: "The key's scope does not allow this.",
    404: "Not found in this institution.",
    429: "Rate limited (or too many queued jobs); wait `Retry-After` seconds.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
_RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests allowed in the window.", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the window.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix time).", "schema": {"type": "integer"}},
}


def operation(endpoint: str, **spec) -> None:
    """Describe the view `endpoint` (blueprint.function), or "METHOD /api/v1/path/{param}", for the document."""
    OPERATIONS[endpoint] = Operation(**spec)


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = [ErrorBody]
    for op in OPERATIONS.values():
        for model in [op.body, op.query, *op.more_bodies.values(), *(m for m, _ in op.responses.values())]:
            if model is not None and model not in seen:
                seen.append(model)
    return seen


def _components() -> dict:
    keys = [(m, "validation") for m in _models()]
    _, top = models_json_schema(keys, ref_template=REF)
    return top.get("$defs", {})


def _parameters(rule, op: Operation, schemas: dict) -> list[dict]:
    params = []
    for conv, name in _CONVERTER.findall(rule.rule):
        schema = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} if conv == "int" else {"type": "string", "minLength": 1}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        qs = schemas[op.query.__name__]
        for name, prop in qs.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in qs.get("required", []),
                           "schema": prop})
    return params


def _responses(op: Operation) -> dict:
    out: dict = {}
    for status, (model, description) in sorted(op.responses.items()):
        entry: dict = {"description": description}
        if model is not None:
            entry["content"] = {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}
        if status < 300 and op.scope is not None:
            entry["headers"] = dict(_RATE_HEADERS)
        if status in op.headers:
            entry.setdefault("headers", {}).update(op.headers[status])
        out[str(status)] = entry
    error_ref = {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}
    wanted = [400, 429] + ([401, 403] if op.scope is not None else [])
    for status in wanted:
        if str(status) not in out:
            out[str(status)] = {"description": _ERRORS[status], "content": error_ref}
    out["429"]["headers"] = {**out["429"].get("headers", {}), **_RETRY_AFTER}
    out["default"] = {"description": "Any other error, with the same JSON error body.", "content": error_ref}
    return out


def build(app: Flask) -> dict:
    """The OpenAPI 3.1 document for the app's /api/v1 routes that are described."""
    schemas = _components()
    paths: dict = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        path = _CONVERTER.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = OPERATIONS.get(rule.endpoint) or OPERATIONS.get(f"{method} {path}")
            if op is None:
                continue
            entry: dict = {
                "operationId": rule.endpoint.replace(".", "_"),
                "summary": op.summary,
                "tags": [op.tag],
                "parameters": _parameters(rule, op, schemas),
                "responses": _responses(op),
            }
            if op.description:
                entry["description"] = op.description
            if op.scope is None:
                entry["security"] = []
            else:
                entry["description"] = (entry.get("description", "") + f"\n\nNeeds a key with scope `{op.scope}`.").strip()
            if op.body is not None:
                media: dict = {"schema": {"$ref": REF.format(model=op.body.__name__)}}
                if op.encoding:
                    media["encoding"] = op.encoding
                content = {op.body_type: media}
                for media_type, model in op.more_bodies.items():
                    content[media_type] = {"schema": {"$ref": REF.format(model=model.__name__)}}
                entry["requestBody"] = {"required": True, "content": content}
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "heritage-ar API",
            "version": "1",
            "description": "Upload scans and photo sets of artefacts, follow their processing, manage keys and "
                           "webhooks. See docs/api.md for authentication, limits, errors, pagination and webhooks.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerKey": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerKey": {"type": "http", "scheme": "bearer",
                                              "description": "An API key: `Authorization: Bearer har_...`"}},
        },
    }
