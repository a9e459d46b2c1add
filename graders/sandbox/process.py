"""A running sandboxed process: pipes, capped stderr, wall-time watchdog, kill-everything."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import threading
from collections.abc import Callable
from types import TracebackType
from typing import IO

from graders.sandbox.limits import Limits

_DRAIN_CHUNK = 1 << 16


class SandboxedProcess:
    """One process started by a backend.

    `stdin`/`stdout` are binary pipes for the engine's requests and the kernel's responses;
    stderr is drained by a thread into a buffer capped at `limits.max_output_bytes` (the rest is
    read and dropped, so a chatty process never blocks on a full pipe). A watchdog kills the
    whole sandbox after `limits.wall_time_s`.

    Args:
        popen: The started process (its stdin/stdout/stderr are pipes).
        limits: The limits it runs under.
        kill_all: Kills everything the sandbox started (namespace or process group).
        on_exit: Called once after the process has been reaped (e.g. give the workdir back).
        uid: The uid the code runs as (default: this process's).
        cgroup: Which cgroup caps apply ("" = rlimits only).
        init_pid: Host pid of the sandbox's PID-namespace init, when the backend has one.
    """

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        limits: Limits,
        kill_all: Callable[[], None],
        on_exit: Callable[[], None] | None = None,
        *,
        uid: int | None = None,
        cgroup: str = "",
        init_pid: Callable[[], int | None] | None = None,
    ) -> None:
        self._popen = popen
        self._limits = limits
        self._kill_all = kill_all
        self._on_exit = on_exit
        self._finished = False
        self._lock = threading.Lock()
        self._stderr = bytearray()
        self._stderr_dropped = 0
        self.timed_out = False
        self.cgroup = cgroup
        self.uid = os.getuid() if uid is None else uid
        self.init_pid: Callable[[], int | None] = init_pid or (lambda: None)
        assert popen.stdin is not None and popen.stdout is not None and popen.stderr is not None
        self.stdin: IO[bytes] = popen.stdin
        self.stdout: IO[bytes] = popen.stdout
        self._drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._drain.start()
        self._watchdog = threading.Timer(limits.wall_time_s, self._on_wall_time)
        self._watchdog.daemon = True
        self._watchdog.start()

    @property
    def pid(self) -> int:
        """Pid of the outermost process (the backend's launcher)."""
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        """Exit status once reaped (negative: killed by that signal), else None."""
        return self._popen.returncode

    def _drain_stderr(self) -> None:
        fd = self._popen.stderr.fileno()  # type: ignore[union-attr]
        cap = self._limits.max_output_bytes
        while True:
            try:
                chunk = os.read(fd, _DRAIN_CHUNK)
            except OSError:
                return
            if not chunk:
                return
            room = cap - len(self._stderr)
            if room > 0:
                self._stderr += chunk[:room]
            self._stderr_dropped += max(0, len(chunk) - max(room, 0))

    def _on_wall_time(self) -> None:
        if self._popen.poll() is None:
            self.timed_out = True
            self.kill()

    def read_stderr(self) -> bytes:
        """Stderr captured so far, at most `limits.max_output_bytes` bytes."""
        return bytes(self._stderr)

    @property
    def stderr_truncated(self) -> bool:
        """True when stderr exceeded the cap and the rest was dropped."""
        return self._stderr_dropped > 0

    def poll(self) -> int | None:
        """Return the exit status if the process has ended, else None."""
        code = self._popen.poll()
        if code is not None:
            self._finish()
        return code

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end; raises `subprocess.TimeoutExpired` after `timeout` seconds."""
        if timeout is not None and self._popen.returncode is None:
            _wait_exit(self._popen.pid, timeout)  # wakes at the exit, not at a polling tick
        code = self._popen.wait(timeout)
        self._finish()
        return code

    def kill(self) -> None:
        """Kill everything the sandbox started and reap it; safe to call more than once."""
        try:
            self._kill_all()
        finally:
            # Bounded: a launcher that survived SIGKILL must not hang the engine.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(10)
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
        self._watchdog.cancel()
        # The namespace or group is gone once the launcher is reaped; a bounded drain cannot hang.
        self._drain.join(timeout=2)
        if self._on_exit is not None:
            self._on_exit()

    def close(self) -> None:
        """Kill if still running, close the pipes and release resources."""
        if self._popen.poll() is None:
            self.kill()
        else:
            self._finish()
        for stream in (self._popen.stdin, self._popen.stdout, self._popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __enter__(self) -> SandboxedProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _wait_exit(pid: int, timeout: float) -> None:
    """Block until `pid` exits or `timeout` passes (pidfd); `Popen.wait(timeout)` polls in steps
    of up to 50 ms, which every notebook of a cohort would pay."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # old kernel, or already reaped
        return
    try:
        select.select([fd], [], [], max(0.0, timeout))
    finally:
        os.close(fd)
