"""The reference-system walkthrough page runs as written and prints what it shows.

The test reads course/project/reference-walkthrough.md, takes its commands in order (each ```bash
block) and the output shown after each (the ```text / ```json block that follows, where `…`
stands for figures that vary), and runs them in a temporary folder, changing only what a test
must: `make pipeline` becomes the same `fraud pipeline` on the tiny preset (the params file with
a smaller preset, fewer folds and one model family), the service listens on a free port of
127.0.0.1 instead of 8080, and the replays simulate the tiny preset. Every output line the page
shows must appear, in order, in what the command printed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "course" / "project" / "reference-walkthrough.md"
BIN = Path(sys.executable).parent
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.M | re.S)
# The page's commands, in order; the test fails if the page drops, adds or reorders one.
COMMANDS = [
    "make pipeline",
    ".venv/bin/fraud serve --history build/data/raw --history-end 2018-05-12",
    "curl -s http://127.0.0.1:8080/health",
    "curl -s -X POST http://127.0.0.1:8080/v1/transactions/score",
    ".venv/bin/fraud replay --incident none --mode online --first-day 42 --last-day 44",
    ".venv/bin/fraud replay --incident card_testing",
    ".venv/bin/fraud monitor --log build/reports/monitor/card_testing/log.parquet",
]
TINY_PARAMS = {  # params.yaml line -> the tiny-preset line (each must be found)
    "  preset: small ": "  preset: tiny  ",
    "  n_folds: 4": "  n_folds: 2",
    "  families: [logreg, random_forest, hist_gb]": "  families: [logreg]",
    "  n_replicates: 200": "  n_replicates: 20",
}


def page_steps() -> list[tuple[str, list[str]]]:
    """(command, output lines shown after it) for each bash block of the page."""
    steps: list[tuple[str, list[str]]] = []
    for lang, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")):
        if lang == "bash":
            steps.append((body.strip(), []))
        elif lang in ("text", "json") and steps:
            steps[-1][1].extend(line for line in body.splitlines() if line.strip())
    return steps


def matches_in_order(shown: list[str], printed: str) -> bool:
    """Does each shown line (`…`: any text) match a printed line, in order?"""
    lines = iter(printed.splitlines())
    for line in shown:
        pattern = re.compile(".+?".join(re.escape(part) for part in line.split("…")))
        if not any(pattern.fullmatch(got.rstrip()) for got in lines):
            return False
    return True


def test_the_page_lists_the_commands_the_test_runs() -> None:
    """Are the page's commands exactly the ones below, in this order, each with its output?"""
    commands = [command for command, _ in page_steps()]
    assert len(commands) == len(COMMANDS)
    for command, expected in zip(commands, COMMANDS, strict=True):
        assert command == expected or (expected.endswith("/score") and command.startswith(expected))
    steps = page_steps()
    assert all(shown for command, shown in steps if "fraud serve" not in command)


def test_matching_treats_the_ellipsis_as_any_text_and_keeps_the_order() -> None:
    """Can the output check fail: a wrong word, a missing line, lines out of order?"""
    printed = "decision: retrain\n  - AP fell\nreports: a b\n"
    assert matches_in_order(["decision: retrain", "  - …", "reports: …"], printed)
    assert not matches_in_order(["decision: no action"], printed)
    assert not matches_in_order(["reports: …", "decision: …"], printed)
    assert not matches_in_order(["  - …", "  - …"], printed)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    params = (ROOT / "params.yaml").read_text(encoding="utf-8")
    for old, new in TINY_PARAMS.items():
        assert old in params, f"params.yaml has no line {old!r} any more"
        params = params.replace(old, new)
    (tmp_path / "params.yaml").write_text(params, encoding="utf-8")
    yield tmp_path


def _run(command: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        shlex.split(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the page's commands use curl")
def test_the_walkthrough_runs_as_written(folder: Path) -> None:
    """pipeline → serve → curl → online replay → batch replay → monitor, outputs as shown."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}

    def local(command: str) -> str:
        command = command.replace(".venv/bin/", f"{BIN}/").replace(":8080", f":{port}")
        if "fraud replay" in command:
            command += f" --url http://127.0.0.1:{port} --preset tiny"
        return command

    steps = page_steps()
    pipeline, shown = steps[0]
    assert pipeline == "make pipeline"
    out = _run(f"{BIN}/fraud pipeline --preset tiny --fresh --params params.yaml", folder, env)
    assert matches_in_order(shown, out), f"pipeline printed:\n{out}"

    serve_log = (folder / "serve.log").open("w")
    server = subprocess.Popen(
        [*shlex.split(local(steps[1][0])), "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=serve_log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while (
            b'"ready"'
            not in subprocess.run(
                ["curl", "-s", f"http://127.0.0.1:{port}/health"], capture_output=True
            ).stdout
        ):
            assert server.poll() is None, (folder / "serve.log").read_text()
            assert time.monotonic() < deadline, "the service was not ready within 2 minutes"
            time.sleep(0.2)  # a curl every 0.2 s costs little; the test waits on every poll
        for command, shown in steps[2:]:
            out = _run(local(command), folder, env)
            assert matches_in_order(shown, out), f"{command!r} printed:\n{out}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        serve_log.close()
    assert (folder / "build/reports/monitor/card_testing/monitor.html").is_file()
