"""A tiny registry with good and broken bundles, and a client of an app serving it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reference_impl.serve.app import create_app
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import random_features, train_demo_model, write_bundle


@pytest.fixture(scope="session")
def demo_model() -> Any:
    return train_demo_model("logistic", n=2000)


@pytest.fixture()
def registry(tmp_path: Path, demo_model: Any) -> Path:
    """v1 (good), v2 (good), and three bundles that must be refused."""
    models = tmp_path / "models"
    write_bundle(models, "v1", demo_model)
    write_bundle(models, "v2", demo_model, threshold=0.3)
    corrupt = write_bundle(models, "corrupt", demo_model)
    (corrupt / "model.joblib").write_bytes(b"not a pickle at all")
    meta = json.loads((corrupt / "metadata.json").read_text())
    write_bundle(models, "old-sklearn", demo_model, sklearn_version="0.24.2")
    swapped = write_bundle(models, "wrong-features", demo_model)
    meta = json.loads((swapped / "metadata.json").read_text())
    meta["features"] = meta["features"][::-1]
    (swapped / "metadata.json").write_text(json.dumps(meta))
    return models


@pytest.fixture()
def settings(registry: Path) -> ServeSettings:
    return ServeSettings(models_dir=registry, model_version="v1", log_requests=False)


@pytest.fixture()
def client(settings: ServeSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture()
def features() -> dict[str, Any]:
    """One valid feature payload."""
    row = random_features(1, seed=3).iloc[0]
    return {name: (int(v) if float(v).is_integer() else float(v)) for name, v in row.items()}
