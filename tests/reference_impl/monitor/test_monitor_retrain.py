"""Acting on 'retrain': the pipeline's model stages run, then the live service swaps versions."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from reference_impl import runner
from reference_impl.config import Settings
from reference_impl.errors import GateFailed
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
        return SimpleNamespace(version="v2", champion=promoted_to)

    promoted_to: str | None = "v2"
    monkeypatch.setattr(runner, "run_train", lambda **_: calls.append("train"))
    monkeypatch.setattr(runner, "run_evaluate", lambda **_: calls.append("evaluate"))
    monkeypatch.setattr(runner, "run_register", register)
    return calls


def test_retrain_then_service_swaps(tmp_path: Path, fake_stages: list[str]) -> None:
    """Do the stages run in order and does the running service end up on the new version?"""
    write_bundle(tmp_path / "models", "v1", train_demo_model(n=300))
    app = create_app(ServeSettings(models_dir=tmp_path / "models", log_requests=False))
    with running(app) as url:
        done = retrain_and_reload(settings=Settings(root=tmp_path), service_url=url)
        assert httpx.get(f"{url}/v1/model").json()["version"] == "v2"
    assert fake_stages == ["train", "evaluate", "register"]
    assert done.version == "v2" and done.promoted and done.reloaded


def test_a_challenger_is_not_swapped_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_stages: list[str]
) -> None:
    """Does a retrained model that is only a challenger (not promoted) stay out of the service?"""

    def register(**_: Any) -> SimpleNamespace:
        write_bundle(tmp_path / "models", "v2", train_demo_model(n=300))
        return SimpleNamespace(version="v2", champion="v1")

    monkeypatch.setattr(runner, "run_register", register)
    write_bundle(tmp_path / "models", "v1", train_demo_model(n=300))
    (tmp_path / "models" / "CHAMPION").write_text("v1\n")
    app = create_app(ServeSettings(models_dir=tmp_path / "models", log_requests=False))
    with running(app) as url:
        done = retrain_and_reload(settings=Settings(root=tmp_path), service_url=url)
        assert httpx.get(f"{url}/v1/model").json()["version"] == "v1"
    assert done.version == "v2" and not done.promoted and not done.reloaded


def test_gate_failure_stops_before_register(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_stages: list[str]
) -> None:
    """Does a retrained model that fails the evaluation gate never get registered?"""

    def failing(**_: Any) -> None:
        raise GateFailed("gate failed: AP 0.30 < 0.45")

    monkeypatch.setattr(runner, "run_evaluate", failing)
    with pytest.raises(GateFailed):
        retrain_and_reload(settings=Settings(root=tmp_path))
    assert fake_stages == ["train"]
