"""The pipeline's house plan (service/pipeline/README.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ROOT / "service"
PIPELINE = SERVICE / "pipeline"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every `service.*` module a file imports, at any depth (late imports count too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("service"):
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("service"))
    return out


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in PIPELINE.rglob("*.py")}
    return {m: {i for i in _imports(p) if i in files and i != m} for m, p in files.items()}


def test_no_import_cycles_in_the_pipeline():
    graph = _graph()
    # a package's __init__ importing its own modules is not a cycle of code; drop parent links
    edges = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(edges.get(m, ())):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d] if d in stack else [m, d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    assert cycles == []


@pytest.mark.parametrize("outside", ["service.api", "service.jobs", "service.storage", "service.db", "service.config", "service.batch"])
def test_the_pipeline_imports_nothing_of_the_service_around_it(outside):
    bad = {_module(p): i for p in PIPELINE.rglob("*.py") for i in _imports(p) if i == outside or i.startswith(outside + ".")}
    assert bad == {}


def test_storage_does_not_import_the_pipeline():
    bad = [p.name for p in (SERVICE / "storage").rglob("*.py") if any(i.startswith("service.pipeline") for i in _imports(p))]
    assert bad == []


def test_batch_does_not_use_api_presentation_or_request_contexts():
    for p in (SERVICE / "batch").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert "test_request_context" not in text, p.name
        assert not any(i.startswith("service.api") for i in _imports(p)), p.name


def _defined(name: str) -> list[str]:
    """Modules of the service that bind `name` at module level (class, def or assignment)."""
    found = []
    for p in SERVICE.rglob("*.py"):
        for node in ast.parse(p.read_text(encoding="utf-8")).body:
            targets = []
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                targets = [node.name]
            elif isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            if name in targets:
                found.append(_module(p))
    return found


@pytest.mark.parametrize(
    "name, home",
    [
        ("Progress", "service.pipeline.progress"),
        ("FLAT_KINDS", "service.pipeline.constants"),
        ("Photo", "service.pipeline.photos.images"),
        ("write_mp4", "service.pipeline.exchange.video"),
        ("VideoWriter", "service.pipeline.exchange.video"),
        ("srgb_encode", "service.pipeline.icc"),
        ("srgb_decode", "service.pipeline.icc"),
        ("Child", "service.pipeline.child_process"),
        ("derive", "service.pipeline.derive"),
        ("mime_of", "service.mime"),
    ],
)
def test_each_thing_is_defined_once(name, home):
    assert _defined(name) == [home]


def test_one_manifest_version_and_one_ffmpeg_and_littlecms_call_site():
    hits = lambda needle: sorted(  # noqa: E731
        _module(p) for p in SERVICE.rglob("*.py") if needle in p.read_text(encoding="utf-8")
    )
    assert hits('"manifest_version": 1') == []
    assert hits("profileToProfile") == ["service.pipeline.icc"]
    assert hits("libx264") == ["service.pipeline.exchange.video"]
    assert hits("register_heif_opener") == ["service.pipeline.photos.images"]
    # the video writer streams frames into stdin, which `Child` does not offer; fbx.py runs assimp to completion
    assert hits("subprocess.Popen(") == sorted(["service.pipeline.child_process", "service.pipeline.exchange.video"])


def test_every_pipeline_folder_and_module_is_in_the_readme():
    readme = (PIPELINE / "README.md").read_text(encoding="utf-8")
    for p in PIPELINE.rglob("*.py"):
        rel = p.relative_to(PIPELINE)
        if p.name == "__init__.py":
            assert f"`{rel.parent}/`" in readme or rel.parent == Path("."), rel
        elif rel.parent == Path("."):
            assert f"`{p.name}`" in readme, p.name
        elif rel.parts[0] in ("steps", "derive", "flows"):
            assert f"`{rel}`" in readme or f"`{rel.as_posix()}`" in readme, rel


def test_choosing_a_flow_loads_no_heavy_library():
    # flows are imported when first used: a scan job pays neither for OpenCV nor for open3d/pycolmap
    import subprocess
    import sys

    code = "import sys, service.pipeline.flows as f; f.decide_kind(None, []); print(sorted(m for m in ('cv2', 'open3d', 'pycolmap') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


CORE = {"constants", "scene", "geometry", "icc", "progress", "metadata", "manifest", "child_process", "tools", "texture_files",
        "paradata", "anchors"}
# folder -> what its modules may import inside the pipeline (service/pipeline/README.md)
ALLOWED = {
    "core": {"core"},
    "exchange": {"core", "exchange"},
    "steps": {"core", "exchange", "steps"},
    "photos": {"core", "exchange", "photos"},
    "derive": {"core", "exchange", "steps", "derive"},
    "photogrammetry": {"core", "exchange", "photos", "photogrammetry"},
    "render": {"core", "exchange", "render"},
    "flows": {"core", "exchange", "steps", "photos", "derive", "photogrammetry", "render", "flows"},
}


def _room(module: str) -> str:
    parts = module.split(".")[2:]  # after service.pipeline
    if not parts:
        return "core"
    return "core" if parts[0] in CORE else parts[0]


def test_each_folder_imports_only_what_the_plan_allows():
    bad = []
    for module, deps in _graph().items():
        room = _room(module)
        for dep in deps:
            if _room(dep) not in ALLOWED[room]:
                bad.append(f"{module} -> {dep}")
    assert bad == []
