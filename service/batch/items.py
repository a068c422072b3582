"""
items.py
--------

Read a collection into `Item`s: a folder tree (one sub-folder per artefact,
optional `metadata.json`) or a CSV/XLSX manifest (one row per artefact).
Readers only parse; `check.py` decides what is wrong. Problems that stop a
row from being read at all (a malformed number, an unparseable
metadata.json) are kept on the item so a dry run lists them with the rest.
"""

from __future__ import annotations

import csv
import datetime
import json
import logging
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from service.errors import InvalidManifest

log = logging.getLogger(__name__)

# column header (lower case, spaces/dashes -> "_") -> canonical field
COLUMNS = {
    "accession_number": "accession_number", "accession": "accession_number", "accession_no": "accession_number",
    "inventory_number": "accession_number", "so_hieu": "accession_number", "số_hiệu": "accession_number",
    "title_vi": "title_vi", "title_en": "title_en", "title": "title_en",
    "creator": "creator", "culture": "culture", "date": "date", "period": "date",
    "description": "description", "attribution": "attribution",
    "width": "width", "height": "height", "depth": "depth",
    "dimensions": "dimensions", "dimension_unit": "dimension_unit", "dimensions_unit": "dimension_unit",
    "unit": "dimension_unit",
    "scan_unit": "scan_unit", "up_axis": "up_axis",
    "licence": "licence", "license": "licence",
    "category": "category", "kind": "kind", "flat_kind": "flat_kind", "material": "flat_kind",
    "files": "files", "file": "files", "path": "files", "paths": "files", "folder": "files",
}
TEXT_FIELDS = ("accession_number", "creator", "culture", "date", "description", "attribution",
               "licence", "category", "kind", "flat_kind", "up_axis")
FILE_SEPARATORS = re.compile(r"[;|\n]")
METADATA_NAME = "metadata.json"
_DIMS = re.compile(r"^\s*([\d.,]+)\s*[x×*]\s*([\d.,]+)(?:\s*[x×*]\s*([\d.,]+))?\s*([a-z]+)?\s*$", re.IGNORECASE)


@dataclass
class Item:
    """One artefact to process.

    Attributes
    ----------
    key : str
      Stable identity across runs (the state file's key): accession number,
      else folder name or "row N".
    source : str
      Where it came from, for messages ("row 4", "folder amphora").
    metadata : dict
      Catalogue metadata as the API takes it (not yet validated).
    files : list of Path
      Files and folders to upload, absolute.
    problems : list of str
      What made the row unreadable; `check.check_items` adds the rest.
    """

    key: str
    source: str
    metadata: dict
    files: list[Path]
    problems: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        title = self.metadata.get("title") or {}
        if isinstance(title, str):
            return title
        return title.get("vi") or title.get("en") or self.key


def read_items(path: str | Path) -> list[Item]:
    """Read a collection from a folder tree, a .csv or an .xlsx file.

    Parameters
    ----------
    path : path
      Folder with one sub-folder per artefact, or a manifest file whose
      `files` column holds paths relative to the manifest.

    Returns
    -------
    items : list of Item
      In folder-name or row order.
    """
    path = Path(path)
    if path.is_dir():
        return read_folder(path)
    if not path.is_file():
        raise InvalidManifest(f"batch: {str(path)!r} not found; give a collection folder or a .csv/.xlsx manifest")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return rows_to_items(_csv_rows(path), path.parent)
    if suffix in (".xlsx", ".xlsm"):
        return rows_to_items(_xlsx_rows(path), path.parent)
    raise InvalidManifest(f"batch: {path.name!r} is not a folder, .csv or .xlsx; save the spreadsheet as .xlsx or .csv")


def read_folder(root: Path) -> list[Item]:
    """One item per sub-folder (hidden ones skipped); loose files at the top level are items too."""
    items = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name == METADATA_NAME:
            continue
        if entry.is_dir():
            items.append(_folder_item(entry))
        elif entry.is_file() and not entry.name.lower().endswith((".csv", ".xlsx", ".json", ".md", ".txt")):
            items.append(Item(key=entry.name, source=f"file {entry.name}", files=[entry.resolve()],
                              metadata={"title": {"en": entry.stem}}))
    if not items:
        raise InvalidManifest(f"batch: folder {str(root)!r} has no artefact sub-folders; put each artefact's files "
                              "in its own folder (with an optional metadata.json)")
    return items


def _folder_item(folder: Path) -> Item:
    problems = []
    metadata: dict = {}
    meta_file = folder / METADATA_NAME
    if meta_file.is_file():
        try:
            metadata = json.loads(meta_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            problems.append(f"{METADATA_NAME}: not valid JSON ({e}); fix it or delete it")
        if not isinstance(metadata, dict):
            problems.append(f"{METADATA_NAME}: expected a JSON object, got {type(metadata).__name__}")
            metadata = {}
    metadata.setdefault("title", {"en": folder.name})
    files = [p.resolve() for p in sorted(folder.iterdir()) if p.name != METADATA_NAME and not p.name.startswith(".")]
    key = str(metadata.get("accession_number") or folder.name)
    return Item(key=key, source=f"folder {folder.name}", metadata=metadata, files=files, problems=problems)


def _csv_rows(path: Path) -> list[dict]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidManifest(f"batch: {path.name!r} is not UTF-8; in Excel use Save As > "
                              "'CSV UTF-8 (Comma delimited)'") from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.DictReader(text.splitlines(), dialect=dialect))


def _xlsx_rows(path: Path) -> list[dict]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise InvalidManifest(f"batch: cannot open {path.name!r} as a spreadsheet ({e}); re-save it as .xlsx") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise InvalidManifest(f"batch: {path.name!r} is empty; the first row must hold column names")
    names = [str(h).strip() if h is not None else "" for h in header]
    out = []
    for values in rows:
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append({n: v for n, v in zip(names, values) if n})
    book.close()
    return out


def rows_to_items(rows: list[dict], base: Path) -> list[Item]:
    """Turn manifest rows (header -> cell) into items; paths are relative to `base`.

    Row numbers in messages count the header as row 1, as a spreadsheet shows them.
    """
    if not rows:
        raise InvalidManifest("batch: the manifest has no rows under its header")
    fields = {_canonical(h) for h in rows[0]}
    if "files" not in fields:
        raise InvalidManifest("batch: the manifest has no `files` column; add one with each artefact's file "
                              "or folder paths (separate several with ';')")
    if not fields & {"title_vi", "title_en"}:
        raise InvalidManifest("batch: the manifest has no `title_vi` or `title_en` column")
    items = []
    for number, row in enumerate(rows, start=2):
        cells = {}
        for header, value in row.items():
            name = _canonical(header)
            if name and value is not None and str(value).strip() != "":
                cells[name] = value
        if not cells:
            continue
        items.append(_row_item(cells, number, base))
    return items


def _canonical(header: object) -> str | None:
    if header is None:
        return None
    return COLUMNS.get(re.sub(r"[\s\-./]+", "_", str(header).strip().lower()))


def _row_item(cells: dict, number: int, base: Path) -> Item:
    problems: list[str] = []
    md: dict = {}
    title = {lang: str(cells[f"title_{lang}"]).strip() for lang in ("vi", "en") if f"title_{lang}" in cells}
    if title:
        md["title"] = title
    for name in TEXT_FIELDS:
        if name in cells:
            md[name] = _text(cells[name])
    if "scan_unit" in cells:
        md["unit"] = _text(cells["scan_unit"])
    dims = _dimensions(cells, problems)
    if dims:
        md["dimensions"] = dims
    files = []
    for part in FILE_SEPARATORS.split(str(cells.get("files", ""))):
        if part.strip():
            p = Path(part.strip()).expanduser()
            files.append((p if p.is_absolute() else base / p).resolve())
    key = str(md.get("accession_number") or f"row {number}")
    return Item(key=key, source=f"row {number}", metadata=md, files=files, problems=problems)


def _text(value: object) -> str:
    # spreadsheets turn accession numbers like 1987 into floats, and dates into datetimes
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _dimensions(cells: dict, problems: list[str]) -> dict:
    unit = _text(cells.get("dimension_unit", "cm")).lower()
    dims: dict = {}
    if "dimensions" in cells:
        m = _DIMS.match(str(cells["dimensions"]))
        if m is None:
            problems.append(f"dimensions: cannot read {cells['dimensions']!r}; write width x height [x depth] unit, "
                            "e.g. '20 x 32 x 15 cm'")
        else:
            w, h, d, u = m.groups()
            dims.update(width=_number(w), height=_number(h))
            if d:
                dims["depth"] = _number(d)
            unit = (u or unit).lower()
    for name in ("width", "height", "depth"):
        if name in cells:
            try:
                dims[name] = _number(cells[name])
            except ValueError:
                problems.append(f"{name}: {cells[name]!r} is not a number")
    if dims:
        dims["unit"] = unit
    return dims


def _number(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float(str(value).strip().replace(",", "."))
