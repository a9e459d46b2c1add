"""The student-side driver: runs INSIDE the sandbox as ``python -m graders.kernel.driver``.

It speaks JSON lines over a private copy of the original stdin/stdout; file descriptors 0/1/2 are
redirected at startup so whatever the student's code prints lands in captured output, never in the
protocol. Every response echoes the request's ``id`` (chosen at random by the trusted side).

Requests (``op``): ``hello``, ``exit``, ``exec`` (run a cell), ``get`` (names → plain data), ``set``
(bind names the public test code bound), ``call`` /
``getattr`` / ``getitem`` / ``len`` / ``iter`` / ``bool`` / ``contains`` on a handle. Nothing here
decides a score: the trusted side does, from the plain data this sends back.
"""

from __future__ import annotations

import ast
import io
import json
import os
import signal
import sys
import tempfile
import traceback
from typing import Any

from graders.kernel.decode import Decoder
from graders.kernel.encode import Budget, encode

MAX_ITER = 100_000


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        s = str(s)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def take(self) -> tuple[str, int]:
        text, dropped = "".join(self.parts), self.dropped
        self.parts, self.size, self.dropped = [], 0, 0
        return text, dropped


class Driver:
    """Holds the student's namespace, the handles given out, and the output capture."""

    def __init__(self, proto_in: Any, proto_out: Any, fd_capture: Any) -> None:
        self.proto_in, self.proto_out, self.fd_capture = proto_in, proto_out, fd_capture
        self.ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.handles: dict[int, Any] = {}
        self.shell: Any = None
        self.mode = "auto"
        self.cap = 1 << 20
        self.out = CappedText(self.cap)
        self.decoder = Decoder(lambda h: self.handles[h["id"]], resolve_refs=True)

    # -- plumbing ------------------------------------------------------------------------------
    def register(self, obj: Any) -> int:
        key = len(self.handles) + 1
        self.handles[key] = obj
        return key

    def encode(self, obj: Any) -> Any:
        return encode(obj, Budget(), 0, self.register)

    def serve(self) -> None:
        for raw in self.proto_in:
            try:
                req = json.loads(raw)
                rid = req["id"]
            except (ValueError, KeyError, TypeError):
                return
            try:
                resp = getattr(self, "op_" + str(req.get("op")))(req)
            except Exception as exc:  # report, keep serving
                resp = {"ok": False, "error": _error(exc)}
            resp["id"] = rid
            try:
                line = json.dumps(resp, allow_nan=False, separators=(",", ":"))
            except (TypeError, ValueError) as exc:
                line = json.dumps({"id": rid, "ok": False, "error": _error(exc)})
            self.proto_out.write(line.encode() + b"\n")
            self.proto_out.flush()
            if req.get("op") == "exit":
                return

    # -- requests ------------------------------------------------------------------------------
    def op_hello(self, req: dict[str, Any]) -> dict[str, Any]:
        self.mode = str(req.get("shell", "auto"))
        self.cap = int(req.get("output_cap", self.cap))
        self.out = CappedText(self.cap)
        sys.stdout = sys.stderr = self.out
        return {"ok": True, "pid": os.getpid(), "python": sys.version.split()[0]}

    def op_exit(self, req: dict[str, Any]) -> dict[str, Any]:
        """The trusted side is done with this notebook: answer, then end the process."""
        return {"ok": True}

    def op_exec(self, req: dict[str, Any]) -> dict[str, Any]:
        code = str(req.get("code", ""))
        error = self._run_ipython(code) if self._wants_ipython(code) else self._run_plain(code)
        text, dropped = self.out.take()
        fd_text = self._take_fd_output()
        return {"ok": error is None, "error": error, "stdout": text + fd_text, "dropped": dropped}

    def op_get(self, req: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in req.get("names", []):
            if name not in self.ns:
                values[name] = {"$": "missing"}
                continue
            try:
                values[name] = self.encode(self.ns[name])
            except Exception as exc:
                values[name] = {"$": "unsendable", "error": _error(exc)}
        return {"ok": True, "values": values}

    def op_set(self, req: dict[str, Any]) -> dict[str, Any]:
        """Bind names the public test code bound, as they would be after running it here."""
        values = req.get("values", {})
        for name, value in values.items() if isinstance(values, dict) else ():
            self.ns[str(name)] = self.decoder.decode(value)
        return {"ok": True}

    def _target(self, req: dict[str, Any]) -> Any:
        return self.handles[int(req["handle"])]

    def _result(self, fn: Any) -> dict[str, Any]:
        try:
            value = fn()
        except BaseException as exc:  # sys.exit() inside a called function fails that call only
            return {"ok": False, "error": _error(exc)}
        finally:
            self.out.take()
        return {"ok": True, "value": self.encode(value)}

    def op_call(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self._target(req)
        args = [self.decoder.decode(a) for a in req.get("args", [])]
        kwargs = {str(k): self.decoder.decode(v) for k, v in req.get("kwargs", [])}
        return self._result(lambda: target(*args, **kwargs))

    def op_getattr(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self._target(req)
        return self._result(lambda: getattr(target, str(req["name"])))

    def op_getitem(self, req: dict[str, Any]) -> dict[str, Any]:
        target, key = self._target(req), self.decoder.decode(req.get("key"))
        return self._result(lambda: target[key])

    def op_len(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self._target(req)
        return self._result(lambda: int(len(target)))

    def op_bool(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self._target(req)
        return self._result(lambda: bool(target))

    def op_contains(self, req: dict[str, Any]) -> dict[str, Any]:
        target, item = self._target(req), self.decoder.decode(req.get("item"))
        return self._result(lambda: bool(item in target))

    def op_iter(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self._target(req)

        def items() -> list[Any]:
            out = []
            for i, item in enumerate(target):
                if i >= MAX_ITER:
                    raise ValueError("too many items to send")
                out.append(item)
            return out

        return self._result(items)

    # -- execution -----------------------------------------------------------------------------
    def _wants_ipython(self, code: str) -> bool:
        if self.shell is not None or self.mode == "ipython":
            return True
        if "get_ipython" in code:
            return True
        try:
            ast.parse(code)
        except SyntaxError:
            return True  # magics and shell escapes are not Python: let IPython transform them
        return False

    def _run_ipython(self, code: str) -> dict[str, Any] | None:
        if self.shell is None:
            from IPython.core.interactiveshell import InteractiveShell

            self.shell = InteractiveShell.instance(user_ns=self.ns)
            sys.stdout = sys.stderr = self.out
        result = self.shell.run_cell(code, store_history=False, silent=False)
        exc = result.error_before_exec or result.error_in_exec
        return _error(exc) if exc is not None else None

    def _run_plain(self, code: str) -> dict[str, Any] | None:
        try:
            tree = ast.parse(code)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, "<cell>", "exec"), self.ns)
            if last is not None:
                expr = ast.Expression(last.value)  # type: ignore[attr-defined]
                value = eval(compile(expr, "<cell>", "eval"), self.ns)
                if value is not None:
                    self.ns["_"] = value
                    print(repr(value))
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too, as IPython does
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            self.out.write("".join(tb[-6:]))
            return _error(exc)
        return None

    def _take_fd_output(self) -> str:
        cap_file = self.fd_capture
        try:
            cap_file.seek(0)
            data = cap_file.read(self.cap)
            cap_file.seek(0)
            cap_file.truncate(0)
        except OSError:
            return ""
        return data.decode("utf-8", "replace")


def _error(exc: BaseException) -> dict[str, Any]:
    kind = type(exc)
    try:
        message = str(exc)[:2000]
    except Exception:
        message = "<unprintable>"
    builtin = kind.__module__ == "builtins" and issubclass(kind, Exception)
    return {"type": kind.__name__, "message": message, "builtin": builtin}


def main() -> None:
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    capture = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
    os.dup2(capture.fileno(), 1)
    os.dup2(capture.fileno(), 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
    os.environ.setdefault("MPLBACKEND", "Agg")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    Driver(proto_in, proto_out, capture).serve()
    os._exit(0)


if __name__ == "__main__":
    main()
