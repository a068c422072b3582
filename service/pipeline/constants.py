"""
constants.py
------------

Tolerances and limits shared by pipeline steps, named in one place.
"""

from __future__ import annotations

# metres per unit name accepted in metadata
UNITS = {
    "m": 1.0,
    "cm": 0.01,
    "mm": 0.001,
    "in": 0.0254,
    "ft": 0.3048,
}

# artefacts outside this size range are probably in the wrong unit: flag them
MIN_SIZE_M = 0.01
MAX_SIZE_M = 10.0

# a scan whose largest extent is above this number, with no unit declared, is
# taken to be in millimetres (scanners and CAD export mm; nothing in a
# collection is 50 m tall)
MM_GUESS_ABOVE = 50.0

# limits the job may override from Settings
DEFAULT_MAX_FACES = 5_000_000
DEFAULT_MAX_IMAGE_PIXELS = 100_000_000
DEFAULT_MAX_ARCHIVE_ENTRIES = 2000
DEFAULT_MAX_UNPACKED_BYTES = 4096 * 1024 * 1024
