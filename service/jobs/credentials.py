"""
credentials.py
--------------

The job layer's Content Credentials step: after the pipeline wrote its
outputs and before anything is uploaded, sign them with the institution's
certificate (settings `c2pa_key_path`, `c2pa_chain_path`). Not configured:
nothing is signed. Configured but unusable: the job fails with a sentence
that names the file, never the key's contents.
"""

from __future__ import annotations

from pathlib import Path

from service.config import Settings
from service.errors import HeritageError
from service.pipeline.manifest import write_manifest
from service.pipeline.metadata import public_metadata
from service.pipeline.paradata import processing
from service.provenance.claim import claim
from service.provenance.sign import SigningError
from service.provenance.sign import load_key
from service.provenance.sign import sign_outputs


class SigningFailed(HeritageError):
    code = "signing_failed"
    status = 500


def software_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("heritage-ar")
    except metadata.PackageNotFoundError:
        return "0"


def sign_version(settings: Settings, out_dir: Path, manifest: dict, metadata: dict, slug: str) -> dict:
    """Sign the version's outputs when a certificate is configured; return the (rewritten) manifest."""
    if not (settings.c2pa_key_path and settings.c2pa_chain_path):
        return manifest
    public = public_metadata(metadata)
    institution = metadata.get("institution") or "heritage-ar"
    share_url = f"{settings.base_url.rstrip('/')}/ar/{slug}" if settings.base_url else None
    steps = processing(manifest)["steps"]
    version = software_version()

    def definition(name: str, fmt: str, output: str) -> dict:
        return claim(public, institution=institution, software="heritage-ar", version=version, steps=steps,
                     output=output, share_url=share_url, fmt=fmt)

    try:
        key = load_key(settings.c2pa_key_path, settings.c2pa_chain_path)
        manifest = sign_outputs(out_dir, manifest, key, definition)
    except SigningError as e:
        raise SigningFailed(str(e)) from None
    manifest.pop("manifest_version", None)
    write_manifest(out_dir, manifest)
    return manifest
