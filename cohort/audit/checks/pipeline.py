"""Pipeline, experiment tracking, model registry, reproducibility (Google MLOps level 1)."""

from __future__ import annotations

import re

from cohort.audit.checks import Finding, first
from cohort.audit.checks.evidence import (
    hashed_outputs,
    pipeline_runs,
    recorded_runs,
    registered_versions,
)
from cohort.audit.repo import Repo

DAG_FILES = ("dvc.yaml", "MLproject", "Snakefile", "kedro.yml", "zenml.yaml", "argo*.yaml")
DAG_CODE = (
    r"\b(?:from\s+airflow|import\s+kfp|from\s+kfp|from\s+prefect|from\s+metaflow|from\s+zenml)\b"
)
LOCKS = (
    "uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "pylock*.toml", "conda-lock.yml",
    "requirements*.lock", "constraints*.lock",
)  # fmt: skip
MIN_RUNS = 2  # a comparison needs at least two runs
SEEDS = (
    r"\b(?:random_state\s*=|np\.random\.seed\(|random\.seed\(|torch\.manual_seed\(|set_seed\("
    r"|seed\s*[:=]\s*\d)"
)


def check_pipeline(repo: Repo) -> Finding:
    """Level 1: stages scripted or declared. Level 2: a declared DAG that has been run (its lock
    file or the gate's metrics report is there)."""
    declared = repo.named(*DAG_FILES) + repo.grep(DAG_CODE, repo.src("*.py"))
    dvc = [
        f
        for f in repo.named("dvc.yaml")
        if len(re.findall(r"^\s+cmd\s*:", repo.text(f), re.M)) >= 2
    ]
    declared = [f for f in declared if not f.endswith("dvc.yaml")] + dvc
    runs = pipeline_runs(repo)
    if declared and runs:
        return Finding(2, first(declared) + first(runs, 2))
    if declared:
        return Finding(
            1, first(declared), ["run the pipeline: no dvc.lock or reports/metrics.json yet"]
        )
    scripted = [
        f
        for f in repo.src("pipeline*.py", "*_pipeline.py", "run_all*", "Makefile")
        if re.search(r"^(?:train|pipeline)\w*:|\b(?:train|fit)\w*\(", repo.text(f), re.M)
    ]
    if scripted:
        return Finding(
            1,
            first(scripted),
            ["declare the stages and their inputs/outputs (dvc.yaml) so reruns skip what is fresh"],
        )
    return Finding(0, missing=["no pipeline: stages are run by hand (notebook order)"])


def check_experiment_tracking(repo: Repo) -> Finding:
    """Level 1: a tracker configured or runs logged in code. Level 2: the code logs params and
    metrics and at least MIN_RUNS runs are recorded (an MLflow store or an exported table)."""
    logging = repo.grep(
        r"\bmlflow\.(?:log_params?|log_metrics?|autolog|start_run)\b|\bwandb\.log\(|\bLive\("
        r"|\bneptune\.init|\bcomet_ml\.Experiment"
    )
    count, where = recorded_runs(repo)
    if logging and count >= MIN_RUNS:
        return Finding(2, [*first(logging), f"{count} runs recorded in {where}"])
    if logging:
        return Finding(
            1,
            first(logging),
            [
                f"record your experiments: {count} run(s) found; export the comparison "
                "to reports/experiments.csv"
            ],
        )
    configured = repo.grep(
        r"\b(?:import\s+mlflow|import\s+wandb|from\s+dvclive|(?:MLFLOW_)TRACKING_URI)\b"
    ) + [f for f in repo.named("dvc.yaml") if re.search(r"^\s+metrics\s*:", repo.text(f), re.M)]
    if configured:
        return Finding(1, first(configured), ["log parameters and metrics of every training run"])
    return Finding(0, missing=["no experiment tracking (MLflow, W&B, DVC metrics)"])


def check_model_registry(repo: Repo) -> Finding:
    """Level 1: models saved or a model card. Level 2: a registry with versions and metadata."""
    registry = repo.src("registry.py", "*registry*.py", "model_registry*") + repo.grep(
        r"\bregister_model\(|\bregistered_model_name\s*=|\bMlflowClient\(|\bbentoml\.models\b"
    )
    versions = registered_versions(repo)
    if registry and versions:
        return Finding(2, first(registry) + first(versions, 2))
    if registry:
        return Finding(1, first(registry), ["register a model: no registered version yet"])
    saved = repo.grep(
        r"\b(?:joblib\.dump|skops\.io\.dump|pickle\.dump|save_model|torch\.save)\("
    ) + repo.named("model_card*", "MODEL_CARD*")
    if saved:
        return Finding(1, first(saved), ["register models with a version, metrics and data hash"])
    return Finding(0, missing=["models are not saved with versions or documented (model card)"])


def _pinned_requirements(repo: Repo) -> list[str]:
    """Requirement files (also custom-named `*.lock`) in which every requirement is `==` pinned."""
    pinned = []
    candidates = repo.named("requirements*.txt", "constraints*.txt", "*.lock")
    for f in candidates:
        if f.rsplit("/", 1)[-1] in {"dvc.lock", "yarn.lock", "Cargo.lock", "Gemfile.lock"}:
            continue
        lines = [ln.split("#")[0].strip().rstrip("\\").strip() for ln in repo.text(f).splitlines()]
        reqs = [ln for ln in lines if ln and not ln.startswith("-")]
        if reqs and all("==" in ln for ln in reqs):
            pinned.append(f)
    return pinned


def check_reproducibility(repo: Repo) -> Finding:
    """Level 1: pinned dependencies or seeds. Level 2: both, and outputs recorded with their
    hashes (a DVC lock, or registry metadata with the data hash)."""
    locks = [f for f in repo.named(*LOCKS)] + _pinned_requirements(repo)
    seeds = repo.grep(SEEDS, repo.src("*.py", "*.yaml", "*.yml", "*.toml"))
    seeds = [f for f in seeds if not f.startswith("tests/") and "/tests/" not in f]
    hashed = hashed_outputs(repo) + repo.named("*.dvc")
    evidence = first(locks, 2) + first(seeds, 3) + first(hashed, 1)
    if locks and seeds and hashed:
        return Finding(2, evidence)
    if locks and seeds:
        return Finding(1, evidence, ["run the pipeline so its outputs are recorded with hashes"])
    if locks or seeds:
        gap = "a lock file (uv.lock, requirements.lock with == pins)" if seeds else "fixed seeds"
        return Finding(1, evidence, [f"add {gap}"])
    return Finding(0, missing=["no pinned dependencies, no seeds"])
