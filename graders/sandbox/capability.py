"""Capability probe: start a tiny sandboxed Python and check that it is really isolated."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from graders.sandbox.bubblewrap import BubblewrapBackend
from graders.sandbox.errors import BackendStatus, SandboxUnavailable
from graders.sandbox.limits import Limits
from graders.sandbox.local import LocalBackend
from graders.sandbox.uids import slot_uid

# Runs inside the sandbox; prints what it could do. Everything it may do must be False but `ok`.
_PROBE = """
import json, os, socket, sys
out = {"ok": True, "uid": os.getuid(), "network": False, "secret": False}
try:
    socket.create_connection(("10.255.255.1", 9), timeout=1).close()
    out["network"] = True
except OSError:
    pass
out["secret"] = os.path.exists(sys.argv[1])
print(json.dumps(out))
"""


def _userns_blocker() -> str | None:
    """Why unprivileged user namespaces are off on this kernel, if they are."""
    checks = {
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": (
            "1",
            "AppArmor restricts unprivileged user namespaces (Ubuntu >= 23.10): run as root or set "
            "sysctl kernel.apparmor_restrict_unprivileged_userns=0",
        ),
        "/proc/sys/kernel/unprivileged_userns_clone": (
            "0",
            "unprivileged user namespaces are disabled: sysctl kernel.unprivileged_userns_clone=1",
        ),
        "/proc/sys/user/max_user_namespaces": (
            "0",
            "user namespaces are disabled: sysctl user.max_user_namespaces=15000",
        ),
    }
    for path, (bad, why) in checks.items():
        try:
            if Path(path).read_text().strip() == bad:
                return why
        except OSError:
            continue
    return None


def _probe_bubblewrap() -> BackendStatus:
    try:
        backend = BubblewrapBackend()
    except SandboxUnavailable as exc:
        return BackendStatus("bubblewrap", False, str(exc), isolating=True)
    outside = Path(tempfile.mkdtemp(prefix="mlops-probe-secret-"))
    workdir = Path(tempfile.mkdtemp(prefix="mlops-probe-work-"))
    secret = outside / "secret.txt"
    secret.write_text("must stay invisible")
    outside.chmod(0o755)
    argv = [sys.executable, "-I", "-c", _PROBE, str(secret)]
    limits = Limits(wall_time_s=20, memory_mb=1024, max_procs=16)
    try:
        with backend.spawn(argv, workdir=workdir, limits=limits, slot=999) as proc:
            out = proc.stdout.read()
            code = proc.wait(20)
            err = proc.read_stderr().decode(errors="replace").strip().splitlines()
            caps = (
                f"cgroup caps: {proc.cgroup}" if proc.cgroup else "no writable cgroup: rlimits only"
            )
    except (OSError, ValueError) as exc:
        return BackendStatus("bubblewrap", False, f"cannot start bwrap: {exc}", isolating=True)
    finally:
        shutil.rmtree(outside, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    if code != 0:
        why = _userns_blocker() or (err[-1] if err else f"exit status {code}")
        return BackendStatus("bubblewrap", False, f"bwrap failed: {why}", isolating=True)
    seen = json.loads(out)
    problems = [k for k in ("network", "secret") if seen[k]]
    if os.geteuid() == 0 and seen["uid"] == 0:
        problems.append("runs as root")
    if problems:
        return BackendStatus("bubblewrap", False, "not isolated: " + ", ".join(problems), True)
    how = (
        f"slot uids {slot_uid(0)}+" if os.geteuid() == 0 else "caller's uid (not root: no uid drop)"
    )
    why = f"isolated (network off, files hidden, {how}; {caps})"
    return BackendStatus("bubblewrap", True, why, True)


@functools.cache
def probe() -> list[BackendStatus]:
    """Status of every backend, best first (cached per process; the check spawns a sandbox)."""
    return [
        _probe_bubblewrap(),
        BackendStatus("local", True, "unsandboxed: process group + rlimits only", False),
    ]


def select_backend(*, allow_unsandboxed: bool = False) -> BubblewrapBackend | LocalBackend:
    """The best usable backend.

    Args:
        allow_unsandboxed: Fall back to the non-isolating local backend when no isolating
            backend works (the caller must record that it graded without a sandbox).

    Raises:
        SandboxUnavailable: No isolating backend works and the fallback was not allowed.
    """
    statuses = probe()
    if statuses[0].usable:
        return BubblewrapBackend()
    if allow_unsandboxed:
        return LocalBackend()
    raise SandboxUnavailable(
        f"no isolating sandbox ({statuses[0].reason}); "
        "pass --allow-unsandboxed to run untrusted code without isolation"
    )
