"""
voyager.py
----------

A Smithsonian Voyager document (`scene.svx.json`) for one artefact: one
model whose derivatives are our files as Voyager quality levels (thumb →
Thumb, web-1024/2048/4096 → Low/Medium/High, master → Highest, ar.glb and
ar.usdz → AR for Android and iOS), the curators' notes as the model's
annotations (Voyager's language keys: EN, VI), a camera, lights, a setup,
and a meta component with the catalogue record, the paradata and the
preview images. Notes' camera views are not exported: Voyager keeps them
as tour snapshots of its own internal state.
Our models are in metres with +Y up and the base at the origin (pipeline
normalise step), so the bounding box follows from the measured size.
"""

from __future__ import annotations

from service.interop.record import Published

DOCUMENT_TYPE = "application/si-dpo-3d.document+json"
# derivative name -> (usage, quality)
LEVELS = (
    ("thumb.glb", "Web3D", "Thumb"),
    ("web-1024.glb", "Web3D", "Low"),
    ("web-2048.glb", "Web3D", "Medium"),
    ("web-4096.glb", "Web3D", "High"),
    ("master.glb", "Web3D", "Highest"),
    ("ar.glb", "App3D", "AR"),
    ("ar.usdz", "iOSApp3D", "AR"),
)
IMAGES = (("thumb.jpg", "Thumb"), ("poster.jpg", "Low"), ("cover.jpg", "Medium"))


def _asset(rec: Published, name: str) -> dict:
    info = rec.info.get(name, {})
    asset = {"uri": rec.urls[name], "type": "Model", "mimeType": info.get("mime") or "model/gltf-binary"}
    if info.get("bytes"):
        asset["byteSize"] = int(info["bytes"])
    if info.get("faces"):
        asset["numFaces"] = int(info["faces"])
    return asset


def derivatives(rec: Published) -> list[dict]:
    return [{"usage": usage, "quality": quality, "assets": [_asset(rec, name)]}
            for name, usage, quality in LEVELS if name in rec.urls]


def annotations(rec: Published) -> list[dict]:
    """Curators' notes as Voyager annotations: numbered markers at the point, stem along the normal."""
    out = []
    for n, note in enumerate(rec.notes, start=1):
        title, body = note["title"], note.get("body") or {}
        item = {"id": note["id"], "marker": str(n), "style": "Circle", "visible": True,
                "position": [float(v) for v in note["position"]], "direction": [float(v) for v in note["normal"]],
                "titles": {lang.upper(): text for lang, text in title.items()},
                "title": title.get("en") or title.get("vi") or ""}
        if body:
            item["leads"] = {lang.upper(): text for lang, text in body.items()}
            item["lead"] = body.get("en") or body.get("vi")
        if note.get("image"):
            item["imageUri"] = note["image"]
        out.append(item)
    return out


def _meta(rec: Published) -> dict:
    md = rec.metadata
    collection = {
        "titles": rec.titles,
        "institution": rec.institution,
        "licence": rec.licence_uri,
        "attribution": rec.attribution,
        "share": rec.links["share"],
        "iiif": rec.links["iiif"],
    }
    for key in ("creator", "creator_ids", "culture", "date", "accession_number", "description"):
        if md.get(key):
            collection[key] = md[key]
    meta: dict = {"collection": collection, "process": {**rec.processing,
                                                       "digitisation": md.get("digitisation") or {}}}
    images = []
    for name, quality in IMAGES:
        if name in rec.urls:
            info = rec.info.get(name, {})
            image = {"uri": rec.urls[name], "quality": quality, "usage": "Render"}
            image.update({k: int(info[k]) for k in ("width", "height") if info.get(k)})
            if info.get("bytes"):
                image["byteSize"] = int(info["bytes"])
            images.append(image)
    if images:
        meta["images"] = images
    return meta


def _bounding_box(rec: Published) -> dict | None:
    if not rec.dimensions_m or len(rec.dimensions_m) != 3:
        return None
    x, y, z = (float(v) for v in rec.dimensions_m)
    return {"min": [-x / 2, 0.0, -z / 2], "max": [x / 2, y, z / 2]}


def scene(rec: Published, *, wall: bool = False) -> dict:
    """The Voyager document of one artefact (validates against Voyager's document.schema.json)."""
    model: dict = {"units": "m", "derivatives": derivatives(rec)}
    box = _bounding_box(rec)
    if box:
        model["boundingBox"] = box
    if rec.notes:
        model["annotations"] = annotations(rec)
    size = max(rec.dimensions_m or [1.0])
    return {
        "asset": {"type": DOCUMENT_TYPE, "version": "1.0", "generator": "heritage-ar",
                  "copyright": f"{rec.attribution} · {rec.licence_name}"},
        "scene": 0,
        "scenes": [{"nodes": [0, 1, 2, 3], "setup": 0}],
        "nodes": [
            {"name": "Camera", "camera": 0, "translation": [0.0, size * 0.6, size * 2.5]},
            {"name": "Key light", "light": 0, "translation": [size, size * 2, size]},
            {"name": "Ambient light", "light": 1},
            {"name": rec.title("en"), "model": 0, "meta": 0},
        ],
        "cameras": [{"type": "perspective", "perspective": {"yfov": 52.0, "znear": max(size / 100, 0.001),
                                                            "zfar": size * 100}}],
        "lights": [{"type": "directional", "intensity": 1.0, "color": [1.0, 1.0, 1.0]},
                   {"type": "ambient", "intensity": 0.6, "color": [1.0, 1.0, 1.0]}],
        "models": [model],
        "metas": [_meta(rec)],
        "setups": [{
            "units": "m",
            "viewer": {"shader": "Default", "exposure": 1.0, "gamma": 2.2, "isWallMountAR": wall},
            "navigation": {"type": "Orbit", "enabled": True, "autoZoom": True},
            "language": {"language": "EN"},
        }],
    }
