"""Tier 3: a cohort hub on 127.0.0.1 runs nbgrader's exchange loop, graded by mlops-grade.

JupyterHub (hub/jupyterhub_config.py: dummy authenticator, `simple` local spawner) spawns a
learner's server; through that server's nbgrader extension the learner fetches and submits the
released lab; the instructor collects with nbgrader, autogrades with `mlops-grade`, and returns
feedback that the learner fetches. Every process has a deadline and is killed by PID at the end.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from container_helpers import ROOT
from podman_engine import SWITCH, run_logged

LAB = "lab01_business_to_ml"
BIN = Path(sys.executable).parent


def skip_reason() -> str | None:
    """Runs by default (about 1-2 min on 2 cores); MLOPS_HUB_SMOKE=0 turns it off."""
    if os.environ.get("MLOPS_HUB_SMOKE") == "0" and os.environ.get(SWITCH) != "1":
        return "hub smoke (tier 3) turned off by MLOPS_HUB_SMOKE=0"
    for module in ("jupyterhub", "nbgrader"):
        if shutil.which(module, path=str(BIN)) is None:
            return f"{module} is not installed (pip install 'mlops-course[jupyter]')"
    if proxy_bin() is None:
        return (
            "JupyterHub's configurable-http-proxy is not installed (run: make build/hub-proxy/"
            "node_modules/.bin/configurable-http-proxy; make test does)"
        )
    return None


def proxy_bin() -> Path | None:
    """Folder of configurable-http-proxy: the one `make test` installs from npm, else PATH."""
    local = ROOT / "build/hub-proxy/node_modules/.bin"
    if (local / "configurable-http-proxy").exists():
        return local
    found = shutil.which("configurable-http-proxy")
    return Path(found).parent if found else None


pytestmark = [pytest.mark.containers, pytest.mark.slow]
REASON = skip_reason()
if REASON:  # a skip, or a failure where MLOPS_REQUIRE has containers (tests/tool_requirements.py)
    pytestmark.append(pytest.mark.needs_tool("containers", REASON))


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


HUB_CONFIG = str(ROOT / "hub/jupyterhub_config.py")


@dataclass
class HubProcess:
    """The hub's process, its address and the environment it was started with."""

    proc: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]


class Hub:
    """A running hub and the calls the smoke test makes to it."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from None
        return json.loads(text) if text.strip() else None

    def nbgrader(self, user: str, action: str) -> Any:
        query = urllib.parse.urlencode({"course_id": "mlops", "assignment_id": LAB})
        if action == "list":
            return self.call("GET", f"/user/{user}/assignments?course_id=mlops")
        return self.call("POST", f"/user/{user}/assignments/{action}?{query}", timeout=180)


def kill_by_marker(marker: str) -> None:
    """Kill every process whose environment holds `marker` (the learner servers of this hub)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if marker.encode() in (proc / "environ").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                continue


@pytest.fixture(scope="module")
def state() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="mlops-hub-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def exchange(state: Path) -> Path:
    """The nbgrader exchange both the instructor and the hub's learners use."""
    exchange = state / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)
    return exchange


@pytest.fixture(scope="module")
def hub_process(state: Path, exchange: Path) -> Iterator[HubProcess]:
    """JupyterHub started, not yet waited for: it boots while the course is released."""
    port, api_port, proxy_api_port = free_ports(3)
    (state / "cohort.yml").write_text("instructors: [ada]\nlearners: [grace]\n")
    home = state / "homes" / "grace"
    home.mkdir(parents=True)
    shutil.copy(ROOT / "hub/nbgrader_config.py", home)
    env = {
        **os.environ,
        "PATH": f"{BIN}:{proxy_bin()}:{os.environ['PATH']}",
        "MLOPS_HUB_SPAWNER": "simple",
        "MLOPS_HUB_AUTH": "dummy",
        "MLOPS_HUB_ROOT_OK": "1" if os.geteuid() == 0 else "0",
        "MLOPS_HUB_STATE": str(state / "hub"),
        "MLOPS_HUB_HOMES": str(state / "homes"),
        "MLOPS_HUB_PORT": str(port),
        "MLOPS_HUB_API_PORT": str(api_port),
        "MLOPS_PROXY_API_PORT": str(proxy_api_port),
        "MLOPS_COHORT_FILE": str(state / "cohort.yml"),
        "MLOPS_EXCHANGE": str(exchange),
    }
    (state / "hub").mkdir()
    (state / "logs").mkdir(exist_ok=True)
    log = (state / "logs" / "hub.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "jupyterhub"), "-f", HUB_CONFIG],
        cwd=state / "hub",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield HubProcess(proc, f"http://127.0.0.1:{port}", env)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the hub stops its learner servers (cleanup_servers)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        kill_by_marker(f"MLOPS_EXCHANGE={exchange}")
        log.close()


@pytest.fixture(scope="module")
def course(state: Path, exchange: Path, hub_process: HubProcess) -> Path:
    """The instructor's course folder with the lab released to the exchange (while the hub,
    started just before, boots)."""
    course = state / "course"
    (course / "source" / LAB).mkdir(parents=True)
    shutil.copy(ROOT / "labs" / LAB / f"{LAB}.ipynb", course / "source" / LAB)
    shutil.copy(ROOT / "hub/nbgrader_config.py", course)
    env = {**os.environ, "MLOPS_EXCHANGE": str(exchange)}
    logs = state / "logs"
    release = [str(BIN / "mlops-grade"), "release", LAB, "--course-dir", str(course)]
    run_logged(release, logs / "release.log", timeout=120)
    publish = [str(BIN / "nbgrader"), "release_assignment", LAB]
    run_logged_env(publish, logs / "release_assignment.log", cwd=course, env=env)
    return course


def run_logged_env(cmd: list[str], log: Path, *, cwd: Path, env: dict[str, str]) -> str:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        try:
            done = subprocess.run(
                cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300
            )
        except subprocess.TimeoutExpired:
            raise AssertionError(f"timed out: {cmd}") from None
    text = log.read_text(errors="replace")
    assert done.returncode == 0, f"{cmd[:3]} exit {done.returncode}\n{text[-3000:]}"
    return text


@pytest.fixture(scope="module")
def hub(hub_process: HubProcess, course: Path, state: Path) -> Hub:
    """The hub once it answers (polled every 0.2 s), with an API token of the instructor."""
    proc, url = hub_process.proc, hub_process.url
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (state / "logs/hub.log").read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/hub/api", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "hub did not answer in 120 s"
        time.sleep(0.2)
    token = run_logged_env(
        [str(BIN / "jupyterhub"), "token", "ada", "-f", HUB_CONFIG],
        state / "logs/token.log",
        cwd=state / "hub",
        env=hub_process.env,
    ).split()[-1]
    return Hub(url, token)


def test_hub_runs_the_exchange_loop_and_mlops_grade_grades_it(
    hub: Hub, course: Path, state: Path
) -> None:
    """Spawn → fetch → submit → collect → autograde → feedback → fetch_feedback: all through?"""
    hub.call("POST", "/hub/api/users/grace/server")
    deadline = time.monotonic() + 120
    while not hub.call("GET", "/hub/api/users/grace")["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, (state / "logs/hub.log").read_text()[-3000:]
        time.sleep(0.2)

    listed = hub.nbgrader("grace", "list")["value"]
    assert [(a["assignment_id"], a["status"]) for a in listed] == [(LAB, "released")]
    hub.nbgrader("grace", "fetch")
    assert (state / "homes/grace" / LAB / f"{LAB}.ipynb").exists()
    assert hub.nbgrader("grace", "submit")["success"] in (True, None)

    env = {**os.environ, "MLOPS_EXCHANGE": str(state / "exchange")}
    logs = state / "logs"
    run_logged_env(
        [str(BIN / "nbgrader"), "collect", LAB], logs / "collect.log", cwd=course, env=env
    )
    student = getpass.getuser()  # the `simple` spawner runs every learner as the hub's user
    assert (course / "submitted" / student / LAB / f"{LAB}.ipynb").exists()

    grade = [str(BIN / "mlops-grade"), "autograde", LAB, "--course-dir", str(course), "--json"]
    if shutil.which("bwrap") is None:
        grade.append("--allow-unsandboxed")  # the sandbox has its own suite; this is the loop
    result = json.loads(run_logged_env(grade, logs / "autograde.log", cwd=course, env=env))
    (graded,) = result["results"]
    assert (graded["student"], graded["status"]) == (student, "graded"), graded["status"]
    assert graded["total"] == 0 and graded["possible"] > 0  # submitted untouched: a clean zero

    feedback = [str(BIN / "mlops-grade"), "feedback", LAB, "--course-dir", str(course)]
    run_logged_env(feedback, logs / "feedback.log", cwd=course, env=env)
    target = course / "feedback" / student / LAB
    for name in ("timestamp.txt", "submission_secret.txt"):  # what release_feedback matches on
        assert (target / name).read_text() == (
            course / "submitted" / student / LAB / name
        ).read_text()
    run_logged_env(
        [str(BIN / "nbgrader"), "release_feedback", LAB], logs / "rf.log", cwd=course, env=env
    )
    hub.nbgrader("grace", "fetch_feedback")
    pages = list((state / "homes/grace" / LAB / "feedback").glob(f"*/{LAB}.html"))
    assert pages and "NotImplementedError" in pages[0].read_text()
