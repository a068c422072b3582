"""
viewer_page.py
--------------

Builds what a share page or an embed shows for one ready artefact: the
visible catalogue text in the visitor's language, the `<model-viewer>`
attributes (poster, thumb level first, web levels by device, AR files,
wall placement, fixed scale), the social tags (Open Graph, Twitter card),
the schema.org 3DModel JSON-LD, and the Content-Security-Policy that keeps
every request on our own origins. Templates only print these values;
Jinja escapes all user text.
"""

from __future__ import annotations

from urllib.parse import quote
from urllib.parse import urlsplit

from service.api.licence_text import licence_line
from service.api.viewer_about import about
from service.api.viewer_kit import Files
from service.api.viewer_kit import creator_kit
from service.api.viewer_kit import files_of
from service.api.viewer_kit import is_wall
from service.api.viewer_kit import links_of
from service.api.viewer_kit import true_size_known
from service.api.viewer_text import IN_APP
from service.api.viewer_text import TEXT
from service.db.models import Artefact
from service.db.models import Version
from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import display_title

POSTER_SIZE = (1200, 630)


def vendor_paths(vendor: dict) -> dict:
    """URLs of the vendored viewer files, from assets/vendor/vendor.json."""
    return {
        "model_viewer": "/vendor/" + vendor["model_viewer"],
        "draco": "/vendor/" + vendor["draco"],
        "basis": "/vendor/" + vendor["basis"],
    }


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}".rstrip("0").rstrip(".")


def dimensions_text(metadata: dict, version: Version | None, *, size_known: bool) -> str | None:
    """"H 32 × W 20 × D 10 cm": declared dimensions, else the measured model when its size is true."""
    dims = metadata.get("dimensions") or {}
    unit = dims.get("unit", "cm")
    values = [(k, dims.get(k)) for k in ("height", "width", "depth")]
    if not any(v for _, v in values) and size_known and version is not None:
        measured = (version.manifest or {}).get("dimensions_m")
        if measured and len(measured) == 3:
            x, y, z = measured
            values, unit = [("height", y * 100), ("width", x * 100), ("depth", z * 100)], "cm"
    parts = [f"{k[0].upper()} {_fmt(v)}" for k, v in values if v]
    return f"{' × '.join(parts)} {unit}" if parts else None


def content(metadata: dict, lang: str, dimensions: str | None) -> dict:
    """The catalogue text shown on the page, in `lang` where the catalogue has it."""
    words = TEXT[lang]
    other = "en" if lang == "vi" else "vi"
    title = display_title(metadata, lang) if metadata.get("title") else words["untitled"]
    subtitle = (metadata.get("title") or {}).get(other)
    rows = [
        (words["creator"], metadata.get("creator")),
        (words["culture"], metadata.get("culture")),
        (words["date"], metadata.get("date")),
        (words["dimensions"], dimensions),
        (words["institution"], metadata.get("institution")),
        (words["accession"], metadata.get("accession_number")),
    ]
    licence = metadata.get("licence")
    name, url = LICENCES.get(licence, (licence, None)) if licence else (None, None)
    return {
        "title": title,
        "subtitle": subtitle if subtitle and subtitle != title else None,
        "rows": [(label, value) for label, value in rows if value],
        "licence": {"id": licence, "name": name, "url": url} if licence else None,
        "attribution": metadata.get("attribution"),
        "description": metadata.get("description"),
        "byline": metadata.get("creator") or metadata.get("culture") or metadata.get("institution"),
    }


def viewer_attrs(artefact: Artefact, metadata: dict, version: Version | None, files: Files, title: str) -> dict:
    """Attributes of the `<model-viewer>` element (None values are left out by the template)."""
    return {
        "src": files.first_model,
        "poster": files.poster_screen,
        "ios-src": files.usdz,
        "alt": title,
        "ar-placement": "wall" if is_wall(artefact, version) else None,
        "ar-scale": "fixed" if true_size_known(metadata, version) else None,
    }


def script_config(artefact: Artefact, files: Files) -> dict:
    """What share.js needs: levels to swap in, the AR model, the beacon URL, in-app detection.

    The same for both languages: the page's script picks the language (lang.js).
    """
    return {
        "levels": files.levels,
        "first": files.first_model,
        "ar": files.ar_model,
        "beacon": f"/b/{artefact.slug}",
        "inApp": IN_APP.pattern,
        "copied": {lang: words["copied"] for lang, words in TEXT.items()},
    }


def social_tags(page: dict, files: Files, links: dict, lang: str) -> list[tuple[str, str, str]]:
    """(attribute, name, content) meta tags for Open Graph and the Twitter card."""
    title, description = page["title"], page["summary"]
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", page["provider"]),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", links["share"]),
        ("property", "og:locale", "vi_VN" if lang == "vi" else "en_GB"),
        ("name", "twitter:card", "summary_large_image" if files.poster else "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    if files.poster:
        mime = "image/jpeg" if files.poster.endswith(".jpg") else "image/webp"
        tags += [
            ("property", "og:image", files.poster),
            ("property", "og:image:type", mime),
            ("property", "og:image:width", str(POSTER_SIZE[0])),
            ("property", "og:image:height", str(POSTER_SIZE[1])),
            ("property", "og:image:alt", title),
            ("name", "twitter:image", files.poster),
            ("name", "twitter:image:alt", title),
        ]
    if files.video:
        tags += [("property", "og:video", files.video), ("property", "og:video:type", "video/mp4")]
    return tags


def json_ld(artefact: Artefact, metadata: dict, version: Version | None, files: Files, links: dict,
            page: dict) -> dict:
    """schema.org 3DModel with GLB and USDZ encodings, licence and rights holders."""
    encodings = []
    if files.model:
        encodings.append({"@type": "MediaObject", "contentUrl": files.model, "encodingFormat": "model/gltf-binary"})
    if files.usdz:
        encodings.append({"@type": "MediaObject", "contentUrl": files.usdz, "encodingFormat": "model/vnd.usdz+zip"})
    doc = {
        "@context": "https://schema.org/",
        "@type": "3DModel" if encodings else "CreativeWork",
        "name": page["title"],
        "url": links["share"],
        "embedUrl": links["embed"],
        "inLanguage": page["lang"],
    }
    if encodings:
        doc["encoding"] = encodings
        doc["isResizable"] = not true_size_known(metadata, version)
    optional = {
        "alternateName": page["subtitle"],
        "description": page["description"],
        "image": files.poster,
        "thumbnailUrl": files.thumbnail,
        "license": (page["licence"] or {}).get("url"),
        "identifier": metadata.get("accession_number"),
        "dateCreated": metadata.get("date"),
        "creditText": metadata.get("attribution"),
    }
    doc.update({k: v for k, v in optional.items() if v})
    if metadata.get("creator"):
        doc["creator"] = {"@type": "Person", "name": metadata["creator"]}
    if metadata.get("institution"):
        doc["copyrightHolder"] = {"@type": "Organization", "name": metadata["institution"]}
        doc["provider"] = {"@type": "Organization", "name": metadata["institution"]}
    return doc


def build(artefact: Artefact, metadata: dict, version: Version | None, *, lang: str, root: str,
          hashtags: str, provider: str, notes: list[dict] | None = None) -> dict:
    """Everything the share and embed templates print for a ready artefact."""
    files = files_of(version, root)
    links = links_of(artefact, root)
    size_known = true_size_known(metadata, version)
    page = content(metadata, lang, dimensions_text(metadata, version, size_known=size_known))
    page["lang"] = lang
    page["provider"] = provider
    page["summary"] = _summary(page, metadata)
    page["links"] = links
    page["files"] = files
    page["viewer"] = viewer_attrs(artefact, metadata, version, files, page["title"])
    # no GLB (a ring photo set): the photo spin viewer instead, and no 1 MB WebGL viewer to load
    page["spin"] = files.spin if not files.first_model else None
    page["config"] = script_config(artefact, files)
    page["meta"] = social_tags(page, files, links, lang)
    page["json_ld"] = json_ld(artefact, metadata, version, files, links, page)
    page["oembed"] = f"{root}/oembed?url={quote(links['share'], safe='')}&format=json"
    page["kit"] = creator_kit(artefact, metadata, files, root, hashtags)
    page["licence_plain"] = {code: licence_line(metadata, code) for code in ("vi", "en")}
    page["about"] = about(metadata, version, links, lang)
    page["origins"] = file_origins(files, root)
    page["notes"] = notes or []
    return page


def _summary(page: dict, metadata: dict) -> str:
    text = page["description"] or " · ".join(v for v in (page["byline"], metadata.get("date")) if v)
    text = " ".join((text or page["title"]).split())
    return text if len(text) <= 200 else text[:197].rstrip() + "…"


def file_origins(files: Files, root: str) -> list[str]:
    """Origins other than ours that serve the files (an S3 bucket or CDN), for the CSP."""
    own = _origin(root)
    found = {_origin(url) for url in files.urls.values()}
    return sorted(o for o in found if o and o != own)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def csp(origins: list[str], *, frame_ancestors: str) -> str:
    """The page's Content-Security-Policy: our origin (plus the file store) only.

    'wasm-unsafe-eval' lets the vendored Draco/Basis decoders compile their
    WebAssembly; blob: workers are how three.js runs them.
    """
    extra = " ".join(origins)
    files = f"'self' {extra}".strip()
    return "; ".join([
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self' blob:",
        f"connect-src {files} blob: data:",
        f"img-src {files} blob: data:",
        f"media-src {files}",
        # model-viewer's shadow DOM applies inline styles (measured: blocked under 'self' alone);
        # styles cannot run code, scripts stay strict
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
        f"frame-ancestors {frame_ancestors}",
    ])
