"""
keys.py
-------

Object keys, built in one place so the layout can change without hunting.
"""

from __future__ import annotations

import re

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file name safe for object keys and URLs (no slashes, spaces or control characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE.sub("_", base).strip("._") or "file"
    return cleaned[:120]


def original_key(artefact_id: str, sha256: str, name: str) -> str:
    return f"originals/{artefact_id}/{sha256}/{safe_name(name)}"


def derivative_prefix(artefact_id: str, version: int) -> str:
    return f"derivatives/{artefact_id}/v{version}/"


def derivative_key(artefact_id: str, version: int, name: str) -> str:
    return derivative_prefix(artefact_id, version) + safe_name(name)


def is_public(key: str) -> bool:
    """Derivatives are public (share pages, viewers); originals never are."""
    return key.startswith("derivatives/")


def cache_control(key: str) -> str:
    # a version folder is never rewritten once visible, so its files can be cached for a year
    if key.startswith("derivatives/"):
        return "public, max-age=31536000, immutable"
    return "private, no-store"
