"""--dry-run: every planted problem is reported per row and nothing is uploaded."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service.batch.check import check_files
from service.batch.check import check_metadata
from service.cli import cli
from tests.batch.collection import make_collection
from tests.batch.collection import write_csv
from tests.batch.collection import write_xlsx
from tests.batch.conftest import server_artefacts
from tests.conftest import make_key


def planted(tmp_path, corpus, writer=write_csv, name="manifest.csv"):
    """The test collection with one planted error per row (row 6 is fine)."""
    rows = make_collection(tmp_path / "coll", corpus)
    (tmp_path / "coll" / "garbage.ply").write_bytes(b"\x00\x13binary junk from a failed copy" * 20)
    rows[0]["files"] = "hop-go.zip;missing/scan.obj"  # row 2: missing file
    rows[1]["licence"] = "CC-BY-4"  # row 3: unknown licence
    rows[2].update(kind="flat", width="", height="")  # row 4: flat without dimensions
    rows[3]["files"] = "garbage.ply"  # row 5: unreadable file
    rows[4]["files"] = "hop-go.zip"  # row 6: fine
    rows[4]["accession_number"] = "BT-2024-006"
    return writer(rows, tmp_path / "coll" / name)


@pytest.mark.parametrize(("writer", "name"), [
    pytest.param(write_csv, "manifest.csv", id="csv"),
    pytest.param(write_xlsx, "manifest.xlsx", id="xlsx"),
])
def test_dry_run_lists_every_planted_problem_and_uploads_nothing(live, tmp_path, corpus, writer, name):
    manifest = planted(tmp_path, corpus, writer, name)
    key = make_key(live.app)
    result = CliRunner().invoke(cli, ["batch", str(manifest), "--dry-run", "--jsonl", "--server", live.url,
                                      "--key", key])
    assert result.exit_code == 1, result.output
    checks = {c["source"]: c for c in map(json.loads, result.output.splitlines())}
    assert len(checks) == 5
    problems = {source: " | ".join(c["problems"]) for source, c in checks.items()}
    assert "file not found" in problems["row 2"] and "missing/scan.obj" in problems["row 2"]
    assert "unknown licence 'CC-BY-4'" in problems["row 3"] and "did you mean 'CC-BY-4.0'" in problems["row 3"]
    assert "flat artefact" in problems["row 4"] and "width or height" in problems["row 4"]
    assert "unreadable file 'garbage.ply'" in problems["row 5"]
    assert checks["row 6"]["ok"] and checks["row 6"]["problems"] == []
    assert all(len(checks[f"row {n}"]["problems"]) == 1 for n in (2, 3, 4, 5))
    assert server_artefacts(live.url, key) == []
    assert not list(manifest.parent.glob("*state*")) and not (manifest.parent / "manifest-report").exists()


def test_dry_run_text_output_names_rows(tmp_path, corpus):
    manifest = planted(tmp_path, corpus)
    result = CliRunner().invoke(cli, ["batch", str(manifest), "--dry-run"])
    assert result.exit_code == 1
    assert "row 3 (BT-2024-002):\n  - licence: unknown licence 'CC-BY-4'" in result.output
    assert "row 6 (BT-2024-006): ok" in result.output
    assert result.output.rstrip().endswith("5 artefacts, 4 with problems, nothing uploaded")


def test_a_clean_collection_passes(collection):
    result = CliRunner().invoke(cli, ["batch", str(collection), "--dry-run", "--quiet"])
    assert (result.exit_code, result.output) == (0, "")


@pytest.mark.parametrize(("metadata", "match"), [
    pytest.param({"title": {"vi": "Tranh"}, "kind": "flat", "dimensions": {"unit": "cm"}}, "flat artefact",
                 id="flat-no-size"),
    pytest.param({"title": {"vi": "Tranh"}, "kind": "flat", "flat_kind": "lacqer", "dimensions": {"width": 61}}, "did you mean 'lacquer'",
                 id="flat-kind"),
    pytest.param({"title": {"vi": "Bình"}, "category": "crafts", "kind": "sculpture"}, "unknown kind", id="kind"),
    pytest.param({"title": {"vi": "Bình"}, "category": "craft"}, "did you mean 'crafts'", id="category"),
    pytest.param({"title": {}}, "give a title", id="no-title"),
    pytest.param({"title": {"vi": "Bình"}, "dimensions": {"height": 5000, "unit": "m"}}, "over 100 m", id="huge"),
])
def test_metadata_problems(metadata, match):
    problems = check_metadata(metadata)
    assert len(problems) == 1 and match in problems[0]


def test_every_metadata_problem_not_only_the_first():
    problems = check_metadata({"title": {}, "licence": "CC-BY", "category": "art", "kind": "flat"})
    assert len(problems) == 4


def test_file_problems(tmp_path):
    (tmp_path / "empty.glb").write_bytes(b"")
    (tmp_path / "page.obj").write_text("<html><body>404 Not Found</body></html>")
    (tmp_path / "notes.txt").write_text("scanned by Lan")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.stl").write_text("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                                         "vertex 0 1 0\nendloop\nendfacet\nendsolid x\n")
    problems = check_files([tmp_path / "empty.glb", tmp_path / "page.obj"])
    assert any("empty (0 bytes)" in p for p in problems) and any("named .obj but" in p for p in problems)
    assert check_files([tmp_path / "notes.txt"]) == [("files: none of them is a 3D file (GLB, glTF, OBJ, PLY, STL, "
                                                       "OFF, zip, ...) or photo")]
    assert check_files([]) and check_files([tmp_path / "a"]) == []


@pytest.mark.parametrize(("kind", "photos", "match"), [
    pytest.param(None, 5, "5 photos and no 3D file; say kind flat", id="undecided"),
    pytest.param("ring", 4, "at least 12 photos", id="short-ring"),
    pytest.param("flat", 3, "one photo (front) or two", id="flat-three"),
    pytest.param(None, 2, None, id="flat-by-rule"),
    pytest.param("ring", 12, None, id="ring"),
])
def test_photo_sets(tmp_path, kind, photos, match):
    from tests.fixtures import checker_png

    files = []
    for i in range(photos):
        files.append(tmp_path / f"IMG_{i}.png")
        files[-1].write_bytes(checker_png())
    problems = check_files(files, kind=kind)
    assert (problems == []) if match is None else (len(problems) == 1 and match in problems[0])
