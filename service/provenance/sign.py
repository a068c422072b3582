"""
sign.py
-------

Signs a finished output folder with the institution's certificate, in the
job layer after the pipeline: the files creators repost (poster, cover,
thumbnail as JPEG/WebP, the turntable and spin MP4s) get an embedded C2PA
manifest; GLB and USDZ, which have no C2PA embedding, get a sidecar
`<name>.c2pa` bound to the file's bytes. Manifest entries (bytes, sha256)
are updated. The key stays in memory: it is never written to the output
folder, logged or put in an error message.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa

from service.pipeline.manifest import describe_file

log = logging.getLogger(__name__)

# embedded manifests: the stills and videos a creator reposts
EMBED = {
    "poster.jpg": "image/jpeg", "poster.webp": "image/webp", "thumb.jpg": "image/jpeg", "thumb.webp": "image/webp",
    "cover.jpg": "image/jpeg", "cover.webp": "image/webp", "turntable.mp4": "video/mp4", "spin.mp4": "video/mp4",
}
SIDECAR_EXTS = {".glb": "model/gltf-binary", ".usdz": "model/vnd.usdz+zip"}
SIDECAR_MIME = "application/c2pa"


class SigningError(Exception):
    """The certificate or key cannot be used (said without showing the key)."""


@dataclass(frozen=True)
class SigningKey:
    """PEM key and chain (signing certificate first); `repr` never shows the key."""

    key_pem: bytes
    chain_pem: bytes

    def __repr__(self) -> str:
        return "SigningKey(<private key hidden>)"

    @property
    def alg(self) -> str:
        """The C2PA signing algorithm of the key (es256, es384, es512, ps256, ed25519)."""
        try:
            key = serialization.load_pem_private_key(self.key_pem, password=None)
        except (ValueError, TypeError):
            raise SigningError("c2pa: the signing key is not an unencrypted PEM private key") from None
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return {256: "es256", 384: "es384", 521: "es512"}[key.curve.key_size]
        if isinstance(key, rsa.RSAPrivateKey):
            return "ps256"
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return "ed25519"
        raise SigningError(f"c2pa: {type(key).__name__} keys cannot sign C2PA manifests; use EC P-256 or RSA")


def load_key(key_path: str, chain_path: str) -> SigningKey:
    """Read the institution's key and certificate chain from the configured paths."""
    try:
        return SigningKey(Path(key_path).read_bytes(), Path(chain_path).read_bytes())
    except OSError as e:
        raise SigningError(f"c2pa: cannot read {e.filename}: {e.strerror}") from None


def _signer(key: SigningKey):
    import c2pa  # native library: loaded when signing, not at import

    info = c2pa.C2paSignerInfo(key.alg.encode(), key.chain_pem, key.key_pem, None)
    try:
        return c2pa.Signer.from_info(info)
    except Exception as e:  # noqa: BLE001 - the library's message names the problem, never the key
        raise SigningError(f"c2pa: the certificate chain and key were refused ({type(e).__name__})") from None


def sign_file(path: Path, fmt: str, definition: dict, signer, *, sidecar: Path | None = None) -> None:
    """Embed a manifest into `path` (in place), or write a sidecar manifest bound to its bytes."""
    import c2pa

    builder = c2pa.Builder(json.dumps(definition))
    if sidecar is not None:
        builder.set_no_embed()
        with open(path, "rb") as src, open(os.devnull, "wb") as dest:
            sidecar.write_bytes(builder.sign(signer, fmt, src, dest))
        return
    tmp = path.with_name(path.name + ".signing")
    with open(path, "rb") as src, open(tmp, "w+b") as dest:
        builder.sign(signer, fmt, src, dest)
    os.replace(tmp, path)


def sign_outputs(out_dir: str | Path, manifest: dict, key: SigningKey, definition) -> dict:
    """Sign every repostable file and write sidecars for 3D files; return the updated manifest.

    Parameters
    ----------
    definition : callable
      definition(name, fmt, output) -> C2PA manifest definition (see claim.claim).
    """
    out_dir = Path(out_dir)
    files = manifest.setdefault("files", {})
    signer = _signer(key)
    signed, sidecars = [], []
    try:
        for name in sorted(files):
            path = out_dir / name
            if name in EMBED and path.is_file():
                sign_file(path, EMBED[name], definition(name, EMBED[name], "render"), signer)
                files[name].update({k: v for k, v in describe_file(path).items() if k in ("bytes", "sha256")})
                files[name]["content_credentials"] = "embedded"
                signed.append(name)
            elif path.suffix in SIDECAR_EXTS and path.is_file():
                side = out_dir / (name + ".c2pa")
                sign_file(path, SIDECAR_EXTS[path.suffix], definition(name, SIDECAR_EXTS[path.suffix], "model"),
                          signer, sidecar=side)
                files[name]["content_credentials"] = side.name
                sidecars.append(side.name)
        for side in sidecars:
            files[side] = describe_file(out_dir / side, role="content-credentials", mime=SIDECAR_MIME,
                                        asset=side[: -len(".c2pa")])
    finally:
        signer.close()
    manifest["content_credentials"] = {"signed": signed, "sidecars": sidecars, "alg": key.alg}
    log.info("c2pa: signed %d files and wrote %d sidecars", len(signed), len(sidecars))
    return manifest
