"""Paradata and creator identifiers: checked on upload, written into the files' metadata."""

from __future__ import annotations

import pytest

from service.errors import InvalidMetadata
from service.pipeline.metadata import public_metadata
from service.pipeline.metadata import validate_metadata
from service.pipeline.paradata import identifier_uri
from service.pipeline.paradata import orcid_checksum_ok
from service.pipeline.paradata import processing
from service.pipeline.derive.rights import usd_layer_data
from service.pipeline.derive.rights import xmp_packet


@pytest.mark.parametrize(("raw", "uri"), [
    pytest.param("0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097", id="orcid"),
    pytest.param("https://orcid.org/0000-0001-5109-3700", "https://orcid.org/0000-0001-5109-3700", id="orcid-url"),
    pytest.param("0000-0002-1694-233x", "https://orcid.org/0000-0002-1694-233X", id="orcid-check-x"),
    pytest.param("q42", "http://www.wikidata.org/entity/Q42", id="wikidata"),
    pytest.param("https://www.wikidata.org/wiki/Q1", "http://www.wikidata.org/entity/Q1", id="wikidata-url"),
    pytest.param("113230702", "http://viaf.org/viaf/113230702", id="viaf"),
    pytest.param("https://viaf.org/viaf/113230702/", "http://viaf.org/viaf/113230702", id="viaf-url"),
])
def test_identifiers_become_links(raw, uri):
    assert identifier_uri(raw)["uri"] == uri


@pytest.mark.parametrize(("raw", "message"), [
    pytest.param("0000-0002-1825-0098", "wrong check digit", id="orcid-typo"),
    pytest.param("Q0", "not an ORCID", id="wikidata-zero"),
    pytest.param("https://example.com/me", "not an ORCID", id="other-site"),
    pytest.param(42, "expected an ORCID", id="number"),
])
def test_bad_identifiers_are_refused(raw, message):
    with pytest.raises(InvalidMetadata, match=message):
        validate_metadata({"title": "x", "creator_ids": [raw]})


def test_orcid_checksum():
    assert orcid_checksum_ok("0000-0002-1825-0097") and not orcid_checksum_ok("0000-0002-1825-0096")


@pytest.mark.parametrize(("digitisation", "message"), [
    ({"technique": "magic"}, "technique"),
    ({"date": "2 May 2024"}, "YYYY-MM-DD"),
    ({"colour": "red"}, "unknown field"),
    ("laser", "expected"),
    ({"operator_id": "nope"}, "digitisation.operator_id"),
])
def test_bad_digitisation_is_refused(digitisation, message):
    with pytest.raises(InvalidMetadata, match=message):
        validate_metadata({"title": "x", "digitisation": digitisation})


def test_paradata_is_public_and_travels_in_glb_and_usdz_metadata():
    md = validate_metadata({
        "title": {"vi": "Tượng", "en": "Statue"}, "creator_ids": ["Q42"], "secret": "private",
        "digitisation": {"technique": "photogrammetry", "equipment": "Sony A7R IV", "date": "2024-05",
                         "operator": "Lê Văn B", "operator_id": "0000-0002-1825-0097"},
    })
    public = public_metadata(md)
    assert "secret" not in public and public["digitisation"]["operator_id"] == "https://orcid.org/0000-0002-1825-0097"
    packet = xmp_packet(md)
    assert packet["@context"]["dcterms"] == "http://purl.org/dc/terms/"
    assert packet["dcterms:provenance"] == "Digitised by photogrammetry with Sony A7R IV on 2024-05 by Lê Văn B"
    assert packet["dcterms:creator"] == [{"@id": "http://www.wikidata.org/entity/Q42"}]
    usd = usd_layer_data(md)
    assert usd["dcterms:provenance"].startswith("Digitised by photogrammetry")
    assert usd["dcterms:creator"] == "http://www.wikidata.org/entity/Q42"
    assert "dcterms:provenance" not in xmp_packet({"title": {"en": "x"}})


def test_processing_comes_from_the_manifest_recipe():
    manifest = {"recipe": [{"step": "repair"}, {"step": "orient_up"}, {"step": "repair"}, {"step": "derive"}]}
    assert processing(manifest) == {"software": "heritage-ar", "steps": ["repair", "orient_up", "derive"]}
    assert processing(None)["steps"] == []
