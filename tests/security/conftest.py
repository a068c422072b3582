"""Apps on both storage backends for the attack tests: local folder and S3 (moto's standalone server)."""

from __future__ import annotations

import io
import json

import pytest

from service import create_app
from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key
from tests.servers import s3_settings

# an institution's internal fields: must never leave its own API
PRIVATE = {"storage_location": "Kho B, kệ 7 — VAULT-SECRET-7731", "insurance_value": "INSURED-998877 VND"}
META = {"title": {"vi": "Hộp gỗ", "en": "Wooden box"}, "unit": "cm", "licence": "CC-BY-4.0",
        "accession_number": "BT-SEC-1", "creator": "Xưởng Huế", **PRIVATE}


@pytest.fixture(params=["local", "s3"])
def backend_app(request, tmp_path):
    """A fresh app on each storage backend; jobs are run explicitly."""
    fields = {}
    if request.param == "s3":
        fields = s3_settings(request.getfixturevalue("moto_server"))
    app = create_app(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                              **fields))
    yield app
    _stop(app)


@pytest.fixture
def backend_client(backend_app):
    return backend_app.test_client()


@pytest.fixture
def backend_auth(backend_app) -> dict:
    return {"Authorization": f"Bearer {make_key(backend_app)}"}


def upload(client, auth, path, metadata=META, name=None):
    data = {"file": (io.BytesIO(path.read_bytes()), name or path.name), "metadata": json.dumps(metadata)}
    return client.post("/api/v1/artefacts", data=data, headers=auth, content_type="multipart/form-data")


def local_path(url: str) -> str:
    """The path of an app URL (links carry http://localhost)."""
    return url.replace("http://localhost", "")
