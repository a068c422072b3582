"""Objects the pipeline was not tuned on (issue 16): a lobed vase and a fluted vase (concave
valleys), a figurine (a handle loop through which the photos see, a thin raised arm) and a
sharp-edged box, each from 28 photos on two rings with its true height declared.

Each is scored against its truth after the best rigid alignment (truth.align), as
benchmarks/photogrammetry_family.py does; the SfM sparse points are scored too, placed by the
similarity of the recovered camera centres onto the true ones, as the floor the result is held to.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import trimesh

from service.pipeline.flows import photogrammetry as flow
from service.pipeline.flows import process
from tests.pipeline.photogrammetry.synth import FAMILY
from tests.pipeline.photogrammetry.synth import camera_eyes
from tests.pipeline.photogrammetry.synth import write_photo_set
from tests.pipeline.photogrammetry.truth import align
from tests.pipeline.photogrammetry.truth import camera_similarity
from tests.pipeline.photogrammetry.truth import scale_error
from tests.pipeline.photogrammetry.truth import surface_scores
from tests.pipeline.photogrammetry.truth import visible_samples

pytestmark = pytest.mark.slow  # a full photogrammetry job per object: minutes on 2 shared cores

RINGS = [(15, 16), (50, 12)]
SIZE = (800, 600)
OPTIONS = {"mesh_faces": 20_000, "texture_size": 1024, "usdz": False}

# object -> (Chamfer bar, bar on Chamfer / the sparse points' accuracy), % of the diagonal: the
# issue's targets, 1 % and 2x, for every object. Measured (docs/photogrammetry.md, 800 x 600, 28
# photos, 2026-12-06, the benchmark and this test, with the outline check in dense.py):
BARS = {
    "lobed_vase": (1.0, 2.0),  # 0.34-0.41 %, 1.2x
    "fluted_vase": (1.0, 2.0),  # 0.42-0.44 %, 0.8-1.2x
    "figurine": (1.0, 2.0),  # 0.60-0.66 %, 1.5x; the thin arm and the handle loop are lost
    "box": (1.0, 2.0),  # 0.75-0.83 %, 1.6-1.8x (0.87-1.05 %, 1.7-2.8x before the outline check)
}


@pytest.fixture(scope="module", params=sorted(BARS))
def job(request, tmp_path_factory):
    """(name, truth, result mesh, sparse) for one family object, its photos rendered once."""
    name = request.param
    root = tmp_path_factory.mktemp(name)
    truth = FAMILY[name]()
    write_photo_set(truth, root / "photos", rings=RINGS, size=SIZE)
    caught = {}
    reconstruct = flow.reconstruct

    def spy(*args, **kwargs):
        caught["sparse"] = reconstruct(*args, **kwargs)
        return caught["sparse"]

    metadata = {
        "title": {"en": name},
        "kind": "photogrammetry",
        "dimensions": {"height": round(truth.extents[1] * 100, 4), "unit": "cm"},
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(flow, "reconstruct", spy)
        body = process([root / "photos"], root / "out", metadata=metadata, options=OPTIONS)
    result = trimesh.load(root / "out" / "master.glb", force="mesh")
    return name, truth, result, caught["sparse"], body


def test_family_object_matches_truth(job):
    name, truth, result, sparse, body = job
    assert body["photogrammetry"]["registered"] == sum(n for _, n in RINGS)
    diag = float(np.linalg.norm(truth.extents))
    eyes = camera_eyes(truth, RINGS, SIZE)
    tp, _ = visible_samples(truth, eyes, 20000)
    rp = result.sample(20000)
    T = align(rp, tp)
    rp = trimesh.transform_points(rp, T)
    got = surface_scores(rp, tp, diag)
    idx = [int(re.search(r"(\d+)", v.name).group(1)) for v in sparse.views]
    S = camera_similarity(np.array([v.centre for v in sparse.views]), eyes[idx])
    floor = surface_scores(trimesh.transform_points(sparse.points, S), tp, diag)["acc"]
    scale = scale_error(body["photogrammetry"]["cameras"], eyes)
    facts = f"{name}: {got}, sparse points {floor:.3f} %, scale {100 * scale:+.2f} %"
    print(facts)  # the spread in the docs comes from these lines (pytest -rA)
    bar, ratio = BARS[name]
    assert got["chamfer"] <= bar, facts
    # no worse than the SfM points it starts from by more than 2x (the bar)
    assert got["chamfer"] <= ratio * floor, facts
    # true size: a height measured short scaled the whole object up (issue 16: the fluted vase 5.3 %
    # too big while its base was cut off the photos); measured after: the vases and the figurine
    # 0.1-1.0 % too small, the box 2.4-2.6 % (its noisy flat top makes its 12 cm height measure tall)
    assert abs(scale) < (0.04 if name == "box" else 0.02), facts
    # framed with a margin all round: no photo cuts the object off, so no warning about it
    assert body["photogrammetry"]["cut_off"] == [], body["photogrammetry"]["cut_off"]
    assert not [w for w in body.get("warnings", []) if "edge of the frame" in w]
