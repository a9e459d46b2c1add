"""The stand-in for `python:3.11-slim-bookworm` (no image can be pulled here), by debootstrap.

Debian bookworm, minbase variant, plus python3 and venv, plus the host's CA bundle (in this base
only: the images themselves trust what their real base trusts). debootstrap runs in a tmpfs when
one allows executables (dpkg's fsyncs cost a minute on disk); the tarball is cached under
`build/containers/` keyed by everything that goes into it, so only the first run pays.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from podman_engine import reap_stale, run_logged

SUITE = "bookworm"
PACKAGES = "python3,python3-venv"
DEBIAN_MIRROR = os.environ.get("MLOPS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
SCRATCH = Path("/dev/shm")
SCRATCH_NEEDS = 1 << 30  # bytes free in the tmpfs (the rootfs is about 250 MB)


def cache_key() -> str:
    """Hash of what the tarball holds: suite, packages, architecture, the host's CA bundle."""
    digest = hashlib.sha256(f"{SUITE} minbase {PACKAGES} {platform.machine()}".encode())
    if HOST_CA_BUNDLE.exists():
        digest.update(HOST_CA_BUNDLE.read_bytes())
    return digest.hexdigest()[:12]


def scratch_parent(fallback: Path) -> Path:
    """A tmpfs that allows executables and has room, else `fallback` (on disk: slower)."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return fallback
    for line in mounts:
        _, where, fstype, options, *_ = line.split()
        usable = fstype == "tmpfs" and "noexec" not in options.split(",")
        if Path(where) == SCRATCH and usable and os.access(SCRATCH, os.W_OK):
            return SCRATCH if shutil.disk_usage(SCRATCH).free > SCRATCH_NEEDS else fallback
    return fallback


def rootfs_tarball(cache: Path, *, logs: Path, timeout: float = 900) -> tuple[Path, bool]:
    """The cached tarball (path, True), or a new one made by debootstrap (path, False)."""
    tarball = cache / f"standin-{SUITE}-{cache_key()}.tar"
    if tarball.exists():
        return tarball, True
    cache.mkdir(parents=True, exist_ok=True)
    scratch = scratch_parent(cache)
    reap_stale(scratch, "mlops-rootfs-")
    rootfs = Path(tempfile.mkdtemp(prefix=f"mlops-rootfs-{os.getpid()}-", dir=scratch))
    try:
        run_logged(
            ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", SUITE, str(rootfs),
             DEBIAN_MIRROR],
            logs / "debootstrap.log",
            timeout=timeout,
        )  # fmt: skip
        certs = rootfs / "etc/ssl/certs"
        certs.mkdir(parents=True, exist_ok=True)
        if HOST_CA_BUNDLE.exists():
            shutil.copyfile(HOST_CA_BUNDLE, certs / HOST_CA_BUNDLE.name)
        for cache_dir in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / cache_dir).glob("*"):
                if item.is_file():
                    item.unlink()
        partial = tarball.with_suffix(".partial")
        subprocess.run(
            ["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True, timeout=300
        )
        partial.rename(tarball)  # complete or absent, never half-written
        for older in cache.glob(f"standin-{SUITE}-*.tar"):
            if older != tarball:
                older.unlink()  # made for another package list or CA bundle
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return tarball, False
