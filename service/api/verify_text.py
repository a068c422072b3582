"""
verify_text.py
--------------

The words of the /verify page in Vietnamese and English.
"""

from __future__ import annotations

WORDS = {
    "vi": {
        "title": "Kiểm tra chứng thực nội dung",
        "intro": "Thả một ảnh, video hoặc mô hình 3D (hoặc dán liên kết tới tệp của chúng tôi) để xem ai đã phát hành, "
                 "cho hiện vật nào, theo giấy phép nào và tệp có bị sửa sau khi ký không (C2PA).",
        "file": "Tệp (JPEG, WebP, MP4, GLB, USDZ)", "sidecar": "Tệp chứng thực .c2pa đi kèm (cho GLB/USDZ, nếu có)",
        "url": "hoặc liên kết tới tệp", "check": "Kiểm tra", "max": "Tối đa",
        "intact": "Nguyên vẹn: tệp không bị thay đổi kể từ khi được ký.",
        "altered": "ĐÃ BỊ THAY ĐỔI: tệp không còn khớp với chữ ký.",
        "none": "Không tìm thấy chứng thực nội dung trong tệp này.",
        "needs_sidecar": "Mô hình 3D mang chứng thực trong tệp .c2pa riêng; hãy thả cả tệp đó.",
        "unsupported": "Định dạng tệp không được hỗ trợ.",
        "unreadable": "Không đọc được tệp (hỏng hoặc sai định dạng).",
        "issuer": "Đơn vị phát hành", "signer": "Chứng thư ký", "artefact": "Hiện vật", "accession": "Số hiệu",
        "licence": "Giấy phép", "actions": "Quá trình tạo", "trusted": "Chứng thư nằm trong danh sách tin cậy",
        "untrusted": "Chứng thư không nằm trong danh sách tin cậy của máy chủ này",
        "share": "Trang hiện vật", "checked": "Tệp đã kiểm tra",
    },
    "en": {
        "title": "Check Content Credentials",
        "intro": "Drop a picture, video or 3D model (or paste a link to one of our files) to see who issued it, for "
                 "which artefact, under which licence, and whether it was altered after it was signed (C2PA).",
        "file": "File (JPEG, WebP, MP4, GLB, USDZ)", "sidecar": "Its .c2pa credentials file (GLB/USDZ, if you have it)",
        "url": "or a link to the file", "check": "Check", "max": "At most",
        "intact": "Intact: the file has not changed since it was signed.",
        "altered": "ALTERED: the file no longer matches its signature.",
        "none": "No Content Credentials found in this file.",
        "needs_sidecar": "3D models carry their credentials in a separate .c2pa file; drop that file too.",
        "unsupported": "This file format is not supported.",
        "unreadable": "The file could not be read (damaged, or not what it claims to be).",
        "issuer": "Issued by", "signer": "Signing certificate", "artefact": "Artefact", "accession": "Accession number",
        "licence": "Licence", "actions": "How it was made", "trusted": "The certificate is on the trust list",
        "untrusted": "The certificate is not on this server's trust list",
        "share": "Artefact page", "checked": "File checked",
    },
}
