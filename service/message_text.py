"""
message_text.py
---------------

The wording of `messages.Message` in English and Vietnamese: str.format
templates, `{{` for a literal brace. Both keep the `metadata.<field>:` prefix,
which clients (the studio's catalogue form) use to put a message under its
field. A test checks that both languages have every key and the same names.
"""

from __future__ import annotations

from service.warning_text import WARNINGS

_EXAMPLE_TITLE = '{{"title": {{"vi": "...", "en": "..."}}}}'
_EXAMPLE_DIMS = '{{"height": 32, "width": 20, "unit": "cm"}}'
_EXAMPLE_BAR = '{{"distance": 8, "unit": "cm"}}'

TEXT: dict[str, dict[str, str]] = {
    "md_object": {
        "en": "metadata: expected a JSON object such as " + _EXAMPLE_TITLE,
        "vi": "metadata: cần một đối tượng JSON, ví dụ " + _EXAMPLE_TITLE,
    },
    "md_object_fields": {
        "en": "metadata: send a JSON object with the catalogue fields",
        "vi": "metadata: hãy gửi một đối tượng JSON chứa các trường của hồ sơ hiện vật",
    },
    "md_title_shape": {
        "en": 'metadata.title: expected {{"vi": "...", "en": "..."}}',
        "vi": 'metadata.title: cần dạng {{"vi": "...", "en": "..."}}',
    },
    "md_title_missing": {
        "en": "metadata.title: give a title in Vietnamese (vi) or English (en)",
        "vi": "metadata.title: hãy nhập tên hiện vật bằng tiếng Việt (vi) hoặc tiếng Anh (en)",
    },
    "md_title_kept": {
        "en": "metadata.title: an artefact needs a title in vi or en",
        "vi": "metadata.title: hiện vật cần có tên bằng tiếng Việt hoặc tiếng Anh",
    },
    "md_text": {
        "en": "metadata.{key}: expected text, got {type}",
        "vi": "metadata.{key}: cần nhập chữ, không phải {type}",
    },
    "md_choice": {
        "en": "metadata.{key}: {value!r} is not one of {choices}",
        "vi": "metadata.{key}: {value!r} không thuộc các lựa chọn {choices}",
    },
    "md_licence": {
        "en": "metadata.licence: {value!r} is an unknown licence; use one of {choices}",
        "vi": "metadata.licence: {value!r} không phải giấy phép đã biết; hãy chọn một trong {choices}",
    },
    "md_up_axis": {
        "en": "metadata.up_axis: {value!r}; use +Y, +Z, -Z, ...",
        "vi": "metadata.up_axis: {value!r} không hợp lệ; hãy dùng +Y, +Z, -Z, ...",
    },
    "md_bool": {
        "en": "metadata.{key}: expected true or false, got {value!r}",
        "vi": "metadata.{key}: cần true hoặc false, không phải {value!r}",
    },
    "md_too_large": {
        "en": "metadata: {size:,} bytes of JSON, over the limit of {limit:,}; shorten the longest fields",
        "vi": "metadata: {size} byte JSON, vượt giới hạn {limit}; hãy rút ngắn các trường dài nhất",
    },
    "md_extra_fields": {
        "en": "metadata: {count} extra fields, over the limit of {limit}",
        "vi": "metadata: {count} trường bổ sung, vượt giới hạn {limit}",
    },
    "md_field_name": {
        "en": "metadata: field name {name!r}... is longer than {limit} characters",
        "vi": "metadata: tên trường {name!r}... dài hơn {limit} ký tự",
    },
    "md_text_long": {
        "en": "metadata.{name}: {length:,} characters, over the limit of {limit:,}",
        "vi": "metadata.{name}: {length} ký tự, vượt giới hạn {limit}",
    },
    "md_nested": {
        "en": "metadata.{name}: nested deeper than {limit} levels",
        "vi": "metadata.{name}: lồng sâu hơn {limit} cấp",
    },
    "md_items": {
        "en": "metadata.{name}: {count} items, over the limit of {limit}",
        "vi": "metadata.{name}: {count} mục, vượt giới hạn {limit}",
    },
    "md_keys": {
        "en": "metadata.{name}: {count} keys, over the limit of {limit}",
        "vi": "metadata.{name}: {count} khóa, vượt giới hạn {limit}",
    },
    "md_scale_bar": {
        "en": "metadata.scale_bar.distance: give the bar's length, e.g. " + _EXAMPLE_BAR,
        "vi": "metadata.scale_bar.distance: hãy nhập chiều dài của thước tỉ lệ, ví dụ " + _EXAMPLE_BAR,
    },
    "md_dimensions": {
        "en": "metadata.dimensions: expected " + _EXAMPLE_DIMS,
        "vi": "metadata.dimensions: cần dạng " + _EXAMPLE_DIMS,
    },
    "md_positive": {
        "en": "metadata.dimensions.{key}: expected a positive number, got {value!r}",
        "vi": "metadata.dimensions.{key}: cần một số lớn hơn 0, không phải {value!r}",
    },
    "md_over_100m": {
        "en": "metadata.dimensions.{key}: {value} {unit} is over 100 m; check the unit",
        "vi": "metadata.dimensions.{key}: {value} {unit} là hơn 100 m; hãy kiểm tra lại đơn vị",
    },
    "password_short": {
        "en": "password: at least {min} characters, please",
        "vi": "password: mật khẩu cần ít nhất {min} ký tự",
    },
    "password_long": {
        "en": "password: at most {max} characters",
        "vi": "password: mật khẩu dài tối đa {max} ký tự",
    },
    "user_email": {
        "en": "user: {email!r} is not an email address",
        "vi": "user: {email!r} không phải là địa chỉ email",
    },
    "user_role": {
        "en": "user: unknown role {role!r}; use one of {roles}",
        "vi": "user: không có vai trò {role!r}; hãy chọn một trong {roles}",
    },
    "user_exists": {
        "en": "user: {email} already has an account",
        "vi": "user: {email} đã có tài khoản",
    },
    "link_spent": {
        "en": "sign-in link: this link was already used or has expired; ask an administrator for a new one",
        "vi": "sign-in link: liên kết này đã được dùng hoặc đã hết hạn; hãy xin quản trị viên một liên kết mới",
    },
    "key_scope": {
        "en": "keys: unknown scope {scope!r}; use one of {scopes}",
        "vi": "keys: không có phạm vi {scope!r}; hãy chọn một trong {scopes}",
    },
}

TEXT.update(WARNINGS)  # the pipeline's warnings, kept in their own module
