"""The warm sandbox's resident process, INSIDE the sandbox (``python -m graders.kernel.zygote``).

It imports the lab's modules once (names the trusted side takes from the instructor's locked
cells, never from a submission), then forks one fresh driver per notebook: the driver starts
with those modules already in ``sys.modules`` and an empty namespace, and speaks the ordinary
driver protocol on the inherited pipes. The zygote reads its own commands unbuffered, one byte at
a time, so it never swallows a request meant for the driver, and writes nothing while a driver
runs; after the driver exits it puts the sandbox's ``/tmp``, ``/dev/shm`` and SysV IPC back as
they were before any student ran (`graders.kernel.scratch`) and reports whether that worked: the
trusted side discards the sandbox when it did not.

The zygote is not dumpable, so a student's process (same uid) cannot ptrace it or write its
memory; the trusted side discards the whole sandbox whenever anything else outlived a driver.

Commands (one JSON object per line): ``{"op": "preload", "modules": [...]}`` → ``{"ok": true,
"loaded": [...], "failed": {...}}``; ``{"op": "fork", "cpu_s": N}`` → the driver takes over
until it exits, then ``{"op": "exited", "code": N, "reset": true}`` (or ``"reset": false`` with
the ``"problem"``). A reset that fails before a fork ends the zygote: the sandbox is lost, and the
trusted side grades that submission in a cold sandbox.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import resource
import sys
from typing import Any

from graders.kernel import scratch

_PR_SET_DUMPABLE = 4


def _set_dumpable(flag: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, flag, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to protect against here
        pass


def _read_command() -> dict[str, Any] | None:
    line = bytearray()
    while True:
        byte = os.read(0, 1)
        if not byte:
            return None
        if byte == b"\n":
            break
        line += byte
        if len(line) > 1 << 16:
            return None
    try:
        command = json.loads(line)
    except ValueError:
        return None
    return command if isinstance(command, dict) else None


def _reply(message: dict[str, Any]) -> None:
    data = json.dumps(message).encode() + b"\n"
    while data:
        data = data[os.write(1, data) :]


def _preload(modules: list[Any]) -> dict[str, Any]:
    loaded, failed = [], {}
    for name in modules:
        try:
            importlib.import_module(str(name))
            loaded.append(str(name))
        except BaseException as exc:  # a lab module that fails here fails in the notebook too
            failed[str(name)] = f"{type(exc).__name__}: {exc}"[:300]
    return {"ok": True, "loaded": loaded, "failed": failed}


def _run_driver(cpu_s: int) -> None:
    """In the forked child: become an ordinary driver (never returns)."""
    try:
        _set_dumpable(1)  # the student's process behaves as a freshly started one
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        from graders.kernel import driver

        driver.main()
    finally:
        os._exit(0)


def main() -> None:
    _set_dumpable(0)
    baselines = scratch.baselines()  # before any student's code ran
    while True:
        command = _read_command()
        if command is None:
            os._exit(0)
        op = command.get("op")
        if op == "preload":
            modules = command.get("modules")
            _reply(_preload(modules if isinstance(modules, list) else []))
        elif op == "fork":
            if scratch.reset_all(baselines) is not None:
                os._exit(70)  # never hand a student a sandbox that is not as new
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _run_driver(max(1, int(command.get("cpu_s", 600))))
            _, status = os.waitpid(pid, 0)
            problem = scratch.reset_all(baselines)
            reply = {"op": "exited", "code": os.waitstatus_to_exitcode(status)}
            _reply({**reply, "reset": problem is None, "problem": problem})
        else:
            _reply({"ok": False, "error": f"unknown command {op!r}"})


if __name__ == "__main__":
    main()
