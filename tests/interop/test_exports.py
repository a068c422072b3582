"""IIIF, Europeana EDM and Voyager exports of a processed artefact: validated with the official tools' models."""

from __future__ import annotations

import json
from pathlib import Path

import iiif_prezi3
import jsonschema
import pytest
import rdflib
from rdflib.namespace import DC
from rdflib.namespace import RDF
from referencing import Registry
from referencing import Resource

from tests.viewer.helpers import path_of

EDM = rdflib.Namespace("http://www.europeana.eu/schemas/edm/")
ORE = rdflib.Namespace("http://www.openarchives.org/ore/terms/")
SCHEMAS = Path(__file__).parent / "voyager_schema"


def _get(client, url):
    resp = client.get(path_of(url))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    return resp


def _bodies(manifest: dict) -> list[dict]:
    return [anno["body"] for canvas in manifest["items"] for page in canvas["items"] for anno in page["items"]]


def test_links_in_api_and_share_page(published):
    links = published.art["links"]
    slug = links["share"].rsplit("/", 1)[1]
    assert links["iiif"].endswith(f"/iiif/{slug}/manifest.json")
    assert links["edm"].endswith(f"/edm/{slug}.xml")
    assert links["voyager"].endswith(f"/voyager/{slug}/scene.svx.json")
    page = published.client.get(path_of(links["share"]) + "?lang=en").get_data(as_text=True)
    for key in ("iiif", "edm", "voyager"):
        assert f'href="{links[key]}"' in page
    # "about this model" (published pages carry it in Vietnamese only so far: docs/interop.md)
    assert "Artec Eva" in page and "quét ánh sáng cấu trúc" in page
    assert 'href="http://www.wikidata.org/entity/Q42"' in page
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in page


def test_iiif_manifest_validates_and_holds_model_poster_video(published):
    doc = _get(published.client, published.art["links"]["iiif"]).get_json()
    manifest = iiif_prezi3.Manifest.model_validate_json(json.dumps(doc))  # the IIIF community's pydantic models
    assert manifest.type == "Manifest"
    assert doc["label"] == {"vi": ["Hộp gỗ sơn mài"], "en": ["Lacquered box"]}
    assert set(doc["summary"]) == {"vi", "en"}
    assert doc["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert "Bảo tàng Mỹ thuật Việt Nam" in doc["requiredStatement"]["value"]["none"][0]
    assert doc["provider"][0]["type"] == "Agent"
    derivs = published.art["derivatives"]
    assert doc["thumbnail"][0]["id"] == derivs["poster.jpg"]["url"]
    bodies = _bodies(doc)
    assert bodies[0]["type"] == "Model" and bodies[0]["format"] == "model/gltf-binary"
    assert bodies[0]["id"].endswith(".glb")
    assert {"Image", "Video"} <= {b["type"] for b in bodies}
    assert derivs["turntable.mp4"]["url"] in [b["id"] for b in bodies if b["type"] == "Video"]
    assert derivs["poster.jpg"]["url"] in [b["id"] for b in bodies if b["type"] == "Image"]
    text = json.dumps(doc, ensure_ascii=False)
    assert "Artec Eva" in text  # paradata as a metadata pair
    assert "insurance" not in text  # private fields never leave


def test_iiif_collection_is_paginated_and_validates(published):
    client = published.client
    top = client.get("/iiif/institutions/1/collection.json?per_page=1").get_json()
    iiif_prezi3.Collection.model_validate_json(json.dumps(top))
    assert [c["type"] for c in top["items"]] == ["Collection"]
    page = client.get("/iiif/institutions/1/collection.json?page=1&per_page=1").get_json()
    iiif_prezi3.Collection.model_validate_json(json.dumps(page))
    assert page["items"][0]["id"] == published.art["links"]["iiif"]
    assert client.get("/iiif/institutions/1/collection.json?page=2&per_page=1").status_code == 404
    bad = client.get("/iiif/institutions/1/collection.json?page=x")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
    assert client.get("/iiif/institutions/999/collection.json").status_code == 404


def test_iiif_validation_can_fail(published):
    doc = _get(published.client, published.art["links"]["iiif"]).get_json()
    doc["items"][0]["id"] = "not a uri"
    with pytest.raises(Exception, match="items"):
        iiif_prezi3.Manifest.model_validate_json(json.dumps(doc))


def test_edm_record_parses_with_oembed_rights_titles(published):
    links = published.art["links"]
    resp = _get(published.client, links["edm"])
    assert resp.mimetype == "application/rdf+xml"
    g = rdflib.Graph().parse(data=resp.get_data(), format="xml")
    agg = g.value(predicate=RDF.type, object=ORE.Aggregation, any=False)
    cho = g.value(agg, EDM.aggregatedCHO)
    shown_by = str(g.value(agg, EDM.isShownBy))
    assert shown_by.startswith("http://localhost/oembed?url=") and "format=json" in shown_by
    oembed = published.client.get(path_of(shown_by))
    assert oembed.status_code == 200 and oembed.get_json()["type"] == "rich"
    assert str(g.value(agg, EDM.rights)) == "http://creativecommons.org/licenses/by/4.0/"
    assert str(g.value(agg, EDM.object)) == published.art["derivatives"]["poster.jpg"]["url"]
    assert str(g.value(agg, EDM.dataProvider)) == "Bảo tàng Lịch sử Quốc gia"
    assert str(g.value(agg, EDM.isShownAt)) == links["share"]
    titles = {t.language: str(t) for t in g.objects(cho, DC.title)}
    assert titles == {"vi": "Hộp gỗ sơn mài", "en": "Lacquered box"}
    assert str(g.value(cho, EDM.type)) == "3D"
    creators = set(g.objects(cho, DC.creator))
    assert rdflib.URIRef("http://www.wikidata.org/entity/Q42") in creators
    assert (rdflib.URIRef(shown_by), RDF.type, EDM.WebResource) in g
    assert "insurance" not in resp.get_data(as_text=True)


def test_edm_institution_feed(published):
    resp = published.client.get("/edm/institutions/1.xml")
    assert resp.status_code == 200 and resp.headers["X-Total-Count"] == "1"
    g = rdflib.Graph().parse(data=resp.get_data(), format="xml")
    assert len(list(g.subjects(RDF.type, EDM.ProvidedCHO))) == 1


def _voyager_validator() -> jsonschema.Draft7Validator:
    schemas = {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.schema.json")}
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )
    return jsonschema.Draft7Validator(schemas["document.schema.json"], registry=registry)


def test_voyager_scene_validates_against_voyager_schema(published):
    doc = _get(published.client, published.art["links"]["voyager"]).get_json()
    validator = _voyager_validator()
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []
    qualities = {(d["usage"], d["quality"]): d["assets"][0]["uri"] for d in doc["models"][0]["derivatives"]}
    derivs = published.art["derivatives"]
    assert qualities[("Web3D", "Thumb")] == derivs["thumb.glb"]["url"]
    assert qualities[("Web3D", "Low")] == derivs["web-1024.glb"]["url"]
    assert qualities[("App3D", "AR")] == derivs["ar.glb"]["url"]
    assert qualities[("iOSApp3D", "AR")] == derivs["ar.usdz"]["url"]
    assert doc["metas"][0]["process"]["digitisation"]["equipment"] == "Artec Eva"
    # and the schema does reject a broken scene
    doc["models"][0]["derivatives"][0]["quality"] = "Ultra"
    assert list(validator.iter_errors(doc))


def test_exports_of_unknown_or_deleted_artefacts_are_404_json(published):
    client, links = published.client, published.art["links"]
    assert client.get("/iiif/nope/manifest.json").get_json()["error"]["code"] == "not_found"
    client.delete(f"/api/v1/artefacts/{published.art['id']}", headers=published.auth)
    for key in ("iiif", "edm", "voyager"):
        assert client.get(path_of(links[key])).status_code == 404


def _record(n: int, licence: str | None):
    from service.interop.record import Published

    root = "https://ar.example.vn"
    md = {"title": {"vi": f"Hiện vật {n}"}, **({"licence": licence} if licence else {})}
    links = {"iiif": f"{root}/iiif/s{n}/manifest.json", "edm": f"{root}/edm/s{n}.xml",
             "share": f"{root}/ar/s{n}", "voyager": f"{root}/voyager/s{n}/scene.svx.json",
             "collection": f"{root}/iiif/institutions/1/collection.json",
             "oembed": f"{root}/oembed?url={root}/ar/s{n}&format=json", "embed": f"{root}/embed/s{n}"}
    return Published(slug=f"s{n}", metadata=md, institution="Bảo tàng", institution_id=1,
                     urls={"thumb.glb": f"{root}/files/s{n}/thumb.glb"}, links=links)


def test_rights_without_an_open_licence_are_in_copyright_everywhere():
    from service.interop import edm
    from service.interop import iiif

    rec = _record(1, "all-rights-reserved")
    assert iiif.manifest(rec)["rights"] == "http://rightsstatements.org/vocab/InC/1.0/"
    g = rdflib.Graph().parse(data=edm.rdf_xml([rec]), format="xml")
    assert {str(o) for o in g.objects(None, EDM.rights)} == {"http://rightsstatements.org/vocab/InC/1.0/"}
    # one language only: the label still has both keys, so viewers in either language show it
    assert iiif.manifest(rec)["label"] == {"vi": ["Hiện vật 1"], "en": ["Hiện vật 1"]}


def test_collection_pages_list_every_page():
    from service.interop import iiif

    url = "https://ar.example.vn/iiif/institutions/1/collection.json"
    top = iiif.collection(url, "Bảo tàng", [], page=None, pages=3)
    assert [c["id"] for c in top["items"]] == [f"{url}?page={n}" for n in (1, 2, 3)]
    page = iiif.collection(url, "Bảo tàng", [_record(4, None), _record(5, "CC0-1.0")], page=2, pages=3)
    iiif_prezi3.Collection.model_validate_json(json.dumps(page))
    assert [m["id"] for m in page["items"]] == ["https://ar.example.vn/iiif/s4/manifest.json",
                                                 "https://ar.example.vn/iiif/s5/manifest.json"]


def test_notes_travel_as_iiif_and_voyager_annotations(published):
    client, art = published.client, published.art
    notes = [
        {"position": [0.01, 0.02, 0.03], "normal": [0, 0, 1], "title": {"vi": "Nắp hộp", "en": "Lid"},
         "body": {"vi": "Sơn mài năm 1820", "en": "Lacquered in 1820"}, "image": "https://example.org/lid.jpg"},
        {"position": [-0.02, 0.0, 0.0], "normal": [-1, 0, 0], "title": {"en": "Hinge"}},
    ]
    ids = []
    for note in notes:
        resp = client.post(f"/api/v1/artefacts/{art['id']}/annotations", json=note, headers=published.auth)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        ids.append(resp.get_json()["id"])
    client.put(f"/api/v1/artefacts/{art['id']}/annotations/order", json={"order": ids[::-1]}, headers=published.auth)

    doc = _get(client, art["links"]["iiif"]).get_json()
    iiif_prezi3.Manifest.model_validate_json(json.dumps(doc))
    canvas = doc["items"][0]
    page = canvas["annotations"][0]
    assert [a["id"].rsplit("/", 1)[1] for a in page["items"]] == ids[::-1]  # the curator's order
    hinge, lid = page["items"]
    assert lid["motivation"] == "commenting" and lid["target"]["source"]["id"] == canvas["id"]
    assert {b.get("language"): b.get("value") for b in lid["body"] if b["type"] == "TextualBody"} == {
        "vi": "Nắp hộp\n\nSơn mài năm 1820", "en": "Lid\n\nLacquered in 1820"}
    assert {"id": "https://example.org/lid.jpg", "type": "Image"} in lid["body"]
    assert hinge["label"] == {"vi": ["Hinge"], "en": ["Hinge"]}
    # the point on the Canvas: the model's front view fitted into the square, +y down
    box = _get(client, art["links"]["voyager"]).get_json()["models"][0]["boundingBox"]
    width, height = box["max"][0] - box["min"][0], box["max"][1] - box["min"][1]
    scale = 1000 / max(width, height)
    sel = lid["target"]["selector"][0]
    assert sel["type"] == "PointSelector"
    assert (sel["x"], sel["y"], sel["z"]) == (round(500 + 0.01 * scale), round(500 + (height / 2 - 0.02) * scale),
                                             round(0.03 * scale))
    assert hinge["target"]["selector"][0]["x"] < 500 < sel["x"]

    scene = _get(client, art["links"]["voyager"]).get_json()
    assert [e.message for e in _voyager_validator().iter_errors(scene)] == []
    marks = scene["models"][0]["annotations"]
    assert [(m["id"], m["marker"]) for m in marks] == [(ids[1], "1"), (ids[0], "2")]
    assert marks[1]["position"] == [0.01, 0.02, 0.03] and marks[1]["direction"] == [0.0, 0.0, 1.0]
    assert marks[1]["titles"] == {"VI": "Nắp hộp", "EN": "Lid"} and marks[1]["lead"] == "Lacquered in 1820"
    assert marks[1]["imageUri"] == "https://example.org/lid.jpg"

    # a deleted note leaves every export at once
    client.delete(f"/api/v1/artefacts/{art['id']}/annotations/{ids[0]}", headers=published.auth)
    doc = _get(client, art["links"]["iiif"]).get_json()
    assert [a["id"].rsplit("/", 1)[1] for a in doc["items"][0]["annotations"][0]["items"]] == [ids[1]]
    assert [m["id"] for m in _get(client, art["links"]["voyager"]).get_json()["models"][0]["annotations"]] == [ids[1]]
