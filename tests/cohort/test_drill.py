"""The live production drill: a template service is scored per window, and a service that
crashes or stalls is scored within the drill's bounds instead of hanging it."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cohort.cli import app
from cohort.drill.run import DrillConfig, drill_cohort, run_drill
from cohort.drill.score import Costs, kpi
from cohort.drill.traffic import build_traffic

# A service that is healthy but never answers a prediction: it accepts and sleeps.
STALLED = """
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def do_POST(self):
        time.sleep(60)
    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def _traffic_csv(path: Path, rows: int = 120) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["target"] = (x[:, 0] + rng.normal(scale=0.5, size=rows) > 1).astype(int)
    frame.to_csv(path, index=False)
    return path


def test_traffic_windows_carry_their_incidents() -> None:
    """Drift shifts one feature, bad rows lose it, concept drift keeps inputs and moves labels."""
    frame = _frame()
    windows = build_traffic(frame, label="target", drop=[], rows=200, seed=1)
    assert [w.name for w in windows] == [
        "baseline", "data drift", "bad rows and burst", "concept drift"
    ]  # fmt: skip
    base, drift = pd.DataFrame(windows[0].rows), pd.DataFrame(windows[1].rows)
    assert drift["a"].mean() - base["a"].mean() > 2.0
    assert any(windows[2].bad) and all(
        "a" not in r for r, b in zip(windows[2].rows, windows[2].bad, strict=True) if b
    )
    assert windows[2].concurrency > 1
    original = frame.tail(200)["target"].to_numpy()[150:]
    assert sorted(windows[3].labels) == sorted(original) and list(windows[3].labels) != list(
        original
    )


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    frame["target"] = (frame["a"] > 0.8).astype(int)
    return frame


def test_kpi_at_the_alert_budget() -> None:
    """A perfect ranker costs only its false alarms; flagging nobody costs every miss."""
    labels = np.array([1, 0, 0, 0])
    model, baseline = kpi(np.array([0.9, 0.1, 0.2, 0.3]), labels, Costs(0.25, 20.0, 1.0))
    assert (model, baseline) == (0.0, 5.0)


def test_a_crashing_service_is_scored_zero_with_its_reason(tmp_path: Path) -> None:
    """A service that exits at once: not ready, every row failed, score 0, reports written."""
    config = DrillConfig(
        build_cmd=None, monitor_cmd=None, traffic=_traffic_csv(tmp_path / "t.csv"), rows=100,
        serve_cmd='{python} -c "import sys; sys.exit(3)"', startup_s=10,
    )  # fmt: skip
    result = run_drill(repo=tmp_path, group="crashy", out_dir=tmp_path / "out", config=config)
    assert not result.ready and "exited with code 3" in result.reason
    assert result.score.total == 0 and sum(w.failed for w in result.windows) > 0
    assert {"crashy.md", "crashy.json", "crashy.png"} <= {
        p.name for p in (tmp_path / "out").iterdir()
    }


def test_a_stalled_service_costs_availability_within_the_deadline(tmp_path: Path) -> None:
    """Healthy but silent on /predict: requests time out, the replay stops at its deadline."""
    (tmp_path / "stalled.py").write_text(STALLED)
    config = DrillConfig(
        build_cmd=None, monitor_cmd=None, traffic=_traffic_csv(tmp_path / "t.csv"), rows=100,
        serve_cmd=f"{{python}} {tmp_path / 'stalled.py'} {{port}}", startup_s=10,
        request_timeout_s=0.3, deadline_s=2.0,
    )  # fmt: skip
    start = time.monotonic()
    result = run_drill(repo=tmp_path, group="stalled", out_dir=tmp_path / "out", config=config)
    assert time.monotonic() - start < 30
    assert result.ready and result.score.availability == 0.0 and result.score.total == 0.0


@pytest.mark.slow
def test_drill_against_the_template_service(built_project: Path, tmp_path: Path) -> None:
    """The template project, built (the shared fixture ran its `all`) and served: every window
    answered, bad rows refused with a 4xx, the drift raised by its monitor on the drift window
    and not on the baseline, a table, a plot and a leaderboard."""
    repo = tmp_path / "team-a"
    shutil.copytree(built_project, repo)
    out = tmp_path / "drill"
    config = DrillConfig(rows=400, build_cmd=None, monitor_windows=(1, 2))  # the scored windows
    results, errors = drill_cohort(repos={"team-a": repo}, out_dir=out, config=config)
    assert not errors and len(results) == 1
    result = results[0]
    assert result.ready, result.reason
    by_name = {w.name: w for w in result.windows}
    assert all(w.failed == 0 for w in result.windows)
    assert by_name["bad rows and burst"].rejected_bad > 0
    assert by_name["data drift"].monitor_raised is True
    assert by_name["baseline"].kpi < by_name["baseline"].kpi_baseline
    assert by_name["baseline"].monitor_raised is False
    assert result.score.availability == 1.0 and result.score.monitor == 1.0
    assert (out / "team-a.png").stat().st_size > 1000
    board = json.loads((out / "leaderboard.json").read_text())
    assert board[0]["group"] == "team-a" and board[0]["score"] == result.score.total
    assert "| 2 | data drift" in (out / "team-a.md").read_text()


def test_cli_drill_prints_a_table_and_writes_the_leaderboard(tmp_path: Path) -> None:
    """`mlops-cohort drill` on a crashing service: exit 0, the group scored, a leaderboard."""
    traffic = _traffic_csv(tmp_path / "t.csv")
    (tmp_path / "g1").mkdir()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["drill", str(tmp_path / "g1"), "--out", str(out), "--build-cmd", "", "--monitor-cmd", "",
         "--serve-cmd", '{python} -c "raise SystemExit(2)"', "--traffic", str(traffic),
         "--rows", "100", "--startup", "5"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "g1" in result.output and (out / "leaderboard.md").is_file()
    missing = CliRunner().invoke(app, ["drill", str(tmp_path / "nope"), "--out", str(out)])
    assert missing.exit_code == 1 and "is not a folder" in missing.output


def test_a_command_that_cannot_run_is_a_one_line_error(tmp_path: Path) -> None:
    """A serve command naming no program is reported for that group, not a traceback."""
    config = DrillConfig(
        build_cmd=None, monitor_cmd=None, traffic=_traffic_csv(tmp_path / "t.csv"), rows=100,
        serve_cmd="no-such-program-xyz --port {port}",
    )  # fmt: skip
    results, errors = drill_cohort(repos={"g": tmp_path}, out_dir=tmp_path / "out", config=config)
    assert results == [] and "cannot start the service" in errors["g"]
    assert "not drilled: g" in (tmp_path / "out" / "leaderboard.md").read_text()


def test_an_unknown_placeholder_is_named(tmp_path: Path) -> None:
    """A command with a placeholder the drill does not know is refused, naming the known ones."""
    config = DrillConfig(
        build_cmd=None, monitor_cmd=None, traffic=_traffic_csv(tmp_path / "t.csv"), rows=100,
        serve_cmd="serve --port {prt}",
    )  # fmt: skip
    _, errors = drill_cohort(repos={"g": tmp_path}, out_dir=tmp_path / "out", config=config)
    assert "bad placeholder 'prt'" in errors["g"] and "{port}" in errors["g"]
