"""Reading a collection: CSV, XLSX and folder trees give the same items; spreadsheet quirks are handled."""

from __future__ import annotations

import pytest

from service.batch.bundle import HashCache
from service.batch.bundle import build_parts
from service.batch.check import check_items
from service.batch.items import read_items
from service.errors import InvalidManifest
from tests.batch.collection import BROKEN
from tests.batch.collection import make_collection
from tests.batch.collection import write_csv
from tests.batch.collection import write_folders
from tests.batch.collection import write_xlsx


def test_csv_and_xlsx_read_the_same(tmp_path, corpus):
    rows = make_collection(tmp_path / "coll", corpus)
    from_csv = read_items(write_csv(rows, tmp_path / "coll" / "m.csv"))
    from_xlsx = read_items(write_xlsx(rows, tmp_path / "coll" / "m.xlsx"))
    assert [i.key for i in from_csv] == ["BT-2024-001", "BT-2024-002", "BT-2024-003", "BT-2024-004", "BT-2024-005"]
    assert [(i.key, i.metadata, i.files) for i in from_csv] == [(i.key, i.metadata, i.files) for i in from_xlsx]
    box = from_csv[0]
    assert box.metadata["title"] == {"vi": "Hộp gỗ sơn mài", "en": "Lacquered box"}
    assert box.metadata["dimensions"] == {"width": 20.0, "height": 30.0, "depth": 10.0, "unit": "cm"}
    assert box.metadata["licence"] == "CC-BY-4.0" and box.source == "row 2"
    assert from_csv[1].files == [(corpus / "formats" / "Duck.glb").resolve()]
    assert from_csv[2].files == [tmp_path / "coll" / "fuze"]


def test_folder_tree_reads_metadata_json(tmp_path, corpus):
    rows = make_collection(tmp_path / "src", corpus)
    items = read_items(write_folders(rows, tmp_path / "tree", tmp_path / "src"))
    assert [i.key for i in items] == [r["accession_number"] for r in rows]
    assert items[3].metadata["title"]["vi"] == "Tranh sơn mài Phố cổ Hà Nội"
    assert items[3].metadata["kind"] == "flat" and items[3].files[0].name == "tranh-son-mai.jpg"
    assert [f.name for f in items[2].files] == ["fuze"]
    assert items[3].metadata["dimensions"] == {"width": 40.0, "height": 30.0, "unit": "cm"}
    problems = check_items(items)
    assert problems.pop(BROKEN) == [] and all(p == [] for p in problems.values())  # broken only on the server


def test_folder_without_metadata_uses_its_name(tmp_path):
    (tmp_path / "tree" / "binh-gom").mkdir(parents=True)
    (tmp_path / "tree" / "binh-gom" / "scan.glb").write_bytes(b"glTF")
    (tmp_path / "tree" / "binh-gom" / "metadata.json").write_text("{oops")
    (tmp_path / "tree" / "tuong").mkdir()
    (tmp_path / "tree" / "tuong" / "tuong.stl").write_bytes(b"x")
    items = read_items(tmp_path / "tree")
    assert [(i.key, i.metadata["title"]) for i in items] == [("binh-gom", {"en": "binh-gom"}),
                                                             ("tuong", {"en": "tuong"})]
    assert "metadata.json: not valid JSON" in items[0].problems[0]


def test_spreadsheet_quirks(tmp_path):
    # European Excel: semicolons, BOM, a dimensions cell, number-looking accession, decimal commas, header variants
    text = ("\ufeffAccession No;Title VI;License;Dimensions;Files\n"
            "1987;Trống đồng;CC0-1.0;\"60 x 45,5 cm\";a.glb | b/c.obj\n"
            ";;;;\n"
            "X-2;Bình;CC0-1.0;wide;a.glb\n")
    (tmp_path / "m.csv").write_text(text, encoding="utf-8")
    first, second = read_items(tmp_path / "m.csv")
    assert first.key == "1987" and first.metadata["title"] == {"vi": "Trống đồng"}
    assert first.metadata["dimensions"] == {"width": 60.0, "height": 45.5, "unit": "cm"}
    assert first.files == [tmp_path / "a.glb", tmp_path / "b" / "c.obj"]
    assert second.source == "row 4" and "dimensions: cannot read 'wide'" in second.problems[0]


@pytest.mark.parametrize(("content", "name", "match"), [
    pytest.param("title_vi,licence\nA,CC0-1.0\n", "m.csv", "no `files` column", id="no-files-column"),
    pytest.param("files,licence\na.glb,CC0-1.0\n", "m.csv", "no `title_vi` or `title_en`", id="no-title-column"),
    pytest.param("title_vi,files\n", "m.csv", "no rows", id="empty"),
    pytest.param("x", "m.ods", "not a folder, .csv or .xlsx", id="ods"),
    pytest.param("not a zip", "m.xlsx", "cannot open 'm.xlsx'", id="bad-xlsx"),
])
def test_unreadable_manifests(tmp_path, content, name, match):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(InvalidManifest, match=match):
        read_items(tmp_path / name)


def test_xlsx_dates_and_numbers_read_as_text(tmp_path):
    import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Accession", "Title VI", "Date", "Height", "Files"])
    book.active.append([1987, "Trống đồng", datetime.datetime(1890, 5, 1), 63, "a.glb"])
    book.save(tmp_path / "m.xlsx")
    (item,) = read_items(tmp_path / "m.xlsx")
    assert (item.key, item.metadata["date"], item.metadata["dimensions"]) == ("1987", "1890-05-01",
                                                                              {"height": 63.0, "unit": "cm"})


def test_latin1_csv_is_refused_with_a_fix(tmp_path):
    (tmp_path / "m.csv").write_bytes("title_vi,files\nBình,a.glb\n".encode("cp1258", errors="replace").replace(
        b"?", b"\xe0"))
    with pytest.raises(InvalidManifest, match="CSV UTF-8"):
        read_items(tmp_path / "m.csv")


def test_folders_pack_reproducibly(tmp_path, corpus):
    make_collection(tmp_path / "coll", corpus)
    folder = tmp_path / "coll" / "fuze"
    cache = HashCache()
    parts = build_parts([folder], tmp_path / "scratch-a")
    again = build_parts([folder], tmp_path / "scratch-b")
    assert parts[0][0] == "fuze.zip" and parts[0][1].read_bytes() == again[0][1].read_bytes()
    assert cache.fingerprint(parts) == HashCache().fingerprint(again)
    (folder / "fuze.obj.mtl").write_text("newmtl changed\n")
    assert HashCache().fingerprint(build_parts([folder], tmp_path / "scratch-c")) != cache.fingerprint(parts)
