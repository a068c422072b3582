"""The README documents every setting and every CLI command."""

from __future__ import annotations

import dataclasses

from service.cli import cli
from service.config import PREFIX
from service.config import Settings
from tests.fixtures import REPO


def test_every_setting_is_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [PREFIX + f.name.upper() for f in dataclasses.fields(Settings) if f"`{PREFIX}{f.name.upper()}`" not in readme]
    assert missing == []


def test_every_command_is_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = []
    for name, command in cli.commands.items():
        sub = getattr(command, "commands", None)
        names += [f"heritage-ar {name} {s}" for s in sub] if sub else [f"heritage-ar {name}"]
    assert [n for n in names if n not in readme] == []


def test_settings_from_env():
    env = {"HERITAGE_AR_STORAGE": "s3", "HERITAGE_AR_WORKER_THREADS": "3", "HERITAGE_AR_START_WORKER": "no"}
    s = Settings.from_env(env)
    assert (s.storage, s.worker_threads, s.start_worker) == ("s3", 3, False)
