"""flows: options built once from Settings; flow-level metadata checks before any work."""

from __future__ import annotations

import pytest

from service.config import Settings
from service.errors import InvalidMetadata
from service.pipeline import flows
from service.pipeline.flows import options_from_settings
from service.pipeline.flows import process
from service.pipeline.metadata import validate_metadata


def test_options_carry_every_limit_and_switch_of_the_settings():
    s = Settings(max_faces=123, max_image_pixels=456, max_archive_entries=7, max_unpacked_mb=8, previews=False)
    opts = options_from_settings(s, share_url="https://x/ar/y")
    assert opts["max_faces"] == 123 and opts["max_image_pixels"] == 456
    assert opts["max_archive_entries"] == 7 and opts["max_unpacked_bytes"] == 8 * 1024 * 1024
    assert opts["previews"] is False and opts["share_url"] == "https://x/ar/y"
    assert set(flows.DEFAULT_OPTIONS) <= set(opts)


@pytest.mark.parametrize(
    "bar, message",
    [
        ({"distance": -3}, "scale_bar.distance"),
        ({"distance": 8, "unit": "furlong"}, "scale_bar.unit"),
        ("8 cm", "scale_bar.distance"),
    ],
)
def test_a_bad_scale_bar_is_refused_at_upload(bar, message):
    with pytest.raises(InvalidMetadata, match=message):
        validate_metadata({"title": "Head", "kind": "photogrammetry", "scale_bar": bar})


def test_a_bad_scale_bar_fails_process_before_any_flow_runs(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setitem(flows.FLOWS, "photogrammetry", lambda *a, **k: ran.append(1))
    with pytest.raises(InvalidMetadata, match="scale_bar.distance"):
        process([tmp_path / "missing.jpg"], tmp_path / "out", metadata={"kind": "photogrammetry", "scale_bar": {"distance": 0}})
    assert ran == []
