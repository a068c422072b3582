"""
verify.py
---------

Reads and checks Content Credentials for the public /verify page, on the
server with c2pa-python: who signed the file (the certificate's
organisation), for which artefact, under which licence, and whether the
bytes were altered since. Formats are sniffed from the bytes, not the
name; GLB and USDZ need their sidecar `.c2pa` manifest.
"""

from __future__ import annotations

import io
import json

from service.provenance.claim import ASSERTION

# states shown to visitors
INTACT, ALTERED, NONE, UNSUPPORTED, UNREADABLE = "intact", "altered", "none", "unsupported", "unreadable"
TRUST_CODES = ("signingCredential.untrusted", "signingCredential.trusted")


def sniff(data: bytes) -> str | None:
    """The MIME type of a file from its first bytes (what we sign), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"glTF":
        return "model/gltf-binary"
    if data[:4] == b"PK\x03\x04":
        return "model/vnd.usdz+zip"
    return None


def _context(trust_anchors: str | None):
    import c2pa

    if not trust_anchors:
        return None
    return c2pa.Context.from_dict({"verify": {"verify_trust": True}, "trust": {"trust_anchors": trust_anchors}})


def verify(data: bytes, *, sidecar: bytes | None = None, trust_anchors: str | None = None) -> dict:
    """Check a file's Content Credentials.

    Returns
    -------
    report : dict
      {"state": intact|altered|none|unsupported|unreadable, "format", "trusted", "issuer", "signer", "artefact": {...},
       "actions": [...], "failures": [codes]}
    """
    import c2pa

    fmt = sniff(data)
    report: dict = {"state": NONE, "format": fmt, "trusted": False, "failures": []}
    if fmt is None:
        report["state"] = UNSUPPORTED
        return report
    try:
        reader = c2pa.Reader(fmt, io.BytesIO(data), sidecar, context=_context(trust_anchors))
    except c2pa.C2paError as e:
        name = type(e).__name__
        if "ManifestNotFound" in name:
            report["state"] = NONE  # no Content Credentials in the file
        elif "NotSupported" in name:
            report["state"] = NONE
            report["needs_sidecar"] = fmt.startswith("model/")  # GLB/USDZ: the .c2pa file is separate
        else:
            report["state"] = UNREADABLE  # damaged, or not really the format its first bytes say
        return report
    try:
        return _report(reader, report)
    finally:
        reader.close()


def _report(reader, report: dict) -> dict:
    store = json.loads(reader.json())
    active = store.get("manifests", {}).get(store.get("active_manifest"), {})
    results = (reader.get_validation_results() or {}).get("activeManifest") or {}
    failures = [f["code"] for f in results.get("failure", [])]
    report["failures"] = failures
    report["trusted"] = any(s["code"] == "signingCredential.trusted" for s in results.get("success", []))
    report["state"] = ALTERED if [c for c in failures if c not in TRUST_CODES] else INTACT
    sig = active.get("signature_info") or {}
    report["issuer"] = sig.get("issuer")
    report["signer"] = sig.get("common_name")
    report["signed_at"] = sig.get("time")
    assertions = {a.get("label"): a.get("data") for a in active.get("assertions", [])}
    report["artefact"] = assertions.get(ASSERTION) or {}
    actions = (assertions.get("c2pa.actions.v2") or assertions.get("c2pa.actions") or {}).get("actions", [])
    report["actions"] = [{"action": a.get("action"), "description": a.get("description")} for a in actions]
    report["title"] = active.get("title")
    return report
