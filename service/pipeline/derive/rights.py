"""
rights.py
---------

Rights and catalogue metadata that travel inside the files: glTF
`asset.copyright` plus a `KHR_xmp_json_ld` packet with Dublin Core (title
in Vietnamese and English, creator, date, rights, identifier = accession
number), and the same fields as USD layer metadata. A file that leaves the
museum keeps saying whose it is and under which licence.
"""

from __future__ import annotations

from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import copyright_line
from service.pipeline.metadata import public_metadata
from service.pipeline.paradata import provenance_text

DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"


def dublin_core(metadata: dict) -> dict:
    """Plain Dublin Core fields from catalogue metadata (missing fields left out).

    Returns
    -------
    fields : dict
      {"title": {"vi", "en"}, "creator", "date", "rights", "identifier", "publisher", "description", "licence_url"}
    """
    metadata = public_metadata(metadata)  # files leave the museum: public fields only
    title = {k: v for k, v in (metadata.get("title") or {}).items() if v}
    fields = {
        "title": title,
        "creator": metadata.get("creator"),
        "date": metadata.get("date"),
        "rights": copyright_line(metadata),
        "identifier": metadata.get("accession_number"),
        "publisher": metadata.get("institution"),
        "description": metadata.get("description"),
    }
    licence = LICENCES.get(metadata.get("licence") or "")
    if licence and licence[1]:
        fields["licence_url"] = licence[1]
    return {k: v for k, v in fields.items() if v}


def xmp_packet(metadata: dict) -> dict:
    """A JSON-LD XMP packet for `KHR_xmp_json_ld` (language alternatives for the title)."""
    dc = dublin_core(metadata)
    packet: dict = {"@context": {"dc": DC, "xmpRights": XMP_RIGHTS, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}}
    if dc.get("title"):
        # Vietnamese first (the museum's language), then English
        titles = sorted(dc["title"].items(), reverse=True)
        packet["dc:title"] = {"@type": "rdf:Alt"}
        for n, (lang, text) in enumerate(titles, start=1):
            packet["dc:title"][f"rdf:_{n}"] = {"@language": lang, "@value": text}
    if dc.get("creator"):
        packet["dc:creator"] = {"@list": [dc["creator"]]}
    if dc.get("date"):
        packet["dc:date"] = {"@list": [dc["date"]]}
    if dc.get("rights"):
        packet["dc:rights"] = {"@type": "rdf:Alt", "rdf:_1": {"@language": "x-default", "@value": dc["rights"]}}
    for key in ("identifier", "publisher", "description"):
        if dc.get(key):
            packet[f"dc:{key}"] = dc[key] if key == "identifier" else {"@set": [dc[key]]}
    if dc.get("licence_url"):
        packet["xmpRights:WebStatement"] = dc["licence_url"]
    _paradata(packet, metadata)
    return packet


def _paradata(packet: dict, metadata: dict) -> None:
    """How the model was made (paradata) and the creator's identifiers, as Dublin Core terms."""
    provenance = provenance_text(metadata)
    ids = metadata.get("creator_ids") or []
    if provenance or ids:
        packet["@context"]["dcterms"] = DCTERMS
    if provenance:
        packet["dcterms:provenance"] = provenance
    if ids:
        packet["dcterms:creator"] = [{"@id": uri} for uri in ids]


def gltf_extensions(metadata: dict) -> dict:
    """Root `extensions` for a GLB: the XMP packet list."""
    return {"KHR_xmp_json_ld": {"packets": [xmp_packet(metadata)]}}


def usd_layer_data(metadata: dict) -> dict:
    """Flat string fields for a USD layer's customLayerData (`dc:title@vi`, `dc:rights`, ...)."""
    dc = dublin_core(metadata)
    out = {f"dc:title@{lang}": text for lang, text in dc.pop("title", {}).items()}
    for key, value in dc.items():
        name = "cc:license" if key == "licence_url" else f"dc:{key}"
        out[name] = str(value)
    if provenance_text(metadata):
        out["dcterms:provenance"] = provenance_text(metadata)
    if metadata.get("creator_ids"):
        out["dcterms:creator"] = " ".join(metadata["creator_ids"])
    return out
