"""
metadata.py
-----------

Catalogue metadata as the pipeline reads it: validation of the upload's
JSON, physical size in metres, the rights line written into files.
"""

from __future__ import annotations

from service.errors import InvalidMetadata
from service.pipeline.constants import UNITS
from service.pipeline.paradata import check_digitisation
from service.pipeline.paradata import check_identifiers

KINDS = ("scan", "flat", "ring", "photogrammetry")

# what a flat artefact is (photos/panel.py picks depth and back from it)
FLAT_KINDS = ("painting", "lacquer", "woodblock", "textile", "manuscript", "canvas", "paper")

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

# catalogue fields that may leave the museum (pages, oEmbed, files, exports); unknown fields are private
PUBLIC_FIELDS = (
    "title", "creator", "culture", "date", "accession_number", "dimensions", "licence", "attribution",
    "category", "description", "kind", "digitisation", "creator_ids",
)

_TEXT_FIELDS = ("creator", "culture", "date", "accession_number", "attribution", "description", "institution")


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
        raise InvalidMetadata("metadata: expected a JSON object such as {\"title\": {\"vi\": \"...\", \"en\": \"...\"}}")
    md = dict(raw)
    title = md.get("title")
    if isinstance(title, str):
        title = {"en": title}
    if title is not None:
        if not isinstance(title, dict) or not all(isinstance(v, str) for v in title.values()):
            raise InvalidMetadata("metadata.title: expected {\"vi\": \"...\", \"en\": \"...\"}")
        title = {k: v.strip() for k, v in title.items() if k in ("vi", "en") and v.strip()}
        md["title"] = title
    if not partial and not title:
        raise InvalidMetadata("metadata.title: give a title in Vietnamese (vi) or English (en)")
    for key in _TEXT_FIELDS:
        if key in md and md[key] is not None and not isinstance(md[key], str):
            raise InvalidMetadata(f"metadata.{key}: expected text, got {type(md[key]).__name__}")
    for key in _TEXT_FIELDS:
        if isinstance(md.get(key), str) and len(md[key]) > 20000:
            raise InvalidMetadata(f"metadata.{key}: longer than 20000 characters")
    if "kind" in md and md["kind"] not in KINDS:
        raise InvalidMetadata(f"metadata.kind: {md['kind']!r} is not one of {', '.join(KINDS)}")
    if md.get("unit") is not None and md["unit"] not in UNITS:
        raise InvalidMetadata(f"metadata.unit: {md['unit']!r} is not one of {', '.join(UNITS)}")
    if md.get("licence") is not None and md["licence"] not in LICENCES:
        raise InvalidMetadata(
            f"metadata.licence: unknown licence {md['licence']!r}; use one of {', '.join(LICENCES)}"
        )
    if md.get("category") is not None and md["category"] not in CATEGORIES:
        raise InvalidMetadata(f"metadata.category: {md['category']!r} is not one of {', '.join(CATEGORIES)}")
    if md.get("up_axis") is not None and str(md["up_axis"]).upper().lstrip("+-") not in ("X", "Y", "Z"):
        raise InvalidMetadata(f"metadata.up_axis: {md['up_axis']!r}; use +Y, +Z, -Z, ...")
    if md.get("dimensions") is not None:
        md["dimensions"] = _check_dimensions(md["dimensions"])
    if md.get("flat_kind") is not None and md["flat_kind"] not in FLAT_KINDS:
        raise InvalidMetadata(f"metadata.flat_kind: {md['flat_kind']!r} is not one of {', '.join(FLAT_KINDS)}")
    if md.get("digitisation") is not None:
        md["digitisation"] = check_digitisation(md["digitisation"])
    if md.get("creator_ids") is not None:
        md["creator_ids"] = check_identifiers(md["creator_ids"])
    if md.get("rectify") is not None and not isinstance(md["rectify"], bool):
        raise InvalidMetadata(f"metadata.rectify: expected true or false, got {md['rectify']!r}")
    return md


def public_metadata(metadata: dict) -> dict:
    """Only the public catalogue fields (DESIGN.md §8): what pages, files and exports may show."""
    return {k: metadata[k] for k in PUBLIC_FIELDS if metadata.get(k) not in (None, "", {}, [])}


def _check_dimensions(dims: object) -> dict:
    if not isinstance(dims, dict):
        raise InvalidMetadata("metadata.dimensions: expected {\"height\": 32, \"width\": 20, \"unit\": \"cm\"}")
    unit = dims.get("unit", "cm")
    if unit not in UNITS:
        raise InvalidMetadata(f"metadata.dimensions.unit: {unit!r} is not one of {', '.join(UNITS)}")
    out = {"unit": unit}
    for key in ("width", "height", "depth"):
        value = dims.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise InvalidMetadata(f"metadata.dimensions.{key}: expected a positive number, got {value!r}")
        if value * UNITS[unit] > 100:
            raise InvalidMetadata(f"metadata.dimensions.{key}: {value} {unit} is over 100 m; check the unit")
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
