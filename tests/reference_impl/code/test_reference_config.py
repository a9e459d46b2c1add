"""Settings: one root, FRAUD_* environment variables, nothing done at import."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_impl.config import Settings, get_settings


def test_paths_derive_from_one_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Does FRAUD_ROOT move data, models, reports and the MLflow store together?"""
    monkeypatch.setenv("FRAUD_ROOT", str(tmp_path))
    settings = Settings()
    assert settings.raw_dir == tmp_path / "data" / "raw"
    assert settings.features_dir == tmp_path / "data" / "features"
    assert settings.models_dir.parent == settings.reports_dir.parent == tmp_path
    assert settings.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert not (tmp_path / "data").exists(), "settings must not create folders"


def test_overrides_and_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Do FRAUD_DATA_DIR / FRAUD_MLFLOW_TRACKING_URI win, and is get_settings cached?"""
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("FRAUD_MLFLOW_TRACKING_URI", "file:///x")
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
        assert get_settings().raw_dir == tmp_path / "d" / "raw"
        assert get_settings().tracking_uri == "file:///x"
    finally:
        get_settings.cache_clear()


def test_every_field_is_described() -> None:
    """Does each setting carry a description (shown in docs and --help)?"""
    assert all(f.description for f in Settings.model_fields.values())
