"""A five-artefact test collection (generated fixtures + small corpus files, one broken) as CSV, XLSX or folders.

BT-2024-001 generated textured OBJ zip (scan), 002 corpus Duck.glb, 003 corpus fuze OBJ+MTL+JPG as a folder,
004 a generated photo of a lacquer painting (flat, 40 x 30 cm), 005 a broken GLB (valid header, garbage JSON).
"""

from __future__ import annotations

import csv
import json
import shutil
import struct
from pathlib import Path

from tests.fixtures import textured_obj_zip

FIELDS = ("accession_number", "title_vi", "title_en", "creator", "culture", "date", "width", "height", "depth",
          "unit", "licence", "category", "kind", "flat_kind", "files")

# accession -> what the server should make of it
BROKEN = "BT-2024-005"


def broken_glb(path: Path) -> Path:
    """A file that looks like GLB to a sniffer (magic, version) but whose JSON chunk is garbage."""
    junk = b"{not json at all" + b" " * 4
    header = struct.pack("<4sII", b"glTF", 2, 12 + 8 + len(junk))
    path.write_bytes(header + struct.pack("<I4s", len(junk), b"JSON") + junk)
    return path


def painting_jpg(path: Path, size: tuple[int, int] = (480, 360)) -> Path:
    """A small 'lacquer painting' photo: a red/gold gradient with a dark border, 4:3."""
    import numpy as np
    from PIL import Image

    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([120 + 100 * x / w, 30 + 150 * y / h, 20 + 0 * x], axis=-1).astype(np.uint8)
    img[:12], img[-12:], img[:, :12], img[:, -12:] = 20, 20, 20, 20
    Image.fromarray(img).save(path, quality=90)
    return path


def make_collection(root: Path, corpus: Path) -> list[dict]:
    """Write the files under `root` and return manifest rows (paths relative to `root`)."""
    root.mkdir(parents=True, exist_ok=True)
    textured_obj_zip(root / "hop-go.zip")
    fuze = root / "fuze"
    fuze.mkdir(exist_ok=True)
    for name in ("fuze.obj", "fuze.obj.mtl", "fuze uv.jpg"):
        shutil.copy(corpus / "formats" / "fuze-obj-ply" / name, fuze / name)
    broken_glb(root / "vo-binh.glb")
    painting_jpg(root / "tranh-son-mai.jpg")
    common = {"creator": "", "culture": "Việt", "unit": "cm", "licence": "CC-BY-4.0", "category": "cultural-heritage",
              "kind": "scan"}
    rows = [
        {**common, "accession_number": "BT-2024-001", "title_vi": "Hộp gỗ sơn mài", "title_en": "Lacquered box",
         "date": "thế kỷ 19", "width": 20, "height": 30, "depth": 10, "files": "hop-go.zip"},
        {**common, "accession_number": "BT-2024-002", "title_vi": "Vịt gỗ khắc", "title_en": "Carved duck",
         "culture": "Đông Sơn", "files": str(corpus / "formats" / "Duck.glb")},
        {**common, "accession_number": "BT-2024-003", "title_vi": "Chai nước ngọt", "title_en": "Soda bottle",
         "height": 20, "files": "fuze"},
        {**common, "accession_number": "BT-2024-004", "title_vi": "Tranh sơn mài Phố cổ Hà Nội",
         "title_en": "Hanoi old quarter, lacquer", "creator": "Bùi Xuân Phái", "kind": "flat", "flat_kind": "lacquer",
         "width": 40, "height": 30, "category": "fine-arts", "files": "tranh-son-mai.jpg"},
        {**common, "accession_number": BROKEN, "title_vi": "Vò bình gốm vỡ", "title_en": "Broken jar",
         "files": "vo-binh.glb"},
    ]
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in FIELDS})
    return path


def write_xlsx(rows: list[dict], path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(FIELDS))
    for row in rows:
        sheet.append([row.get(k) if row.get(k) != "" else None for k in FIELDS])
    book.save(path)
    return path


def write_folders(rows: list[dict], root: Path, src: Path) -> Path:
    """The same collection as one folder per artefact with metadata.json."""
    root.mkdir(parents=True, exist_ok=True)
    for row in rows:
        folder = root / row["accession_number"]
        folder.mkdir()
        for part in row["files"].split(";"):
            p = Path(part) if Path(part).is_absolute() else src / part
            if p.is_dir():
                shutil.copytree(p, folder / p.name)
            else:
                shutil.copy(p, folder / p.name)
        md = {"title": {"vi": row["title_vi"], "en": row["title_en"]}, "accession_number": row["accession_number"],
              "licence": row["licence"], "kind": row["kind"]}
        dims = {k: float(row[k]) for k in ("width", "height", "depth") if row.get(k)}
        if dims:
            md["dimensions"] = {**dims, "unit": row["unit"]}
        if row.get("flat_kind"):
            md["flat_kind"] = row["flat_kind"]
        (folder / "metadata.json").write_text(json.dumps(md, ensure_ascii=False), encoding="utf-8")
    return root
