"""Evidence that the project was *run*, not only written: lock files of a pipeline run, recorded
experiment runs, registered versions, monitoring reports, a filled-in model card.

A freshly generated template has all the code and none of this, so it scores what it earns on day
one; each file here appears only when the group ran the pipeline, the tracker, the monitor.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from pathlib import Path

from cohort.audit.repo import MAX_BYTES, Repo

# Written by a pipeline run: DVC's lock (stage hashes) or the gate's metrics report. Only the
# project's own lock at the root counts: a nested one may be a generated, untracked by-product.
RUN_FILES = ("dvc.lock", "reports/metrics.json", "reports/metrics*.json", "metrics/*.json")
MONITOR_REPORTS = (
    "reports/drift*.json", "reports/drift*.html", "reports/monitor*", "reports/monitoring/*",
    "monitoring/reports/*", "reports/performance*.json", "reports/drill/*.json",
)  # fmt: skip
EXPERIMENT_EXPORTS = ("reports/experiments*.csv", "reports/runs*.csv", "reports/experiments*.json")
REGISTERED = ("models/registry/v*/metadata.json", "models/*/v*/metadata.json", "registry/v*/*.json")


def pipeline_runs(repo: Repo) -> list[str]:
    """Files a pipeline run leaves behind."""
    return repo.at(*RUN_FILES)


def recorded_runs(repo: Repo) -> tuple[int, str | None]:
    """How many experiment runs are recorded, and where: an MLflow store or an exported table."""
    root = repo.root
    store = root / "mlflow.db"
    if store.is_file():
        count = _mlflow_db_runs(store)
        if count:
            return count, "mlflow.db"
    metas = list(root.glob("mlruns/*/*/meta.yaml"))
    if metas:
        return len(metas), "mlruns/"
    for f in repo.at(*EXPERIMENT_EXPORTS):
        text = _read(root / f)
        if f.endswith(".csv"):
            rows = max(len(list(csv.reader(io.StringIO(text)))) - 1, 0)
        else:
            rows = len(re.findall(r'"run_id"|"run"\s*:', text))
        if rows:
            return rows, f
    return 0, None


def _read(path: Path) -> str:
    """A small exported table (first MAX_BYTES), never through a link out of the repository."""
    if path.is_symlink() or not path.is_file():
        return ""
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES).decode("utf-8", errors="replace")


def _mlflow_db_runs(path: Path) -> int:
    """Runs in an MLflow SQLite store, read-only (0 when it is not one)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def registered_versions(repo: Repo) -> list[str]:
    """Metadata files of registered model versions (or a DVC lock recording the registry)."""
    found = repo.at(*REGISTERED)
    locks = [f for f in repo.at("dvc.lock") if re.search(r"registry", repo.text(f))]
    return found + locks


def hashed_outputs(repo: Repo) -> list[str]:
    """Outputs recorded with their hashes: a DVC lock, or registry metadata with a data hash."""
    hashed = re.compile(r"data_sha256|data_hash|md5")
    return repo.at("dvc.lock") + [
        f for f in registered_versions(repo) if hashed.search(repo.text(f))
    ]


def monitoring_reports(repo: Repo) -> list[str]:
    """Reports a monitoring run wrote (drift, delayed-label performance, drill results)."""
    return repo.at(*MONITOR_REPORTS)


# An empty field: a bullet or line ending in a colon with nothing after it, or a TODO.
EMPTY_FIELD = re.compile(r"^\s*(?:[-*]\s+)?[^\n:|`]{2,60}:\s*$|\bTODO\b|\bTBD\b", re.M)


def model_card_gaps(text: str) -> list[str]:
    """The empty fields of a model card (lines like `- Primary use and users:`)."""
    return [m.group(0).strip() for m in EMPTY_FIELD.finditer(text)]
