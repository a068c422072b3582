"""Real photo sets from the corpus: the socketed axe (22 photos with masks, a
turntable ring) and the buddha head (6 photos on a table with markers).
Heavy, so marked slow, and run at reduced image sizes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import trimesh
from PIL import Image

from service.pipeline.flows import process
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
    assert facts["cut_off"] == []  # the axe is whole in every photo
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
    print(f"axe: silhouette IoU mean {np.mean(ious):.3f}, worst {min(ious):.3f}")  # for the docs (-rA)
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
def test_buddha_is_one_upright_textured_head(corpus, tmp_path):
    src = corpus / "photosets" / "buddha-head"
    files = sorted((src / "images").iterdir())
    metadata = {
        "title": {"en": "Buddha head"},
        "kind": "photogrammetry",
        "dimensions": {"height": 30, "unit": "cm"},
    }
    # one SfM thread makes pycolmap's mapping repeatable: mean IoU 0.830 on every run here, where
    # two threads gave 0.817-0.835 between runs (2026-11-22), a margin too thin to leave to chance
    options = {**FAST, "min_photos": 6, "threads": 1}
    body = process(files, tmp_path / "out", metadata=metadata, options=options)
    facts = body["photogrammetry"]
    # the head runs off the frame in two photos (the first and the close top view, plainly) and touches
    # the edge in a third; three others show it whole, so its size is measured and no warning is due
    assert {"00006._c.png", "00042._c.png"} <= set(facts["cut_off"]) and len(facts["cut_off"]) <= 3
    assert not [w for w in body["warnings"] if "edge of the frame" in w]
    assert facts["registered"] == 6
    assert facts["orientation"]["up_from"] == "ground plane"
    mesh = trimesh.load(tmp_path / "out" / "master.glb", force="mesh")
    assert mesh.visual.material.baseColorTexture is not None
    # declared height, standing on the board (the fitted ground plane is y = 0): nothing below it
    assert mesh.extents[1] == pytest.approx(0.30, rel=0.01)
    assert mesh.vertices[:, 1].min() > -0.002
    # one piece: weld the UV seams, then the largest piece holds nearly every face
    welded = trimesh.Trimesh(mesh.vertices, mesh.faces)
    welded.merge_vertices()
    pieces = welded.split(only_watertight=False)
    assert max(len(p.faces) for p in pieces) >= 0.9 * len(mesh.faces)
    # a head, not the table: narrower than tall (measured 0.18 x 0.30 x 0.19 m)
    assert max(mesh.extents[0], mesh.extents[2]) < 0.8 * mesh.extents[1]
    # upright: the top knot stands over the middle of the footprint (measured 0.10 of the width;
    # 0.49 before the ground plane, when up came from the rolled photos)
    top = mesh.vertices[np.argmax(mesh.vertices[:, 1])]
    middle = (mesh.bounds[0] + mesh.bounds[1]) / 2
    assert np.hypot(*(top - middle)[[0, 2]]) < 0.2 * max(mesh.extents[0], mesh.extents[2])
    # the silhouette from each recovered camera covers the white head in its photo
    # (measured: mean IoU 0.835, worst 0.74, top-down view where the dome's rim is thin)
    ious = []
    for cam in facts["cameras"]:
        K = np.array(cam["K"])
        w, h = cam["size"]
        Ks = K.copy()
        Ks[:2] *= 0.25
        size = (round(w * 0.25), round(h * 0.25))
        sil = silhouette(mesh, np.array(cam["world_to_camera"]), Ks, size)
        photo = np.asarray(Image.open(src / "images" / cam["photo"]).convert("RGB").resize((w, h)))
        photo = cv2.undistort(photo, K, np.array([cam["k1"], 0, 0, 0]))
        head = head_mask(cv2.resize(photo, size, interpolation=cv2.INTER_AREA))
        ious.append((sil & head).sum() / (sil | head).sum())
    assert np.mean(ious) >= 0.8 and min(ious) >= 0.65, np.round(ious, 3)
    # the texture shows the grey-white plaster, not the brown board or table
    texels = np.asarray(mesh.visual.material.baseColorTexture.convert("RGB"))
    used = _used_texels(mesh, texels.shape[:2])
    lab = cv2.cvtColor(texels, cv2.COLOR_RGB2LAB).reshape(-1, 3)[used.ravel()].astype(int) - 128
    brown = (lab[:, 2] > 12).mean()  # b* of the board and table is 13-20, of the head -10 to 5
    print(f"buddha: silhouette IoU mean {np.mean(ious):.3f}, worst {min(ious):.3f}, brown texels {brown:.4f}")  # docs (-rA)
    assert brown < 0.02, brown  # measured 0.0004-0.009; 0.027 before the ground plane (table edge)


def head_mask(photo: np.ndarray) -> np.ndarray:
    """(h, w) bool: the buddha head in an RGB photo: the largest neutral-grey bright blob, holes filled.

    The board and table are yellow-brown (Lab b* 12-20), the markers black, the
    plaster head bluish grey (b* -10 to 5); checked by eye on all 6 photos.
    """
    lab = cv2.cvtColor(photo, cv2.COLOR_RGB2LAB).astype(int) - [0, 128, 128]
    grey = (lab[..., 2] < 6) & (np.hypot(lab[..., 1], lab[..., 2]) < 16) & (lab[..., 0] > 60)
    grey = cv2.morphologyEx(grey.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(grey)
    blob = (labels == 1 + np.argmax(stats[1:, cv2.CC_STAT_AREA])).astype(np.uint8)
    h, w = blob.shape
    outside = blob.copy()
    cv2.floodFill(outside, np.zeros((h + 2, w + 2), np.uint8), (0, 0), 1)
    blob |= 1 - outside
    return cv2.morphologyEx(blob, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8)) > 0


def _used_texels(mesh: trimesh.Trimesh, shape: tuple[int, int]) -> np.ndarray:
    """(h, w) bool: texels inside some face's UV triangle."""
    h, w = shape
    used = np.zeros(shape, np.uint8)
    tri = mesh.visual.uv[mesh.faces] * [w, h]
    tri[..., 1] = h - tri[..., 1]
    cv2.fillPoly(used, np.round(tri).astype(np.int32), 1)
    return used > 0
