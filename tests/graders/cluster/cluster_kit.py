"""A real Dask cluster on 127.0.0.1 (`dask scheduler` + `dask worker` processes) for the suite."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
GRADERS_TESTS = Path(__file__).resolve().parents[1]  # grader_helpers, for the workers
REPO = GRADERS_TESTS.parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_env(**extra: str) -> dict[str, str]:
    """The workers import the engine and the suite's helpers; a task may kill two workers."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(GRADERS_TESTS)]),
        # A task is rescheduled after one dead worker; a second one ends it as KilledWorker.
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
        **extra,
    }


@dataclass
class LiveCluster:
    """A scheduler and its worker processes (each `dask worker` has a nanny that restarts it)."""

    address: str
    logs: Path
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    client: Any = None

    def add_worker(self, name: str, **env: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as log:  # the worker keeps its own copy
            proc = subprocess.Popen(
                [str(BIN / "dask"), "worker", self.address, "--name", name, "--nthreads", "1",
                 "--nworkers", "1", "--resources", "mlops-grade=1", "--host", "127.0.0.1",
                 "--no-dashboard", "--memory-limit", "0", "--death-timeout", "60"],
                stdout=log, stderr=subprocess.STDOUT, env=worker_env(**env), start_new_session=True,
            )  # fmt: skip
        self.workers.append(proc)
        return proc

    def stop_worker(self, proc: subprocess.Popen[bytes]) -> None:
        _stop(proc)
        self.workers.remove(proc)

    def wait_for_workers(self, n: int, timeout: float = 90) -> None:
        """Until exactly ``n`` workers are connected (a restarted one included)."""
        deadline = time.monotonic() + timeout
        while len(self.client.scheduler_info(n_workers=-1)["workers"]) != n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{n} workers did not connect; logs in {self.logs}")
            time.sleep(0.2)

    def worker_pid(self, address: str) -> int:
        return int(self.client.run(os.getpid, workers=[address])[address])

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close(timeout=5)
        for proc in [*self.workers, self.scheduler]:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this suite started, and the processes it started (its own session)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def start_cluster(logs: Path, workers: int) -> LiveCluster:
    from distributed import Client

    logs.mkdir(parents=True, exist_ok=True)
    address = f"tcp://127.0.0.1:{free_port()}"
    with (logs / "scheduler.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
             address.rsplit(":", 1)[1], "--dashboard-address", "127.0.0.1:0"],
            stdout=log, stderr=subprocess.STDOUT, env=worker_env(), start_new_session=True,
        )  # fmt: skip
    cluster = LiveCluster(address, logs, proc)
    try:
        for i in range(workers):
            cluster.add_worker(f"w{i}")
        cluster.client = Client(address, timeout=60, set_as_default=False)
        cluster.wait_for_workers(workers)
    except BaseException:
        cluster.close()
        raise
    return cluster
