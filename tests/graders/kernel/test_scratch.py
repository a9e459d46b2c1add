"""Scratch reset of a warm sandbox, run where it runs: in bubblewrap, as the student's uid."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.session import DRIVER_PATHS
from graders.sandbox import Limits

pytestmark = [pytest.mark.sandbox]

# What a student does to the scratch mounts (same uid as the zygote, no capabilities).
VANDALIZE = r"""
import ctypes, os, pathlib
def vandalize():
    for d in ("/tmp", "/dev/shm"):
        p = pathlib.Path(d)
        (p / "left").write_text("a")
        deep = p / "locked" / "deeper"
        deep.mkdir(parents=True)
        (deep / "x").write_text("a")
        os.symlink("/etc/passwd", p / "link")
        nested = p / "nest"
        for _ in range(300):
            nested = nested / "n"
        nested.mkdir(parents=True)
        os.chmod(deep, 0)
        os.chmod(p / "locked", 0)
        (p / "noperm").write_text("a")
        os.chmod(p / "noperm", 0)
        os.setxattr(d, "user.left", b"a")
        os.chmod(d, 0o555)
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.shmget(0x5EED, 4096, 0o1600) >= 0  # IPC_CREAT | 0600
"""

SCRIPT = (
    VANDALIZE
    + r"""
import json
from graders.kernel import scratch

def state():
    out = {}
    for d in ("/tmp", "/dev/shm"):
        out[d] = {"entries": sorted(os.listdir(d)), "mode": oct(os.stat(d).st_mode & 0o7777),
                  "xattrs": os.listxattr(d)}
    out["shm"] = ctypes.CDLL(None).shmget(0x5EED, 4096, 0o600)
    return out

bases = scratch.baselines()
fresh = state()
vandalize()
first = scratch.reset_all(bases)
after = state()
pathlib.Path("/tmp/after-reset").write_text("writable")
held = open("/dev/shm/held", "wb")  # a file kept open: its space is not given back by unlink
held.write(b"x" * (1 << 20))
held.flush()
second = scratch.reset_all(bases)
print(json.dumps({"fresh": fresh, "first": first, "after": after, "second": second}))
"""
)


def run_in_sandbox(backend: Any, workdir: Path, code: str) -> dict[str, Any]:
    proc = backend.spawn(
        [sys.executable, "-c", code],
        workdir=workdir,
        limits=Limits(wall_time_s=60),
        ro_paths=list(DRIVER_PATHS),
    )
    with proc:
        out = proc.stdout.read()
        proc.wait(60)
    assert proc.returncode == 0, proc.read_stderr().decode()[-2000:]
    return json.loads(out)


def test_everything_a_student_did_to_scratch_is_undone(
    isolating_backend: Any, tmp_path: Path
) -> None:
    """After chmod 0555 of the mounts, permission-less dirs, xattrs, a 300-deep tree and a SysV
    segment, are /tmp and /dev/shm back as new, and does a file kept open count as a failure?"""
    got = run_in_sandbox(isolating_backend, tmp_path, SCRIPT)
    assert got["fresh"]["shm"] == -1  # no segment before the student made one
    assert got["first"] is None
    assert got["after"] == got["fresh"]
    assert got["second"] is not None and "space still in use" in got["second"]
