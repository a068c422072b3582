"""
licence_text.py
---------------

Licences made plain for creators: one line in Vietnamese and English per
SPDX id saying what a video maker may do, the licence family the gallery
filters by ("free" to reuse or "restricted"), and the credit line to copy
(title, who made it, who holds it, licence: the TASL rule Creative Commons
asks for). Cards, share pages, kit captions and the kit README print these.
"""

from __future__ import annotations

from service.db.gallery import FREE_LICENCES
from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import display_title

# SPDX id -> {lang: what a creator may do}; no licence at all reads like all-rights-reserved
PLAIN = {
    "CC0-1.0": {
        "vi": "Tự do sử dụng cho mọi mục đích, kể cả thương mại; không bắt buộc ghi công (nên ghi).",
        "en": "Free to use for anything, even commercially; credit not required (but appreciated).",
    },
    "PDM-1.0": {
        "vi": "Thuộc phạm vi công cộng: tự do sử dụng, kể cả thương mại; nên ghi nguồn.",
        "en": "Public domain: free to use, even commercially; please credit the source.",
    },
    "CC-BY-4.0": {
        "vi": "Tự do dùng trong video của bạn, kể cả thương mại; ghi công bảo tàng.",
        "en": "Free to use in your videos, even commercially; credit the museum.",
    },
    "CC-BY-SA-4.0": {
        "vi": "Tự do dùng, kể cả thương mại; ghi công bảo tàng và chia sẻ tác phẩm của bạn cùng giấy phép.",
        "en": "Free to use, even commercially; credit the museum and share your work under the same licence.",
    },
    "CC-BY-NC-4.0": {
        "vi": "Được dùng trong video không thương mại; ghi công bảo tàng. Không dùng cho mục đích thương mại.",
        "en": "Use in non-commercial videos; credit the museum. Not for commercial use.",
    },
    "CC-BY-NC-SA-4.0": {
        "vi": "Được dùng trong video không thương mại; ghi công, chia sẻ cùng giấy phép. Không dùng cho mục đích thương mại.",
        "en": "Use in non-commercial videos; credit the museum, share alike. Not for commercial use.",
    },
    "CC-BY-ND-4.0": {
        "vi": "Được chia sẻ nguyên bản, kể cả thương mại, có ghi công; không được chỉnh sửa hay ghép vào video.",
        "en": "Share it unchanged, even commercially, with credit; no edits or remixes into your video.",
    },
    "CC-BY-NC-ND-4.0": {
        "vi": "Chỉ chia sẻ nguyên bản, có ghi công; không chỉnh sửa, không dùng cho mục đích thương mại.",
        "en": "Share it unchanged with credit only; no edits, not for commercial use.",
    },
    "all-rights-reserved": {
        "vi": "Bảo lưu mọi quyền: hãy hỏi bảo tàng trước khi dùng trong video.",
        "en": "All rights reserved: ask the museum before using it in a video.",
    },
}
LABEL = {
    "vi": {"free": "Tự do sử dụng", "restricted": "Có giới hạn", "credit": "Ghi công"},
    "en": {"free": "Free to reuse", "restricted": "Restricted", "credit": "Credit"},
}


def family(licence: str | None) -> str:
    """"free" (CC0, CC BY, CC BY-SA, PDM) or "restricted" (NC, ND, all rights reserved, none given)."""
    return "free" if licence in FREE_LICENCES else "restricted"


def credit_line(metadata: dict, lang: str, *, institution: str | None = None) -> str:
    """The line to copy under a video: “Title” — creator, holder (licence)."""
    title = display_title(metadata, lang)
    holder = metadata.get("attribution") or institution or metadata.get("institution")
    licence = metadata.get("licence") or "all-rights-reserved"
    name = LICENCES.get(licence, (licence, None))[0]
    if licence == "all-rights-reserved" and holder:
        name, holder = f"© {holder}", None  # the holder is named once, in the notice
    who = ", ".join(v for v in (metadata.get("creator"), holder) if v)
    return f"“{title}”" + (f" — {who}" if who else "") + f" ({name})"


def licence_line(metadata: dict, lang: str, *, institution: str | None = None) -> dict:
    """What a card or a share page prints about the licence, in `lang`."""
    licence = metadata.get("licence") or "all-rights-reserved"
    name, url = LICENCES.get(licence, (licence, None))
    fam = family(metadata.get("licence"))
    return {
        "id": licence,
        "name": name,
        "url": url,
        "family": fam,
        "badge": LABEL[lang][fam],
        "plain": PLAIN.get(licence, PLAIN["all-rights-reserved"])[lang],
        "credit": credit_line(metadata, lang, institution=institution),
        "credit_label": LABEL[lang]["credit"],
    }
