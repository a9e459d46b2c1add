"""Acting on 'retrain': the pipeline's model stages run, then the live service swaps versions."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from reference_impl import pipeline
from reference_impl.config import Settings
from reference_impl.monitor.retrain import retrain_and_reload
from reference_impl.serve.app import create_app
from reference_impl.serve.server import running
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import train_demo_model, write_bundle


@pytest.fixture()
def fake_stages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Train/evaluate/register replaced by stand-ins; register exports a real bundle 'v2'."""
    calls: list[str] = []

    def register(**_: Any) -> SimpleNamespace:
        calls.append("register")
        write_bundle(tmp_path / "models", "v2", train_demo_model(n=300))
        return SimpleNamespace(version="v2")

    monkeypatch.setattr(pipeline, "run_train", lambda **_: calls.append("train"))
    monkeypatch.setattr(pipeline, "run_evaluate", lambda **_: calls.append("evaluate"))
    monkeypatch.setattr(pipeline, "run_register", register)
    return calls


def test_retrain_then_service_swaps(tmp_path: Path, fake_stages: list[str]) -> None:
    """Do the stages run in order and does the running service end up on the new version?"""
    write_bundle(tmp_path / "models", "v1", train_demo_model(n=300))
    app = create_app(ServeSettings(models_dir=tmp_path / "models", log_requests=False))
    with running(app) as url:
        done = retrain_and_reload(settings=Settings(root=tmp_path), service_url=url)
        assert httpx.get(f"{url}/v1/model").json()["version"] == "v2"
    assert fake_stages == ["train", "evaluate", "register"]
    assert done.version == "v2" and done.reloaded


def test_gate_failure_stops_before_register(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_stages: list[str]
) -> None:
    """Does a retrained model that fails the evaluation gate never get registered?"""

    def failing(**_: Any) -> None:
        raise pipeline.GateFailed("gate failed: AP 0.30 < 0.45")

    monkeypatch.setattr(pipeline, "run_evaluate", failing)
    with pytest.raises(pipeline.GateFailed):
        retrain_and_reload(settings=Settings(root=tmp_path))
    assert fake_stages == ["train"]
