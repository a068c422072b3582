"""Content Credentials: development certificate, signing of outputs, tamper detection, the job layer."""

from __future__ import annotations

import io
import json
import shutil

import c2pa
import pytest
from click.testing import CliRunner
from cryptography import x509

from service.cli import cli
from service.config import Settings
from service.pipeline.manifest import describe_file
from service.provenance.certs import dev_certificate
from service.provenance.claim import ASSERTION
from service.provenance.claim import claim
from service.provenance.sign import SigningError
from service.provenance.sign import load_key
from service.provenance.sign import sign_outputs
from service.provenance.verify import verify
from tests.fixtures import CORPUS
from tests.interop.conftest import jpeg
from tests.interop.conftest import mp4

PUBLIC = {"title": {"vi": "Bình gốm men lam", "en": "Blue-and-white vase"}, "accession_number": "BTLS-1234",
          "licence": "CC-BY-4.0", "attribution": "Bảo tàng Lịch sử Quốc gia"}
INSTITUTION = "Bảo tàng Lịch sử Quốc gia"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return dev_certificate(tmp_path_factory.mktemp("certs"), organisation=INSTITUTION)


def _definition(name, fmt, output):
    return claim(PUBLIC, institution=INSTITUTION, software="heritage-ar", version="0.1.0",
                 steps=["repair", "orient_up", "derive"], output=output,
                 share_url="https://ar.example.vn/ar/abc", fmt=fmt)


@pytest.fixture
def signed(tmp_path, certs):
    """An output folder with a poster, a cover (WebP), a turntable MP4 and a GLB, signed."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "poster.jpg").write_bytes(jpeg())
    from PIL import Image
    Image.new("RGB", (108, 192), (20, 40, 60)).save(out / "cover.webp")
    mp4(out / "turntable.mp4")
    shutil.copy(CORPUS / "formats" / "Duck.glb", out / "ar.glb")
    manifest = {"files": {p.name: describe_file(p) for p in out.iterdir()}}
    manifest = sign_outputs(out, manifest, load_key(str(certs["key"]), str(certs["chain"])), _definition)
    return out, manifest


def _flip(data: bytes, at: float = 0.9) -> bytes:
    edited = bytearray(data)
    edited[int(len(edited) * at)] ^= 0x5A
    return bytes(edited)


def test_dev_cert_command_writes_a_usable_chain(tmp_path):
    result = CliRunner().invoke(cli, ["c2pa", "dev-cert", "--out", str(tmp_path / "c"), "--organisation", "Museum X"])
    assert result.exit_code == 0, result.output
    assert "HERITAGE_AR_C2PA_KEY_PATH=" in result.output and "BEGIN" not in result.output
    key = tmp_path / "c" / "signing-key.pem"
    assert key.stat().st_mode & 0o077 == 0  # the private key is readable by its owner only
    chain = x509.load_pem_x509_certificates((tmp_path / "c" / "signing-chain.pem").read_bytes())
    assert len(chain) == 2
    assert not chain[0].extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert chain[1].extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert repr(load_key(str(key), str(tmp_path / "c" / "signing-chain.pem"))) == "SigningKey(<private key hidden>)"


@pytest.mark.parametrize(("name", "fmt"), [("poster.jpg", "image/jpeg"), ("turntable.mp4", "video/mp4"),
                                           ("cover.webp", "image/webp")])
def test_c2pa_reads_a_valid_manifest_naming_the_institution(signed, name, fmt):
    out, manifest = signed
    assert manifest["files"][name]["content_credentials"] == "embedded"
    assert manifest["files"][name]["bytes"] == (out / name).stat().st_size  # entries follow the signed bytes
    with open(out / name, "rb") as f:
        reader = c2pa.Reader(fmt, f)
        store = json.loads(reader.json())
        state = reader.get_validation_state()
    active = store["manifests"][store["active_manifest"]]
    assert state in ("Valid", "Trusted")
    assert active["signature_info"]["issuer"] == INSTITUTION
    assertions = {a["label"]: a["data"] for a in active["assertions"]}
    assert assertions[ASSERTION]["institution"] == INSTITUTION
    assert assertions[ASSERTION]["accession_number"] == "BTLS-1234"
    assert assertions[ASSERTION]["licence"] == "CC-BY-4.0"
    assert assertions["stds.schema-org.CreativeWork"]["license"] == "https://creativecommons.org/licenses/by/4.0/"
    actions = [a["action"] for a in assertions["c2pa.actions.v2"]["actions"]]
    assert actions[:2] == ["c2pa.created", "c2pa.converted"]


@pytest.mark.parametrize(("name", "code"), [("poster.jpg", "assertion.dataHash.mismatch"),
                                            ("turntable.mp4", "assertion.bmffHash.mismatch")])
def test_a_changed_byte_is_reported_as_tampering(signed, name, code):
    out, _ = signed
    data = (out / name).read_bytes()
    assert verify(data)["state"] == "intact"
    report = verify(_flip(data))
    assert report["state"] == "altered"
    assert code in report["failures"]


def test_glb_gets_a_sidecar_bound_to_its_bytes(signed, certs):
    out, manifest = signed
    assert manifest["files"]["ar.glb"]["content_credentials"] == "ar.glb.c2pa"
    assert manifest["files"]["ar.glb.c2pa"]["mime"] == "application/c2pa"
    data, side = (out / "ar.glb").read_bytes(), (out / "ar.glb.c2pa").read_bytes()
    anchors = certs["ca"].read_text()
    good = verify(data, sidecar=side, trust_anchors=anchors)
    assert good["state"] == "intact" and good["trusted"] and good["artefact"]["institution"] == INSTITUTION
    assert verify(_flip(data, 0.5), sidecar=side)["state"] == "altered"
    assert verify(data) == {"state": "none", "format": "model/gltf-binary", "trusted": False, "failures": [],
                            "needs_sidecar": True}


def test_private_key_never_reaches_the_outputs(signed, certs):
    out, manifest = signed
    key_body = b"".join(certs["key"].read_bytes().splitlines()[1:-1])
    for path in out.iterdir():
        assert key_body[:40] not in path.read_bytes(), path.name
    assert "PRIVATE" not in json.dumps(manifest)


def test_unusable_key_is_refused_without_showing_it(tmp_path, certs):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SigningError, match="not an unencrypted PEM private key") as e:
        sign_outputs(tmp_path, {"files": {}}, load_key(str(bad), str(certs["chain"])), _definition)
    assert "c2VjcmV0" not in str(e.value)


def test_plain_and_unknown_files(certs):
    assert verify(jpeg())["state"] == "none"
    assert verify(b"hello world")["state"] == "unsupported"
    assert verify(b"\xff\xd8\xff\xe0" + b"0" * 64)["state"] == "unreadable"


@pytest.mark.slow
def test_job_signs_what_it_publishes(tmp_path, certs, obj_zip):
    """A real job with previews: poster and turntable carry credentials, 3D files have sidecars and paradata."""
    from service import create_app
    from tests.conftest import _stop
    from tests.conftest import make_key
    from tests.interop.conftest import PARADATA
    from tests.viewer.helpers import META
    from tests.viewer.helpers import ready_artefact

    settings = Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=True,
                        turntable_seconds=1, c2pa_key_path=str(certs["key"]), c2pa_chain_path=str(certs["chain"]))
    app = create_app(settings)
    try:
        key = make_key(app)
        art = ready_artefact(app, app.test_client(), {"Authorization": f"Bearer {key}"}, obj_zip,
                             {**META, **PARADATA})
        client = app.test_client()
        derivs = art["derivatives"]
        for name in ("poster.jpg", "turntable.mp4", "cover.webp"):
            resp = client.get("/" + derivs[name]["url"].split("/", 3)[3])
            data = resp.get_data()
            resp.close()
            report = verify(data)
            assert report["state"] == "intact", (name, report)
            assert report["artefact"]["accession_number"] == "BT-2024-001"
        assert "ar.glb.c2pa" in derivs and "ar.usdz.c2pa" in derivs
        resp = client.get("/" + derivs["master.glb"]["url"].split("/", 3)[3])
        glb = resp.get_data()
        resp.close()
        gltf = json.loads(glb[20:20 + int.from_bytes(glb[12:16], "little")])
        packet = gltf["extensions"]["KHR_xmp_json_ld"]["packets"][0]
        assert packet["dcterms:provenance"].startswith("Digitised by structured-light scanning with Artec Eva")
        assert {"@id": "http://www.wikidata.org/entity/Q42"} in packet["dcterms:creator"]
        assert "insurance" not in glb.decode("latin-1")
    finally:
        _stop(app)
