"""
dae_fix.py
----------

COLLADA whose arrays declare a `count` that disagrees with the values they
hold: pycollada then finds no triangles, and assimp trusts the count and
reads past the array (assimp issue #4286: a cube 10^21 units wide). The
values are what the exporter meant, so a scratch copy next to the file
(relative image paths still resolve) gets the true counts.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_ARRAY = re.compile(
    rb"<(float_array|int_array|Name_array|bool_array|IDREF_array)\b([^>]*?)\bcount=\"(\d+)\"([^>]*)>(.*?)</\1>", re.S
)


def fixed_counts(path: Path) -> tuple[Path | None, int]:
    """(scratch copy with true array counts, arrays fixed), or (None, 0) when every count is right."""
    data = path.read_bytes()
    fixed = 0

    def true_count(m: re.Match) -> bytes:
        nonlocal fixed
        values = len(m.group(5).split())
        if values == int(m.group(3)):
            return m.group(0)
        fixed += 1
        return b"<%s%scount=\"%d\"%s>%s</%s>" % (m.group(1), m.group(2), values, m.group(4), m.group(5), m.group(1))

    out = _ARRAY.sub(true_count, data)
    if not fixed:
        return None, 0
    copy = Path(tempfile.mkstemp(prefix=".fixed-", suffix=path.suffix, dir=path.parent)[1])
    copy.write_bytes(out)
    log.info("dae_fix: %s: %d array counts corrected", path.name, fixed)
    return copy, fixed
