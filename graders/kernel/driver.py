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
import builtins
import io
import json
import os
import signal
import sys
import tempfile
import traceback
import types
from typing import Any

from graders.kernel.decode import Decoder
from graders.kernel.encode import Budget, encode, json_default

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
        # The student's namespace is the __dict__ of the module registered as __main__, as in
        # Jupyter: code that looks names up through sys.modules[cls.__module__] (pydantic
        # resolving `x: Amount` where `Amount` is an alias defined in an earlier cell,
        # dataclasses, typing.get_type_hints, pickle) finds the student's names.
        main = types.ModuleType("__main__")
        main.__dict__["__builtins__"] = __builtins__
        sys.modules["__main__"] = main
        self.ns: dict[str, Any] = main.__dict__
        self.handles: dict[int, Any] = {}
        self.shell: Any = None
        self.mode = "auto"
        self.cap = 1 << 20
        self.out = CappedText(self.cap)
        self.decoder = Decoder(self.resolve, resolve_refs=True)

    # -- plumbing ------------------------------------------------------------------------------
    def register(self, obj: Any) -> int:
        key = len(self.handles) + 1
        self.handles[key] = obj
        return key

    def encode(self, obj: Any, shared: dict[int, Any] | None = None) -> Any:
        """Plain data for one value; objects met twice in it (or in ``shared``, the memo of the
        whole response) are sent once and referred to."""
        return encode(obj, Budget({} if shared is None else shared), 0, self.register)

    def serve(self) -> None:
        for raw in self.proto_in:
            if not self.answer(raw):
                return

    def answer(self, raw: bytes) -> bool:
        """Answer one request line; False when the driver must stop (exit, or garbage)."""
        try:
            req = json.loads(raw)
            rid = req["id"]
            self.decoder.blobs = self.read_blobs(req)
        except (ValueError, KeyError, TypeError, EOFError):
            return False
        try:
            resp = getattr(self, "op_" + str(req.get("op")))(req)
        except Exception as exc:  # report, keep serving
            resp = {"ok": False, "error": _error(exc)}
        finally:
            self.decoder.blobs = None
        resp["id"] = rid
        try:
            line = json.dumps(resp, allow_nan=False, separators=(",", ":"), default=json_default)
        except (TypeError, ValueError) as exc:
            line = json.dumps({"id": rid, "ok": False, "error": _error(exc)})
        self.proto_out.write(line.encode() + b"\n")
        self.proto_out.flush()
        return req.get("op") != "exit"

    def read_blobs(self, msg: Any) -> list[bytearray]:
        """The raw arrays that follow a message from the trusted side (sizes in ``blobs``)."""
        sizes = msg.get("blobs") if isinstance(msg, dict) else None
        out = []
        for size in sizes if isinstance(sizes, list) else []:
            buf = bytearray(int(size))
            view, got = memoryview(buf), 0
            while got < len(buf):
                n = self.proto_in.readinto(view[got:])
                if not n:
                    raise EOFError("the trusted side is gone")
                got += n
            out.append(buf)
        return out

    def resolve(self, handle: dict[str, Any]) -> Any:
        """What a handle from the trusted side stands for: a student object, or a callback."""
        key = int(handle["id"])
        return Callback(self, key) if key <= -2 else self.handles[key]

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
        shared: dict[int, Any] = {}  # one memo: `lst` and `arr` fetched together stay one array
        for name in req.get("names", []):
            if name not in self.ns:
                values[name] = {"$": "missing"}
                continue
            try:
                mark = len(shared)
                values[name] = self.encode(self.ns[name], shared)
            except Exception as exc:
                # What this partial encoding memoised was never sent: nothing may refer to it.
                for key in [k for k, (_, node) in shared.items() if node.key >= mark]:
                    del shared[key]
                values[name] = {"$": "unsendable", "error": _error(exc)}
        return {"ok": True, "values": values}

    def op_set(self, req: dict[str, Any]) -> dict[str, Any]:
        """Bind names the public test code bound, as they would be after running it here."""
        values = req.get("values", {})
        for name, value in values.items() if isinstance(values, dict) else ():
            self.ns[str(name)] = self.decoder.decode(value)
        return {"ok": True}

    def op_delete(self, req: dict[str, Any]) -> dict[str, Any]:
        """Unbind names the test code deleted (``del squares`` to check a dependency)."""
        for name in req.get("names", []):
            self.ns.pop(str(name), None)
        return {"ok": True}

    def op_globals_read(self, req: dict[str, Any]) -> dict[str, Any]:
        """Global names the student's functions read: a test binding one of them must reach
        this namespace for the function to see it (``A = np.eye(3); trace_of_A()``)."""
        names: set[str] = set()
        codes = [
            getattr(v, "__code__", None)
            for v in list(self.ns.values())
            if getattr(v, "__globals__", None) is self.ns
        ]
        seen = 0
        while codes and seen < 10_000:
            code = codes.pop()
            seen += 1
            if code is None or not hasattr(code, "co_names"):
                continue
            names.update(n for n in code.co_names if isinstance(n, str))
            codes.extend(c for c in code.co_consts if hasattr(c, "co_names"))
        return {"ok": True, "names": sorted(names)[:10_000]}

    def _module(self, req: dict[str, Any]) -> Any:
        import importlib

        return importlib.import_module(str(req["module"]))  # numpy.random loads lazily

    def op_modset(self, req: dict[str, Any]) -> dict[str, Any]:
        """A test stubbed a library attribute (``np.linalg.solve = None``): the student's code
        sees the same stub, as it would in one Jupyter kernel."""
        module, value = self._module(req), self.decoder.decode(req.get("value"))
        setattr(module, str(req["name"]), value)
        return {"ok": True}

    def op_modcall(self, req: dict[str, Any]) -> dict[str, Any]:
        """A test seeded a library (``np.random.seed(0)``): seed the student's copy too."""
        target = getattr(self._module(req), str(req["name"]))
        args = [self.decoder.decode(a) for a in req.get("args", [])]
        return self._result(lambda: target(*args) and None)

    def op_dir(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self._target(req)
        return self._result(lambda: [str(n) for n in dir(target)][:10_000])

    def op_names(self, req: dict[str, Any]) -> dict[str, Any]:
        """The names of the student's namespace (a test's ``'answer' in globals()``)."""
        return {"ok": True, "names": [str(n) for n in self.ns][:100_000]}

    def op_eq(self, req: dict[str, Any]) -> dict[str, Any]:
        """``a == b`` for two of the student's own objects: their own ``__eq__`` decides."""
        a, b = self._target(req), self.handles[int(req["other"])]
        return self._result(lambda: bool(a == b))

    def _target(self, req: dict[str, Any]) -> Any:
        return self.handles[int(req["handle"])]

    def _result(self, fn: Any) -> dict[str, Any]:
        try:
            value = fn()
        except BaseException as exc:  # sys.exit() inside a called function fails that call only
            return {"ok": False, "error": _error(exc), "stdout": self._printed()}
        return {"ok": True, "value": self.encode(value), "stdout": self._printed()}

    def _printed(self) -> str:
        """What the call printed (the test's ``redirect_stdout`` sees it, as in Jupyter)."""
        text, _ = self.out.take()
        return text[:65536]

    def op_call(self, req: dict[str, Any]) -> dict[str, Any]:
        target = self._target(req)
        args = [self.decoder.decode(a) for a in req.get("args", [])]
        kwargs = {str(k): self.decoder.decode(v) for k, v in req.get("kwargs", [])}
        # A function that changes the list or array the test passed (in place) is seen to do so:
        # what changed goes back and the test's own object is updated.
        before = {i: self._fingerprint(a) for i, a in enumerate(args) if _mutable(a)}
        resp = self._result(lambda: target(*args, **kwargs))
        changed = [[i, self.encode(args[i])] for i, f in before.items()
                   if f is not None and self._changed(args[i], f)]  # fmt: skip
        if changed:
            resp["mutated"] = changed
        return resp

    def _fingerprint(self, value: Any) -> Any:
        """What tells whether a call changed its argument: a plain array's shape, dtype and a
        copy of its bytes (one copy and one comparison, ~25 ms for 32 MB), else its JSON form."""
        np = sys.modules.get("numpy")
        if np is not None and type(value) is np.ndarray and value.dtype.kind in "biufcmMSU":
            return (value.shape, value.dtype.str, np.array(value, copy=True, order="C"))
        try:
            text = json.dumps(encode(value, Budget(), 0, lambda o: 0), sort_keys=True)
        except Exception:
            return None
        return text if len(text) <= 1 << 20 else None

    def _changed(self, value: Any, before: Any) -> bool:
        if not isinstance(before, tuple):
            return bool(self._fingerprint(value) != before)
        import numpy as np

        shape, dtype, copy = before
        if type(value) is not np.ndarray or value.shape != shape or value.dtype.str != dtype:
            return True
        now = np.ascontiguousarray(value)
        return not np.array_equal(now.reshape(-1).view(np.uint8), copy.reshape(-1).view(np.uint8))

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
            # Figures render with the Agg backend here: `%matplotlib inline` (or notebook) is a
            # no-op instead of an error that would skip the rest of its cell (the imports below).
            self.shell.register_magic_function(lambda line: None, "line", "matplotlib")
            sys.stdout = sys.stderr = self.out
        result = self.shell.run_cell(code, store_history=False, silent=False)
        exc = result.error_before_exec or result.error_in_exec
        return _error(exc) if exc is not None else None

    def _run_plain(self, code: str) -> dict[str, Any] | None:
        try:
            tree = ast.parse(code)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            # dont_inherit: this module's `from __future__ import annotations` must not turn the
            # student's annotations into strings (FastAPI and pydantic read them as Jupyter does).
            exec(compile(tree, "<cell>", "exec", dont_inherit=True), self.ns)
            if last is not None:
                expr = ast.Expression(last.value)  # type: ignore[attr-defined]
                value = eval(compile(expr, "<cell>", "eval", dont_inherit=True), self.ns)
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


def _mutable(value: Any) -> bool:
    np = sys.modules.get("numpy")
    return isinstance(value, list | dict) or (np is not None and isinstance(value, np.ndarray))


class Callback:
    """A function the test passed into the student's code: calling it asks the trusted side.

    While waiting for the answer, requests from the trusted side (the test's function reading a
    student object) are answered as usual.
    """

    def __init__(self, driver: Driver, key: int) -> None:
        self.driver, self.key = driver, key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.driver
        msg = {
            "cb": self.key,
            "args": [d.encode(a) for a in args],
            "kwargs": [[k, d.encode(v)] for k, v in kwargs.items()],
        }
        d.proto_out.write(json.dumps(msg, allow_nan=False, default=json_default).encode() + b"\n")
        d.proto_out.flush()
        for raw in d.proto_in:
            try:
                reply = json.loads(raw)
            except ValueError:
                break
            if isinstance(reply, dict) and "cb_ok" in reply:
                if reply["cb_ok"] is True:
                    outer, d.decoder.blobs = d.decoder.blobs, d.read_blobs(reply)
                    try:
                        return d.decoder.decode(reply.get("value"))
                    finally:
                        d.decoder.blobs = outer
                error = reply.get("error")
                name = error.get("type") if isinstance(error, dict) else None
                kind = getattr(builtins, str(name), RuntimeError)
                if not (isinstance(kind, type) and issubclass(kind, Exception)):
                    kind = RuntimeError
                raise kind("raised by the test's function")
            if not d.answer(raw):
                break
        raise SystemExit(0)  # the trusted side is gone: nothing left to answer

    def __repr__(self) -> str:
        return "<function passed in by the test>"


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
