"""The podman wrapper's housekeeping, no podman needed: the off switch, killed runs' leftovers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from podman_engine import SWITCH, reap_stale, skip_reason


def test_switch_turns_the_image_tier_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Does MLOPS_CONTAINER_TESTS=0 skip tier 2 with a reason that names the switch?"""
    monkeypatch.setenv(SWITCH, "0")
    reason = skip_reason()
    assert reason is not None and f"{SWITCH}=0" in reason


def test_reaps_only_folders_of_processes_that_are_gone(tmp_path: Path) -> None:
    """Is a killed run's folder removed, while a live run's and a stranger's stay?"""
    dead = tmp_path / "mlops-podman-999999999-abc"
    live = tmp_path / f"mlops-podman-{os.getpid()}-def"
    stranger = tmp_path / "mlops-podman-xyz"
    for folder in (dead, live, stranger):
        (folder / "logs").mkdir(parents=True)
        (folder / "logs" / "001-build.log").write_text("...")
    reap_stale(tmp_path, "mlops-podman-")
    assert not dead.exists()
    assert live.exists() and stranger.exists()
