"""
viewer_kit.py
-------------

What a share page, an embed and the API need to know about an artefact's
public files: the URL of each derivative by name, which ones to use for the
viewer (thumb first, then a web level, master as the fallback), and the
creator kit (link, QR, embed snippet, poster, turntable video, caption).
Shared by viewer pages and `present.artefact_json`, so both say the same.
`kit_entries` lists the same kit as files and `stream_zip` sends them as one
ZIP (`/kit/<slug>.zip`), written as it is read, never whole in memory.
"""

from __future__ import annotations

import html
import zipfile
from dataclasses import dataclass
from dataclasses import field
from typing import Iterator

from service.api.licence_text import PLAIN
from service.api.licence_text import credit_line
from service.db.models import Artefact
from service.db.models import Version
from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import display_title
from service.storage import get_store

# web levels by texture size, smallest first (DESIGN.md §3)
WEB_LEVELS = (("1024", "web-1024.glb"), ("2048", "web-2048.glb"), ("4096", "web-4096.glb"))
# scale sources that mean the size shown in AR is the object's true size (pipeline/steps/scale_to_metres.py)
TRUE_SIZE_SOURCES = ("declared height", "declared unit", "file unit")
EMBED_SIZE = (640, 480)


@dataclass
class Files:
    """Public URLs of one ready version's derivatives, picked by role."""

    urls: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.urls.get(name)

    def first(self, *names: str) -> str | None:
        """The URL of the first of `names` that exists."""
        for name in names:
            if name in self.urls:
                return self.urls[name]
        return None

    @property
    def levels(self) -> dict[str, str]:
        """Web levels that exist, {"1024": url, ...}."""
        return {size: self.urls[name] for size, name in WEB_LEVELS if name in self.urls}

    @property
    def model(self) -> str | None:
        """The best GLB for full viewing and for search engines: a web level, else the master."""
        return self.first("web-2048.glb", "web-1024.glb", "web-4096.glb", "master.glb", "ar.glb", "thumb.glb")

    @property
    def first_model(self) -> str | None:
        """What the viewer loads first: the thumb level, else the smallest web level, else the master."""
        return self.first("thumb.glb", "web-1024.glb", "web-2048.glb", "master.glb", "web-4096.glb", "ar.glb")

    @property
    def ar_model(self) -> str | None:
        """The GLB handed to Scene Viewer / WebXR (Draco, no KTX2), else the model."""
        return self.first("ar.glb") or self.model

    @property
    def usdz(self) -> str | None:
        return self.get("ar.usdz")

    @property
    def poster(self) -> str | None:
        """The 1200x630 poster for Open Graph (JPEG: every unfurler reads it)."""
        return self.first("poster.jpg", "poster.webp")

    @property
    def poster_screen(self) -> str | None:
        """The poster shown before the model (WebP when present: smaller)."""
        return self.first("poster.webp", "poster.jpg")

    @property
    def thumbnail(self) -> str | None:
        return self.first("thumb.jpg", "thumb.webp", "poster.jpg")

    @property
    def video(self) -> str | None:
        return self.get("turntable.mp4")

    @property
    def spin(self) -> str | None:
        """The 360° photo spin set (ring photo sets; shown when there is no 3D model)."""
        return self.get("spin.json")


def files_of(version: Version | None, root: str) -> Files:
    """Public URLs of a version's derivatives (empty when there is no ready version)."""
    if version is None:
        return Files()
    store = get_store()
    return Files({d.name: store.url(d.key, base_url=root) for d in version.derivatives})


def is_wall(artefact: Artefact, version: Version | None) -> bool:
    """Flat artefacts (paintings, textiles) are placed on walls in AR."""
    manifest = (version.manifest if version else None) or {}
    return manifest.get("placement") == "wall" or artefact.kind == "flat"


def true_size_known(metadata: dict, version: Version | None) -> bool:
    """True when the model is at the object's real size, so AR must not let people rescale it."""
    manifest = (version.manifest if version else None) or {}
    source = (manifest.get("source") or {}).get("scale_source")
    dims = metadata.get("dimensions") or {}
    return source in TRUE_SIZE_SOURCES or any(dims.get(k) for k in ("width", "height", "depth"))


def links_of(artefact: Artefact, root: str) -> dict[str, str]:
    """The public links of an artefact."""
    return {
        "share": f"{root}/ar/{artefact.slug}",
        "short": f"{root}/s/{artefact.short_code}",
        "embed": f"{root}/embed/{artefact.slug}",
        "qr": f"{root}/qr/{artefact.slug}.svg",
        "qr_png": f"{root}/qr/{artefact.slug}.png",
        # museum interop exports (api/interop.py)
        "iiif": f"{root}/iiif/{artefact.slug}/manifest.json",
        "edm": f"{root}/edm/{artefact.slug}.xml",
        "voyager": f"{root}/voyager/{artefact.slug}/scene.svx.json",
    }


def embed_html(embed_url: str, title: str, *, width: int = EMBED_SIZE[0], height: int = EMBED_SIZE[1]) -> str:
    """The iframe snippet for blogs and museum sites (allows WebXR and fullscreen)."""
    return (
        f'<iframe src="{html.escape(embed_url)}" width="{int(width)}" height="{int(height)}" '
        f'title="{html.escape(title)}" style="border:0;max-width:100%" loading="lazy" '
        f'allow="xr-spatial-tracking; fullscreen" allowfullscreen></iframe>'
    )


def caption(metadata: dict, link: str, hashtags: str, lang: str) -> str:
    """A suggested caption for a short video or a bio: title, who, where, link, hashtags."""
    title = display_title(metadata, lang)
    who = metadata.get("creator") or metadata.get("culture")
    where = metadata.get("institution")
    head = title + (f" — {who}" if who else "") + (f", {where}" if where else "")
    call = "Xem 3D và AR" if lang == "vi" else "See it in 3D and AR"
    credit = ("Nguồn: " if lang == "vi" else "Credit: ") + credit_line(metadata, lang)
    return f"{head}. {call}: {link}\n{credit}" + (f"\n{hashtags.strip()}" if hashtags and hashtags.strip() else "")


def creator_kit(artefact: Artefact, metadata: dict, files: Files, root: str, hashtags: str) -> dict:
    """Everything a creator needs to share the artefact (API and page show the same)."""
    links = links_of(artefact, root)
    title = display_title(metadata, "vi")
    return {
        "link": links["share"],
        "short_link": links["short"],
        "qr_svg": links["qr"],
        "qr_png": links["qr_png"],
        "embed_html": embed_html(links["embed"], title),
        "poster": files.poster,
        "cover": files.get("cover.jpg"),
        "turntable_video": files.video,
        "zip": f"{root}/kit/{artefact.slug}.zip",  # all of it in one download
        "caption": {lang: caption(metadata, links["short"], hashtags, lang) for lang in ("vi", "en")},
    }


# derivative name -> name in the kit, in this order; the first cover found is the kit's cover
KIT_FILES = (
    ("cover.jpg", "cover.jpg"),
    ("poster.jpg", "poster.jpg"),
    ("turntable.mp4", "video-vertical.mp4"),
    ("turntable-annotated.mp4", "video-vertical-annotated.mp4"),
)
# already compressed: stored as they are
_STORED = (".jpg", ".png", ".mp4", ".webp")


def kit_readme(metadata: dict, links: dict[str, str], names: list[str]) -> str:
    """README.txt of the kit: what each file is and what the licence allows, in Vietnamese and English."""
    licence = metadata.get("licence") or "all-rights-reserved"
    name, url = LICENCES.get(licence, (licence, None))
    lines = []
    for lang, head in (("vi", "BỘ CÔNG CỤ CHO NHÀ SÁNG TẠO"), ("en", "CREATOR KIT")):
        vi = lang == "vi"
        lines += [
            f"{head}: {display_title(metadata, lang)}", "",
            ("Giấy phép: " if vi else "Licence: ") + name + (f" <{url}>" if url else ""),
            PLAIN.get(licence, PLAIN["all-rights-reserved"])[lang],
            ("Ghi công (sao chép vào video): " if vi else "Credit (copy it into your video): ") + credit_line(metadata, lang),
            ("Trang 3D và AR: " if vi else "3D and AR page: ") + links["share"],
            ("Liên kết ngắn: " if vi else "Short link: ") + links["short"], "",
            ("Tệp trong bộ này: " if vi else "Files in this kit: ") + ", ".join(names), "", "",
        ]
    return "\n".join(lines)


def kit_entries(artefact: Artefact, metadata: dict, version: Version, root: str, hashtags: str,
                qr_png: bytes) -> list[tuple[str, bytes | str]]:
    """(name in the ZIP, bytes or a storage key) for every file of the creator kit."""
    keys = {d.name: d.key for d in version.derivatives}
    links = links_of(artefact, root)
    entries: list[tuple[str, bytes | str]] = [(out, keys[src]) for src, out in KIT_FILES if src in keys]
    entries.append(("qr.png", qr_png))
    entries.append(("link.txt", f"{links['short']}\n{links['share']}\n".encode()))
    for lang in ("vi", "en"):
        entries.append((f"caption-{lang}.txt", (caption(metadata, links["short"], hashtags, lang) + "\n").encode()))
    names = [name for name, _ in entries] + ["README.txt"]
    entries.append(("README.txt", kit_readme(metadata, links, names).encode()))
    return entries


class _Sink:
    """A write-only stream that hands back what was written since the last take()."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def stream_zip(entries: list[tuple[str, bytes | str]], folder: str) -> Iterator[bytes]:
    """The kit as a ZIP, chunk by chunk: files are read from storage 1 MB at a time."""
    store = get_store()
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as zf:
        for name, source in entries:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name.endswith(_STORED) else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w") as dst:
                if isinstance(source, bytes):
                    dst.write(source)
                else:
                    with store.open(source) as src:
                        while chunk := src.read(1 << 20):
                            dst.write(chunk)
                            yield sink.take()
            yield sink.take()
    yield sink.take()
