"""
child.py
--------

The child process a job runs the pipeline in. A crash, hang or memory blow-up
in a native library (trimesh, Draco, GL, COLMAP) ends this process, not the
worker. Protocol: the spec is a JSON file given as argv[1]; progress goes to
stdout as JSON lines; the result ({"ok": true} or the error's code and
message) is written to spec["result"]. Exit status 3 means a HeritageError.
"""

from __future__ import annotations

import json
import logging
import sys


def main(spec_path: str) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)

    from service.errors import HeritageError
    from service.pipeline.flows import process

    def progress(pct: int, stage: str) -> None:
        print(json.dumps({"progress": int(pct), "stage": stage}), flush=True)

    def write(result: dict) -> None:
        with open(spec["result"], "w", encoding="utf-8") as f:
            json.dump(result, f)

    try:
        process(spec["inputs"], spec["out_dir"], metadata=spec["metadata"], options=spec["options"], progress=progress)
    except HeritageError as e:
        write({"ok": False, "code": e.code, "message": e.message})
        return 3
    write({"ok": True})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
