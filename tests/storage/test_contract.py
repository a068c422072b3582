"""One test suite for every storage backend: the local folder and S3 over HTTP (moto server)."""

from __future__ import annotations

import hashlib
import os

import pytest
import requests

from service.config import Settings
from service.storage import make_store
from service.storage.s3 import S3Store
from tests.servers import s3_settings


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return make_store(Settings(data_dir=str(tmp_path)).resolved())
    moto = request.getfixturevalue("moto_server")
    return make_store(Settings(data_dir=str(tmp_path), **s3_settings(moto)).resolved())


def test_put_get_keys_delete(store, tmp_path):
    src = tmp_path / "a.glb"
    src.write_bytes(b"glTF" + os.urandom(1000))
    store.put_file("derivatives/x/v1/a.glb", src)
    store.put("derivatives/x/v1/manifest.json", b"{}")
    store.put("originals/x/abc/scan.obj", b"v 0 0 0\n")
    assert store.get("derivatives/x/v1/a.glb") == src.read_bytes()
    assert store.exists("derivatives/x/v1/a.glb")
    assert not store.exists("derivatives/x/v1/missing.glb")
    assert store.keys("derivatives/x/") == ["derivatives/x/v1/a.glb", "derivatives/x/v1/manifest.json"]
    assert store.delete_prefix("derivatives/x/") == 2
    assert store.keys("derivatives/") == []
    assert store.keys("originals/") == ["originals/x/abc/scan.obj"]
    with pytest.raises(KeyError):
        store.get("derivatives/x/v1/a.glb")


def test_download_streams_to_a_file(store, tmp_path):
    data = os.urandom(3 * 1024 * 1024)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    store.put_file("originals/y/h/big.bin", src)
    out = store.download("originals/y/h/big.bin", tmp_path / "copy.bin")
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_ping(store):
    store.ping()


def test_s3_sets_type_cache_and_serves_urls(moto_server, tmp_path):
    store = make_store(Settings(data_dir=str(tmp_path), **s3_settings(moto_server)).resolved())
    assert isinstance(store, S3Store)
    src = tmp_path / "m.glb"
    src.write_bytes(b"glTF" + b"\0" * 100)
    store.put_file("derivatives/a/v1/m.glb", src)
    head = store.head("derivatives/a/v1/m.glb")
    assert head["ContentType"] == "model/gltf-binary"
    assert "immutable" in head["CacheControl"]
    got = requests.get(store.url("derivatives/a/v1/m.glb"), timeout=10)
    assert got.status_code == 200 and got.content == src.read_bytes()
    cors = store.client.get_bucket_cors(Bucket=store.bucket)["CORSRules"][0]
    assert cors["AllowedOrigins"] == ["*"] and "GET" in cors["AllowedMethods"]


def test_s3_public_base_url(moto_server, tmp_path):
    fields = {**s3_settings(moto_server), "s3_public_base_url": "https://cdn.example.org/heritage"}
    store = make_store(Settings(data_dir=str(tmp_path), **fields).resolved())
    assert store.url("derivatives/a/v1/web 1.glb") == "https://cdn.example.org/heritage/derivatives/a/v1/web%201.glb"


def test_s3_large_upload_uses_multipart(moto_server, tmp_path):
    store = make_store(Settings(data_dir=str(tmp_path), **s3_settings(moto_server)).resolved())
    src = tmp_path / "scan.ply"
    src.write_bytes(os.urandom(12 * 1024 * 1024))
    store.put_file("originals/b/h/scan.ply", src)
    etag = store.head("originals/b/h/scan.ply")["ETag"]
    assert etag.strip('"').endswith("-3")  # 12 MB in 5 MB parts: a multipart ETag
    assert store.head("originals/b/h/scan.ply")["ContentLength"] == src.stat().st_size
