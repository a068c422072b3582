"""
claim.py
--------

What a heritage-ar Content Credential asserts, built from public fields
only: who issued the file (the institution), which artefact (title,
accession number, share link), under which licence, and how it was made
(digitisation, then the pipeline's processing steps, then the render or
encode that produced this file).
"""

from __future__ import annotations

from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import display_title
from service.pipeline.paradata import technique_label

ASSERTION = "org.heritage-ar.artefact"
# a digitised object processed by algorithms (IPTC digital source types)
SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/computationalCapture"


def claim(public: dict, *, institution: str, software: str, version: str, steps: list[str], output: str,
          share_url: str | None = None, fmt: str | None = None) -> dict:
    """The C2PA manifest definition (JSON) for one output file.

    Parameters
    ----------
    public : dict
      public_metadata(...) of the artefact.
    output : str
      What made this file: "render" (poster, cover, thumbnail, videos) or "model" (GLB, USDZ).
    """
    title = display_title(public, "vi")
    licence = public.get("licence")
    licence_url = LICENCES.get(licence or "", (None, None))[1]
    digitisation = public.get("digitisation") or {}
    created = {"action": "c2pa.created", "digitalSourceType": SOURCE_TYPE,
               "softwareAgent": {"name": software, "version": version}}
    if digitisation:
        created["description"] = "; ".join(v for v in (technique_label(digitisation.get("technique"), "en"),
                                                        digitisation.get("equipment"), digitisation.get("date")) if v)
    actions = [created]
    if steps:
        actions.append({"action": "c2pa.converted", "description": "processed: " + ", ".join(steps),
                        "softwareAgent": {"name": software, "version": version}})
    actions.append({"action": "c2pa.edited" if output == "render" else "c2pa.transcoded",
                    "description": "rendered from the 3D model" if output == "render" else "3D file for viewers and AR",
                    "softwareAgent": {"name": software, "version": version}})
    work = {"@context": "https://schema.org", "@type": "CreativeWork", "name": title,
            "copyrightHolder": {"@type": "Organization", "name": institution},
            "publisher": {"@type": "Organization", "name": institution}}
    artefact = {"institution": institution, "title": public.get("title") or {}, "licence": licence}
    for key, value in (("identifier", public.get("accession_number")), ("license", licence_url),
                       ("url", share_url), ("creditText", public.get("attribution"))):
        if value:
            work[key] = value
    for key in ("accession_number", "attribution", "creator", "date"):
        if public.get(key):
            artefact[key] = public[key]
    if licence_url:
        artefact["licence_url"] = licence_url
    if share_url:
        artefact["share_url"] = share_url
    doc = {
        "claim_generator_info": [{"name": software, "version": version}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": "stds.schema-org.CreativeWork", "data": work},
            {"label": ASSERTION, "data": artefact},
        ],
    }
    if fmt:
        doc["format"] = fmt
    return doc
