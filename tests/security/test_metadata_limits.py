"""Finding 6: metadata over the limits gets a 4xx naming the field and the limit, on SQLite and PostgreSQL.

The limits match the columns (`accession_number` and `date` are VARCHAR(200) on
PostgreSQL, where a longer value used to end in a 500).
"""

from __future__ import annotations

import json

import pytest
from urllib3 import encode_multipart_formdata

from service import create_app
from service.config import Settings
from service.pipeline.metadata import MAX_METADATA_BYTES
from tests.conftest import _stop
from tests.conftest import make_key
from tests.servers import pg_schema_url

TITLE = {"title": {"en": "Bowl"}}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_app(request, tmp_path):
    fields = {}
    if request.param == "postgresql":
        fields["database_url"] = pg_schema_url(request.getfixturevalue("pg_schema"))
    app = create_app(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                              **fields))
    yield app
    _stop(app)


def _upload(client, auth, obj_zip, metadata):
    # a body encoded here: werkzeug's test client spools bodies over 500 KB to a file it leaves open
    body, content_type = encode_multipart_formdata(
        {"file": ("box.zip", obj_zip.read_bytes()), "metadata": json.dumps(metadata)}
    )
    return client.post("/api/v1/artefacts", data=body, headers=auth, content_type=content_type)


def _refused(resp, field: str, limit: int) -> None:
    assert 400 <= resp.status_code < 500, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert field in error["message"] and f"{limit:,}" in error["message"], error
    assert error["details"] == {"field": field, "limit": limit}


@pytest.mark.parametrize(
    ("metadata", "field", "limit"),
    [
        pytest.param({"title": {"en": "x" * 1_000_000}}, "metadata", MAX_METADATA_BYTES, id="1MB-title"),
        pytest.param({"title": {"vi": "x" * 501}}, "title.vi", 500, id="title"),
        pytest.param({**TITLE, "accession_number": "A" * 201}, "accession_number", 200, id="accession"),
        pytest.param({**TITLE, "date": "d" * 201}, "date", 200, id="date"),
        pytest.param({**TITLE, "description": "d" * 20001}, "description", 20000, id="description"),
        pytest.param({**TITLE, "tags": ["t"] * 101}, "tags", 100, id="list-length"),
        pytest.param({**TITLE, "note": "n" * 2001}, "note", 2000, id="extra-text"),
        pytest.param({**TITLE, **{f"f{i}": 1 for i in range(51)}}, "metadata", 50, id="extra-fields"),
        pytest.param({**TITLE, "deep": {"a": {"b": {"c": {"d": 1}}}}}, "deep.a.b.c.d", 4, id="nesting"),
    ],
)
def test_oversized_metadata_is_refused(db_app, obj_zip, metadata, field, limit):
    client = db_app.test_client()
    auth = {"Authorization": f"Bearer {make_key(db_app)}"}
    _refused(_upload(client, auth, obj_zip, metadata), field, limit)


def test_limits_match_the_columns_and_patch_is_checked(db_app, obj_zip):
    client = db_app.test_client()
    auth = {"Authorization": f"Bearer {make_key(db_app)}"}
    at_limit = {"title": {"vi": "v" * 500, "en": "e" * 500}, "accession_number": "A" * 200, "date": "d" * 200,
                "creator": "c" * 500, "culture": "c" * 500}
    created = _upload(client, auth, obj_zip, at_limit)
    assert created.status_code == 202, created.get_data(as_text=True)  # fits every column, PostgreSQL too
    url = f"/api/v1/artefacts/{created.get_json()['id']}"
    assert client.get(url, headers=auth).get_json()["metadata"]["accession_number"] == "A" * 200
    _refused(client.patch(url, json={"accession_number": "A" * 201}, headers=auth), "accession_number", 200)
    too_big = client.patch(url, data=json.dumps({"note": "x" * (2 * MAX_METADATA_BYTES)}), headers=auth,
                           content_type="application/json")
    _refused(too_big, "metadata", 2 * MAX_METADATA_BYTES)
    # many small PATCHes cannot add up past the whole-JSON limit either
    for i in range(40):
        resp = client.patch(url, json={f"n{i}": "y" * 1900}, headers=auth)
        if resp.status_code != 200:
            _refused(resp, "metadata", MAX_METADATA_BYTES)
            break
    else:
        pytest.fail("forty 1.9 KB fields were all accepted")
    assert client.get(url, headers=auth).status_code == 200
