"""
points.py
---------

Point clouds (XYZ text, ASTM E57) become meshes: a museum that sends the
raw scanner output still gets an AR model. Points are centred before
meshing (Agisoft XYZ exports carry UTM coordinates around 6e5 m, which
lose precision in float32), normals are estimated and oriented, and open3d
Poisson reconstruction builds the surface; low-density Poisson faces
(the balloon it closes over holes) are trimmed. Colours are carried onto
the vertices.

NOTES
Ball pivoting was tried on the 62k-point bali-mask E57: holes at every
density change and 3x slower than Poisson depth 8 (2.1 s). Poisson depth 8
gives ~100k faces for a 60k-point scan, enough for the web levels.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import trimesh

from service.errors import InvalidScan
from service.messages import Message
from service.pipeline.exchange.meshes import finish
from service.pipeline.exchange.meshes import short
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)

# fraction of lowest-density Poisson vertices removed (surface invented far from points)
TRIM_QUANTILE = 0.03
MIN_POINTS = 10


def load_xyz(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int) -> Scene:
    """Read an XYZ text point cloud (x y z [r g b] per row) and mesh it."""
    try:
        data = np.loadtxt(path, comments=("#", "//"), ndmin=2, delimiter=None)
    except ValueError as e:
        raise InvalidScan(f"load: {path.name!r} is not a table of numbers ({short(e)}); export XYZ as 'x y z r g b'") from None
    if data.shape[1] < 3:
        raise InvalidScan(f"load: {path.name!r} has {data.shape[1]} columns; an XYZ file needs at least x y z")
    colours = None
    if data.shape[1] >= 6:
        rgb = data[:, 3:6]
        colours = rgb / 255.0 if rgb.max() > 1.0 else rgb
    return _scene(path, "xyz", data[:, :3], colours, max_faces=max_faces, max_image_pixels=max_image_pixels)


def load_e57(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int) -> Scene:
    """Read every scan of an E57 file (poses applied), with colours if present, and mesh it."""
    import pye57

    try:
        e57 = pye57.E57(str(path))
        points, colours = [], []
        for i in range(e57.scan_count):
            fields = e57.get_header(i).point_fields
            has_rgb = "colorRed" in fields
            scan = e57.read_scan(i, colors=has_rgb, ignore_missing_fields=True)
            points.append(np.column_stack([scan["cartesianX"], scan["cartesianY"], scan["cartesianZ"]]))
            if has_rgb:
                colours.append(np.column_stack([scan["colorRed"], scan["colorGreen"], scan["colorBlue"]]) / 255.0)
    except Exception as e:  # noqa: BLE001 - libE57Format raises plain exceptions for any damage
        raise InvalidScan(f"load: {path.name!r} could not be read as E57 ({short(e)})") from None
    if not points:
        raise InvalidScan(f"load: {path.name!r} contains no scans")
    xyz = np.concatenate(points)
    rgb = np.concatenate(colours) if colours and len(colours) == len(points) else None
    return _scene(path, "e57", xyz, rgb, max_faces=max_faces, max_image_pixels=max_image_pixels)


def _scene(path: Path, fmt: str, xyz: np.ndarray, colours: np.ndarray | None, *, max_faces: int, max_image_pixels: int) -> Scene:
    finite = np.isfinite(xyz).all(axis=1)
    if not finite.all():
        raise InvalidScan(f"load: {int((~finite).sum()):,} points have NaN or infinite coordinates; re-export the scan")
    if len(xyz) < MIN_POINTS:
        raise InvalidScan(f"load: {path.name!r} has only {len(xyz)} points; a mesh needs at least {MIN_POINTS}")
    mesh = mesh_points(xyz, colours)
    info = {"source_format": fmt, "source_file": path.name, "points": len(xyz), "meshed": "poisson"}
    scene = Scene(meshes=[mesh], up="+Z", info=info)
    scene.warnings.append(Message("load_point_cloud", name=path.name, points=len(xyz)))
    return finish(scene, max_faces=max_faces, max_image_pixels=max_image_pixels)


def mesh_points(xyz: np.ndarray, colours: np.ndarray | None = None, *, depth: int = 8) -> trimesh.Trimesh:
    """Poisson surface through points; returns a mesh in the input coordinates.

    Parameters
    ----------
    xyz : (n, 3) float
      Points.
    colours : (n, 3) float in 0..1 or None
      Point colours, carried to the mesh vertices.
    depth : int
      Octree depth: 8 gives ~100k faces for a dense scan.
    """
    import open3d as o3d

    centre = xyz.mean(axis=0)
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(xyz - centre))
    if colours is not None:
        pcd.colors = o3d.utility.Vector3dVector(np.clip(colours, 0, 1))
    spacing = float(np.mean(pcd.compute_nearest_neighbor_distance())) or 1e-3
    pcd.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=spacing * 6, max_nn=30))
    pcd.orient_normals_consistent_tangent_plane(min(15, len(xyz) - 1))
    # normals point away from the cloud's centre: scanned objects are seen from outside
    normals = np.asarray(pcd.normals)
    if np.mean(np.einsum("ij,ij->i", normals, np.asarray(pcd.points))) < 0:
        pcd.normals = o3d.utility.Vector3dVector(-normals)
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        surface, density = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(pcd, depth=depth, n_threads=2)
    density = np.asarray(density)
    surface.remove_vertices_by_mask(density < np.quantile(density, TRIM_QUANTILE))
    # keep the surface inside the points' bounds (Poisson overshoots at open borders)
    lo, hi = xyz.min(axis=0) - centre, xyz.max(axis=0) - centre
    surface = surface.crop(o3d.geometry.AxisAlignedBoundingBox(lo - spacing, hi + spacing))
    vertices = np.asarray(surface.vertices) + centre
    faces = np.asarray(surface.triangles)
    kwargs = {}
    if colours is not None and surface.has_vertex_colors():
        rgb = (np.clip(np.asarray(surface.vertex_colors), 0, 1) * 255).round().astype(np.uint8)
        kwargs["vertex_colors"] = np.column_stack([rgb, np.full(len(rgb), 255, np.uint8)])
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False, **kwargs)
    log.info("mesh_points: %d points -> %d faces", len(xyz), len(faces))
    return mesh


LOADERS = {"xyz": load_xyz, "e57": load_e57}
