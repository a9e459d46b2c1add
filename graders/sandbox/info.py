"""bwrap's `--info-fd`: learn the pid of the sandbox's init, to kill the namespace cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import select
import time
from pathlib import Path


class InitInfo:
    """A pipe bwrap writes `{"child-pid": N, ...}` to once the sandbox's init exists."""

    def __init__(self) -> None:
        self._read_fd, self.write_fd = os.pipe()
        self._buffer = b""
        self._pid: int | None = None

    def started(self) -> None:
        """Close our copy of the write end (the launcher holds its own)."""
        with contextlib.suppress(OSError):
            os.close(self.write_fd)
        self.write_fd = -1  # closing it again later could close a reused descriptor

    def child_pid(self, timeout: float) -> int | None:
        """The init's pid (host namespace), waiting up to `timeout` seconds for bwrap to say."""
        if self._pid is not None or self._read_fd < 0:
            return self._pid
        while self._pid is None:
            ready, _, _ = select.select([self._read_fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._read_fd, 4096)
            if not chunk:
                return None
            self._buffer += chunk
            with contextlib.suppress(ValueError):
                pid = json.loads(self._buffer).get("child-pid")
                self._pid = pid if isinstance(pid, int) and pid > 1 else None
        return self._pid

    def wait_init_gone(self, timeout: float = 5.0) -> bool:
        """Wait until the init is a zombie or gone: then no process of the sandbox runs.

        The kernel kills every process of a PID namespace before its init can turn zombie, but
        bwrap's launcher may exit a moment before that. Giving the workdir back must wait.
        """
        pid = self._pid
        if pid is None:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                return True
            if state in ("Z", "X"):
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        for fd in (self._read_fd, self.write_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._read_fd = self.write_fd = -1
