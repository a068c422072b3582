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

# flat kinds a collection photographs (metadata.flat_kind; the order is the one
# messages list them in), with a typical depth (metres), the colour of an
# unphotographed back and a roughness for the surface (photos/panel.py)
FLAT_KINDS = {
    "painting": {"depth": 0.02, "back": (190, 176, 150), "roughness": 0.7},  # stretched canvas, raw linen back
    "lacquer": {"depth": 0.015, "back": (70, 45, 35), "roughness": 0.35},  # sơn mài on a wooden board
    "woodblock": {"depth": 0.001, "back": (232, 224, 205), "roughness": 0.95},  # print on paper
    "textile": {"depth": 0.003, "back": None, "roughness": 1.0},  # back defaults to the edge colour
    "manuscript": {"depth": 0.001, "back": (226, 214, 188), "roughness": 0.95},
    "canvas": {"depth": 0.02, "back": (190, 176, 150), "roughness": 0.7},
    "paper": {"depth": 0.001, "back": (235, 230, 218), "roughness": 0.95},
}
DEFAULT_FLAT_KIND = "painting"

# a turntable ring has at least this many frames (fewer photos are a flat artefact or need metadata.kind)
MIN_RING_FRAMES = 12
