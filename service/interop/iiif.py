"""
iiif.py
-------

IIIF Presentation 3.0: a Manifest per artefact (label and summary in vi
and en, metadata pairs, requiredStatement, rights, provider, thumbnail,
the GLB as `Model` content on the first Canvas, then the poster, cover and
turntable video as further Canvases; USDZ as a rendering; EDM and Voyager
as seeAlso; curators' notes as `commenting` Annotations on the model's
Canvas) and a Collection per institution, paginated as one Collection per
page under a top Collection.

A 3D model has no pixels, so its Canvas is the model's front view fitted
into MODEL_CANVAS units: a note's PointSelector gives x (right) and y
(down) on that view and z (towards the viewer) in the same units, the form
the IIIF 3D drafts use for points in a Scene. The exact point in metres is
in the Voyager export and the API.
"""

from __future__ import annotations

from service.interop.record import LABELS
from service.interop.record import Published
from service.pipeline.paradata import technique_label

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MODEL_CANVAS = 1000  # a 3D model has no pixel size; a square Canvas holds it
# still name -> (label vi, label en), in the order shown
STILLS = {
    "poster": ("Ảnh bìa", "Poster"),
    "cover": ("Ảnh dọc", "Vertical cover"),
    "thumb": ("Ảnh thu nhỏ", "Thumbnail"),
}
VIDEOS = {"turntable.mp4": ("Video xoay 360°", "Turntable video"), "spin.mp4": ("Video xoay ảnh", "Photo spin video")}


def lang_map(vi: str | None, en: str | None) -> dict:
    """A IIIF language map; text in one language only is used for both."""
    vi, en = vi or en, en or vi
    return {"vi": [vi], "en": [en]}


def _pair(key: str, value: str | list[str]) -> dict:
    vi, en = LABELS[key]
    return {"label": lang_map(vi, en), "value": {"none": value if isinstance(value, list) else [value]}}


def metadata_pairs(rec: Published) -> list[dict]:
    """Label/value pairs shown by IIIF viewers: catalogue fields, then paradata."""
    md = rec.metadata
    pairs = [_pair(k, md[k]) for k in ("creator", "culture", "date", "accession_number") if md.get(k)]
    if rec.dimensions_text():
        pairs.append(_pair("dimensions", rec.dimensions_text()))
    pairs.append(_pair("institution", rec.institution))
    if md.get("creator_ids"):
        pairs.append(_pair("creator_ids", md["creator_ids"]))
    d = md.get("digitisation") or {}
    if d:
        vi, en = LABELS["digitisation"]
        facts = {"vi": [], "en": []}
        for lang in ("vi", "en"):
            facts[lang] = [v for v in (technique_label(d.get("technique"), lang), d.get("equipment"), d.get("date"),
                                       d.get("operator")) if v]
        value = {lang: ["; ".join(facts[lang])] for lang in ("vi", "en")}
        pairs.append({"label": lang_map(vi, en), "value": value})
    if rec.processing.get("steps"):
        text = f"{rec.processing.get('software', 'heritage-ar')}: {', '.join(rec.processing['steps'])}"
        pairs.append(_pair("processing", text))
    return pairs


def _image(rec: Published, name: str) -> dict:
    info = rec.info.get(name, {})
    body = {"id": rec.urls[name], "type": "Image", "format": info.get("mime") or "image/jpeg"}
    if info.get("width") and info.get("height"):
        body.update(width=int(info["width"]), height=int(info["height"]))
    return body


def _canvas(base: str, key: str, label: dict, body: dict, size: dict) -> dict:
    canvas_id = f"{base}/canvas/{key}"
    return {
        "id": canvas_id,
        "type": "Canvas",
        "label": label,
        **size,
        "items": [{
            "id": f"{canvas_id}/page",
            "type": "AnnotationPage",
            "items": [{"id": f"{canvas_id}/annotation", "type": "Annotation", "motivation": "painting",
                       "body": body, "target": canvas_id}],
        }],
    }


def note_point(rec: Published, position: list[float]) -> dict:
    """A point in metres (+Y up, base centre at the origin) as a PointSelector on the model's Canvas."""
    width, height = (rec.dimensions_m or [1.0, 1.0])[:2]
    scale = MODEL_CANVAS / max(width, height, 1e-6)
    x, y, z = position
    return {"type": "PointSelector", "x": round(MODEL_CANVAS / 2 + x * scale),
            "y": round(MODEL_CANVAS / 2 + (height / 2 - y) * scale), "z": round(z * scale)}


def note_page(rec: Published, canvas_id: str) -> dict:
    """Curators' notes as one AnnotationPage of `commenting` Annotations, in their order."""
    items = []
    for note in rec.notes:
        title, body = note["title"], note.get("body") or {}
        texts = [{"type": "TextualBody", "language": lang, "format": "text/plain",
                  "value": "\n\n".join(t for t in (title.get(lang), body.get(lang)) if t)}
                 for lang in ("vi", "en") if title.get(lang) or body.get(lang)]
        if note.get("image"):
            texts.append({"id": note["image"], "type": "Image"})
        anno = {
            "id": f"{canvas_id}/notes/{note['id']}",
            "type": "Annotation",
            "motivation": "commenting",
            "body": texts,
            "target": {"type": "SpecificResource", "source": {"id": canvas_id, "type": "Canvas"},
                       "selector": [note_point(rec, note["position"])]},
        }
        if title:
            anno["label"] = lang_map(title.get("vi"), title.get("en"))
        items.append(anno)
    return {"id": f"{canvas_id}/notes", "type": "AnnotationPage", "items": items}


def canvases(rec: Published, base: str) -> list[dict]:
    """The 3D model first, then stills and videos that exist."""
    out = []
    model = rec.first("web-2048.glb", "web-1024.glb", "master.glb", "web-4096.glb", "ar.glb", "thumb.glb")
    if model:
        body = {"id": rec.urls[model], "type": "Model", "format": "model/gltf-binary",
                "label": lang_map("Mô hình 3D", "3D model")}
        canvas = _canvas(base, "model", lang_map(rec.title("vi"), rec.title("en")), body,
                         {"width": MODEL_CANVAS, "height": MODEL_CANVAS})
        if rec.notes:
            canvas["annotations"] = [note_page(rec, canvas["id"])]
        out.append(canvas)
    for stem, (vi, en) in STILLS.items():
        name = rec.first(f"{stem}.jpg", f"{stem}.webp")
        if name:
            image = _image(rec, name)
            size = {"width": image.get("width", 1200), "height": image.get("height", 630)}
            out.append(_canvas(base, stem, lang_map(vi, en), image, size))
    for name, (vi, en) in VIDEOS.items():
        if name in rec.urls:
            info = rec.info.get(name, {})
            duration = float(info.get("duration") or info.get("seconds") or 6.0)
            body = {"id": rec.urls[name], "type": "Video", "format": "video/mp4", "duration": duration}
            size = {"width": int(info.get("width") or 1080), "height": int(info.get("height") or 1920)}
            body.update(size)
            out.append(_canvas(base, name.split(".")[0], lang_map(vi, en), body, {**size, "duration": duration}))
    return out


def manifest(rec: Published) -> dict:
    """The IIIF Presentation 3.0 Manifest of one artefact."""
    base = rec.links["iiif"].rsplit("/", 1)[0]
    md = rec.metadata
    doc = {
        "@context": CONTEXT,
        "id": rec.links["iiif"],
        "type": "Manifest",
        "label": lang_map(rec.titles.get("vi"), rec.titles.get("en")),
        "metadata": metadata_pairs(rec),
        "requiredStatement": {"label": lang_map("Ghi công", "Attribution"),
                              "value": {"none": [f"{rec.attribution} · {rec.licence_name}"]}},
        "rights": rec.licence_uri,
        "provider": [provider(rec)],
        "homepage": [{"id": rec.links["share"], "type": "Text", "format": "text/html",
                      "label": lang_map(rec.title("vi"), rec.title("en"))}],
        "seeAlso": [
            {"id": rec.links["edm"], "type": "Dataset", "format": "application/rdf+xml",
             "profile": "http://www.europeana.eu/schemas/edm/", "label": lang_map("Europeana EDM", "Europeana EDM")},
            {"id": rec.links["voyager"], "type": "Dataset", "format": "application/json",
             "label": lang_map("Cảnh Voyager", "Voyager scene")},
        ],
        "partOf": [{"id": rec.links["collection"], "type": "Collection"}],
        "items": canvases(rec, base),
    }
    if md.get("description"):
        doc["summary"] = lang_map(md["description"], md["description"])
    thumb = rec.first("poster.jpg", "poster.webp", "thumb.jpg")
    if thumb:
        doc["thumbnail"] = [_image(rec, thumb)]
    if "ar.usdz" in rec.urls:
        doc["rendering"] = [{"id": rec.urls["ar.usdz"], "type": "Model", "format": "model/vnd.usdz+zip",
                             "label": lang_map("Tệp AR cho iPhone (USDZ)", "AR file for iPhone (USDZ)")}]
    return doc


def provider(rec: Published) -> dict:
    return {"id": rec.links["collection"].split("?")[0] + "#provider", "type": "Agent",
            "label": lang_map(rec.institution, rec.institution),
            "homepage": [{"id": rec.links["collection"].split("?")[0], "type": "Text", "format": "application/ld+json",
                          "label": lang_map(rec.institution, rec.institution)}]}


def manifest_ref(rec: Published) -> dict:
    """A Manifest as an item of a Collection (id, label, thumbnail)."""
    ref = {"id": rec.links["iiif"], "type": "Manifest", "label": lang_map(rec.titles.get("vi"), rec.titles.get("en"))}
    thumb = rec.first("thumb.jpg", "poster.jpg", "thumb.webp")
    if thumb:
        ref["thumbnail"] = [_image(rec, thumb)]
    return ref


def collection(url: str, institution: str, records: list[Published], *, page: int | None, pages: int) -> dict:
    """The institution's Collection: without `page`, one sub-Collection per page; with it, that page's Manifests."""
    label = lang_map(f"{institution} — mô hình 3D", f"{institution} — 3D models")
    doc = {"@context": CONTEXT, "id": url if page is None else f"{url}?page={page}", "type": "Collection",
           "label": label}
    if page is None:
        doc["items"] = [{"id": f"{url}?page={n}", "type": "Collection",
                         "label": lang_map(f"Trang {n}", f"Page {n}")} for n in range(1, pages + 1)]
        return doc
    doc["label"] = lang_map(f"{institution} — trang {page}/{pages}", f"{institution} — page {page} of {pages}")
    doc["partOf"] = [{"id": url, "type": "Collection"}]
    doc["items"] = [manifest_ref(r) for r in records]
    return doc
