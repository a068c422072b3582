#!/usr/bin/env python3
"""Digitise a collection: the same command as `heritage-ar batch` (see docs/batch.md).

    python scripts/digitise.py COLLECTION --server https://ar.museum.vn --key KEY
    python scripts/digitise.py manifest.xlsx --dry-run
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[1:1] = ["batch"]
    main()
