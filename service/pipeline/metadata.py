"""
metadata.py
-----------

Catalogue metadata as the pipeline reads it: validation of the upload's
JSON, physical size in metres, the rights line written into files.
"""

from __future__ import annotations

import json

from service.errors import InvalidMetadata
from service.errors import MetadataTooLarge
from service.messages import Message
from service.pipeline.constants import FLAT_KINDS
from service.pipeline.constants import UNITS
from service.pipeline.paradata import check_digitisation
from service.pipeline.paradata import check_identifiers

KINDS = ("scan", "flat", "ring", "photogrammetry")


# licence id -> (human name, URL); ids follow SPDX
LICENCES = {
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC-BY-NC-4.0": ("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    "CC-BY-NC-SA-4.0": ("CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "CC-BY-ND-4.0": ("CC BY-ND 4.0", "https://creativecommons.org/licenses/by-nd/4.0/"),
    "CC-BY-NC-ND-4.0": ("CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    "PDM-1.0": ("Public Domain Mark 1.0", "https://creativecommons.org/publicdomain/mark/1.0/"),
    "all-rights-reserved": ("All rights reserved", None),
}

# cultural-industry categories (Vietnam's national strategy lists twelve)
CATEGORIES = (
    "cultural-heritage",
    "fine-arts",
    "crafts",
    "design",
    "architecture",
    "performing-arts",
    "cinema",
    "photography",
    "publishing",
    "advertising",
    "software-games",
    "television-radio",
    "cultural-tourism",
)

_TEXT_FIELDS = ("creator", "culture", "date", "accession_number", "attribution", "description", "institution")

# limits, in characters, matching the database columns (db/models.py: `date` and `accession_number`
# are VARCHAR(200)) and what a page can show; a museum's longest label texts are ~5,000 characters
MAX_METADATA_BYTES = 64 * 1024  # the whole JSON, UTF-8
TEXT_LIMITS = {
    "title": 500,  # each language
    "creator": 500,
    "culture": 500,
    "date": 200,
    "accession_number": 200,
    "attribution": 1000,
    "description": 20000,
    "institution": 200,
}
MAX_EXTRA_FIELDS = 50
MAX_FIELD_NAME = 64
MAX_EXTRA_TEXT = 2000
MAX_LIST_ITEMS = 100
MAX_DEPTH = 4

# what pages, oEmbed, files (GLB/USDZ rights, manifest.json) and exports may show (DESIGN.md §8);
# every other field, including any extra field an institution sends, is private: the owner's API only.
# `institution` is the owning institution's name, which the server adds.
PUBLIC_FIELDS = (
    "title",
    "creator",
    "culture",
    "date",
    "accession_number",
    "dimensions",
    "licence",
    "attribution",
    "category",
    "description",
    "kind",
    "institution",
    # paradata (docs/interop.md): how the model was made, and who the creators are elsewhere
    "digitisation",
    "creator_ids",
)


def public_metadata(metadata: dict) -> dict:
    """Only the public catalogue fields of `metadata`: what may leave the owner's API.

    Parameters
    ----------
    metadata : dict
      Catalogue metadata as stored (columns and extra fields together).

    Returns
    -------
    public : dict
      The PUBLIC_FIELDS present in `metadata`; unknown fields are dropped.
    """
    return {k: metadata[k] for k in PUBLIC_FIELDS if k in metadata and metadata[k] is not None}


def validate_metadata(raw: object, *, partial: bool = False) -> dict:
    """Check catalogue metadata and return it normalised.

    Parameters
    ----------
    raw : object
      Parsed JSON from the upload's `metadata` part.
    partial : bool
      For PATCH: fields may be missing.
    """
    if not isinstance(raw, dict):
        raise InvalidMetadata(Message("md_object"))
    check_limits(raw)
    md = dict(raw)
    title = md.get("title")
    if isinstance(title, str):
        title = {"en": title}
    if title is not None:
        if not isinstance(title, dict) or not all(isinstance(v, str) for v in title.values()):
            raise InvalidMetadata(Message("md_title_shape"))
        title = {k: v.strip() for k, v in title.items() if k in ("vi", "en") and v.strip()}
        md["title"] = title
    if not partial and not title:
        raise InvalidMetadata(Message("md_title_missing"))
    for key in _TEXT_FIELDS:
        if key in md and md[key] is not None and not isinstance(md[key], str):
            raise InvalidMetadata(Message("md_text", key=key, type=type(md[key]).__name__))
    _check_choice(md, "kind", KINDS)
    _check_choice(md, "unit", UNITS)
    _check_choice(md, "licence", LICENCES)
    _check_choice(md, "category", CATEGORIES)
    if md.get("up_axis") is not None and str(md["up_axis"]).upper().lstrip("+-") not in ("X", "Y", "Z"):
        raise InvalidMetadata(Message("md_up_axis", value=md["up_axis"]))
    if md.get("dimensions") is not None:
        md["dimensions"] = _check_dimensions(md["dimensions"])
    _check_choice(md, "flat_kind", FLAT_KINDS)
    if md.get("listed") is not None and not isinstance(md["listed"], bool):
        raise InvalidMetadata(Message("md_bool", key="listed", value=md["listed"]))
    if md.get("digitisation") is not None:
        md["digitisation"] = check_digitisation(md["digitisation"])
    if md.get("creator_ids") is not None:
        md["creator_ids"] = check_identifiers(md["creator_ids"])
    if md.get("rectify") is not None and not isinstance(md["rectify"], bool):
        raise InvalidMetadata(Message("md_bool", key="rectify", value=md["rectify"]))
    check_scale_bar(md)
    return md


def check_limits(md: dict) -> None:
    """Refuse metadata over the size limits, naming the field and the limit.

    Checked on every upload and PATCH (and on the merged result of a PATCH),
    so no value reaches a column it does not fit, and no page grows with
    whatever a client sends.
    """
    size = len(json.dumps(md, ensure_ascii=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise MetadataTooLarge(
            Message("md_too_large", size=size, limit=MAX_METADATA_BYTES),
            field="metadata", limit=MAX_METADATA_BYTES,
        )
    title = md.get("title")
    titles = title.items() if isinstance(title, dict) else [("", title)]
    for lang, text in titles:
        name = f"title.{lang}" if lang else "title"
        _check_text(name, text, TEXT_LIMITS["title"])
    for key, limit in TEXT_LIMITS.items():
        if key != "title":
            _check_text(key, md.get(key), limit)
    extra = [k for k in md if k not in TEXT_LIMITS and k not in PUBLIC_FIELDS]
    if len(extra) > MAX_EXTRA_FIELDS:
        raise InvalidMetadata(Message("md_extra_fields", count=len(extra), limit=MAX_EXTRA_FIELDS),
                              field="metadata", limit=MAX_EXTRA_FIELDS)
    for key in extra:
        if len(key) > MAX_FIELD_NAME:
            raise InvalidMetadata(Message("md_field_name", name=key[:40], limit=MAX_FIELD_NAME),
                                  field=key[:MAX_FIELD_NAME], limit=MAX_FIELD_NAME)
        _check_value(key, md[key], 1)


def _check_text(name: str, value: object, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise InvalidMetadata(Message("md_text_long", name=name, length=len(value), limit=limit),
                              field=name, limit=limit)


def _check_value(name: str, value: object, depth: int) -> None:
    """Extra fields: text, lists and objects within the limits, nested at most MAX_DEPTH deep."""
    if depth > MAX_DEPTH:
        raise InvalidMetadata(Message("md_nested", name=name, limit=MAX_DEPTH), field=name, limit=MAX_DEPTH)
    if isinstance(value, str):
        _check_text(name, value, MAX_EXTRA_TEXT)
    elif isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            raise InvalidMetadata(Message("md_items", name=name, count=len(value), limit=MAX_LIST_ITEMS),
                                  field=name, limit=MAX_LIST_ITEMS)
        for i, item in enumerate(value):
            _check_value(f"{name}[{i}]", item, depth + 1)
    elif isinstance(value, dict):
        if len(value) > MAX_LIST_ITEMS:
            raise InvalidMetadata(Message("md_keys", name=name, count=len(value), limit=MAX_LIST_ITEMS),
                                  field=name, limit=MAX_LIST_ITEMS)
        for key, item in value.items():
            _check_value(f"{name}.{key}", item, depth + 1)
def check_scale_bar(md: dict) -> None:
    """Refuse a malformed `scale_bar` (photogrammetry) at upload, not after minutes of SfM."""
    bar = md.get("scale_bar")
    if not bar:
        return
    if not isinstance(bar, dict) or not isinstance(bar.get("distance"), (int, float)) or bar["distance"] <= 0:
        raise InvalidMetadata(Message("md_scale_bar"))
    unit = bar.get("unit", "cm")
    if unit not in UNITS:
        raise InvalidMetadata(Message("md_choice", key="scale_bar.unit", value=unit, choices=", ".join(UNITS)))


def _check_choice(md: dict, key: str, choices) -> None:
    # `kind` may not be null; the others may; any other type (a list, a number) is refused, never looked up
    value = md.get(key)
    if value is None and (key != "kind" or key not in md):
        return
    if not isinstance(value, str) or value not in choices:
        if key == "licence":
            raise InvalidMetadata(Message("md_licence", value=value, choices=", ".join(choices)))
        raise InvalidMetadata(Message("md_choice", key=key, value=value, choices=", ".join(choices)))


def _check_dimensions(dims: object) -> dict:
    if not isinstance(dims, dict):
        raise InvalidMetadata(Message("md_dimensions"))
    unit = dims.get("unit", "cm")
    if unit not in UNITS:
        raise InvalidMetadata(Message("md_choice", key="dimensions.unit", value=unit, choices=", ".join(UNITS)))
    out = {"unit": unit}
    for key in ("width", "height", "depth"):
        value = dims.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise InvalidMetadata(Message("md_positive", key=key, value=value))
        if value * UNITS[unit] > 100:
            raise InvalidMetadata(Message("md_over_100m", key=key, value=value, unit=unit))
        out[key] = float(value)
    return out


def height_metres(metadata: dict) -> float | None:
    """Declared physical height in metres, if any."""
    dims = metadata.get("dimensions") or {}
    if dims.get("height"):
        return dims["height"] * UNITS[dims.get("unit", "cm")]
    return None


def display_title(metadata: dict, lang: str = "vi") -> str:
    title = metadata.get("title") or {}
    return title.get(lang) or title.get("en") or title.get("vi") or "Untitled"


def copyright_line(metadata: dict) -> str | None:
    """The line written into files' copyright fields."""
    parts = []
    if metadata.get("attribution"):
        parts.append(metadata["attribution"])
    elif metadata.get("institution"):
        parts.append(metadata["institution"])
    if metadata.get("licence") in LICENCES:
        parts.append(LICENCES[metadata["licence"]][0])
    return " — ".join(parts) or None
