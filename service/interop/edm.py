"""
edm.py
------

Europeana Data Model records in RDF/XML, following Europeana's 3D
guidance: `edm:isShownBy` is our oEmbed URL (an oEmbed-compliant viewer is
Europeana's first requirement for 3D), `edm:type` "3D", `edm:rights` a URI
from Europeana's rights list, `dc:title` in Vietnamese and English with
xml:lang, the poster as `edm:object` (preview), the institution as data
provider and provider, creator identifiers as resources, and the
digitisation paradata on the 3D model's web resource.
"""

from __future__ import annotations

from lxml import etree

from service.interop.record import Published
from service.pipeline.paradata import provenance_text

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "edm": "http://www.europeana.eu/schemas/edm/",
    "ore": "http://www.openarchives.org/ore/terms/",
    "ebucore": "http://www.ebu.ch/metadata/ontologies/ebucore/ebucore#",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OEMBED_MIME = "application/json+oembed"


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _add(parent, name: str, text: str | None = None, *, lang: str | None = None, resource: str | None = None):
    el = etree.SubElement(parent, _q(name))
    if text is not None:
        el.text = text
    if lang:
        el.set(XML_LANG, lang)
    if resource:
        el.set(_q("rdf:resource"), resource)
    return el


def _cho(root, rec: Published, cho: str) -> None:
    md = rec.metadata
    el = etree.SubElement(root, _q("edm:ProvidedCHO"), {_q("rdf:about"): cho})
    for lang, text in sorted(rec.titles.items(), reverse=True):  # vi first
        _add(el, "dc:title", text, lang=lang)
    if md.get("description"):
        _add(el, "dc:description", md["description"], lang="vi")
    if md.get("creator"):
        _add(el, "dc:creator", md["creator"])
    for uri in md.get("creator_ids") or []:
        _add(el, "dc:creator", resource=uri)
    if md.get("date"):
        _add(el, "dc:date", md["date"])
    if md.get("culture"):
        _add(el, "dc:subject", md["culture"])
    if md.get("accession_number"):
        _add(el, "dc:identifier", md["accession_number"])
    _add(el, "dc:type", "hiện vật" if md.get("kind") != "flat" else "tác phẩm phẳng", lang="vi")
    _add(el, "dc:type", "physical object" if md.get("kind") != "flat" else "flat work", lang="en")
    if rec.dimensions_text():
        _add(el, "dcterms:extent", rec.dimensions_text())
    _add(el, "edm:type", "3D")


def _web_resources(root, rec: Published, oembed: str) -> None:
    md = rec.metadata
    wr = etree.SubElement(root, _q("edm:WebResource"), {_q("rdf:about"): oembed})
    _add(wr, "ebucore:hasMimeType", OEMBED_MIME)
    _add(wr, "edm:rights", resource=rec.licence_uri)
    model = rec.first("web-2048.glb", "web-1024.glb", "master.glb", "ar.glb")
    if model:
        wr = etree.SubElement(root, _q("edm:WebResource"), {_q("rdf:about"): rec.urls[model]})
        _add(wr, "ebucore:hasMimeType", "model/gltf-binary")
        _add(wr, "dc:format", "glTF 2.0 binary (GLB)")
        d = md.get("digitisation") or {}
        if provenance_text(md):
            _add(wr, "dc:description", provenance_text(md), lang="en")
        if d.get("date"):
            _add(wr, "dcterms:created", d["date"])
        if d.get("operator"):
            _add(wr, "dc:creator", d["operator"])
        if d.get("operator_id"):
            _add(wr, "dc:creator", resource=d["operator_id"])
        if rec.processing.get("steps"):
            text = f"{rec.processing.get('software', 'heritage-ar')}: {', '.join(rec.processing['steps'])}"
            _add(wr, "dcterms:provenance", f"Processed with {text}", lang="en")
        _add(wr, "edm:rights", resource=rec.licence_uri)
    preview = rec.first("poster.jpg", "thumb.jpg", "poster.webp")
    if preview:
        wr = etree.SubElement(root, _q("edm:WebResource"), {_q("rdf:about"): rec.urls[preview]})
        _add(wr, "ebucore:hasMimeType", (rec.info.get(preview) or {}).get("mime") or "image/jpeg")
        _add(wr, "edm:rights", resource=rec.licence_uri)


def _aggregation(root, rec: Published, cho: str, oembed: str) -> None:
    agg = etree.SubElement(root, _q("ore:Aggregation"), {_q("rdf:about"): cho + "#aggregation"})
    _add(agg, "edm:aggregatedCHO", resource=cho)
    _add(agg, "edm:dataProvider", rec.institution)
    _add(agg, "edm:provider", rec.institution)
    _add(agg, "edm:isShownBy", resource=oembed)
    _add(agg, "edm:isShownAt", resource=rec.links["share"])
    preview = rec.first("poster.jpg", "thumb.jpg", "poster.webp")
    if preview:
        _add(agg, "edm:object", resource=rec.urls[preview])
    _add(agg, "edm:rights", resource=rec.licence_uri)
    _add(agg, "dc:rights", f"{rec.attribution} · {rec.licence_name}")


def add_record(root, rec: Published) -> None:
    """One artefact's ProvidedCHO, WebResources and Aggregation under an rdf:RDF element."""
    cho = rec.links["edm"].rsplit(".", 1)[0] + "#cho"
    oembed = rec.links["oembed"]
    _cho(root, rec, cho)
    _web_resources(root, rec, oembed)
    _aggregation(root, rec, cho, oembed)


def rdf_xml(records: list[Published]) -> bytes:
    """An RDF/XML document holding the EDM records of `records`."""
    root = etree.Element(_q("rdf:RDF"), nsmap=NS)
    for rec in records:
        add_record(root, rec)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
