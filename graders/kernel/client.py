"""The trusted side of the driver protocol: one request, one response, with a deadline.

Responses must be one JSON object per line echoing the random request id; anything else (a
different id, malformed JSON, a line over the size cap) is a protocol error, and the process is
treated as dead. A dead or timed-out process raises `KernelDied` / `KernelTimeout`, which derive
from BaseException so that test code's ``except Exception`` cannot swallow them and pass.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import secrets
import select
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graders.kernel.decode import (
    MAX_DECODE_COST,
    SAFE_PACKAGES,
    Decoder,
    ProtocolError,
    trusted_import,
    wire_cost,
)
from graders.kernel.encode import Budget, encode


class KernelGone(BaseException):  # noqa: N818 - a condition, not an error of the test code
    """The student's process can no longer answer; ``reason`` is the status suffix."""

    reason = "kernel-died"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class KernelDied(KernelGone):
    reason = "kernel-died"
    pipe_closed = False


class KernelTimeout(KernelGone):
    reason = "timeout"


class KernelProtocolError(KernelGone):
    reason = "protocol-violation"


class GraderLimit(KernelGone):
    """The trusted scoring process itself died or overran its limits (`graders.scorer`)."""

    reason = "grader-limit"


# Calls into the student's code one test cell may make. An object whose `__getitem__` returns
# itself would otherwise keep numpy's sequence conversion calling into the sandbox until the
# notebook's wall time runs out.
CALL_BUDGET = 1000
# Transport is left out of the test's clock at most at these rates (bytes per second): a
# student's process that reads a message slowly, or answers with a huge value, while it computes
# in another thread gains at most the difference between these rates and the real ones.
MIN_PIPE_RATE = 250e6
MIN_PARSE_RATE = 100e6
# Calls the student's code may make back into functions a test passed in, per notebook
# (a numerical integrator evaluates f at every grid point).
CALLBACK_BUDGET = 200_000


class RemoteError(Exception):
    """An exception raised by the student's code during a call (its type is not a builtin)."""


@dataclass
class ExecResult:
    ok: bool
    stdout: str
    error: dict[str, Any] | None
    dropped: int = 0


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f"bare {name} in response")


class KernelClient:
    """Talks to one driver process started by a sandbox backend."""

    def __init__(
        self,
        proc: Any,
        *,
        cell_timeout_s: float,
        wall_time_s: float,
        max_response_bytes: int = 256 << 20,
        exit_reports: bool = False,
    ) -> None:
        self.proc = proc
        self.cell_timeout_s = cell_timeout_s
        self.deadline = time.monotonic() + wall_time_s
        self.max_response_bytes = max_response_bytes
        self.max_decode_cost = MAX_DECODE_COST
        # A warm sandbox's zygote reports a driver's exit on the same pipe: {"op": "exited"}.
        self.exit_reports = exit_reports
        self.gone: KernelGone | None = None
        self.busy_s = 0.0
        self.calls_left = CALL_BUDGET
        self.callbacks: dict[int, Any] = {}  # functions a test passed into the student's code
        self.callbacks_left = CALLBACK_BUDGET
        # Called with a test's arguments right before they go into the student's code (the
        # mirror binds the globals that hold them, see `graders.mirror.Mirror.disclose`).
        self.before_call: Callable[[tuple[Any, ...], dict[str, Any]], None] | None = None
        # Seconds the grader spent moving test values and answers between the processes, which
        # one Jupyter kernel never spends: the clock test code reads leaves them out.
        self.transport_s = 0.0
        self._blobs: list[Any] = []  # raw arrays for the next message (`encode_arg`)
        self._last_line = 0  # bytes of the last response read
        self._buf = b""
        from graders.kernel.proxies import make_proxy

        self.decoder = Decoder(lambda h: make_proxy(self, h))

    # -- transport -----------------------------------------------------------------------------
    def _fail(self, exc: KernelGone) -> KernelGone:
        self.gone = exc
        with contextlib.suppress(Exception):  # already gone
            self.proc.kill()
        return exc

    def _read_line(self, timeout: float, until: float | None = None) -> bytes:
        fd = self.proc.stdout.fileno()
        end = min(time.monotonic() + timeout if until is None else until, self.deadline)
        if b"\n" not in self._buf:
            # Chunks are collected in a list and priced as they come: a line that would cost too
            # much memory to parse is refused before the rest of it is read.
            parts, size, cost = [self._buf], len(self._buf), wire_cost(self._buf)
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    over_wall = time.monotonic() >= self.deadline
                    what = "the notebook's wall-time limit" if over_wall else f"{timeout:g} s"
                    raise self._fail(KernelTimeout(f"no answer within {what}"))
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    code = self.proc.poll()
                    if time.monotonic() >= self.deadline:
                        wall = KernelTimeout("the notebook's wall-time limit was reached")
                        raise self._fail(wall)
                    died = KernelDied(f"the student's process exited (code {code})")
                    died.pipe_closed = True  # the whole sandbox is gone, not just one process
                    raise self._fail(died)
                parts.append(chunk)
                size, cost = size + len(chunk), cost + wire_cost(chunk)
                if size > self.max_response_bytes:
                    raise self._fail(KernelProtocolError("response larger than the cap"))
                if b"\n" in chunk:
                    break
                if cost > self.max_decode_cost:
                    raise self._fail(
                        KernelProtocolError("response would cost too much memory to read")
                    )
            self._buf = b"".join(parts)
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def pending_bytes(self) -> int:
        """Bytes received but not consumed yet."""
        return len(self._buf)

    def read_line(self, timeout: float) -> bytes:
        """The next raw line from the process (e.g. the warm sandbox's own report)."""
        return self._read_line(timeout)

    def request(self, op: str, timeout: float | None = None, **fields: Any) -> dict[str, Any]:
        """Send one request and return its validated response.

        While waiting, the student's code may call back a function the test passed in
        (``newton(lambda x: x**2 - 2, 1.0)``): such lines are served here (`_callback`).
        """
        if self.gone is not None:
            raise self.gone
        rid = secrets.token_hex(12)
        self._send_message({"id": rid, "op": op, **fields})
        started = time.monotonic()
        limit = self.cell_timeout_s if timeout is None else timeout
        try:
            while True:
                line = self._read_line(limit, until=started + limit)
                resp = self._parse(line)
                if op == "hello" or "cb" not in resp:
                    break
                self._callback(resp)
        finally:
            if op != "hello":  # the student's process at work (cells, calls from tests)
                self.busy_s += time.monotonic() - started
        if resp.get("id") != rid or not isinstance(resp.get("ok"), bool):
            raise self._fail(KernelProtocolError("out-of-sequence or malformed response"))
        return resp

    def _send_message(self, message: dict[str, Any]) -> None:
        """One JSON line, then the raw arrays its values refer to (``blobs``: their sizes).

        The time this takes is the grader's transport (`transport_s`), up to what the bytes
        cost at `MIN_PIPE_RATE` (a student's process that reads slowly gains nothing from it)."""
        blobs, self._blobs = self._blobs, []
        if blobs:
            message = {**message, "blobs": [int(b.nbytes) for b in blobs]}
        t0 = time.perf_counter()
        text = json.dumps(message, allow_nan=False) + "\n"
        self._send(text)
        for blob in blobs:
            self._send(memoryview(blob))
        spent = time.perf_counter() - t0
        self.transport_s += min(spent, (len(text) + sum(b.nbytes for b in blobs)) / MIN_PIPE_RATE)

    def _send(self, data: str | memoryview) -> None:
        try:
            self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._fail(KernelDied("the student's process is gone")) from None

    def _parse(self, line: bytes) -> dict[str, Any]:
        t0 = time.perf_counter()
        try:
            return self._parse_line(line)
        finally:
            self._last_line = len(line)
            self.transport_s += min(time.perf_counter() - t0, len(line) / MIN_PARSE_RATE)

    def _parse_line(self, line: bytes) -> dict[str, Any]:
        if wire_cost(line) > self.max_decode_cost:
            raise self._fail(KernelProtocolError("response would cost too much memory to read"))
        try:
            resp = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError, ProtocolError) as exc:
            raise self._fail(KernelProtocolError(f"malformed response: {exc}")) from None
        if self.exit_reports and isinstance(resp, dict) and resp.get("op") == "exited":
            code = resp.get("code")
            raise self._fail(KernelDied(f"the student's process exited (code {code})"))
        if not isinstance(resp, dict):
            raise self._fail(KernelProtocolError("out-of-sequence or malformed response"))
        return resp

    def _callback(self, req: dict[str, Any]) -> None:
        """Run a test's own function for the student's code, on plain data, and answer.

        Instructor code on student data, as when the test calls anything on a student value;
        what goes back is data (or a handle); an exception goes back as its type only.
        """
        fn = self.callbacks.get(req.get("cb"))  # type: ignore[arg-type]
        args, kwargs = req.get("args"), req.get("kwargs")
        if fn is None or not isinstance(args, list) or not isinstance(kwargs, list):
            raise self._fail(KernelProtocolError("bad callback request"))
        self.callbacks_left -= 1
        if self.callbacks_left < 0:
            reply: dict[str, Any] = {"cb_ok": False, "error": {"type": "RuntimeError"}}
        else:
            try:
                kw = {str(k): self.decode(v) for k, v in kwargs}
                value = fn(*[self.decode(a) for a in args], **kw)
                reply = {"cb_ok": True, "value": self.encode_arg(value)}
            except Exception as exc:  # the test's function failed: its type, never its message
                error = {"type": type(exc).__name__, "builtin": type(exc).__module__ == "builtins"}
                reply = {"cb_ok": False, "error": error}
        self._send_message(reply)

    # -- operations ----------------------------------------------------------------------------
    def hello(self, *, shell: str = "auto", output_cap: int = 1 << 20, timeout: float = 30) -> None:
        self.request("hello", timeout=timeout, shell=shell, output_cap=output_cap)

    def exec(self, code: str) -> ExecResult:
        resp = self.request("exec", code=code)
        stdout = resp.get("stdout", "")
        error = resp.get("error")
        dropped = resp.get("dropped", 0)
        return ExecResult(
            ok=resp["ok"],
            stdout=stdout if isinstance(stdout, str) else "",
            error=error if isinstance(error, dict) else None,
            dropped=dropped if isinstance(dropped, int) else 0,
        )

    def decode(self, value: Any, *, fresh: bool = True) -> Any:
        """Decode one response value (``fresh=False``: another value of the same response)."""
        try:
            return (self.decoder.fresh() if fresh else self.decoder).decode(value)
        except (ProtocolError, RecursionError) as exc:
            raise self._fail(KernelProtocolError(str(exc))) from None

    def get(self, names: list[str]) -> dict[str, Any]:
        """Fetch names from the student's namespace; missing names are left out."""
        if not names:
            return {}
        values = self.request("get", names=names).get("values")
        if not isinstance(values, dict):
            raise self._fail(KernelProtocolError("bad 'get' response"))
        out: dict[str, Any] = {}
        self.decoder.fresh()  # the names of one response share its memo (`lst` holds `arr`)
        for name in names:
            value = values.get(name)
            if isinstance(value, dict) and value.get("$") == "missing":
                continue
            if isinstance(value, dict) and value.get("$") == "unsendable":
                out[name] = Unsendable(name, str(value.get("error", {}).get("message", "")))
                continue
            module = conventional_module(name, value)
            out[name] = module if module is not None else self.decode(value, fresh=False)
        return out

    def set(self, values: dict[str, Any]) -> list[str]:
        """Bind trusted values (plain data or proxies) to names in the student's namespace.

        Values that cannot be sent (trusted objects that are not plain data) are skipped;
        returns the names actually bound.
        """
        encoded = {}
        for name, value in values.items():
            try:
                encoded[name] = self.encode_arg(value)
            except (TypeError, ValueError):
                continue
        if encoded:
            self.request("set", values=encoded)
        return sorted(encoded)

    def encode_arg(self, value: Any) -> Any:
        """A test's value as sent into the student's process (large arrays as blobs that go
        with the next message). Encoding is the grader's transport (`transport_s`)."""
        t0 = time.perf_counter()
        try:
            return encode(value, Budget(blobs=self._blobs), 0, self._handle_of)
        finally:
            self.transport_s += time.perf_counter() - t0

    def _handle_of(self, obj: Any) -> int:
        """The handle to send for a value a test passes into the student's code: a student
        object's own handle, -1 for a library object (named), or a callback for the test's own
        function (``lambda x: x**2 - 2``)."""
        from graders.kernel.encode import _library_ref
        from graders.kernel.proxies import RemoteObject

        if isinstance(obj, RemoteObject):
            return int(object.__getattribute__(obj, "_handle"))
        if _library_ref(obj) is not None:
            return -1
        if callable(obj) and len(self.callbacks) < 10_000:
            key = -2 - len(self.callbacks)
            self.callbacks[key] = obj
            return key
        raise TypeError(f"cannot pass a {type(obj).__name__} into the student's code")

    def remote(self, op: str, handle: int, *, passed: tuple[Any, ...] = (), **fields: Any) -> Any:
        """Run one operation on a handle; raise the student's exception if it raised.

        ``passed``: the test's own arguments of a call, updated in place when the student's code
        changed them (as the test would see it in one kernel).
        """
        if self.calls_left <= 0:
            raise RemoteError(f"too many calls into your code for one test (limit {CALL_BUDGET})")
        self.calls_left -= 1
        resp = self.request(op, handle=handle, **fields)
        printed = resp.get("stdout")
        if isinstance(printed, str) and printed:
            sys.stdout.write(printed)  # the test's own stdout (redirect_stdout captures it)
        t0 = time.perf_counter()
        try:
            mutated = resp.get("mutated")
            for item in mutated if isinstance(mutated, list) else []:
                ok = isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)
                if ok and 0 <= item[0] < len(passed):
                    write_back(passed[item[0]], self.decode(item[1]))
            if resp["ok"]:
                return self.decode(resp.get("value"))
        finally:
            spent = time.perf_counter() - t0
            self.transport_s += min(spent, self._last_line / MIN_PARSE_RATE)
        raise remote_exception(resp.get("error"))


def write_back(target: Any, value: Any) -> None:
    """Update the test's list, dict or array in place with what the student's code made of it."""
    if isinstance(target, list) and isinstance(value, list):
        target[:] = value
    elif isinstance(target, dict) and isinstance(value, dict):
        target.clear()
        target.update(value)
    elif type(target).__name__ == "ndarray" and getattr(value, "shape", None) == target.shape:
        with contextlib.suppress(TypeError, ValueError):
            target[...] = value


# Modules whose state is the student's work (their figures): a test reading `plt.gca()` means the
# student's pyplot, so these are proxies even when the instructor imported them too.
STATEFUL_MODULES = frozenset({"matplotlib.pyplot"})

# Names under which a notebook conventionally binds a library module (besides the module's own).
MODULE_ALIASES = {
    "np": "numpy",
    "pd": "pandas",
    "plt": "matplotlib.pyplot",
    "mpl": "matplotlib",
    "sns": "seaborn",
    "sp": "scipy",
    "la": "numpy.linalg",
}


def conventional_module(name: str, value: Any) -> Any:
    """The trusted module for a student's top-level ``np``/``pd``/``math`` binding, else None.

    A module is a namespace: the test code picks what it calls in it. The student may only
    choose *which* module stands behind a name as far as the name already says it, and only among
    `SAFE_PACKAGES` (``np`` → numpy, ``stats`` → ``scipy.stats``); anything else is a proxy.
    """
    if not isinstance(value, dict) or value.get("$") != "module":
        return None
    module = value.get("name")
    if not isinstance(module, str) or module.split(".")[0] not in SAFE_PACKAGES:
        return None
    if module in STATEFUL_MODULES:  # the student's figures live in the student's pyplot
        return None
    if name != module.rsplit(".", 1)[-1] and MODULE_ALIASES.get(name) != module:
        return None
    try:
        return trusted_import(module)
    except (ImportError, AttributeError, ValueError):
        return None


class Unsendable:
    """Stands for a student value that could not be reduced to plain data (e.g. too large)."""

    def __init__(self, name: str, why: str) -> None:
        self.name, self.why = name, why

    def __repr__(self) -> str:
        return f"<{self.name}: cannot be read from the student's process ({self.why})>"


def remote_exception(error: Any) -> Exception:
    """The trusted-side exception for an exception raised in the student's code."""
    if not isinstance(error, dict):
        return RemoteError("the student's code failed")
    kind, message = str(error.get("type", "Exception")), str(error.get("message", ""))
    builtin = vars(builtins).get(kind) if error.get("builtin") is True else None
    exc: Exception = RemoteError(f"{kind}: {message}")
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        with contextlib.suppress(Exception):  # exception types with odd signatures
            exc = builtin(message)
    exc.from_student = True  # type: ignore[attr-defined]
    return exc
