"""Finding 5: private catalogue fields (unknown extra fields) never leave the owner's API.

Not in manifest.json, the share or embed page (JSON-LD included), oEmbed, nor
inside the published GLB and USDZ.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from service.pipeline.metadata import PUBLIC_FIELDS
from service.pipeline.metadata import public_metadata
from tests.conftest import run_jobs
from tests.security.conftest import META
from tests.security.conftest import PRIVATE
from tests.security.conftest import upload

SECRETS = ["VAULT-SECRET-7731", "INSURED-998877", *PRIVATE]  # values and field names


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_public_metadata_keeps_only_public_fields():
    md = {**META, "institution": "Bảo tàng", "dimensions": {"height": 3, "unit": "cm"}, "up_axis": "+Z"}
    public = public_metadata(md)
    assert set(public) <= set(PUBLIC_FIELDS)
    assert public["accession_number"] == "BT-SEC-1" and public["institution"] == "Bảo tàng"
    assert not _leaks(json.dumps(public, ensure_ascii=False))
    assert "up_axis" not in public  # processing options are not catalogue fields either


def test_private_fields_stay_out_of_every_public_surface(backend_app, backend_client, backend_auth, obj_zip,
                                                         tmp_path):
    body = upload(backend_client, backend_auth, obj_zip).get_json()
    assert run_jobs(backend_app) == 1
    art = backend_client.get(f"/api/v1/artefacts/{body['id']}", headers=backend_auth).get_json()
    assert art["status"] == "ready", art["error"]
    # the owner still sees them
    assert art["metadata"]["storage_location"] == PRIVATE["storage_location"]

    store = backend_app.extensions["store"]
    manifest = store.get(f"derivatives/{body['id']}/v1/manifest.json").decode("utf-8")
    assert json.loads(manifest)["metadata"]["accession_number"] == "BT-SEC-1"
    assert not _leaks(manifest)
    glb = store.get(f"derivatives/{body['id']}/v1/master.glb")
    assert b"BT-SEC-1" in glb  # the rights packet is there ...
    assert not _leaks(glb.decode("latin-1"))  # ... without the private fields
    usdz = tmp_path / "ar.usdz"
    usdz.write_bytes(store.get(f"derivatives/{body['id']}/v1/ar.usdz"))
    from pxr import Usd

    stage = Usd.Stage.Open(str(usdz))  # kept: the layer is a weak pointer into the stage
    layer_text = stage.GetRootLayer().ExportToString()
    assert "BT-SEC-1" in layer_text and not _leaks(layer_text)

    slug = art["links"]["share"].rsplit("/", 1)[-1]
    for path in (f"/ar/{slug}", f"/embed/{slug}", f"/oembed?url={quote(art['links']['share'])}"):
        resp = backend_client.get(path)
        assert resp.status_code == 200, path
        text = resp.get_data(as_text=True)
        if path.startswith("/oembed"):
            text = json.dumps(resp.get_json(), ensure_ascii=False)
        assert "Hộp gỗ" in text, path
        assert not _leaks(text), path
