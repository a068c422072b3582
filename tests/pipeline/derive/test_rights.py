"""derive/rights: the catalogue's rights as Dublin Core and an XMP packet inside the files."""

from __future__ import annotations

from service.pipeline.derive.rights import dublin_core
from service.pipeline.derive.rights import gltf_extensions
from service.pipeline.derive.rights import usd_layer_data

MD = {
    "title": {"vi": "Bình gốm", "en": "Ceramic vase"},
    "creator": "Unknown potter",
    "date": "15th century",
    "accession_number": "BTLS-123",
    "licence": "CC-BY-4.0",
    "attribution": "Museum of History",
}


def test_dublin_core_leaves_out_missing_fields_and_links_the_licence():
    dc = dublin_core(MD)
    assert dc["title"] == {"vi": "Bình gốm", "en": "Ceramic vase"}
    assert dc["identifier"] == "BTLS-123"
    assert dc["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "description" not in dc and "publisher" not in dc
    assert dublin_core({"title": {"en": "x"}}) == {"title": {"en": "x"}}


def test_the_xmp_packet_puts_vietnamese_first_and_carries_the_licence():
    packet = gltf_extensions(MD)["KHR_xmp_json_ld"]["packets"][0]
    titles = packet["dc:title"]
    assert titles["rdf:_1"] == {"@language": "vi", "@value": "Bình gốm"}
    assert titles["rdf:_2"] == {"@language": "en", "@value": "Ceramic vase"}
    assert packet["dc:creator"] == {"@list": ["Unknown potter"]}
    assert packet["dc:identifier"] == "BTLS-123"
    assert packet["xmpRights:WebStatement"].endswith("/by/4.0/")


def test_usd_layer_data_is_flat_strings_per_language():
    data = usd_layer_data(MD)
    assert data["dc:title@vi"] == "Bình gốm" and data["dc:title@en"] == "Ceramic vase"
    assert data["cc:license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["dc:identifier"] == "BTLS-123"
    assert all(isinstance(v, str) for v in data.values())
