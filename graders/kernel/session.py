"""Start the driver inside a sandbox backend and hand back a connected `KernelClient`."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from graders.kernel.client import KernelClient, KernelDied

PACKAGE = Path(__file__).resolve().parents[1]
# What the driver imports from this repository; nothing else of it is shown to the sandbox.
DRIVER_PATHS = (PACKAGE / "__init__.py", PACKAGE / "defaults.py", PACKAGE / "kernel")
DRIVER_ARGV = (sys.executable, "-m", "graders.kernel.driver")
# Packages of this repository that lab notebooks may import (read-only; they hold no secrets).
# `labs/`, source notebooks and the rest of the repository stay invisible to the sandbox.
LAB_PACKAGES = ("reference_impl",)


def package_dirs(names: Sequence[str]) -> list[Path]:
    """Directories of the named top-level packages, found without importing them.

    A name that is not installed is skipped: the notebook then fails on its import, as it would
    in the learner's own environment.
    """
    dirs: list[Path] = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(Path(p) for p in spec.submodule_search_locations)
    return dirs


def stderr_tail(proc: Any) -> str:
    """``": <last stderr line>"`` of a sandboxed process (why it failed to start), or ""."""
    lines = proc.read_stderr().decode("utf-8", "replace").strip().splitlines()
    return f": {lines[-1][:300]}" if lines else ""


@contextlib.contextmanager
def open_kernel(
    backend: Any,
    *,
    workdir: Path,
    limits: Any,
    slot: int = 0,
    shell: str = "auto",
    startup_timeout_s: float = 60.0,
    packages: Sequence[str] = LAB_PACKAGES,
) -> Iterator[KernelClient]:
    """Spawn ``python -m graders.kernel.driver`` in ``workdir`` and say hello.

    ``packages`` are shown read-only so notebooks can import them (default `LAB_PACKAGES`).
    The process (and everything it started) is killed when the block exits.
    """
    env = {"MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    proc = backend.spawn(
        list(DRIVER_ARGV),
        workdir=workdir,
        limits=limits,
        env=env,
        slot=slot,
        ro_paths=[*DRIVER_PATHS, *package_dirs(packages)],
    )
    try:
        client = KernelClient(
            proc,
            cell_timeout_s=limits.cell_timeout_s,
            wall_time_s=limits.wall_time_s,
            max_response_bytes=max(limits.max_output_bytes * 4, 256 << 20),
        )
        try:
            client.hello(shell=shell, output_cap=limits.max_output_bytes, timeout=startup_timeout_s)
        except KernelDied as exc:
            exc.detail += stderr_tail(proc)
            raise
        yield client
    finally:
        proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(5)
