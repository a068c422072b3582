"""
viewer_about.py
---------------

The share page's "about this model" section: how the model was made
(digitisation technique, equipment, date, operator; processing software
and steps), the creator's identifiers as links, and the museum exports
(IIIF, Europeana EDM, Voyager) and the Content Credentials check.
"""

from __future__ import annotations

from service.db.models import Version
from service.pipeline.paradata import processing
from service.pipeline.paradata import technique_label

WORDS = {
    "vi": {
        "about": "Về mô hình này", "technique": "Kỹ thuật số hoá", "equipment": "Thiết bị",
        "digitised": "Ngày số hoá", "operator": "Người số hoá", "processing": "Xử lý",
        "creator_ids": "Định danh tác giả", "exports": "Dữ liệu cho bảo tàng và thư viện số",
        "iiif": "IIIF manifest", "edm": "Europeana EDM (RDF/XML)", "voyager": "Cảnh Smithsonian Voyager",
        "verify": "Kiểm tra chứng thực nội dung (C2PA)",
    },
    "en": {
        "about": "About this model", "technique": "Digitisation technique", "equipment": "Equipment",
        "digitised": "Digitised on", "operator": "Digitised by", "processing": "Processing",
        "creator_ids": "Creator identifiers", "exports": "Data for museums and digital libraries",
        "iiif": "IIIF manifest", "edm": "Europeana EDM (RDF/XML)", "voyager": "Smithsonian Voyager scene",
        "verify": "Check Content Credentials (C2PA)",
    },
}
SCHEME_NAMES = {"orcid.org": "ORCID", "wikidata.org": "Wikidata", "viaf.org": "VIAF"}


def _scheme(uri: str) -> str:
    return next((name for host, name in SCHEME_NAMES.items() if host in uri), "ID")


def about(metadata: dict, version: Version | None, links: dict, lang: str) -> dict:
    """Rows (label, text, link or None), identifier links and export links for the template."""
    words = WORDS[lang]
    d = metadata.get("digitisation") or {}
    rows = [
        (words["technique"], technique_label(d.get("technique"), lang), None),
        (words["equipment"], d.get("equipment"), None),
        (words["digitised"], d.get("date"), None),
        (words["operator"], d.get("operator"), d.get("operator_id")),
    ]
    steps = processing(version.manifest if version else None)["steps"]
    if steps:
        rows.append((words["processing"], "heritage-ar: " + ", ".join(steps), None))
    ids = [(f"{_scheme(uri)} {uri.rstrip('/').rsplit('/', 1)[-1]}", uri) for uri in metadata.get("creator_ids") or []]
    exports = [(words[k], links[k]) for k in ("iiif", "edm", "voyager") if links.get(k)]
    return {
        "words": words,
        "rows": [(label, text, link) for label, text, link in rows if text],
        "ids": ids,
        "exports": exports,
        "verify": "/verify",
    }
