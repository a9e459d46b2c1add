"""Model operations: start-up without a model, verified hot swaps, refused bundles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reference_impl.serve.app import create_app
from reference_impl.serve.bundle import BundleError, load_bundle
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import write_bundle


def test_swap_changes_the_serving_model(client: TestClient, features: dict[str, Any]) -> None:
    """Does a reload swap in the new version, visible in scores, info and metrics?"""
    response = client.post("/v1/model/reload", json={"version": "v2"})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == "v2" and response.json()["swaps"] == 1
    scored = client.post("/v1/score", json=features).json()
    assert scored["model_version"] == "v2"
    assert scored["alert"] == (scored["score"] >= 0.3)  # v2's threshold
    assert 'fraud_model_info{version="v2"} 1.0' in client.get("/metrics").text


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("corrupt", "sha256"),
        ("old-sklearn", "scikit-learn 0.24.2"),
        ("wrong-features", "feature schema mismatch"),
        ("v9", "not found"),
    ],
)
def test_bad_bundle_is_refused_and_old_model_keeps_serving(
    client: TestClient, features: dict[str, Any], version: str, reason: str
) -> None:
    """Is a corrupt/incompatible/missing model refused with 409 while v1 keeps answering?"""
    response = client.post("/v1/model/reload", json={"version": version})
    assert response.status_code == 409
    assert reason in response.json()["detail"]
    assert client.post("/v1/score", json=features).json()["model_version"] == "v1"
    assert client.get("/health/ready").status_code == 200


def test_corrupt_artifact_with_matching_hash_is_refused(tmp_path: Path, demo_model: Any) -> None:
    """Is an artifact that unpickles to garbage refused even when its hash is consistent?"""
    write_bundle(tmp_path, "junk", {"not": "a model"})
    with pytest.raises(BundleError, match="no predict_proba"):
        load_bundle(tmp_path / "junk")


def test_skops_bundle_loads(tmp_path: Path, demo_model: Any) -> None:
    """Does the safe (skops) format load with only scikit-learn/numpy types trusted?"""
    bundle = load_bundle(write_bundle(tmp_path, "s1", demo_model, fmt="skops"))
    assert bundle.version == "s1"


def test_forest_scores_single_threaded(tmp_path: Path) -> None:
    """Is a forest fitted with n_jobs=-1 served with n_jobs=1 (no thread pool per request)?"""
    from reference_impl.serve.testing import train_demo_model

    forest = train_demo_model("forest", n=300)
    forest.set_params(randomforestclassifier__n_jobs=-1)
    bundle = load_bundle(write_bundle(tmp_path, "f1", forest))
    assert bundle.model.get_params()["randomforestclassifier__n_jobs"] == 1  # type: ignore[attr-defined]


def test_boosting_scores_on_one_openmp_thread(tmp_path: Path) -> None:
    """Does a histogram-boosting model score without starting an OpenMP thread per core?"""
    import os

    from threadpoolctl import threadpool_info

    from reference_impl.serve.testing import random_features, train_demo_model

    def openmp_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]

    bundle = load_bundle(write_bundle(tmp_path, "b1", train_demo_model("boosting", n=300)))
    final = bundle.model.steps[-1][1]  # type: ignore[attr-defined]
    predict, seen = final.predict_proba, []
    final.predict_proba = lambda X: seen.append(openmp_threads()) or predict(X)  # noqa: N803
    bundle.score(random_features(4).to_numpy())
    assert seen and seen[0] and set(seen[0]) == {1}
    if (os.cpu_count() or 1) > 1:  # outside a scoring call the default (one per core) is back
        assert max(openmp_threads()) > 1


def test_reload_version_cannot_escape_the_registry(client: TestClient) -> None:
    """Is a path-like version ('../x') refused by validation?"""
    response = client.post("/v1/model/reload", json={"version": "../v1"})
    assert response.status_code == 422 and response.json()["detail"].startswith("version")


def test_starts_without_model_and_is_not_ready(tmp_path: Path, features: dict[str, Any]) -> None:
    """Without a registered model: alive, not ready, 503 on scoring, ready after a reload."""
    settings = ServeSettings(models_dir=tmp_path, log_requests=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and "no registered model" in ready.json()["detail"]
        summary = client.get("/health")
        assert summary.status_code == 503 and summary.json() == ready.json()
        assert client.post("/v1/score", json=features).status_code == 503
        assert client.get("/v1/model").status_code == 503
        from reference_impl.serve.testing import train_demo_model

        write_bundle(tmp_path, "v1", train_demo_model(n=500))
        assert client.post("/v1/model/reload", json={}).status_code == 200
        assert client.get("/health/ready").status_code == 200
        assert client.get("/health").json()["status"] == "ready"


def test_admin_token_guards_reload(settings: ServeSettings) -> None:
    """With an admin token configured, is a reload without it refused (403)?"""
    guarded = settings.model_copy(update={"admin_token": "s3cret"})
    with TestClient(create_app(guarded)) as client:
        assert client.post("/v1/model/reload", json={"version": "v2"}).status_code == 403
        ok = client.post(
            "/v1/model/reload", json={"version": "v2"}, headers={"x-admin-token": "s3cret"}
        )
        assert ok.status_code == 200
