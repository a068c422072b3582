"""
record.py
---------

`Published`: what every export may say about one ready artefact: the
public catalogue fields, the institution, the public file URLs with their
facts (bytes, MIME, size), the public links and the paradata.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import display_title

# Europeana accepts only its list of rights statements; "all rights reserved" is "In Copyright"
IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"

LABELS = {
    "creator": ("Tác giả", "Creator"),
    "culture": ("Văn hoá", "Culture"),
    "date": ("Niên đại", "Date"),
    "accession_number": ("Số hiệu", "Accession number"),
    "dimensions": ("Kích thước", "Dimensions"),
    "institution": ("Nơi lưu giữ", "Institution"),
    "licence": ("Giấy phép", "Licence"),
    "attribution": ("Ghi công", "Attribution"),
    "digitisation": ("Số hoá", "Digitisation"),
    "processing": ("Xử lý", "Processing"),
    "creator_ids": ("Định danh tác giả", "Creator identifiers"),
}


@dataclass
class Published:
    """One ready artefact as the public sees it (built by `api/interop.py`)."""

    slug: str
    metadata: dict  # public_metadata(...) only
    institution: str
    institution_id: int
    urls: dict[str, str]  # derivative name -> public URL
    info: dict[str, dict] = field(default_factory=dict)  # derivative name -> {"bytes", "mime", "width", ...}
    links: dict[str, str] = field(default_factory=dict)  # share, embed, oembed, iiif, edm, voyager, collection
    processing: dict = field(default_factory=dict)  # paradata.processing(manifest)
    dimensions_m: list[float] | None = None
    modified: str | None = None  # ISO date of the version
    notes: list[dict] = field(default_factory=list)  # curators' notes, annotations.annotation_json form

    def title(self, lang: str) -> str:
        return display_title(self.metadata, lang)

    @property
    def titles(self) -> dict[str, str]:
        """{"vi": ..., "en": ...} for the languages the catalogue has (at least one)."""
        return dict(self.metadata.get("title") or {}) or {"en": "Untitled"}

    def first(self, *names: str) -> str | None:
        return next((n for n in names if n in self.urls), None)

    @property
    def licence_uri(self) -> str:
        """A rights URI every aggregator accepts: Creative Commons (http), PDM, or RightsStatements InC."""
        url = LICENCES.get(self.metadata.get("licence") or "", (None, None))[1]
        return url.replace("https://", "http://", 1) if url else IN_COPYRIGHT

    @property
    def licence_name(self) -> str:
        return LICENCES.get(self.metadata.get("licence") or "", ("All rights reserved", None))[0]

    @property
    def attribution(self) -> str:
        return self.metadata.get("attribution") or self.institution

    def dimensions_text(self) -> str | None:
        dims = self.metadata.get("dimensions") or {}
        parts = [f"{k[0].upper()} {dims[k]:g}" for k in ("height", "width", "depth") if dims.get(k)]
        return f"{' × '.join(parts)} {dims.get('unit', 'cm')}" if parts else None
