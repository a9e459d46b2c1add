"""Run a drill: build, start, replay, score, report (see `cohort.drill`)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cohort.drill import BUILD, MONITOR, SERVE
from cohort.drill.replay import Answer, replay
from cohort.drill.score import Costs, DrillScore, WindowResult, score_drill, score_window
from cohort.drill.service import free_port, run_command, started
from cohort.drill.traffic import build_traffic
from cohort.errors import CohortError


@dataclass(frozen=True)
class DrillConfig:
    """How one drill runs; every bound is here."""

    build_cmd: str | None = BUILD
    serve_cmd: str = SERVE
    monitor_cmd: str | None = MONITOR
    traffic: Path | None = None  # default: params.yaml data.path of the repository
    rows: int = 800
    health_path: str = "/health"
    predict_path: str = "/predict"
    startup_s: float = 60.0
    build_s: float = 300.0
    request_timeout_s: float = 5.0
    deadline_s: float = 180.0
    latency_budget_ms: float = 200.0
    seed: int = 0
    monitor_windows: tuple[int, ...] = (1, 2, 3, 4)  # the scored ones are 1 (quiet) and 2 (raise)


@dataclass
class DrillResult:
    group: str
    repo: str
    ready: bool
    reason: str
    score: DrillScore
    windows: list[WindowResult] = field(default_factory=list)
    seconds: float = 0.0
    log: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "repo": self.repo,
            "ready": self.ready,
            "reason": self.reason,
            "score": self.score.to_dict(),
            "windows": [asdict(w) for w in self.windows],
            "seconds": self.seconds,
            "log": self.log,
        }


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except yaml.YAMLError:
        data = {}
    return data if isinstance(data, dict) else {}


def _fill(command: str, values: dict[str, str]) -> str:
    try:
        return command.format(**{k: shlex.quote(v) for k, v in values.items()})
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join(f"{{{k}}}" for k in values)
        raise CohortError(f"command {command!r}: bad placeholder {exc} (known: {known})") from None


def _project(repo: Path) -> tuple[str, dict[str, Any]]:
    answers = _read_yaml(repo / ".copier-answers.yml")
    return str(answers.get("package_name", "")), _read_yaml(repo / "params.yaml")


def run_drill(*, repo: Path, group: str, out_dir: Path, config: DrillConfig) -> DrillResult:
    """Drill one repository; write `<group>.json`, `<group>.md`, `<group>.png` and its log."""
    if not repo.is_dir():
        raise CohortError(f"{repo} is not a folder")
    repo = repo.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / f"{group}.log"
    log.write_text("", encoding="utf-8")
    started_at = time.monotonic()
    package, params = _project(repo)
    port = free_port()
    values = {"python": sys.executable, "package": package, "port": str(port)}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo / "src"), os.environ.get("PYTHONPATH", "")]),
        "PROJECT_ROOT": str(repo),
        "MODEL_REGISTRY": str(repo / "models" / "registry"),
        "PORT": str(port),
    }
    from cohort.drill.report import write_group

    def finish(
        ready: bool, reason: str, windows: list[WindowResult], answers: list[Answer]
    ) -> DrillResult:
        score = score_drill(windows, answers, latency_budget_ms=config.latency_budget_ms)
        result = DrillResult(
            group, str(repo), ready, reason, score, windows,
            round(time.monotonic() - started_at, 1), str(log),
        )  # fmt: skip
        write_group(result, answers, out_dir)
        return result

    if config.build_cmd:
        code, tail = run_command(
            _fill(config.build_cmd, values), cwd=repo, env=env, timeout_s=config.build_s, log=log
        )
        if code != 0:
            why = "timed out" if code is None else f"exited with {code}"
            return finish(False, f"build {why}: {tail}", [], [])
    windows = _traffic(repo, params, config)
    with started(
        _fill(config.serve_cmd, values), cwd=repo, env=env, port=port,
        health_path=config.health_path, startup_s=config.startup_s, log=log,
    ) as service:  # fmt: skip
        answers: list[Answer] = []
        if service.ready:
            answers = replay(
                windows, url=service.url, predict_path=config.predict_path,
                timeout_s=config.request_timeout_s, deadline_s=config.deadline_s,
            )  # fmt: skip
        reason = service.reason
        if service.ready and not service.alive():
            reason = f"the service exited during the drill (code {service.process.returncode})"
    if not answers:  # never ready: every row counts as failed
        answers = [
            Answer(k, i, b, 0, 0.0, None, reason)
            for k, w in enumerate(windows)
            for i, b in enumerate(w.bad)
        ]
    results = []
    for k, window in enumerate(windows):
        raised = _monitor(window, k, repo, env, values, config, out_dir, group, log)
        mine = [a for a in answers if a.window == k]
        results.append(score_window(window, mine, _costs(params), raised))
    return finish(reason == "ready", reason, results, answers)


def _traffic(repo: Path, params: dict[str, Any], config: DrillConfig):  # noqa: ANN202
    data = params.get("data") or {}
    split = params.get("split") or {}
    path = config.traffic or repo / str(data.get("path", "data/raw/dataset.csv"))
    if not path.is_file():
        raise CohortError(f"no traffic data at {path}: run the build or pass --traffic")
    frame = pd.read_csv(path)
    time_column = split.get("time_column")
    if time_column in frame.columns:
        frame = frame.sort_values(time_column, kind="stable")
    drop = [c for c in (time_column, split.get("group_column")) if c]
    try:
        return build_traffic(
            frame, label=str(data.get("target", "target")), drop=drop, rows=config.rows,
            seed=config.seed,
        )  # fmt: skip
    except ValueError as exc:
        raise CohortError(f"{path}: {exc}") from None


def _costs(params: dict[str, Any]) -> Costs:
    decision = params.get("decision") or {}
    known = {k: float(v) for k, v in decision.items() if k in Costs.__dataclass_fields__}
    return Costs(**known)


def _monitor(window, k, repo, env, values, config, out_dir, group, log) -> bool | None:  # noqa: ANN001, PLR0913
    """Run the group's monitor on the window's inputs: exit 1 raised, 0 quiet, else None."""
    if not config.monitor_cmd or k + 1 not in config.monitor_windows:
        return None
    path = out_dir / f"{group}-window{k + 1}.csv"
    window.inputs().to_csv(path, index=False)
    code, _ = run_command(
        _fill(config.monitor_cmd, values | {"window": str(path)}),
        cwd=repo, env=env, timeout_s=60.0, log=log,
    )  # fmt: skip
    return {0: False, 1: True}.get(code) if code is not None else None


def drill_cohort(
    *,
    repos: dict[str, Path],
    out_dir: Path,
    config: DrillConfig,
    on_repo=None,  # noqa: ANN001
) -> tuple[list[DrillResult], dict[str, str]]:
    """Drill every repository in turn (one service at a time: fair latencies); the leaderboard."""
    from cohort.drill.report import write_leaderboard

    results, errors = [], {}
    for name, path in repos.items():
        try:
            results.append(run_drill(repo=path, group=name, out_dir=out_dir, config=config))
        except CohortError as exc:
            errors[name] = str(exc)
        if on_repo is not None:
            on_repo(name)
    write_leaderboard(results, errors, out_dir)
    (out_dir / "errors.json").write_text(json.dumps(errors, indent=2) + "\n", encoding="utf-8")
    return results, errors
