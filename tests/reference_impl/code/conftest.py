"""A fresh FRAUD_ROOT per test for the suites that drive the `fraud` CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reference_impl.config import get_settings


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`tmp_path` as the reference system's root (settings re-read before and after)."""
    monkeypatch.setenv("FRAUD_ROOT", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
