"""The service loads the champion, never a challenger that was registered but not promoted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reference_impl.serve.bundle import BundleError, resolve_version


def _version(models: Path, name: str) -> None:
    (models / name).mkdir(parents=True)
    (models / name / "metadata.json").write_text(json.dumps({"version": name}))


def test_latest_is_the_champion_not_the_newest(tmp_path: Path) -> None:
    """With v001 champion and v002 a challenger, does 'latest' resolve to v001?"""
    _version(tmp_path, "v001")
    _version(tmp_path, "v002")
    (tmp_path / "CHAMPION").write_text("v001\n")
    (tmp_path / "history.jsonl").write_text("{}\n")
    assert resolve_version(tmp_path, "latest").name == "v001"
    assert resolve_version(tmp_path, "v002").name == "v002"


def test_a_registry_without_a_champion_serves_nothing(tmp_path: Path) -> None:
    """Only challengers registered: is that refused with a way out, not served?"""
    _version(tmp_path, "v001")
    (tmp_path / "history.jsonl").write_text("{}\n")
    with pytest.raises(BundleError, match="fraud promote"):
        resolve_version(tmp_path, "latest")
