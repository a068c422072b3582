"""
paradata.py
-----------

How a model was made, as the DFG 3D recommendation and CARARE/CRMdig ask:
the digitisation event (technique, equipment, date, operator) from the
catalogue record, the processing (software and recipe) from the pipeline's
manifest, and creator identifiers (ORCID, Wikidata, VIAF) checked and
turned into links. Used by the share page, the exports and the files.
"""

from __future__ import annotations

import re

from service.errors import InvalidMetadata

TECHNIQUES = (
    "structured-light", "laser-scanning", "photogrammetry", "ct-scanning", "lidar",
    "photography", "modelling", "other",
)
# (label vi, label en) shown on pages and exports
TECHNIQUE_LABELS = {
    "structured-light": ("quét ánh sáng cấu trúc", "structured-light scanning"),
    "laser-scanning": ("quét laser", "laser scanning"),
    "photogrammetry": ("đo ảnh (photogrammetry)", "photogrammetry"),
    "ct-scanning": ("chụp cắt lớp CT", "CT scanning"),
    "lidar": ("LiDAR", "LiDAR"),
    "photography": ("chụp ảnh", "photography"),
    "modelling": ("dựng hình", "3D modelling"),
    "other": ("khác", "other"),
}
DIGITISATION_FIELDS = ("technique", "equipment", "date", "operator", "operator_id", "note")

_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.I)
_WIKIDATA = re.compile(r"^(?:https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/)?(Q[1-9]\d*)$", re.I)
_VIAF = re.compile(r"^(?:https?://viaf\.org/viaf/|viaf:)?([1-9]\d{1,21})/?$", re.I)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an ORCID iD (0000-0002-1825-0097)."""
    digits = orcid.replace("-", "").upper()
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def identifier_uri(raw: object, field: str = "creator_ids") -> dict:
    """One creator identifier -> {"scheme": "orcid|wikidata|viaf", "id", "uri"}; refuses what it cannot check."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidMetadata(f"metadata.{field}: expected an ORCID, Wikidata or VIAF identifier, got {raw!r}")
    text = raw.strip()
    if m := _ORCID.match(text):
        orcid = m.group(1).upper()
        if not orcid_checksum_ok(orcid):
            raise InvalidMetadata(f"metadata.{field}: ORCID {orcid} has a wrong check digit; copy it from orcid.org")
        return {"scheme": "orcid", "id": orcid, "uri": f"https://orcid.org/{orcid}"}
    if m := _WIKIDATA.match(text):
        qid = m.group(1).upper()
        return {"scheme": "wikidata", "id": qid, "uri": f"http://www.wikidata.org/entity/{qid}"}
    if m := _VIAF.match(text):
        return {"scheme": "viaf", "id": m.group(1), "uri": f"http://viaf.org/viaf/{m.group(1)}"}
    raise InvalidMetadata(
        f"metadata.{field}: {text!r} is not an ORCID (0000-0002-1825-0097), Wikidata (Q42) "
        "or VIAF (113230702) identifier"
    )


def check_identifiers(raw: object) -> list[str]:
    """`creator_ids`: a list (or one) of identifiers, returned as canonical URIs."""
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > 20:
        raise InvalidMetadata("metadata.creator_ids: at most 20 identifiers")
    return [identifier_uri(item)["uri"] for item in items]


def check_digitisation(raw: object) -> dict:
    """`digitisation`: {"technique", "equipment", "date" (YYYY[-MM[-DD]]), "operator", "operator_id", "note"}."""
    if not isinstance(raw, dict):
        raise InvalidMetadata(
            "metadata.digitisation: expected {\"technique\": \"structured-light\", \"equipment\": \"...\", "
            "\"date\": \"2024-05-02\", \"operator\": \"...\"}"
        )
    unknown = set(raw) - set(DIGITISATION_FIELDS)
    if unknown:
        raise InvalidMetadata(
            f"metadata.digitisation: unknown field {sorted(unknown)[0]!r}; use {', '.join(DIGITISATION_FIELDS)}")
    out = {}
    for key, value in raw.items():
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 2000:
            raise InvalidMetadata(f"metadata.digitisation.{key}: expected text (at most 2000 characters)")
        out[key] = value.strip()
    if out.get("technique") and out["technique"] not in TECHNIQUES:
        raise InvalidMetadata(
            f"metadata.digitisation.technique: {out['technique']!r} is not one of {', '.join(TECHNIQUES)}")
    if out.get("date") and not _DATE.match(out["date"]):
        raise InvalidMetadata(f"metadata.digitisation.date: {out['date']!r}; use YYYY-MM-DD (or YYYY-MM, YYYY)")
    if out.get("operator_id"):
        out["operator_id"] = identifier_uri(out["operator_id"], "digitisation.operator_id")["uri"]
    return out


def processing(manifest: dict | None, software: str = "heritage-ar") -> dict:
    """The processing half of the paradata, from a version's manifest: software and the recipe's step names."""
    manifest = manifest or {}
    steps = []
    for entry in manifest.get("recipe") or []:
        name = entry.get("step") if isinstance(entry, dict) else entry[0] if isinstance(entry, (list, tuple)) else None
        if isinstance(name, str) and name not in steps:
            steps.append(name)
    return {"software": software, "steps": steps}


def technique_label(technique: str | None, lang: str) -> str | None:
    if not technique:
        return None
    vi, en = TECHNIQUE_LABELS.get(technique, (technique, technique))
    return vi if lang == "vi" else en


def provenance_text(metadata: dict, lang: str = "en") -> str | None:
    """One line for files' `dcterms:provenance`: "Digitised by photogrammetry with X on 2024-05-02 by Y"."""
    d = metadata.get("digitisation") or {}
    if not d:
        return None
    parts = ["Digitised" if lang == "en" else "Số hoá"]
    if d.get("technique"):
        parts.append(("by " if lang == "en" else "bằng ") + technique_label(d["technique"], lang))
    if d.get("equipment"):
        parts.append(("with " if lang == "en" else "với ") + d["equipment"])
    if d.get("date"):
        parts.append(("on " if lang == "en" else "ngày ") + d["date"])
    if d.get("operator"):
        parts.append(("by " if lang == "en" else "do ") + d["operator"])
    return " ".join(parts)
