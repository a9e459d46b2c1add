"""The unsandboxed backend: own session and process group, rlimits, kill the group.

It does NOT isolate: the code sees every file and the network of the user running it, and a
`setsid` grandchild can outlive the kill. Only used when the caller explicitly allows it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from graders.sandbox.limits import Limits, rlimit_setter
from graders.sandbox.process import SandboxedProcess


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class LocalBackend:
    """Runs code as the current user in its own session, with rlimits and a group kill."""

    name = "local"
    isolating = False

    def spawn(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        limits: Limits | None = None,
        env: Mapping[str, str] | None = None,
        slot: int = 0,
        ro_paths: Sequence[Path] = (),
    ) -> SandboxedProcess:
        """Start `argv` in `workdir` (see `graders/sandbox/INTERFACE.md`); `slot` is unused here."""
        limits = limits or Limits()
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        full_env.update(env or {})
        popen = subprocess.Popen(
            list(argv),
            cwd=workdir,
            env=full_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=rlimit_setter(limits),
        )
        pgid = popen.pid  # start_new_session: the child leads its own group
        return SandboxedProcess(
            popen, limits, kill_all=lambda: _killpg(pgid), on_exit=lambda: _killpg(pgid)
        )
