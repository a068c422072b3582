"""
gallery_text.py
---------------

The words on the public gallery in Vietnamese and English, and the names
of the filters' values (cultural-industry categories, kinds, licence
families, sort orders).
"""

from __future__ import annotations

TEXT = {
    "vi": {
        "gallery": "Bộ sưu tập mở",
        "tagline": "Hiện vật 3D từ các bảo tàng Việt Nam: tìm, xem giấy phép và tải bộ công cụ để làm video.",
        "search": "Tìm kiếm",
        "search_hint": "Tên, tác giả, văn hoá, số hiệu…",
        "category": "Lĩnh vực",
        "kind": "Loại",
        "licence": "Giấy phép",
        "sort": "Sắp xếp",
        "any": "Tất cả",
        "apply": "Lọc",
        "results": "{n} hiện vật",
        "none": "Không có hiện vật nào khớp. Hãy thử từ khác hoặc bỏ bớt bộ lọc.",
        "page": "Trang {page} / {pages}",
        "prev": "Trang trước",
        "next": "Trang sau",
        "open": "Xem 3D và AR",
        "kit": "Tải bộ công cụ (ZIP)",
        "copy_btn": "Sao chép",
        "copied": "Đã sao chép",
        "institutions": "Bảo tàng",
        "all_institutions": "Mọi bảo tàng",
        "feed": "Nguồn tin Atom",
        "lang_other": "English",
        "not_found_title": "Không tìm thấy bảo tàng",
        "not_found_body": "Địa chỉ có thể bị gõ sai.",
        "pages": "Phân trang",
        "untitled": "Hiện vật chưa đặt tên",
    },
    "en": {
        "gallery": "Open gallery",
        "tagline": "3D artefacts from Vietnam's museums: find one, see what its licence allows, take the video kit.",
        "search": "Search",
        "search_hint": "Title, creator, culture, accession number…",
        "category": "Field",
        "kind": "Kind",
        "licence": "Licence",
        "sort": "Sort",
        "any": "All",
        "apply": "Filter",
        "results": "{n} artefacts",
        "none": "Nothing matches. Try other words or fewer filters.",
        "page": "Page {page} of {pages}",
        "prev": "Previous page",
        "next": "Next page",
        "open": "See it in 3D and AR",
        "kit": "Download the creator kit (ZIP)",
        "copy_btn": "Copy",
        "copied": "Copied",
        "institutions": "Museums",
        "all_institutions": "All museums",
        "feed": "Atom feed",
        "lang_other": "Tiếng Việt",
        "not_found_title": "Museum not found",
        "not_found_body": "The address may be mistyped.",
        "pages": "Pages",
        "untitled": "Untitled artefact",
    },
}

CATEGORY_NAMES = {
    "cultural-heritage": ("Di sản văn hoá", "Cultural heritage"),
    "fine-arts": ("Mỹ thuật", "Fine arts"),
    "crafts": ("Thủ công mỹ nghệ", "Crafts"),
    "design": ("Thiết kế", "Design"),
    "architecture": ("Kiến trúc", "Architecture"),
    "performing-arts": ("Nghệ thuật biểu diễn", "Performing arts"),
    "cinema": ("Điện ảnh", "Cinema"),
    "photography": ("Nhiếp ảnh", "Photography"),
    "publishing": ("Xuất bản", "Publishing"),
    "advertising": ("Quảng cáo", "Advertising"),
    "software-games": ("Phần mềm và trò chơi giải trí", "Software and games"),
    "television-radio": ("Truyền hình và phát thanh", "Television and radio"),
    "cultural-tourism": ("Du lịch văn hoá", "Cultural tourism"),
}
KIND_NAMES = {
    "scan": ("Bản quét 3D", "3D scan"),
    "flat": ("Hiện vật phẳng", "Flat artefact"),
    "ring": ("Ảnh xoay 360°", "360° photo spin"),
    "photogrammetry": ("Dựng từ ảnh", "Photogrammetry"),
}
FAMILY_NAMES = {
    "free": ("Tự do sử dụng (CC0, CC BY, CC BY-SA, PDM)", "Free to reuse (CC0, CC BY, CC BY-SA, PDM)"),
    "restricted": ("Có giới hạn (NC, ND, bản quyền)", "Restricted (NC, ND, all rights reserved)"),
}
SORT_NAMES = {
    "newest": ("Mới nhất", "Newest"),
    "popular": ("Xem nhiều nhất", "Most viewed"),
}


def names(table: dict, lang: str) -> list[tuple[str, str]]:
    """[(value, name in lang)] for a select's options."""
    i = 0 if lang == "vi" else 1
    return [(value, pair[i]) for value, pair in table.items()]
