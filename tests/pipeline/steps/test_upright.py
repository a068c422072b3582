"""Up-axis detection: a base found on any axis stands the artefact upright; a declared axis wins."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from service.pipeline.exchange import load
from service.pipeline.flows import process
from service.pipeline.scene import Scene
from service.pipeline.steps import run_recipe
from service.pipeline.steps.orient_up import orient_up
from service.pipeline.steps.upright import AXES
from service.pipeline.steps.upright import detect_up
from tests.fixtures import CORPUS

# rotations that take +Y (the statue's up) to each axis
_FROM_Y = {
    "+Y": np.eye(4),
    "-Y": trimesh.transformations.rotation_matrix(np.pi, [1, 0, 0]),
    "+Z": trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]),
    "-Z": trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]),
    "+X": trimesh.transformations.rotation_matrix(-np.pi / 2, [0, 0, 1]),
    "-X": trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1]),
}
ROT_X = trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0])
ROT_Z = trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1])


def statue() -> trimesh.Trimesh:
    """A plinth, a body and a head, +Y up: 76 cm tall, far more stable lying down."""
    plinth = trimesh.creation.box(extents=[0.3, 0.08, 0.24])
    plinth.apply_translation([0, 0.04, 0])
    body = trimesh.creation.cylinder(radius=0.08, height=0.5, sections=24)
    body.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    body.apply_translation([0, 0.33, 0])
    head = trimesh.creation.icosphere(subdivisions=2, radius=0.1)
    head.apply_translation([0.02, 0.66, 0.03])
    return trimesh.util.concatenate([plinth, body, head])


def turned(mesh: trimesh.Trimesh, matrix: np.ndarray) -> trimesh.Trimesh:
    out = mesh.copy()
    out.apply_transform(matrix)
    return out


def up_after(matrix: np.ndarray, up: str) -> str:
    """The axis name `up` points along after `matrix`."""
    v = matrix[:3, :3] @ np.eye(3)["XYZ".index(up[1])] * (1 if up[0] == "+" else -1)
    i = int(np.argmax(np.abs(v)))
    return ("+" if v[i] > 0 else "-") + "XYZ"[i]


@pytest.mark.parametrize("up", AXES)
@pytest.mark.parametrize("convention", ["+Y", "+Z"])
def test_statue_lying_any_way_is_stood_on_its_plinth(up, convention):
    found = detect_up([turned(statue(), _FROM_Y[up])], convention=convention)
    assert found["up"] == up
    assert found["detected"] is (up != convention)
    assert found["scores"][up] > 1.5 and sorted(found["scores"].values())[-2] < 0.2


@pytest.mark.parametrize(
    ("mesh", "reason"),
    [
        pytest.param(trimesh.creation.box(extents=[10, 20, 300]), "as good a base", id="tall-box"),
        pytest.param(trimesh.creation.box(extents=[1, 1, 1]), "as good a base", id="cube"),
        pytest.param(trimesh.creation.icosphere(subdivisions=3), "no base found", id="sphere"),
    ],
)
@pytest.mark.parametrize("convention", ["+Y", "+Z", "-X"])
def test_ambiguous_shapes_keep_the_convention(mesh, reason, convention):
    found = detect_up([mesh], convention=convention)
    assert found["up"] == convention and not found["detected"]
    assert reason in found["reason"]


def test_one_sided_surface_is_left_alone():
    # a range map / relief: a height field, whose rim would look like a base
    x, y = np.mgrid[-1:1:30j, -1:1:30j]
    v = np.c_[x.ravel(), y.ravel(), 0.3 * np.exp(-(x.ravel() ** 2 + y.ravel() ** 2))]
    a = (np.arange(29)[:, None] * 30 + np.arange(29)).ravel()
    faces = np.vstack([np.c_[a, a + 30, a + 1], np.c_[a + 1, a + 30, a + 31]])
    found = detect_up([trimesh.Trimesh(v, faces)], convention="+Y")
    assert found["up"] == "+Y" and not found["detected"]
    assert found["one_sided"] > 0.9 and "one-sided" in found["reason"]


def test_detected_axis_is_applied_recorded_and_warned():
    lying = Scene(meshes=[turned(statue(), _FROM_Y["-X"])], up="+Y", info={"source_format": "obj"})
    scene, ran = run_recipe(lying, [{"step": "orient_up", "options": {"up": None}}])
    lo, hi = scene.bounds
    assert hi - lo == pytest.approx([0.3, 0.76, 0.25], abs=1e-6)  # standing again
    decided = ran[0]["decided"]
    assert decided["up"] == "-X" and decided["source"] == "detected" and decided["convention"] == "+Y"
    assert decided["scores"]["-X"] > 1.5
    assert scene.info["up_source"] == "detected" and "decided" not in scene.info
    assert "up axis detected as -X (the obj convention is +Y)" in scene.warnings[0]
    assert "declare up_axis" in scene.warnings[0]


def test_declared_axis_beats_detection():
    lying = Scene(meshes=[turned(statue(), _FROM_Y["-X"])], up="+Y")
    scene = orient_up(lying, up="+Z")
    assert scene.info["decided"]["orient_up"] == {"up": "+Z", "source": "declared"}
    assert scene.warnings == []
    lo, hi = scene.bounds  # rotated as declared, even though it now lies on its side
    assert hi - lo == pytest.approx([0.76, 0.25, 0.3], abs=1e-6)


def test_axis_stated_by_the_file_is_trusted():
    lying = Scene(meshes=[turned(statue(), _FROM_Y["-X"])], up="+Y", info={"up_in_file": True})
    scene = orient_up(lying)
    assert scene.info["up_source"] == "file" and scene.warnings == []
    assert "scores" not in scene.info["decided"]["orient_up"]


def test_switching_detection_off_keeps_the_convention():
    lying = Scene(meshes=[turned(statue(), _FROM_Y["-X"])], up="+Y")
    scene = orient_up(lying, detect=False)
    assert scene.info["up_source"] == "format convention" and scene.warnings == []


def test_obj_lying_on_its_side_is_processed_upright(tmp_path):
    path = tmp_path / "statue.obj"
    turned(statue(), _FROM_Y["+Z"]).export(path)
    manifest = process([path], tmp_path / "out", metadata={"title": {"en": "Statue"}}, options={"usdz": False})
    assert manifest["dimensions_m"] == pytest.approx([0.3, 0.76, 0.25], abs=1e-6)
    step = next(s for s in manifest["recipe"] if s["step"] == "orient_up")
    assert step["options"] == {"up": None} and step["decided"]["up"] == "+Z"
    assert any("up axis detected as +Z" in w for w in manifest["warnings"])


# corpus scans; truth from renders of three orthographic views (docs/scan-pipeline.md)
CORPUS_SCANS = [
    pytest.param("scans/stanford-bunny/stanford-bunny.obj", "+Y", id="bunny"),
    pytest.param("scans/laurana/Laurana50k.ply", "+Y", id="laurana"),
    pytest.param("scans/nefertiti/nefertiti.obj", "+Z", id="nefertiti-z-up-obj"),
    pytest.param("formats/fuze-obj-ply/fuze.obj", "+Z", id="fuze-z-up-obj"),
    pytest.param("formats/teapot.stl", "+Z", id="teapot"),
    pytest.param("scans/bali-mask/mask-gltf-2.0_separated-valid.gltf", "+Y", id="bali-mask"),
    pytest.param("formats/Duck.glb", "+Y", id="duck"),
]


SIDE_FILES = {".mtl", ".bin", ".jpg", ".png"}


@pytest.fixture(scope="module")
def loaded():
    cache = {}

    def get(rel: str) -> Scene:
        if rel not in cache:
            path = CORPUS / rel
            sides = [p for p in path.parent.iterdir() if p.suffix.lower() in SIDE_FILES]
            cache[rel] = load([path, *sides])
        return cache[rel]

    return get


@pytest.mark.slow
@pytest.mark.parametrize(("rel", "truth"), CORPUS_SCANS)
@pytest.mark.parametrize(
    "matrix",
    [pytest.param(np.eye(4), id="as-is"), pytest.param(ROT_X, id="rot-x-90"), pytest.param(ROT_Z, id="rot-z-90")],
)
def test_corpus_scans_are_found_upright(loaded, rel, truth, matrix):
    scene = loaded(rel)
    meshes = [turned(m, matrix) for m in scene.meshes]
    found = detect_up(meshes, convention=scene.up)
    assert found["up"] == up_after(matrix, truth), found["reason"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        pytest.param("scans/igea/igea.ply", "no base found", id="igea-head-without-base"),
        pytest.param("scans/statue-rangemaps/lato270.ply", "one-sided", id="range-map"),
        pytest.param("formats/ballA.off", "no base found", id="ball"),
    ],
)
def test_corpus_scans_without_a_base_keep_the_convention(loaded, rel, reason):
    scene = loaded(rel)
    found = detect_up(scene.meshes, convention=scene.up)
    assert found["up"] == scene.up == "+Y" and not found["detected"]
    assert reason in found["reason"]


def test_collada_up_axis_is_read_and_trusted(tmp_path):
    """trimesh ignores COLLADA's <up_axis>; a Z_UP file must still stand up."""
    import shutil

    folder = tmp_path / "duck"
    shutil.copytree(CORPUS / "formats" / "duck-dae", folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    as_y = load(files)
    assert as_y.up == "+Y" and as_y.info["up_in_file"] is True
    dae = next(folder.glob("*.dae"))
    dae.write_text(dae.read_text().replace("<up_axis>Y_UP</up_axis>", "<up_axis>Z_UP</up_axis>"))
    as_z = load(files)
    assert as_z.up == "+Z" and as_z.info["up_in_file"] is True
    y_extents = np.ptp(np.concatenate([m.vertices for m in orient_up(as_y).meshes]), axis=0)
    z_scene = orient_up(as_z)
    assert z_scene.info["up_source"] == "file"
    # +Z turned to +Y: the file's Z extent is now the height, its Y extent the depth
    z_extents = np.ptp(np.concatenate([m.vertices for m in z_scene.meshes]), axis=0)
    assert z_extents == pytest.approx(y_extents[[0, 2, 1]], rel=1e-6)
