"""
annotations.py
--------------

Curators' notes pinned to the model: the rules a note must follow (checked
once, here, for the API and the studio) and the public form pages and
exports read. A note is a point on the surface in the model's metres (+Y
up, base centre at the origin, the same for every level of detail), a
title and body in vi and en (plain text; links are written as bare
https:// addresses and turned into links by the page), an optional image
address, an order and an optional camera view.
"""

from __future__ import annotations

import math
import re

from service.errors import InvalidAnnotation

MAX_PER_ARTEFACT = 50
MAX_TITLE = 120
MAX_BODY = 2000
MAX_IMAGE_URL = 500
# a model is at most a few metres; a point further out is a unit mistake
MAX_COORDINATE = 100.0
LANGS = ("vi", "en")

_TAG = re.compile(r"<\s*[a-zA-Z/!?]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FIELDS = {"position", "normal", "title", "body", "image", "camera", "order"}


def validate_annotation(body: object, *, partial: bool = False) -> dict:
    """Check a note sent by a client; return the fields to store, or raise InvalidAnnotation naming the field."""
    if not isinstance(body, dict):
        raise InvalidAnnotation("annotation: send a JSON object such as "
                                '{"position": [0, 0.1, 0.05], "normal": [0, 0, 1], "title": {"en": "..."}}')
    unknown = sorted(set(body) - _FIELDS - {"id"})
    if unknown:
        raise InvalidAnnotation(f"annotation.{unknown[0]}: unknown field; use {', '.join(sorted(_FIELDS))}")
    out: dict = {}
    if "position" in body or not partial:
        out["position"] = _vector(body.get("position"), "position")
    if "normal" in body or not partial:
        out["normal"] = _unit(_vector(body.get("normal", [0, 1, 0]), "normal"))
    for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
        if name in body:
            out.update(_texts(body[name], name, limit))
    if not partial and not (out.get("title_vi") or out.get("title_en")):
        raise InvalidAnnotation("annotation.title: a note needs a title in vi or en")
    if "image" in body:
        out["image"] = _image(body["image"])
    if "camera" in body:
        out["camera"] = _camera(body["camera"])
    if "order" in body:
        order = body["order"]
        if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order <= 10_000:
            raise InvalidAnnotation("annotation.order: a whole number from 0 to 10000")
        out["order_index"] = order
    return out


def _vector(value: object, name: str) -> list[float]:
    if (not isinstance(value, list) or len(value) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise InvalidAnnotation(f"annotation.{name}: three numbers [x, y, z] in metres")
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in value):
        raise InvalidAnnotation(f"annotation.{name}: each coordinate must be finite and within "
                                f"{MAX_COORDINATE:g} m of the model's origin")
    return [float(v) for v in value]


def _unit(v: list[float]) -> list[float]:
    n = math.sqrt(sum(c * c for c in v))
    if n < 1e-9:
        raise InvalidAnnotation("annotation.normal: must not be [0, 0, 0]; give the surface direction")
    return [round(c / n, 6) for c in v]


def _texts(value: object, name: str, limit: int) -> dict:
    if value is None:
        return {f"{name}_{lang}": None for lang in LANGS}
    if not isinstance(value, dict) or set(value) - set(LANGS):
        raise InvalidAnnotation(f'annotation.{name}: an object with "vi" and/or "en" text')
    out = {}
    for lang, text in value.items():
        if text is None:
            out[f"{name}_{lang}"] = None
            continue
        field = f"annotation.{name}.{lang}"
        if not isinstance(text, str):
            raise InvalidAnnotation(f"{field}: must be text")
        text = text.strip()
        if len(text) > limit:
            raise InvalidAnnotation(f"{field}: {len(text)} characters; the limit is {limit}")
        if _TAG.search(text):
            raise InvalidAnnotation(f"{field}: plain text only, HTML tags are not allowed; "
                                    "write links as https://... addresses")
        if _CONTROL.search(text):
            raise InvalidAnnotation(f"{field}: contains control characters")
        out[f"{name}_{lang}"] = text or None
    return out


def _image(value: object) -> str | None:
    if value is None or value == "":
        return None
    if (not isinstance(value, str) or len(value) > MAX_IMAGE_URL or not value.startswith("https://")
            or any(c in value for c in "\"'<> \\") or _CONTROL.search(value)):
        raise InvalidAnnotation(f"annotation.image: an https:// address of at most {MAX_IMAGE_URL} characters")
    return value


def _camera(value: object) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"orbit", "target", "fov"} or "orbit" not in value:
        raise InvalidAnnotation('annotation.camera: {"orbit": [theta_deg, phi_deg, radius_m], '
                                '"target": [x, y, z], "fov": deg}')
    orbit = value["orbit"]
    if (not isinstance(orbit, list) or len(orbit) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in orbit)):
        raise InvalidAnnotation("annotation.camera.orbit: three numbers [theta_deg, phi_deg, radius_m]")
    theta, phi, radius = (float(v) for v in orbit)
    if not (-360 <= theta <= 360 and 0 <= phi <= 180 and 0 < radius <= MAX_COORDINATE):
        raise InvalidAnnotation("annotation.camera.orbit: theta within ±360°, phi 0-180°, radius 0-100 m")
    cam = {"orbit": [theta, phi, radius]}
    if value.get("target") is not None:
        cam["target"] = _vector(value["target"], "camera.target")
    if value.get("fov") is not None:
        fov = value["fov"]
        if not isinstance(fov, (int, float)) or isinstance(fov, bool) or not 5 <= fov <= 120:
            raise InvalidAnnotation("annotation.camera.fov: degrees from 5 to 120")
        cam["fov"] = float(fov)
    return cam


def annotation_json(note) -> dict:
    """The public form of a note (share page, embed, exports and the API)."""
    def texts(name):
        return {lang: getattr(note, f"{name}_{lang}") for lang in LANGS if getattr(note, f"{name}_{lang}")}

    return {
        "id": note.id,
        "order": note.order_index,
        "position": note.position,
        "normal": note.normal,
        "title": texts("title"),
        "body": texts("body"),
        "image": note.image,
        "camera": note.camera,
    }

