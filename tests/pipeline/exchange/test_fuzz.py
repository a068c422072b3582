"""Fuzzing the readers (issue 15): mutated corpus files of every format are loaded or cleanly refused.

Each example takes a valid corpus file (or a generated FBX), mutates it (truncation, byte
flips, huge counts, wrong JSON types) and runs what a scan job runs before `derive`: the
loader (with the assimp fallback) and the normalisation recipe. The outcome must be a
scene or a `HeritageError` with a one-line message, within the time limit; any other
exception, a hang or a dead interpreter fails the test. The default suite runs a short
budget; a long run:

    HERITAGE_AR_FUZZ_EXAMPLES=2000 pytest tests/pipeline/exchange/test_fuzz.py -q
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from service.errors import HeritageError
from service.pipeline.exchange import load
from service.pipeline.flows.scan import scan_recipe
from service.pipeline.steps import run_recipe
from tests.fixtures import CORPUS

EXAMPLES = int(os.environ.get("HERITAGE_AR_FUZZ_EXAMPLES", "100"))
TIME_LIMIT_S = 60.0  # a hang, not a slow file on a busy machine

# (main file, side files), relative to the corpus; the main file is the one mutated
SEEDS = [
    ("formats/Duck.glb", []),
    ("formats/duck-gltf/Duck.gltf", ["formats/duck-gltf/Duck0.bin", "formats/duck-gltf/DuckCM.png"]),
    ("formats/fuze-obj-ply/fuze.obj", ["formats/fuze-obj-ply/fuze.obj.mtl", "formats/fuze-obj-ply/fuze uv.jpg"]),
    ("formats/fuze-obj-ply/fuze.ply", ["formats/fuze-obj-ply/fuze uv.jpg"]),
    ("formats/fuze-obj-ply/fuze_ascii.ply", ["formats/fuze-obj-ply/fuze uv.jpg"]),
    ("formats/teapot.stl", []),
    ("formats/multibody.stl", []),
    ("formats/comments.off", []),
    ("formats/duck-dae/duck_triangulate.dae", ["formats/duck-dae/images/duckCM.jpg"]),
    ("formats/pyramids.3mf", []),
    ("formats/points_agisoft.xyz", []),
    ("fbx/box.fbx", ["fbx/t.png"]),
]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> Path:
    """The seed files in one folder: corpus copies plus a binary FBX written here."""
    from tests.pipeline.fbx_binary import write_fbx
    from tests.pipeline.scenes import gradient

    root = tmp_path_factory.mktemp("seeds")
    for main, side in SEEDS:
        for rel in [main, *side]:
            if rel.startswith("fbx/"):
                continue
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / rel, root / rel)
    (root / "fbx").mkdir()
    box = trimesh.creation.box(extents=[1.0, 2.0, 3.0])
    box.visual = trimesh.visual.TextureVisuals(uv=np.zeros((len(box.vertices), 2)))
    gradient(8).save(root / "fbx" / "t.png")
    write_fbx(root / "fbx" / "box.fbx", box, texture="t.png")
    return root


_NUMBER = re.compile(rb"\d+")


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    """One mutation of a file's bytes."""
    if not data:
        return data
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            out[rng.randrange(len(out))] ^= rng.randint(1, 255)
        return bytes(out)
    if kind == "huge-count":
        numbers = list(_NUMBER.finditer(data[:65536]))
        if numbers and (data[:1].isalpha() or data[:1] in b"{<#;"):
            m = rng.choice(numbers)
            return data[: m.start()] + rng.choice([b"4294967295", b"99999999999", b"2147483648", b"-1"]) + data[m.end() :]
        at = rng.randrange(max(1, min(len(data), 4096) - 4))
        return data[:at] + rng.choice([b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80"]) + data[at + 4 :]
    if kind == "wrong-type":
        try:
            doc = json.loads(data)
        except ValueError:
            return mutate(data, "flip", rng)
        _retype(doc, rng)
        return json.dumps(doc).encode()
    raise ValueError(kind)


def _retype(doc, rng: random.Random) -> None:
    # walk down a random path of the JSON and replace one value with another type
    node = doc
    for _ in range(rng.randint(1, 4)):
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = rng.choice(keys)
        child = node[key]
        if not isinstance(child, (dict, list)) or rng.random() < 0.3:
            node[key] = rng.choice(["text", -1, 1e308, None, [], {}, [1, 2], True, 4294967295])
            return
        node = child


def _run(files: list[Path]) -> str:
    """What a scan job does before derive; 'ok' or the refusal's code."""
    try:
        scene = load(files, max_faces=500_000, max_image_pixels=16_000_000)
        run_recipe(scene, scan_recipe({}))
    except HeritageError as e:
        assert e.message and "\n" not in e.message and "Traceback" not in e.message
        return e.code
    return "ok"


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    seed=st.sampled_from(SEEDS),
    kind=st.sampled_from(["truncate", "flip", "huge-count", "wrong-type"]),
    salt=st.integers(0, 2**32 - 1),
)
def test_mutated_files_load_or_are_refused_cleanly(seeds, seed, kind, salt):
    main, side = seed
    rng = random.Random(salt)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        tmp = Path(tmp)
        files = []
        for rel in [main, *side]:
            dst = tmp / Path(rel).name
            shutil.copyfile(seeds / rel, dst)
            files.append(dst)
        files[0].write_bytes(mutate(files[0].read_bytes(), kind, rng))
        t0 = time.perf_counter()
        _run(files)
        assert time.perf_counter() - t0 < TIME_LIMIT_S, f"{main} ({kind}, salt {salt}) took too long"

