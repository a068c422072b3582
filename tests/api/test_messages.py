"""API error messages in Vietnamese for clients that prefer it, English otherwise, and the studio's
plain words for every error code (service/messages.py, message_text.py, studio/text.py)."""

from __future__ import annotations

import ast
import io
import json
import pickle
import string

import pytest
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from service import errors
from service.api.limits import RateLimited
from service.errors import HeritageError
from service.message_text import TEXT
from service.messages import Message
from service.messages import error_lang
from service.studio.text import ERRORS
from tests.fixtures import REPO

VI = {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8"}

# (metadata sent, its field) — one per rule of pipeline/metadata.py that the studio's form can break
BAD = [
    ({"title": {"en": "A"}, "dimensions": {"height": -2, "unit": "cm"}}, "dimensions.height"),
    ({"title": {"en": "A"}, "dimensions": {"height": 20000, "unit": "cm"}}, "dimensions.height"),
    ({"title": {"en": "A"}, "dimensions": {"height": 3, "unit": "league"}}, "dimensions.unit"),
    ({"title": {"en": "A"}, "dimensions": "tall"}, "dimensions"),
    ({"title": {"en": "A"}, "licence": "CC-BY-9.9"}, "licence"),
    ({"title": {"en": "A"}, "category": "spaceships"}, "category"),
    ({"title": {"en": "A"}, "kind": "hologram"}, "kind"),
    ({"title": {"en": "A"}, "up_axis": "sideways"}, "up_axis"),
    ({"title": {"en": "A"}, "creator": 42}, "creator"),
    ({"title": {"en": "A"}, "listed": "yes"}, "listed"),
    ({"title": {"en": "A" * 600}}, "title.en"),
    ({"title": ["A"]}, "title"),
    ({"title": {"en": "  "}}, "title"),
    ({"title": {"en": "A"}, "scale_bar": {"distance": -1}}, "scale_bar.distance"),
]


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_both_languages_with_the_same_values():
    for key, by_lang in TEXT.items():
        assert set(by_lang) == {"en", "vi"}, key
        assert _names(by_lang["en"]) == _names(by_lang["vi"]), key
        # the studio finds the field by this prefix in either language
        assert by_lang["en"].split(":")[0] == by_lang["vi"].split(":")[0], key


def test_every_message_the_code_raises_is_in_the_table():
    used = {}
    for path in (REPO / "service").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Message":
                # the key as written, or both keys of a conditional; messages.py rebuilds from a variable
                for key in (c.value for c in ast.walk(node.args[0]) if isinstance(c, ast.Constant)):
                    used[key] = {k.arg for k in node.keywords}
    assert len(used) >= 15
    for key, names in used.items():
        assert key in TEXT, f"Message({key!r}) has no wording in message_text.py"
        assert names == _names(TEXT[key]["en"]), key


def test_a_message_is_its_english_text_and_survives_a_process_boundary():
    m = Message("md_positive", key="height", value=-1)
    assert m == "metadata.dimensions.height: expected a positive number, got -1" and isinstance(m, str)
    back = pickle.loads(pickle.dumps(errors.InvalidMetadata(m)))
    assert back.message.render("vi") == "metadata.dimensions.height: cần một số lớn hơn 0, không phải -1"
    assert m.render("fr") == str(m)


@pytest.mark.parametrize(("header", "lang"), [
    ("vi-VN,vi;q=0.9,en;q=0.8", "vi"), ("vi", "vi"), ("VI", "vi"), ("vi,en", "vi"), ("fr,vi;q=0.5,en;q=0.4", "vi"),
    ("en-US,en;q=0.9,vi;q=0.5", "en"), ("en,vi", "en"), ("", "en"), ("fr", "en"), ("*", "en"),
    ("en;q=0.5,vi;q=0.9", "vi"), ("vi;q=0", "en"), ("x" * 500, "en"),
])
def test_error_language_follows_the_clients_preference(header, lang):
    class Request:
        accept_languages = parse_accept_header(header, LanguageAccept)

    assert error_lang(Request) == lang


@pytest.mark.parametrize(("metadata", "field"), BAD)
def test_upload_with_bad_metadata_is_refused_in_the_clients_language(client, auth, metadata, field):
    def post(headers):
        return client.post("/api/v1/artefacts", headers={**auth, **headers}, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"solid x\nendsolid x\n"), "x.stl"),
                                 "metadata": json.dumps(metadata)})

    en, vi = post({}), post(VI)
    assert en.status_code == vi.status_code == 400
    assert en.headers["Content-Language"] == "en" and vi.headers["Content-Language"] == "vi"
    assert "Accept-Language" in vi.headers["Vary"]
    e, v = en.get_json()["error"], vi.get_json()["error"]
    assert e["code"] == v["code"] == "invalid_metadata"
    assert e["message"].startswith(f"metadata.{field}:") and v["message"].startswith(f"metadata.{field}:")
    assert e["message"] != v["message"]
    # Vietnamese words, with their diacritics, after the field
    assert any(ch in v["message"] for ch in "ạảãáàăâầấậẩẫêếềệểễôồốộổỗơờớợởỡưừứựửữđịỉĩíìọỏõóòụủũúùỵỷỹýỳ")


def test_patch_answers_in_vietnamese_and_english_is_unchanged_by_default(client, auth):
    art = client.post("/api/v1/artefacts", headers=auth, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"solid x\nendsolid x\n"), "x.stl"),
                            "metadata": json.dumps({"title": {"en": "Jar"}})}).get_json()["id"]
    url = f"/api/v1/artefacts/{art}"
    body = {"licence": "mine"}
    assert client.patch(url, headers=auth, json=body).get_json()["error"]["message"].startswith(
        "metadata.licence: 'mine' is an unknown licence")
    assert client.patch(url, headers={**auth, **VI}, json=body).get_json()["error"]["message"].startswith(
        "metadata.licence: 'mine' không phải giấy phép đã biết")
    assert client.patch(url, headers={**auth, **VI}, json={"dimensions": {"height": 0}}).get_json()["error"] == {
        "code": "invalid_metadata", "message": "metadata.dimensions.height: cần một số lớn hơn 0, không phải 0"}


def test_an_error_without_vietnamese_wording_stays_english_and_says_so(client, auth):
    resp = client.get("/api/v1/artefacts/999999", headers={**auth, **VI})
    assert resp.status_code == 404 and resp.headers["Content-Language"] == "en"


def _codes(cls) -> set[str]:
    out = {cls.code}
    for sub in cls.__subclasses__():
        out |= _codes(sub)
    return out


def test_the_studio_has_plain_words_for_every_error_code():
    codes = _codes(HeritageError) | {RateLimited.code, "csrf_failed", "internal_error"}
    codes -= {"error", "invalid_manifest", "server_unreachable", "upload_rejected"}  # not studio's
    missing = sorted(codes - set(ERRORS))
    assert missing == []
    for code, (vi, en) in ERRORS.items():
        assert vi != en and vi.endswith(".") and en.endswith("."), code


def test_stored_warnings_come_back_in_either_language_and_survive_odd_keys():
    from service.messages import keys_of
    from service.messages import localise
    from service.messages import replace_in

    warnings = [Message("pg_cut_off", cut=20, total=28), "an old plain warning",
                replace_in(Message("load_counts", count=2, name="tmp-123.gltf"), "tmp-123.gltf", "vase.gltf")]
    keys = json.loads(json.dumps(keys_of(warnings)))  # as the manifest stores them
    assert keys[1] is None and keys[2]["params"]["name"] == "vase.gltf"
    assert localise(warnings, keys, "en") == [str(w) for w in warnings]
    vi = localise(warnings, keys, "vi")
    assert vi[0].startswith("photogrammetry: hiện vật chạm mép khung hình ở 20 trên 28 ảnh")
    assert vi[1] == "an old plain warning" and "'vase.gltf'" in vi[2] and "mảng" in vi[2]
    # keys a newer or older version wrote, or a hand-edited manifest: the stored text, never an error
    odd = [{"key": "no_such_key", "params": {}}, {"key": "pg_cut_off", "params": {"cut": 1}}, "x", None]
    assert localise(["a", "b", "c", "d"], odd, "vi") == ["a", "b", "c", "d"]
    assert localise(["a"], None, "vi") == ["a"] and localise(["a"], {"not": "a list"}, "vi") == ["a"]
