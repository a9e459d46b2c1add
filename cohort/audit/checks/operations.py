"""Serving, CI and monitoring (Google MLOps level 2; ML Test Score monitoring tests)."""

from __future__ import annotations

import re

from cohort.audit.checks import Finding, first
from cohort.audit.checks.evidence import monitoring_reports
from cohort.audit.repo import Repo

SERVICE = (
    r"\b(?:from\s+fastapi|import\s+fastapi|from\s+flask|import\s+bentoml|from\s+litserve"
    r"|import\s+gradio)\b"
)
CI_FILES = (
    ".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", ".circleci/config.yml",
    "Jenkinsfile", "azure-pipelines.yml", ".travis.yml", ".ci/*", "bitbucket-pipelines.yml",
)  # fmt: skip
RUNS_TESTS = r"\b(?:pytest|make\s+(?:test|check|ci)|tox|nox|unittest)\b"
# Drift *measured* (a drift library, a detector, PSI or a two-sample distance), not drift simulated.
DRIFT = (
    r"\b(?:from\s+evidently|import\s+evidently|from\s+alibi_detect|import\s+nannyml)\b"
    r"|\b\w*(?:detect|check|measure|compute|score|report)_?\w*drift\w*\s*\("
    r"|\bdrift_(?:score|report|detect\w*|test|status)\b"
    r"|\b(?:psi|population_stability\w*|ks_2samp|wasserstein_distance|jensenshannon)\s*\("
)
METRICS = r"\b(?:from\s+prometheus_client|import\s+prometheus_client|opentelemetry\.metrics)\b"


def check_serving(repo: Repo) -> Finding:
    """Level 1: a service or a container. Level 2: a service in a container, with API tests."""
    containers = repo.named(
        "Dockerfile*", "*.Dockerfile", "*.dockerfile", "Containerfile", "docker-compose*.yml",
        "compose*.yaml",
    )  # fmt: skip
    services = repo.grep(SERVICE, repo.src("*.py"))
    evidence = first(containers, 2) + first(services, 3)
    api_tests = [
        f
        for f in repo.named("test_*.py", "*_test.py")
        if re.search(r"\b(?:TestClient|AsyncClient|httpx|requests)\b", repo.text(f))
    ]
    if containers and services and api_tests:
        return Finding(2, evidence + first(api_tests, 1))
    if containers and services:
        return Finding(1, evidence, ["test the API (status codes, bad requests): tests/code/"])
    if containers or services:
        gap = "a Dockerfile for the service" if services else "a model-serving API (FastAPI)"
        return Finding(1, evidence, [f"add {gap}"])
    return Finding(0, missing=["no serving API, no container"])


def check_ci(repo: Repo) -> Finding:
    """Level 1: a CI configuration. Level 2: CI runs the tests."""
    configs = repo.at(*CI_FILES)
    if not configs:
        return Finding(0, missing=["no CI configuration (.github/workflows/*.yml)"])
    running = [f for f in configs if re.search(RUNS_TESTS, repo.text(f))]
    if running:
        return Finding(2, first(running))
    return Finding(1, first(configs), ["make CI run the tests (pytest / make test)"])


def check_monitoring(repo: Repo) -> Finding:
    """Level 1: drift checks or service metrics. Level 2: drift with metrics or alert thresholds,
    and a monitoring report from a run (reports/drift*.json, reports/monitor*)."""
    code = repo.src("*.py")
    named = repo.src("monitor*.py", "*drift*.py") + repo.at("*/monitor/*.py", "*/monitoring/*.py")
    drift = repo.grep(DRIFT, code, re.MULTILINE | re.IGNORECASE)
    drift = list(dict.fromkeys(named + sorted(drift, key=lambda f: "monitor" not in f)))
    metrics = repo.grep(METRICS, code) + repo.at(
        "*prometheus*.yml", "*grafana*", "*alert*.yml", "*alert*.yaml"
    )
    thresholds = repo.grep(r"^\s*(?:drift|monitor\w*|alert\w*)\s*:", repo.src("*.yaml", "*.yml"))
    evidence = drift[:3] + first(metrics + thresholds, 3)
    reports = monitoring_reports(repo)
    if drift and (metrics or thresholds) and reports:
        return Finding(2, evidence + first(reports, 2))
    if drift and (metrics or thresholds):
        return Finding(1, evidence, ["run the monitor on recent data and keep its report"])
    if drift or metrics:
        gap = (
            "service metrics or alert thresholds"
            if drift
            else "drift / delayed-label performance checks"
        )
        return Finding(1, evidence, [f"add {gap}"])
    return Finding(0, missing=["no monitoring: nobody learns when the model degrades"])
