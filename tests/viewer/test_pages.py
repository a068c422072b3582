"""Share and embed pages without a browser: content, languages, tags, status pages, escaping, counters."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from PIL import Image

from service.api.viewer import VENDOR_DIR
from service.db import get_db
from service.db.models import Artefact
from service.db.queries import current_version
from tests.conftest import run_jobs
from tests.viewer.helpers import META
from tests.viewer.helpers import add_derivative
from tests.viewer.helpers import drop_published
from tests.viewer.helpers import fetch
from tests.viewer.helpers import json_ld
from tests.viewer.helpers import meta_tags
from tests.viewer.helpers import parse
from tests.viewer.helpers import path_of
from tests.viewer.helpers import upload


@pytest.fixture
def app(ready):
    return ready.app


@pytest.fixture
def client(ready):
    return ready.client


@pytest.fixture
def auth(ready):
    return ready.auth


@pytest.fixture
def art(ready):
    return ready.art


def _jpeg(size=(1200, 630)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (180, 120, 40)).save(buf, format="JPEG")
    return buf.getvalue()


def test_share_page_shows_catalogue_and_viewer(client, art):
    resp = client.get(path_of(art["links"]["share"]) + "?lang=vi")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    doc = parse(resp)
    assert doc.get("lang") == "vi"
    assert doc.xpath("string(//h1)") == META["title"]["vi"]
    assert doc.xpath("string(//p[@class='subtitle'])") == META["title"]["en"]
    facts = {d.xpath("string(dt)"): d.xpath("string(dd)") for d in doc.xpath("//dl[@class='facts']/div")}
    assert facts["Tác giả"] == META["creator"] and facts["Số hiệu"] == META["accession_number"]
    assert facts["Kích thước"] == "H 30 × W 20 × D 10 cm"  # measured box, unit declared
    assert facts["Nơi lưu giữ"] == "Bảo tàng Lịch sử Quốc gia"
    licence = doc.xpath("//a[@rel='license']")[0]
    assert licence.get("href") == "https://creativecommons.org/licenses/by/4.0/" and licence.text == "CC BY 4.0"
    assert META["attribution"] in doc.xpath("string(//p[@class='rights'])")
    assert doc.xpath("string(//p[@class='description'])") == META["description"]
    (mv,) = doc.xpath("//model-viewer")
    made = art["derivatives"]
    assert mv.get("src") == made["thumb.glb"]["url"]  # the pipeline's thumb level loads first
    assert mv.get("ios-src") == made["ar.usdz"]["url"]  # our USDZ, never an on-the-fly export
    assert mv.get("ar-modes") == "webxr scene-viewer quick-look" and mv.get("ar") is not None
    assert mv.get("ar-scale") == "fixed"  # the unit was declared, so the size is true
    posters = [made[n]["url"] for n in ("poster.webp", "poster.jpg") if n in made]
    assert mv.get("poster") == (posters[0] if posters else None) and mv.get("ar-placement") is None
    assert doc.xpath("string(//button[@slot='ar-button']/span[@data-l='vi'])") == "Xem trong không gian của bạn"


def test_share_page_security_headers(client, art):
    resp = client.get(path_of(art["links"]["share"]))
    csp = dict(part.strip().split(" ", 1) for part in resp.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert csp["frame-ancestors"] == "'self'" and "http" not in csp["connect-src"]  # local store: own origin only
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    doc = parse(resp)
    for script in doc.xpath("//script[@src]"):
        assert script.get("src").startswith("/"), script.get("src")  # no other origin, no CDN
    inline = [s for s in doc.xpath("//script[not(@src)]") if s.get("type") not in ("application/ld+json", "application/json")]
    assert inline == []  # CSP allows no inline script


def test_social_tags_and_json_ld_point_at_files(app, client, art):
    add_derivative(app, art["id"], "poster.jpg", _jpeg())
    add_derivative(app, art["id"], "ar.usdz", b"PK\x03\x04usdz-bytes")
    doc = parse(client.get(path_of(art["links"]["share"])))
    tags = meta_tags(doc)
    assert tags["og:title"] == META["title"]["vi"] and tags["og:url"] == art["links"]["share"]
    assert tags["og:description"] == META["description"] and tags["twitter:card"] == "summary_large_image"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    poster = fetch(client, tags["og:image"])
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(poster.data)).size == (1200, 630)
    ld = json_ld(doc)
    assert ld["@context"] == "https://schema.org/" and ld["@type"] == "3DModel"
    assert ld["name"] == META["title"]["vi"] and ld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert ld["identifier"] == META["accession_number"] and ld["image"] == tags["og:image"]
    formats = {e["encodingFormat"]: e["contentUrl"] for e in ld["encoding"]}
    assert set(formats) == {"model/gltf-binary", "model/vnd.usdz+zip"}
    for mime, url in formats.items():
        got = fetch(client, url)
        assert got.status_code == 200 and got.mimetype == mime
        assert got.headers["Access-Control-Allow-Origin"] == "*"
    assert fetch(client, formats["model/gltf-binary"]).data[:4] == b"glTF"
    (link,) = doc.xpath("//link[@type='application/json+oembed']")
    assert client.get(path_of(link.get("href"))).get_json()["type"] == "rich"


def test_viewer_uses_levels_poster_and_usdz_when_present(app, client, auth, art):
    master = fetch(client, art["derivatives"]["master.glb"]["url"]).data
    for name in ("thumb.glb", "web-1024.glb", "web-2048.glb", "ar.glb"):
        add_derivative(app, art["id"], name, master)
    add_derivative(app, art["id"], "poster.webp", b"RIFF....WEBP")
    add_derivative(app, art["id"], "poster.jpg", _jpeg())
    add_derivative(app, art["id"], "ar.usdz", b"PK\x03\x04usdz")
    add_derivative(app, art["id"], "turntable.mp4", b"\0\0\0\x18ftypmp42")
    fresh = client.get(path_of(art["links"]["self"]), headers=auth).get_json()
    urls = {name: d["url"] for name, d in fresh["derivatives"].items()}
    doc = parse(client.get(path_of(art["links"]["share"])))
    mv = doc.xpath("//model-viewer")[0]
    assert mv.get("src") == urls["thumb.glb"]  # thumb first, the script swaps in a web level
    assert mv.get("poster") == urls["poster.webp"] and mv.get("ios-src") == urls["ar.usdz"]
    config = json.loads(doc.xpath("//script[@id='hv-config']")[0].text)
    assert config["levels"] == {"1024": urls["web-1024.glb"], "2048": urls["web-2048.glb"]}
    assert config["ar"] == urls["ar.glb"] and config["beacon"] == "/b/" + art["links"]["share"].rsplit("/", 1)[1]
    assert meta_tags(doc)["og:video"] == urls["turntable.mp4"]
    kit = fresh["creator_kit"]
    assert kit["poster"] == urls["poster.jpg"] and kit["turntable_video"] == urls["turntable.mp4"]
    assert [a.get("href") for a in doc.xpath("//details[@id='kit']/div[@data-l='vi']//a[@download]")][2:] == [
        urls["poster.jpg"], urls["turntable.mp4"], kit["zip"]]
    usdz = fetch(client, urls["ar.usdz"], headers={"Range": "bytes=0-3"})
    assert usdz.status_code == 206 and usdz.data == b"PK\x03\x04" and usdz.mimetype == "model/vnd.usdz+zip"
    assert "immutable" in usdz.headers["Cache-Control"]


def _set(app, artefact_id, **changes):
    with app.app_context():
        db = get_db()
        artefact = db.get(Artefact, artefact_id)
        version = current_version(db, artefact)
        for key, value in changes.items():
            if key == "manifest":
                version.manifest = {**(version.manifest or {}), **value}
            else:
                setattr(artefact, key, value)
        db.commit()
        drop_published(artefact)


def test_flat_artefacts_go_on_walls(app, client, art):
    _set(app, art["id"], manifest={"placement": "wall"})
    mv = parse(client.get(path_of(art["links"]["share"]))).xpath("//model-viewer")[0]
    assert mv.get("ar-placement") == "wall"


def test_scale_stays_free_when_size_is_a_guess(app, client, art):
    _set(app, art["id"], manifest={"source": {"scale_source": "guessed millimetres"}})
    doc = parse(client.get(path_of(art["links"]["share"])))
    assert doc.xpath("//model-viewer")[0].get("ar-scale") is None
    assert json_ld(doc)["isResizable"] is True
    assert "Kích thước" not in doc.xpath("string(//dl)")  # no size shown when it is a guess


def test_one_page_holds_both_languages(client, art):
    """The server sends the same bytes whatever the visitor's language; lang.js picks (tests/viewer/test_delivery_browser.py)."""
    share = path_of(art["links"]["share"])
    bodies = {client.get(share + query, headers={"Accept-Language": accept}).get_data()
              for query, accept in (("?lang=en", "vi"), ("", "en-GB,en;q=0.9"), ("", "de"), ("?lang=xx", "en"))}
    assert len(bodies) == 1
    resp = client.get(share)
    assert "Vary" not in resp.headers
    doc = parse(resp)
    assert doc.get("lang") == "vi"  # before the script runs (and for crawlers)
    assert [h.text for h in doc.xpath("//article[@data-l]/h1")] == [META["title"]["vi"], META["title"]["en"]]
    assert [a.get("lang") for a in doc.xpath("//article[@data-l]")] == ["vi", "en"]
    assert doc.xpath("//script[@src='/static/viewer/lang.js']")  # in <head>, before the body paints
    assert meta_tags(doc)["og:locale"] == "vi_VN"


def test_user_text_is_escaped(client, auth, art):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    patch = {"title": {"vi": evil}, "description": evil, "creator": evil}
    assert client.patch(path_of(art["links"]["self"]), json=patch, headers=auth).status_code == 200
    for url in (art["links"]["share"], art["links"]["embed"]):
        raw = client.get(path_of(url)).get_data(as_text=True)
        assert "<script>alert" not in raw and "<img src=x" not in raw
        assert "&lt;script&gt;alert" in raw
    doc = parse(client.get(path_of(art["links"]["share"])))
    assert doc.xpath("string(//h1)") == evil
    assert json_ld(doc)["name"] == evil  # JSON-LD holds the text, escaped so it cannot end the script


def test_embed_page_can_be_framed_anywhere(client, art):
    resp = client.get(path_of(art["links"]["embed"]))
    assert resp.status_code == 200
    assert "frame-ancestors *" in resp.headers["Content-Security-Policy"]
    doc = parse(resp)
    assert doc.xpath("//model-viewer") and not doc.xpath("//details[@id='kit']")
    link = doc.xpath("//a[@class='embed-title']")[0]
    assert link.get("href") == art["links"]["share"] and link.get("target") == "_blank"


def _status(client, url, **headers):
    resp = client.get(url, headers=headers)
    assert resp.mimetype == "text/html" and "Content-Security-Policy" in resp.headers
    return resp


def test_processing_failed_deleted_and_unknown_pages(app, client, auth, art, tmp_path):
    from tests.fixtures import textured_obj_zip

    bad = tmp_path / "broken.obj"
    bad.write_text("this is not a mesh\n")
    failed = upload(client, auth, bad, {**META, "accession_number": "X-1"})
    assert run_jobs(app) == 1
    resp = _status(client, path_of(failed["links"]["share"]) + "?lang=en")
    assert resp.status_code == 422 and "could not be prepared" in resp.get_data(as_text=True)
    queued = upload(client, auth, textured_obj_zip(tmp_path / "other.zip"), {**META, "accession_number": "P-1"})
    for key in ("share", "embed"):
        resp = _status(client, path_of(queued["links"][key]))
        assert resp.status_code == 202 and resp.headers["Retry-After"] == "10"
        assert parse(resp).xpath("//meta[@http-equiv='refresh']")[0].get("content") == "10"
    assert client.delete(path_of(art["links"]["self"]), headers=auth).status_code == 204
    for key in ("share", "embed", "short"):
        assert _status(client, path_of(art["links"][key])).status_code == 410
    for url in ("/ar/doesnotexist123", "/embed/doesnotexist123", "/s/zzzzzzz", "/ar/%3Cscript%3E"):
        assert _status(client, url).status_code == 404


def test_short_link_redirects_to_the_share_page(client, art):
    resp = client.get(path_of(art["links"]["short"]) + "?lang=en")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/ar/" + art["links"]["share"].rsplit("/", 1)[1] + "?lang=en"


def test_beacon_counts_show_in_the_api(app, client, auth, art):
    slug = art["links"]["share"].rsplit("/", 1)[1]
    for event in ("view", "view", "load", "ar"):
        assert client.post(f"/b/{slug}/{event}").status_code == 204
    assert client.post(f"/b/{slug}/click").status_code == 404
    assert client.post("/b/nosuchslug123/view").status_code == 404
    assert client.get(f"/b/{slug}/view").status_code == 405
    app.extensions["flusher"].flush()  # counts reach the database in batches
    stats = client.get(path_of(art["links"]["self"]), headers=auth).get_json()["stats"]
    assert stats == {"page_views": 2, "model_loads": 1, "ar_launches": 1}


def test_creator_kit_in_the_api(make_ready):
    custom = make_ready(hashtags="#BảoTàng #3D", base_url="https://ar.example.vn")
    art = custom.art
    kit = art["creator_kit"]
    assert kit["link"] == art["links"]["share"] and kit["link"].startswith("https://ar.example.vn/ar/")
    assert kit["short_link"] == art["links"]["short"]
    assert kit["caption"]["vi"].endswith("#BảoTàng #3D") and kit["short_link"] in kit["caption"]["en"]
    assert kit["caption"]["vi"].startswith(META["title"]["vi"])
    frame = parse_fragment(kit["embed_html"])
    assert frame.tag == "iframe" and frame.get("src") == art["links"]["embed"]
    assert frame.get("allow") == "xr-spatial-tracking; fullscreen"
    assert kit["poster"] is None and kit["turntable_video"] is None  # not produced yet for this scan


def parse_fragment(text):
    from lxml import html as lxml_html

    return lxml_html.fragment_fromstring(text)


def test_vendored_viewer_is_served_compressed(client):
    vendor = json.loads((VENDOR_DIR / "vendor.json").read_text())
    url = "/vendor/" + vendor["model_viewer"]
    plain = fetch(client, url)
    assert plain.status_code == 200 and plain.mimetype == "text/javascript"
    assert "Content-Encoding" not in plain.headers and b"model-viewer" in plain.data
    zipped = fetch(client, url, headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == plain.data
    assert "immutable" in zipped.headers["Cache-Control"]
    wasm = fetch(client, "/vendor/" + vendor["draco"] + "draco_decoder.wasm")
    assert wasm.mimetype == "application/wasm" and wasm.data[:4] == b"\0asm"
    assert (VENDOR_DIR / vendor["model_viewer"]).with_name("LICENSE").is_file()
    for bad in ("/vendor/../../pyproject.toml", "/vendor/vendor.json", "/vendor/nope.js"):
        assert fetch(client, bad).status_code == 404


def test_csp_allows_the_file_store_origin_in_s3_mode():
    from service.api.viewer_kit import Files
    from service.api.viewer_page import csp
    from service.api.viewer_page import file_origins

    files = Files({
        "master.glb": "https://heritage.s3.example.com/derivatives/a/v1/master.glb?X-Amz-Signature=abc",
        "poster.jpg": "https://cdn.example.net/derivatives/a/v1/poster.jpg",
        "thumb.glb": "https://ar.example.vn/files/derivatives/a/v1/thumb.glb",
    })
    origins = file_origins(files, "https://ar.example.vn")
    assert origins == ["https://cdn.example.net", "https://heritage.s3.example.com"]
    policy = dict(p.strip().split(" ", 1) for p in csp(origins, frame_ancestors="*").split(";"))
    for directive in ("connect-src", "img-src", "media-src"):
        assert all(o in policy[directive].split() for o in origins), directive
    assert "cdn.example.net" not in policy["script-src"]  # files may come from the store, code never does


def test_photo_spin_replaces_the_3d_viewer_when_there_is_no_model(app, client, art):
    with app.app_context():
        db = get_db()
        version = current_version(db, db.get(Artefact, art["id"]))
        for d in [d for d in version.derivatives if d.name.endswith((".glb", ".usdz"))]:
            version.derivatives.remove(d)  # a ring photo set has frames, no mesh
        db.commit()
    add_derivative(app, art["id"], "spin.json", json.dumps({"frames": 1, "sizes": []}).encode())
    for key in ("share", "embed"):
        resp = client.get(path_of(art["links"][key]))
        assert resp.status_code == 200
        doc = parse(resp)
        assert not doc.xpath("//model-viewer")
        (spin,) = doc.xpath("//div[@class='heritage-spin']")
        assert fetch(client, spin.get("data-spin-src")).get_json() == {"frames": 1, "sizes": []}
        scripts = [s.get("src") for s in doc.xpath("//script[@src]")]
        assert "/static/spin/spin.js" in scripts and not any("/vendor/" in s for s in scripts)
    ld = json_ld(parse(client.get(path_of(art["links"]["share"]))))
    assert ld["@type"] == "CreativeWork" and "encoding" not in ld
