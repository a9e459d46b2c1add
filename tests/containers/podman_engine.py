"""Rootful podman with its state under one folder, as verified on Debian 12 CI machines.

Settings that work there: runtime runc (crun refuses the cgroup v1 layout), the cgroupfs manager,
ulimits nofile <= 20000 and nproc <= 32768, `--format docker` builds (keep HEALTHCHECK), health
checks run by `podman healthcheck run` (no systemd timers). Every call has a hard timeout and
writes its output to a log file (never a pipe a stray child could hold open).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
DEBIAN_MIRROR = os.environ.get("MLOPS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
STANDIN_BASE = "localhost/mlops-standin-base:bookworm"
STANDIN_PACKAGES = "python3,python3-venv,ca-certificates"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class EngineError(RuntimeError):
    """A podman (or debootstrap) call failed or timed out; the message ends with its output."""


def missing_tools() -> list[str]:
    return [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]


def run_logged(cmd: list[str], log: Path, *, timeout: float, stdin: bytes | None = None) -> str:
    """Run `cmd` with output to `log`; kill its process group on timeout. Returns the output."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            raise EngineError(f"timed out after {timeout:.0f} s: {cmd[:6]}\n{tail(log)}") from None
    if proc.returncode != 0:
        raise EngineError(f"exit {proc.returncode}: {' '.join(cmd[:8])}\n{tail(log)}")
    return log.read_text(errors="replace")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class Podman:
    """podman with storage, run state and logs under `state` (nothing in /var/lib/containers)."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.logs = state / "logs"
        self.calls = 0
        self.seconds: dict[str, float] = {}  # wall time per named step, for the report

    def cmd(self, *args: str) -> list[str]:
        return [
            "podman",
            "--root", str(self.state / "storage"),
            "--runroot", str(self.state / "run"),
            "--tmpdir", str(self.state / "libpod-tmp"),
            "--runtime", "runc",
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "file",
            *args,
        ]  # fmt: skip

    def __call__(self, *args: str, timeout: float = 120, stdin: bytes | None = None) -> str:
        self.calls += 1
        log = self.logs / f"{self.calls:03d}-{args[0]}.log"
        return run_logged(self.cmd(*args), log, timeout=timeout, stdin=stdin)

    def timed(self, step: str, *args: str, timeout: float) -> str:
        start = time.monotonic()
        try:
            return self(*args, timeout=timeout)
        finally:
            self.seconds[step] = time.monotonic() - start

    def has_image(self, ref: str) -> bool:
        try:
            self("image", "exists", ref, timeout=60)
        except EngineError:
            return False
        return True

    def build_standin_base(self, *, timeout: float = 900) -> str:
        """Debian bookworm + python3 + venv by debootstrap, plus the host's CA bundle (this base
        only: the images themselves trust what their real base trusts)."""
        if self.has_image(STANDIN_BASE):
            return STANDIN_BASE
        rootfs = self.state / "rootfs"
        start = time.monotonic()
        if not (rootfs / ".complete").exists():
            shutil.rmtree(rootfs, ignore_errors=True)
            run_logged(
                ["debootstrap", "--variant=minbase", f"--include={STANDIN_PACKAGES}",
                 "bookworm", str(rootfs), DEBIAN_MIRROR],
                self.logs / "debootstrap.log",
                timeout=timeout,
            )  # fmt: skip
            (rootfs / ".complete").touch()
        if HOST_CA_BUNDLE.exists():
            shutil.copyfile(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / cache).glob("*"):
                if item.is_file():
                    item.unlink()
        self.seconds["debootstrap"] = time.monotonic() - start
        tar = subprocess.run(
            ["tar", "-C", str(rootfs), "--exclude=./.complete", "-c", "."],
            capture_output=True,
            check=True,
            timeout=300,
        ).stdout
        ca = "/etc/ssl/certs/ca-certificates.crt"
        changes = [f"ENV PIP_CERT={ca}", f"ENV SSL_CERT_FILE={ca}", 'CMD ["/bin/bash"]']
        args = ["import"] + [arg for c in changes for arg in ("--change", c)]
        self(*args, "-", STANDIN_BASE, timeout=300, stdin=tar)
        return STANDIN_BASE

    def build(
        self, image: str, dockerfile: Path, context: Path, base: str, *, timeout: float
    ) -> None:
        """`podman build --format docker`, host network (package indexes), our ulimits."""
        self.timed(
            f"build {image}",
            "build", "--format", "docker", "--network", "host", *ULIMITS,
            "--build-arg", f"BASE_IMAGE={base}", "-f", str(dockerfile), "-t", image, str(context),
            timeout=timeout,
        )  # fmt: skip

    def run(
        self, image: str, *args: str, timeout: float = 300, options: tuple[str, ...] = ()
    ) -> str:
        """`podman run --rm` (health timers off: they need systemd)."""
        return self(
            "run", "--rm", *ULIMITS, "--health-interval", "disable", *options, image, *args,
            timeout=timeout,
        )  # fmt: skip

    def start(self, name: str, image: str, *options: str, args: tuple[str, ...] = ()) -> None:
        self(
            "run", "-d", "--name", name, *ULIMITS, "--health-interval", "disable", *options, image,
            *args, timeout=120,
        )  # fmt: skip

    def remove(self, name: str) -> None:
        with contextlib.suppress(EngineError):
            self("rm", "--force", "--time", "5", name, timeout=60)


OPT_IN = "MLOPS_CONTAINER_TESTS"


def skip_reason() -> str | None:
    """Why the container tiers cannot run here (None: they can)."""
    if os.environ.get(OPT_IN) != "1":
        return (
            f"container tier 2 is opt-in ({OPT_IN}=1): debootstrap + two podman image builds"
            " take 10-20 min on 2 cores, over the suite's 5-min budget for them"
        )
    if os.geteuid() != 0:
        return "rootful podman needs root (run the container tiers as root)"
    missing = missing_tools()
    if missing:
        return f"missing {', '.join(missing)}: run '{OPT_IN}=1 make sysdeps' as root"
    return None
