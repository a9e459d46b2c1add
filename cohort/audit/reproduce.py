"""Does the pipeline reproduce? Rerun it from a clean copy in the grading sandbox and compare the
metrics it writes with the ones the group committed (`reports/metrics.json`).

A clean copy keeps the code, the parameters and the raw data (`data/raw/`), and drops what a run
makes: models, reports, other data, experiment stores. Only projects whose pipeline command is
known are rerun: one made from the template (`python -m <package> all`).
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from cohort.audit.repo import SKIP_DIRS
from cohort.audit.result import Reproduction
from cohort.errors import CohortError

METRICS = Path("reports") / "metrics.json"
MADE_BY_A_RUN = ("models", "reports", "mlruns", "mlflow.db", "dvc.lock")


def _numbers(report: dict[str, Any]) -> dict[str, float]:
    """The candidate's metrics (template reports) or the report's top-level numbers."""
    candidate = report.get("candidate")
    source: dict[str, Any] = candidate if isinstance(candidate, dict) else report
    return {
        k: float(v)
        for k, v in source.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def compare(committed: dict[str, Any], rerun: dict[str, Any], *, rel: float = 1e-9) -> list[str]:
    """`name: committed -> rerun` for every metric that moved (or vanished)."""
    before, after = _numbers(committed), _numbers(rerun)
    out = []
    for key, value in sorted(before.items()):
        new = after.get(key)
        if new is None or not math.isclose(value, new, rel_tol=rel, abs_tol=rel):
            out.append(f"{key}: {value:g} -> {'missing' if new is None else f'{new:g}'}")
    return out


def pipeline_command(repo_root: Path) -> list[str] | None:
    """The template's pipeline command for this repository, or None when it is not known."""
    answers_file = repo_root / ".copier-answers.yml"
    if not answers_file.is_file():
        return None
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    package = answers.get("package_name") if isinstance(answers, dict) else None
    if not isinstance(package, str) or not package.isidentifier():
        return None
    return [sys.executable, "-m", package, "all"]


def _clean_copy(repo_root: Path, work: Path) -> None:
    """Code, parameters and `data/raw/`; nothing a run makes (at the root: models, reports, ...)."""
    root, data = repo_root.resolve(), repo_root.resolve() / "data"

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")}
        here = Path(directory).resolve()
        if here == root:
            skipped |= {n for n in names if n in MADE_BY_A_RUN}
        if here == data:
            skipped |= {n for n in names if n != "raw"}
        return skipped

    shutil.copytree(repo_root, work, ignore=ignore, symlinks=True)


def reproduce_sandboxed(
    *, repo_root: Path, allow_unsandboxed: bool = False, wall_time_s: float = 600
) -> Reproduction | None:
    """Rerun the pipeline from a clean copy (sandboxed); None when there is nothing to compare."""
    command = pipeline_command(repo_root)
    committed_file = repo_root / METRICS
    if command is None or not committed_file.is_file():
        return None
    try:
        committed = json.loads(committed_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return Reproduction(False, [], "reports/metrics.json is not valid JSON")
    from graders.sandbox import Limits, SandboxUnavailable, select_backend

    try:
        backend = select_backend(allow_unsandboxed=allow_unsandboxed)
    except SandboxUnavailable as exc:
        raise CohortError(str(exc)) from exc
    scratch = Path(tempfile.mkdtemp(prefix="mlops-reproduce-"))
    work = scratch / "repo"
    try:
        _clean_copy(repo_root, work)
        env = {
            "PYTHONPATH": ":".join(str(p) for p in (work / "src", work) if p.is_dir()),
            "PROJECT_ROOT": str(work),
            "HOME": str(work),
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        limits = Limits(wall_time_s=wall_time_s, memory_mb=4096, max_file_mb=200)
        with backend.spawn(command, workdir=work, limits=limits, env=env) as proc:
            output = proc.stdout.read(1 << 20).decode("utf-8", errors="replace")
            code = proc.wait(wall_time_s)
        rerun_file = work / METRICS
        rerun = json.loads(rerun_file.read_text(encoding="utf-8")) if rerun_file.is_file() else {}
    except json.JSONDecodeError:
        rerun, code, output = {}, 1, "the rerun's reports/metrics.json is not valid JSON"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if code != 0 and not rerun:
        tail = " | ".join(output.strip().splitlines()[-2:])
        return Reproduction(False, [], f"the pipeline failed from a clean copy: {tail}")
    differences = compare(committed, rerun)
    return Reproduction(not differences, differences)
