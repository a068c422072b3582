"""Synthetic truth: render a textured open bowl (concave) from 28 views, run the
photogrammetry job, align the result to the truth and measure it."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import trimesh
from PIL import Image
from PIL import ImageFilter
from scipy.spatial import cKDTree

from service.pipeline.flows import process
from service.pipeline.photogrammetry.colmap_dense import cuda_available
from tests.pipeline.photogrammetry.synth import bowl
from tests.pipeline.photogrammetry.synth import camera_eyes
from tests.pipeline.photogrammetry.synth import truth_colour
from tests.pipeline.photogrammetry.synth import vase
from tests.pipeline.photogrammetry.synth import write_photo_set
from tests.pipeline.photogrammetry.truth import align
from tests.pipeline.photogrammetry.truth import chamfer
from tests.pipeline.photogrammetry.truth import refine
from tests.pipeline.photogrammetry.truth import render_texture
from tests.pipeline.photogrammetry.truth import visible_samples

pytestmark = pytest.mark.slow  # a full photogrammetry job: minutes on 2 shared cores

RINGS = [(15, 16), (50, 12)]
# 0.5 MP: at 640 x 480 the bowl measured 0.84-1.03 % Chamfer between runs (SfM varies), too close
# to the 1 % bar to be a stable test; at 800 x 600, 0.57-0.76 % (2026-11-22)
SIZE = (800, 600)
# small and fast: the test budget is minutes on 2 shared cores
OPTIONS = {"mesh_faces": 20_000, "texture_size": 1024, "usdz": False}


@pytest.fixture(scope="module")
def bowl_job(tmp_path_factory):
    """The job's output for 28 photos of a 24 cm x 10 cm bowl declared 10 cm high.

    The photos are HEIC with EXIF, as an iPhone takes them (JPEG: the axe set; PNG: the buddha).
    """
    root = tmp_path_factory.mktemp("bowl")
    truth = bowl()
    write_photo_set(truth, root / "photos", rings=RINGS, size=SIZE, fmt="heic")
    stages = []
    metadata = {
        "title": {"en": "Bowl"},
        "kind": "photogrammetry",
        "dimensions": {"height": 10, "unit": "cm"},
    }
    body = process(
        [root / "photos"],
        root / "out",
        metadata=metadata,
        options=OPTIONS,
        progress=lambda p, s: stages.append((p, s)),
    )
    result = trimesh.load(root / "out" / "master.glb", force="mesh")
    body["_photos"] = root / "photos"
    return truth, result, body, stages


@pytest.fixture(scope="module")
def vase_job(tmp_path_factory):
    """A second object: a closed 16 cm vase with a bulge and a waist, 28 JPEG photos, declared height.

    Two more photos make the vetting drop them (issue 16: a dropped photo crashed the job at 88 %):
    the shutter pressed twice on view 0, and a blurred shot after view 5.
    """
    root = tmp_path_factory.mktemp("vase")
    truth = vase()
    photos = root / "photos"
    write_photo_set(truth, photos, rings=RINGS, size=SIZE)
    with Image.open(photos / "view_000.jpg") as im:
        exif = im.getexif()
        im.save(photos / "view_000b.jpg", quality=90, exif=exif.tobytes())
    with Image.open(photos / "view_005.jpg") as im:
        exif = im.getexif()
        im.filter(ImageFilter.GaussianBlur(5)).save(photos / "view_005b.jpg", quality=95, exif=exif.tobytes())
    metadata = {"title": {"en": "Vase"}, "kind": "photogrammetry", "dimensions": {"height": 16, "unit": "cm"}}
    body = process([root / "photos"], root / "out", metadata=metadata, options=OPTIONS)
    return truth, trimesh.load(root / "out" / "master.glb", force="mesh"), body


@pytest.mark.slow
def test_an_object_the_photos_cut_off_is_a_warning(tmp_path):
    """Photos taken too close cut the vase's base and rim off: its size cannot be measured, and the
    photographer is told so, naming the photos (issue 16: such a set came out 5 % too big, silently)."""
    rings = [(15, 10), (50, 8)]
    write_photo_set(vase(), tmp_path / "photos", rings=rings, size=(640, 480), closer=0.8)
    metadata = {"title": {"en": "Vase"}, "kind": "photogrammetry", "dimensions": {"height": 16, "unit": "cm"}}
    body = process([tmp_path / "photos"], tmp_path / "out", metadata=metadata, options=OPTIONS)
    facts = body["photogrammetry"]
    assert len(facts["cut_off"]) > facts["registered"] / 2, facts["cut_off"]
    assert set(facts["cut_off"]) <= set(facts["placed"])
    (warning,) = [w for w in body["warnings"] if "edge of the frame" in w]
    assert f"in {len(facts['cut_off'])} of {facts['registered']} photos" in warning


def _aligned(truth, result):
    eyes = camera_eyes(truth, RINGS, SIZE)
    tp, tn = visible_samples(truth, eyes, 15000)
    rp = result.sample(15000)
    T = align(rp, tp)
    return tp, tn, rp @ T[:3, :3].T + T[:3, 3]


def test_bowl_geometry_matches_truth(bowl_job):
    truth, result, _, _ = bowl_job
    tp, _, rp = _aligned(truth, result)
    diag = np.linalg.norm(truth.extents)
    assert chamfer(rp, tp) <= 0.01 * diag
    # the inside is recovered: points deep in the bowl exist in the result
    inside = tp[(np.hypot(tp[:, 0], tp[:, 2]) < 0.05) & (tp[:, 1] > 0.015)]
    assert len(inside) > 100
    assert np.median(cKDTree(rp).query(inside)[0]) < 0.01 * diag


def test_bowl_height_is_declared_height(bowl_job):
    _, result, body, _ = bowl_job
    assert result.bounds[0, 1] == pytest.approx(0.0, abs=1e-6)
    assert result.extents[1] == pytest.approx(0.10, rel=0.01)
    assert body["photogrammetry"]["scale"]["source"] == "declared height"


def test_bowl_texture_colour_matches_truth(bowl_job):
    """Seen from a photo's recovered camera, the textured result looks like the photo."""
    _, result, body, _ = bowl_job
    rendered, photos = [], []
    for cam in body["photogrammetry"]["cameras"][::4]:
        render, hit = render_texture(result, cam, SIZE[1])
        photo = np.asarray(Image.open(body["_photos"] / cam["photo"]).convert("RGB"))
        both = hit & (photo.astype(int).sum(2) < 3 * 230)  # the object, not the backdrop
        rendered.append(cv2.GaussianBlur(render, (0, 0), 2).astype(float)[both])
        photos.append(cv2.GaussianBlur(photo, (0, 0), 2).astype(float)[both])
    a, b = np.concatenate(rendered), np.concatenate(photos)
    assert np.abs(a.mean(0) - b.mean(0)).max() < 8  # exposure and white balance kept
    error = np.abs(a - b).mean()
    unrelated = np.abs(a - np.random.default_rng(0).permutation(b)).mean()
    assert error < 0.6 * unrelated, (error, unrelated)


def colour_at_matching_points(truth, result, body) -> tuple[float, float, np.ndarray, float]:
    """(mean error, error against unrelated points, per-channel mean difference, share of the
    result on the seen truth) of the result's texture colour against the truth's colour.

    A round object leaves its turn about +Y free to shape alone, so the alignment starts from
    the recovered camera centres fitted onto the true ones, then ICP. Colours are compared as
    averages over 1.5 % of the diagonal on both sides: the surface is off by ~0.7 % of the
    diagonal (median), more than the truth texture's finest 4 mm noise.
    """
    diag = np.linalg.norm(truth.extents)
    eyes = camera_eyes(truth, RINGS, SIZE)
    found = {c["photo"]: np.array(c["world_to_camera"]) for c in body["photogrammetry"]["cameras"]}
    names = sorted(found)
    centres = np.array([-found[n][:3, :3].T @ found[n][:3, 3] for n in names])
    truth_eyes = eyes[[int(n.split("_")[1].split(".")[0]) for n in names]]
    start = trimesh.registration.procrustes(centres, truth_eyes, reflection=False, scale=True, return_cost=False)
    tp, tn = visible_samples(truth, eyes, 30000)
    textured = result.copy()  # trimesh samples colours from a simple material's image
    textured.visual = trimesh.visual.TextureVisuals(uv=result.visual.uv, image=result.visual.material.baseColorTexture)
    rp, _, colours = trimesh.sample.sample_surface(textured, 30000, sample_color=True, seed=0)
    rp = trimesh.transform_points(np.asarray(rp), start)
    T = refine(rp, tp, np.eye(4))
    rp = rp @ T[:3, :3].T + T[:3, 3]
    truth_rgb = truth_colour(tp, tn) * 255
    result_rgb = np.asarray(colours)[:, :3].astype(float)
    probes = rp[:: len(rp) // 3000]
    r = 0.015 * diag
    got = np.array([result_rgb[i].mean(0) for i in cKDTree(rp).query_ball_point(probes, r)])
    near = cKDTree(tp).query_ball_point(probes, r)
    seen = np.array([len(i) > 0 for i in near])
    want = np.array([truth_rgb[i].mean(0) for i, ok in zip(near, seen) if ok])
    got = got[seen]
    error = float(np.abs(got - want).mean())
    unrelated = float(np.abs(got - np.random.default_rng(0).permutation(want)).mean())
    return error, unrelated, got.mean(0) - want.mean(0), float(seen.mean())


def test_bowl_texture_colour_matches_truth_at_matching_points(bowl_job):
    """The issue's check: aligned to the truth, the result's texture colour at a point is the truth's there."""
    truth, result, body, _ = bowl_job
    error, unrelated, shift, seen = colour_at_matching_points(truth, result, body)
    assert seen > 0.8  # most of the result lies on the surface the cameras saw
    assert np.abs(shift).max() < 8  # no colour cast or exposure shift
    # measured 6.4 levels against 37 for unrelated points (2026-11-22)
    assert error < 12 and error < 0.3 * unrelated, (error, unrelated)


def test_vase_geometry_height_and_colour_match_truth(vase_job):
    truth, result, body = vase_job
    tp, _, rp = _aligned(truth, result)
    assert chamfer(rp, tp) <= 0.01 * np.linalg.norm(truth.extents)
    assert result.extents[1] == pytest.approx(0.16, rel=0.01)
    assert body["photogrammetry"]["registered"] == 28
    dropped = body["photogrammetry"]["dropped"]
    assert sorted(dropped) == ["view_000b.jpg", "view_005b.jpg"]
    assert dropped["view_000b.jpg"].startswith("duplicate of view_000.jpg")
    assert dropped["view_005b.jpg"].startswith("blurred")
    assert any("2 photos dropped" in w for w in body["warnings"])
    error, unrelated, shift, seen = colour_at_matching_points(truth, result, body)
    assert seen > 0.8 and np.abs(shift).max() < 8
    assert error < 12 and error < 0.3 * unrelated, (error, unrelated)


def test_bowl_manifest_and_progress(bowl_job):
    _, result, body, stages = bowl_job
    facts = body["photogrammetry"]
    assert facts["registered"] == 28 and facts["not_placed"] == {}
    # HEIC decoded, and its EXIF focal length used for the intrinsics
    assert sorted(p.suffix for p in body["_photos"].iterdir()) == [".heic"] * 28
    assert facts["photos"]["focal_from_exif"] is True
    assert [e["step"] for e in body["recipe"]][:2] == ["photogrammetry", "derive"]
    assert body["recipe"][0]["options"]["dense_method"] == facts["dense"]["method"]
    assert facts["dense"]["method"] == ("colmap-cuda" if cuda_available() else "plane-sweep")
    assert set(facts["seconds"]) >= {
        "photos",
        "sparse",
        "dense",
        "mesh",
        "texture",
        "orient",
        "derive",
    }
    names = [s for _, s in stages]
    for stage in (
        "features, matching and sparse reconstruction",
        "dense geometry",
        "meshing and cleaning",
        "uv atlas and texture",
        "orientation and scale",
    ):
        assert stage in names
    pcts = [p for p, _ in stages]
    assert pcts == sorted(pcts)
    assert body["files"]["master.glb"]["role"] == "master"
    material = result.visual.material
    assert material.baseColorTexture is not None and material.metallicFactor == 0
    json.dumps({k: v for k, v in body.items() if k != "_photos"})  # the manifest body is plain JSON
