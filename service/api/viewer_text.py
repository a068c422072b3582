"""
viewer_text.py
--------------

The words on share pages in Vietnamese and English, the choice of language
(`?lang=` first, then Accept-Language, then Vietnamese), and the detection
of in-app browsers (TikTok, Facebook, Instagram, Zalo, ...) that cannot start
AR (the page's script tells the visitor to open it in their real browser).
"""

from __future__ import annotations

import re

from flask import Request

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

TEXT = {
    "vi": {
        "view_ar": "Xem trong không gian của bạn",
        "ar_unavailable": "Thiết bị này không mở được AR. Hãy xoay, phóng to mô hình 3D.",
        "loading": "Đang tải mô hình 3D…",
        "creator": "Tác giả",
        "culture": "Văn hoá",
        "institution": "Nơi lưu giữ",
        "date": "Niên đại",
        "dimensions": "Kích thước",
        "accession": "Số hiệu",
        "licence": "Giấy phép",
        "attribution": "Ghi công",
        "share": "Chia sẻ",
        "creator_kit": "Bộ công cụ cho nhà sáng tạo",
        "link": "Liên kết",
        "copy_btn": "Sao chép",
        "copied": "Đã sao chép",
        "qr": "Mã QR",
        "embed": "Mã nhúng",
        "poster": "Ảnh bìa",
        "video": "Video xoay 360°",
        "caption": "Chú thích gợi ý",
        "download": "Tải xuống",
        "see_3d_ar": "Xem 3D và AR",
        "inapp_title": "Mở trong trình duyệt để xem AR",
        "inapp_ios": "Ứng dụng này không mở được AR. Chạm ••• hoặc biểu tượng chia sẻ, rồi chọn “Mở trong Safari”.",
        "inapp_android": "Ứng dụng này không mở được AR. Chạm ⋮ rồi chọn “Mở trong trình duyệt”, hoặc bấm nút dưới đây.",
        "open_browser": "Mở trong Chrome",
        "desktop_qr": "Quét mã bằng điện thoại để đặt hiện vật vào không gian của bạn.",
        "processing_title": "Hiện vật đang được xử lý",
        "processing_body": "Mô hình 3D sẽ sẵn sàng trong ít phút. Trang này tự tải lại.",
        "failed_title": "Không xử lý được hiện vật này",
        "failed_body": "Bản quét chưa thể chuyển thành mô hình 3D. Bảo tàng đã được thông báo.",
        "deleted_title": "Hiện vật này không còn được chia sẻ",
        "deleted_body": "Đơn vị sở hữu đã gỡ liên kết này.",
        "missing_title": "Không tìm thấy hiện vật",
        "missing_body": "Liên kết có thể bị gõ sai hoặc đã hết hạn.",
        "untitled": "Hiện vật chưa đặt tên",
        "open_full": "Mở trang đầy đủ",
        "lang_other": "English",
    },
    "en": {
        "view_ar": "View in your space",
        "ar_unavailable": "AR is not available on this device. Drag to turn the 3D model, pinch to zoom.",
        "loading": "Loading the 3D model…",
        "creator": "Creator",
        "culture": "Culture",
        "institution": "Held by",
        "date": "Date",
        "dimensions": "Dimensions",
        "accession": "Accession number",
        "licence": "Licence",
        "attribution": "Credit",
        "share": "Share",
        "creator_kit": "Creator kit",
        "link": "Link",
        "copy_btn": "Copy",
        "copied": "Copied",
        "qr": "QR code",
        "embed": "Embed code",
        "poster": "Poster",
        "video": "Turntable video",
        "caption": "Suggested caption",
        "download": "Download",
        "see_3d_ar": "See it in 3D and AR",
        "inapp_title": "Open in your browser to see it in AR",
        "inapp_ios": "This app cannot start AR. Tap ••• or the share icon, then choose “Open in Safari”.",
        "inapp_android": "This app cannot start AR. Tap ⋮ then “Open in browser”, or use the button below.",
        "open_browser": "Open in Chrome",
        "desktop_qr": "Scan the code with your phone to place the artefact in your space.",
        "processing_title": "This artefact is being prepared",
        "processing_body": "The 3D model will be ready in a few minutes. This page reloads by itself.",
        "failed_title": "This artefact could not be prepared",
        "failed_body": "The scan could not be turned into a 3D model. The museum has been told.",
        "deleted_title": "This artefact is no longer shared",
        "deleted_body": "Its owner has withdrawn this link.",
        "missing_title": "Artefact not found",
        "missing_body": "The link may be mistyped or out of date.",
        "untitled": "Untitled artefact",
        "open_full": "Open the full page",
        "lang_other": "Tiếng Việt",
    },
}

# In-app browsers (WebViews) that cannot hand a model to Scene Viewer / Quick Look.
# Tokens from the apps' user-agent strings; Twitter/X uses SFSafariViewController and works.
# The page's script tests navigator.userAgent against this pattern (passed in its config), so
# the HTML does not vary by user agent and caches well.
IN_APP = re.compile(
    r"musical_ly|TikTok|BytedanceWebview|Bytedance|trill_|"  # TikTok (global, Douyin)
    r"FBAN|FBAV|FB_IAB|FBIOS|Messenger|"  # Facebook, Messenger
    r"Instagram|Zalo|\bLine/|KAKAOTALK|MicroMessenger|WeChat|"  # Instagram, Zalo, LINE, Kakao, WeChat
    r"Snapchat|LinkedInApp|Pinterest|Threads",
    re.IGNORECASE,
)


def pick_lang(request: Request) -> str:
    """The page language: `?lang=vi|en`, else the best Accept-Language match, else Vietnamese."""
    asked = (request.args.get("lang") or "").strip().lower()[:2]
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS, default=DEFAULT_LANG) or DEFAULT_LANG



def lang_of(asked: str | None, accept_language: str | None) -> str:
    """The same choice as `pick_lang`, from raw values (the hot path has no Flask request)."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    asked = (asked or "").strip().lower()[:2]
    if asked in LANGS:
        return asked
    accept = parse_accept_header(accept_language or "", LanguageAccept)
    return accept.best_match(LANGS, default=DEFAULT_LANG) or DEFAULT_LANG
