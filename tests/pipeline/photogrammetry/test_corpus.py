"""Real photo sets from the corpus: the socketed axe (22 photos with masks, a
turntable ring) and the buddha head (6 photos on a table with markers).
Heavy, so marked slow, and run at reduced image sizes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import trimesh
from PIL import Image

from service.pipeline.run import process
from tests.pipeline.photogrammetry.truth import silhouette

FAST = {
    "max_image_side": 1200,
    "dense_side": 560,
    "dense_planes": 56,
    "voxels": 192,
    "mesh_faces": 15_000,
    "texture_size": 1024,
    "usdz": False,
}


@pytest.mark.slow
def test_socketed_axe_registers_all_and_matches_masks(corpus, tmp_path):
    src = corpus / "photosets" / "socketed-axe"
    files = sorted((src / "images").iterdir()) + sorted((src / "masks").iterdir())
    metadata = {
        "title": {"en": "Socketed axe"},
        "kind": "photogrammetry",
        "scale_bar": _scale_bar(src),
    }
    body = process(files, tmp_path / "out", metadata=metadata, options=FAST)
    facts = body["photogrammetry"]
    assert facts["registered"] == 22, facts["not_placed"]
    assert facts["photos"]["masks"] == 22 and facts["photos"]["downscaled"] == 22
    mesh = trimesh.load(tmp_path / "out" / "master.glb", force="mesh")
    # the 8 cm bar on the colour chart gives true size: a hand-sized bronze axe
    assert facts["scale"]["source"] == "scale bar"
    assert 0.05 < mesh.extents.max() < 0.25
    ious = []
    for cam in facts["cameras"]:
        K = np.array(cam["K"])
        w, h = cam["size"]
        small = 0.25
        Ks = K.copy()
        Ks[:2] *= small
        sil = silhouette(
            mesh, np.array(cam["world_to_camera"]), Ks, (round(w * small), round(h * small))
        )
        name = cam["photo"].rsplit(".", 1)[0] + "_mask.JPG"
        mask = np.asarray(Image.open(src / "masks" / name).convert("L").resize((w, h)))
        mask = cv2.undistort(mask, K, np.array([cam["k1"], 0, 0, 0]))
        mask = cv2.resize(mask, sil.shape[::-1], interpolation=cv2.INTER_AREA) > 127
        ious.append((sil & mask).sum() / (sil | mask).sum())
    assert np.mean(ious) >= 0.9, np.round(ious, 3)


def _scale_bar(src) -> dict:
    """The corpus' Agisoft scale bar (two chart markers in IMG_8859/IMG_8860) as metadata."""
    import xml.etree.ElementTree as ET

    root = ET.parse(src / "cameras" / "Socketed_axe_markers.xml").getroot()
    labels = {c.get("id"): c.get("label") for c in root.iter("camera")}
    points = {}
    for marker in root.iter("marker"):
        for loc in marker.iter("location"):
            points.setdefault(marker.get("marker_id"), []).append(
                {
                    "photo": labels[loc.get("camera_id")],
                    "xy": [float(loc.get("x")), float(loc.get("y"))],
                }
            )
    metres = float(next(root.iter("reference")).get("d"))
    return {"distance": metres * 100, "unit": "cm", "points": [points["0"], points["1"]]}


@pytest.mark.slow
def test_buddha_places_all_six_photos(corpus, tmp_path):
    files = sorted((corpus / "photosets" / "buddha-head" / "images").iterdir())
    metadata = {
        "title": {"en": "Buddha head"},
        "kind": "photogrammetry",
        "dimensions": {"height": 30, "unit": "cm"},
    }
    body = process(files, tmp_path / "out", metadata=metadata, options={**FAST, "min_photos": 6})
    facts = body["photogrammetry"]
    assert facts["registered"] == 6
    mesh = trimesh.load(tmp_path / "out" / "master.glb", force="mesh")
    assert mesh.extents[1] == pytest.approx(0.30, rel=0.01)
    assert len(mesh.faces) > 1000 and mesh.visual.material.baseColorTexture is not None
    # plausible: one object, not a sheet of table
    assert mesh.extents.max() < 3 * mesh.extents[1]
