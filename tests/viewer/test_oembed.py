"""oEmbed 1.0 (https://oembed.com/ §2.3): discovery, the rich response, size limits and errors."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from lxml import html as lxml_html

from tests.viewer.helpers import add_derivative
from tests.viewer.helpers import fetch
from tests.viewer.helpers import path_of

# §2.3.4: fields every response has, and the ones type "rich" requires
REQUIRED = {"type": str, "version": str}
RICH = {"html": str, "width": int, "height": int}
OPTIONAL = {"title": str, "author_name": str, "author_url": str, "provider_name": str, "provider_url": str,
            "cache_age": int, "thumbnail_url": str, "thumbnail_width": int, "thumbnail_height": int}


def check_spec(body: dict) -> None:
    """Validate an oEmbed JSON body against §2.3.4 and §2.3.4.4 (rich)."""
    for name, kind in {**REQUIRED, **RICH}.items():
        assert isinstance(body.get(name), kind), f"{name} missing or not {kind.__name__}"
    assert body["version"] == "1.0" and body["type"] == "rich"
    for name, value in body.items():
        assert name in REQUIRED or name in RICH or name in OPTIONAL, f"unknown field {name}"
        assert isinstance(value, {**REQUIRED, **RICH, **OPTIONAL}[name]), name
    thumb = {"thumbnail_url", "thumbnail_width", "thumbnail_height"}
    assert thumb <= body.keys() or not thumb & body.keys(), "thumbnail fields come all together or not at all"
    # the html is markup to embed: one iframe, no script
    frame = lxml_html.fragment_fromstring(body["html"])
    assert frame.tag == "iframe" and not frame.xpath("//script")
    assert int(frame.get("width")) == body["width"] and int(frame.get("height")) == body["height"]


def oembed(client, url, **params):
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in {"url": url, **params}.items())
    return fetch(client, "/oembed?" + query)


def test_discovery_link_and_rich_response(ready):
    client, art = ready.client, ready.art
    doc = lxml_html.fromstring(fetch(client, art["links"]["share"]).data)
    (link,) = doc.xpath("//link[@rel='alternate'][@type='application/json+oembed']")
    resp = fetch(client, link.get("href"))
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    body = resp.get_json()
    check_spec(body)
    assert body["title"] == "Hộp gỗ sơn mài" and body["provider_name"] == "heritage-ar"
    assert body["author_name"] == "Bảo tàng Lịch sử Quốc gia"
    frame = lxml_html.fragment_fromstring(body["html"])
    assert frame.get("src") == art["links"]["embed"] and "xr-spatial-tracking" in frame.get("allow")
    assert fetch(client, frame.get("src")).status_code == 200
    assert "thumbnail_url" not in body  # no poster yet


@pytest.mark.parametrize("key", ["share", "short", "embed"])
def test_every_public_link_is_understood(ready, key):
    body = oembed(ready.client, ready.art["links"][key], lang="en").get_json()
    check_spec(body)
    assert body["title"] == "Lacquered box"


@pytest.mark.parametrize(
    ("maxwidth", "maxheight", "size"),
    [
        pytest.param(None, None, (640, 480), id="default"),
        pytest.param(320, None, (320, 240), id="maxwidth"),
        pytest.param(None, 300, (400, 300), id="maxheight"),
        pytest.param(1000, 150, (200, 150), id="both"),
    ],
)
def test_size_respects_max(ready, maxwidth, maxheight, size):
    params = {k: v for k, v in (("maxwidth", maxwidth), ("maxheight", maxheight)) if v}
    body = oembed(ready.client, ready.art["links"]["share"], **params).get_json()
    check_spec(body)
    assert (body["width"], body["height"]) == size


def test_thumbnail_fits_max_size(ready):
    add_derivative(ready.app, ready.art["id"], "poster.jpg", b"\xff\xd8\xff\xe0poster")
    add_derivative(ready.app, ready.art["id"], "thumb.jpg", b"\xff\xd8\xff\xe0thumb")
    share = ready.art["links"]["share"]
    big = oembed(ready.client, share).get_json()
    check_spec(big)
    assert big["thumbnail_url"].endswith("/poster.jpg") and big["thumbnail_width"] == 1200
    small = oembed(ready.client, share, maxwidth=600).get_json()
    check_spec(small)
    assert small["thumbnail_url"].endswith("/thumb.jpg") and small["thumbnail_width"] <= 600
    assert fetch(ready.client, small["thumbnail_url"]).status_code == 200
    assert "thumbnail_url" not in oembed(ready.client, share, maxwidth=200).get_json()


@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({"format": "xml"}, 501, id="xml-not-implemented"),
        pytest.param({"url": None}, 400, id="missing-url"),
        pytest.param({"maxwidth": "wide"}, 400, id="bad-maxwidth"),
        pytest.param({"url": "https://elsewhere.example/ar/{slug}"}, 404, id="foreign-host"),
        pytest.param({"url": "http://localhost/ar/nosuchslug123"}, 404, id="unknown-slug"),
        pytest.param({"url": "http://localhost/api/v1/artefacts"}, 404, id="not-a-share-link"),
    ],
)
def test_errors(ready, params, status):
    slug = ready.art["links"]["share"].rsplit("/", 1)[1]
    query = {"url": ready.art["links"]["share"], **params}
    query = {k: v.format(slug=slug) for k, v in query.items() if v is not None}
    resp = fetch(ready.client, "/oembed?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items()))
    assert resp.status_code == status


def test_not_ready_and_deleted_are_not_embeddable(ready):
    share = ready.art["links"]["share"]
    assert ready.client.delete(path_of(ready.art["links"]["self"]), headers=ready.auth).status_code == 204
    assert oembed(ready.client, share).status_code == 404
