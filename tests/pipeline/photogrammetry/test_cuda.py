"""The GPU extra on a CPU machine (issue 16): which dense method a server gets, the CUDA
runtime libraries found in the NVIDIA wheels' layout, and the extra itself in pyproject.toml.

PatchMatch runs on a GPU only: scripts/gpu_photogrammetry_run.sh does that run."""

from __future__ import annotations

import tomllib

import pycolmap
import pytest

from service.errors import BadRequest
from service.pipeline.photogrammetry import cuda
from service.pipeline.photogrammetry.colmap_dense import choose_method
from service.pipeline.photogrammetry.colmap_dense import cuda_available
from tests.fixtures import REPO


def _devices(n):
    def count():
        if isinstance(n, Exception):
            raise n
        return n

    return count


@pytest.mark.parametrize(
    ("has_cuda", "devices", "auto"),
    (
        pytest.param(False, None, "plane-sweep", id="cpu-build"),
        # pycolmap-cuda12 installed, no GPU or no driver: measured here, get_num_cuda_devices() is 0
        pytest.param(True, 0, "plane-sweep", id="cuda-build-no-gpu"),
        pytest.param(True, RuntimeError("no driver"), "plane-sweep", id="cuda-build-no-driver"),
        pytest.param(True, 1, "colmap-cuda", id="cuda-build-gpu"),
    ),
)
def test_dispatch(monkeypatch, has_cuda, devices, auto):
    monkeypatch.setattr(pycolmap, "has_cuda", has_cuda, raising=False)
    if devices is None:
        monkeypatch.delattr(pycolmap, "get_num_cuda_devices", raising=False)
    else:
        monkeypatch.setattr(pycolmap, "get_num_cuda_devices", _devices(devices), raising=False)
    assert cuda_available() is (auto == "colmap-cuda")
    assert choose_method("auto") == auto
    assert choose_method("plane-sweep") == "plane-sweep"
    if auto == "colmap-cuda":
        assert choose_method("colmap-cuda") == "colmap-cuda"
    else:
        with pytest.raises(BadRequest, match=r"needs pycolmap built with CUDA and a GPU.*heritage-ar\[gpu\]"):
            choose_method("colmap-cuda")


def test_cuda_libs_found_in_the_nvidia_wheels_layout(tmp_path):
    # nvidia-cuda-runtime-cu12 and nvidia-curand-cu12 install site-packages/nvidia/<name>/lib/<lib>
    site = tmp_path / "site-packages"
    (site / "nvidia" / "cuda_runtime" / "lib").mkdir(parents=True)
    (site / "nvidia" / "cuda_runtime" / "lib" / "libcudart.so.12").write_bytes(b"not an ELF file")
    assert cuda.find_cuda_libs([tmp_path / "empty"]) == {}
    found = cuda.find_cuda_libs([tmp_path / "empty", site])
    assert found == {"libcudart.so.12": site / "nvidia" / "cuda_runtime" / "lib" / "libcudart.so.12"}
    # found but broken: logged, not loaded, no crash at import
    assert cuda.preload_cuda_libs([site]) == []


def test_gpu_report_on_this_server():
    report = cuda.gpu_report()
    assert report["has_cuda"] is bool(getattr(pycolmap, "has_cuda", False))
    assert report["devices"] >= 0 and report["build"].startswith("Commit")
    assert set(report["distributions"]) & {"pycolmap", "pycolmap-cuda12"}
    if report["devices"] == 0:
        assert not cuda_available()


def test_gpu_extra_brings_the_cuda_build_of_the_pinned_pycolmap():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = dict(d.split("==") for d in project["dependencies"] if "==" in d)
    gpu = dict(d.split("==") for d in project["optional-dependencies"]["gpu"])
    # the same COLMAP commit and API as the CPU pin: the code has one pycolmap API
    assert gpu["pycolmap-cuda12"] == pins["pycolmap"]
    # what pycolmap-cuda12's core links (readelf: libcudart.so.12, libcurand.so.10)
    assert {"nvidia-cuda-runtime-cu12", "nvidia-curand-cu12"} <= set(gpu)
    assert gpu["nvidia-cuda-runtime-cu12"].startswith("12.")
    assert gpu["nvidia-curand-cu12"].startswith("10.")
    assert set(cuda.CUDA_LIBS.values()) == {"libcudart.so.12", "libcurand.so.10"}
