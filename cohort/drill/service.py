"""Start a group's service as a child process on 127.0.0.1, wait until it is ready, stop it.

The command is the group's (`uvicorn ...`, `docker compose up`, `make serve`), run in its
repository in a new session, so the whole process group is stopped at the end, whatever it
started. Readiness is a 200 from the health path within `startup_s`; never answering is a result.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cohort.errors import CohortError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    ready: bool
    reason: str
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


def run_command(
    command: str, *, cwd: Path, env: dict[str, str], timeout_s: float, log: Path
) -> tuple[int | None, str]:
    """Run a build or monitor command to completion (None: it timed out); the tail of its output."""
    with log.open("ab") as out:
        try:
            proc = subprocess.Popen(
                shlex.split(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        except (OSError, ValueError) as exc:  # no such program, an unbalanced quote
            return 127, f"cannot run {command!r}: {exc}"
        try:
            code: int | None = proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            _stop(proc)
            code = None
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
    return code, " | ".join(tail)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL after five seconds."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def started(
    command: str,
    *,
    cwd: Path,
    env: dict[str, str],
    port: int,
    health_path: str,
    startup_s: float,
    log: Path,
) -> Iterator[Service]:
    """The running service (ready or not, with the reason); always stopped on exit."""
    url = f"http://127.0.0.1:{port}"
    out = log.open("ab")
    try:
        proc = subprocess.Popen(
            shlex.split(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    except (OSError, ValueError) as exc:
        out.close()
        raise CohortError(f"cannot start the service with {command!r}: {exc}") from None
    service = Service(url, proc, False, "", log)
    try:
        service.ready, service.reason = _wait_ready(service, health_path, startup_s)
        yield service
    finally:
        _stop(proc)
        out.close()


def _wait_ready(service: Service, health_path: str, startup_s: float) -> tuple[bool, str]:
    deadline = time.monotonic() + startup_s
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not service.alive():
                return False, f"the service exited with code {service.process.returncode}"
            try:
                response = client.get(service.url + health_path)
                if response.status_code == 200:
                    return True, "ready"
                last = f"{health_path} answered {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
    return False, f"not ready within {startup_s:g} s ({last})"
