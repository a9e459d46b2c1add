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
import tempfile
import time
from pathlib import Path

STATE_TMPFS_SIZE = "6g"  # both images and the base take about 2.5 GB
STATE_TMPFS_MIN_AVAILABLE = 12 << 30  # leave others at least 6 GB when the tmpfs is full
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]


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

    def import_base(self, tarball: Path, ref: str) -> str:
        """`podman import` a root filesystem tarball as image `ref` (bash, the host's CA bundle)."""
        ca = "/etc/ssl/certs/ca-certificates.crt"
        changes = [f"ENV PIP_CERT={ca}", f"ENV SSL_CERT_FILE={ca}", 'CMD ["/bin/bash"]']
        args = [arg for change in changes for arg in ("--change", change)]
        self.timed("base import", "import", *args, str(tarball), ref, timeout=300)
        return ref

    def build(
        self,
        image: str,
        dockerfile: Path,
        context: Path,
        base: str,
        *,
        wheelhouse: Path | None,
        timeout: float,
    ) -> None:
        """`podman build --format docker` with our ulimits. With a wheelhouse: mounted at /mnt
        (present in every Debian base, so no mount point is left in the image), pip pointed at
        it by the Dockerfiles' PIP_* build args, and no network at all; else the host network."""
        if wheelhouse is None:
            source = ["--network", "host"]
        else:
            pip_args = ["--build-arg", "PIP_FIND_LINKS=/mnt", "--build-arg", "PIP_NO_INDEX=1"]
            source = ["--network", "none", "--volume", f"{wheelhouse}:/mnt:ro", *pip_args]
        self.timed(
            f"build {image.split('/')[-1]}",
            "build", "--format", "docker", *source, *ULIMITS,
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

    def destroy(self) -> None:
        """Remove every container, unmount what podman mounted under the state folder, delete
        it. (`podman system reset` took over 2 minutes for the same result.)"""
        with contextlib.suppress(EngineError):
            self("rm", "--all", "--force", "--time", "5", timeout=120)
        for mount in mounts_under(self.state):
            subprocess.run(["umount", "--lazy", mount], check=False, timeout=60)
        shutil.rmtree(self.state, ignore_errors=True)


def fresh_state(parent: Path) -> Path:
    """A new engine state folder under `parent`, backed by a tmpfs when memory allows: image
    layers are written once and thrown away, and on disk (ext4 with online discard here) their
    writes and deletes cost minutes. `destroy()` unmounts it."""
    reap_stale(parent, "mlops-podman-")
    state = Path(tempfile.mkdtemp(prefix=f"mlops-podman-{os.getpid()}-", dir=parent))
    if memory_available() >= STATE_TMPFS_MIN_AVAILABLE:
        options = f"size={STATE_TMPFS_SIZE},mode=0700"
        # Not allowed (e.g. inside some containers): the folder stays on disk, slower but fine.
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(state)], check=False, timeout=60
        )
    return state


def reap_stale(parent: Path, prefix: str) -> None:
    """Remove `<prefix><pid>-*` folders (and their mounts) whose process is gone: a run that was
    killed cannot clean up, and a tmpfs left mounted would hold its memory until reboot."""
    for folder in parent.glob(f"{prefix}*"):
        pid = folder.name.removeprefix(prefix).split("-")[0]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        if (folder / "storage").exists():
            Podman(folder).destroy()
        for mount in mounts_under(folder):
            subprocess.run(["umount", "--lazy", mount], check=False, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def memory_available() -> int:
    """Bytes of MemAvailable (0 when unknown)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def mounts_under(folder: Path) -> list[str]:
    """Mount points at or below `folder`, deepest first."""
    root = str(folder.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == root or point.startswith(root + "/"):
            points.append(point)
    return sorted(points, key=len, reverse=True)


SWITCH = "MLOPS_CONTAINER_TESTS"  # 0 turns tier 2 off


def skip_reason() -> str | None:
    """Why the image tier (tier 2) cannot run here (None: it runs)."""
    if os.environ.get(SWITCH) == "0":
        return f"container tier 2 turned off by {SWITCH}=0"
    if os.geteuid() != 0:
        return "rootful podman needs root (run the container tiers as root)"
    missing = missing_tools()
    if missing:
        return f"missing {', '.join(missing)}: run 'make sysdeps' as root"
    return None
