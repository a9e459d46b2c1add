"""Mirror what test code does to shared state into the student's process, as one kernel would.

In nbgrader, test cells run in the student's kernel: ``del squares`` makes the student's
``sum_of_squares`` fail with NameError, ``A = np.eye(3)`` is the global the student's
``trace_of_A`` reads, ``np.random.seed(0)`` seeds the student's draws and ``np.linalg.solve =
None`` forbids a shortcut in the student's code. Test code runs in the trusted process here, so
`instrument` rewrites it (an AST pass that keeps line numbers) to call `Mirror` right after such a
statement, and `Mirror` repeats the effect in the sandbox:

- deleting a name the student's namespace holds, and binding it again;
- binding a name the student's namespace holds or its functions read as a global: from public test
  code always; from hidden code when the value is the student's own object (a proxy), or when the
  hidden code passes that very value into the student's code (``A = ...; power_iter(A, x)``: a
  solution that reads the global ``A`` instead of its parameter sees the same matrix, as in one
  kernel; the call discloses the value anyway) — a hidden test's expected values, which it never
  passes in, never enter the student's process;
- assigning an attribute of a library module (a stub), and calling a library's ``seed``.
"""

from __future__ import annotations

import ast
import contextlib
import types
from typing import Any

from graders.kernel.client import KernelClient, KernelGone
from graders.kernel.proxies import RemoteObject

SYNC = "__grader_sync__"
SEED_FUNCTIONS = frozenset({"seed", "manual_seed", "set_seed"})


def _dotted(node: ast.expr) -> str | None:
    """``np.linalg`` for an attribute chain rooted at a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for t in target.elts for n in _target_names(t)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _call(kind: str, *values: str, at: ast.stmt) -> ast.stmt:
    node = ast.Expr(
        ast.Call(
            ast.Name(SYNC, ast.Load()),
            [ast.Constant(kind), *(ast.Constant(v) for v in values)],
            [],
        )
    )
    return ast.fix_missing_locations(ast.copy_location(node, at))


class _Instrument:
    def __init__(self, names: set[str], modules: set[str], hidden_lines: set[int]) -> None:
        self.names, self.modules, self.hidden_lines = names, modules, hidden_lines

    def body(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in stmts:
            self.nested(stmt)
            out.append(self.wrap_seed(stmt))
            out.extend(self.after(stmt))
        return out

    def nested(self, stmt: ast.stmt) -> None:
        """Statement lists inside compound statements (never inside a def or class)."""
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, self.body(block))
        for handler in getattr(stmt, "handlers", []) or []:
            handler.body = self.body(handler.body)
        for case in getattr(stmt, "cases", []) or []:
            case.body = self.body(case.body)

    def after(self, stmt: ast.stmt) -> list[ast.stmt]:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AugAssign | ast.AnnAssign) and stmt.value is not None:
            targets = [stmt.target]
        elif isinstance(stmt, ast.Delete):
            gone = [n for t in stmt.targets for n in _target_names(t) if n in self.names]
            return [_call("del", *gone, at=stmt)] if gone else []
        extra = []
        bound = [n for t in targets for n in _target_names(t) if n in self.names]
        if bound:
            # A binding on a public line of a cell that also holds hidden code is public.
            kind = "set_hidden" if stmt.lineno in self.hidden_lines else "set"
            extra.append(_call(kind, *bound, at=stmt))
        for t in targets:
            if isinstance(t, ast.Attribute):
                owner = _dotted(t.value)
                if owner is not None and owner.split(".")[0] in self.modules:
                    extra.append(_call("attr", owner, t.attr, at=stmt))
        return extra

    def wrap_seed(self, stmt: ast.stmt) -> ast.stmt:
        """``np.random.seed(0)`` → also seed the student's copy, with the same arguments."""
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return stmt
        call = stmt.value
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in SEED_FUNCTIONS):
            return stmt
        owner = _dotted(func.value)
        if owner is None or owner.split(".")[0] not in self.modules or call.keywords:
            return stmt
        wrapped = ast.Call(
            ast.Name(SYNC, ast.Load()),
            [ast.Constant("seed"), ast.Constant(owner), ast.Constant(func.attr), *call.args],
            [],
        )
        return ast.fix_missing_locations(ast.copy_location(ast.Expr(wrapped), stmt))


def instrument(
    code: str | ast.Module,
    names: set[str],
    modules: set[str],
    hidden_lines: set[int] | None = None,
) -> ast.Module:
    """``code`` (text or an already parsed tree, changed in place), with `Mirror` calls after
    statements that change shared state. Line numbers stay those of the original text;
    ``hidden_lines`` are the (1-based) lines inside hidden-test regions."""
    tree = ast.parse(code) if isinstance(code, str) else code
    tree.body = _Instrument(names, modules, hidden_lines or set()).body(tree.body)
    return tree


def hidden_lines(code: str) -> set[int]:
    """Line numbers (1-based) of ``code`` inside ``### BEGIN/END HIDDEN TESTS`` regions."""
    from graders import cells as C

    inside, out = False, set()
    for number, line in enumerate(code.split("\n"), 1):
        if C.has_marker(line, C.BEGIN_HIDDEN):
            inside = True
        elif C.has_marker(line, C.END_HIDDEN):
            inside = False
        elif inside:
            out.add(number)
    return out


class Mirror:
    """What `instrument`'s calls do: repeat the effect in the student's process.

    Args:
        client: The student's process.
        ns: The test code's namespace.
        values_allowed: Whether trusted values may be sent (public test code); otherwise only the
            student's own objects (proxies) are bound back.
        names: Names the student's namespace holds or its functions read as globals.
    """

    def __init__(
        self, client: KernelClient, ns: dict[str, Any], values_allowed: bool, names: set[str]
    ) -> None:
        self.client, self.ns, self.values_allowed = client, ns, values_allowed
        self.names = names
        # Globals hidden lines bound to trusted values: bound in the student's process only when
        # the test passes that value into the student's code (`disclose`).
        self.pending: dict[str, Any] = {}
        client.before_call = self.disclose

    def __call__(self, kind: str, *args: Any) -> Any:
        if kind == "seed":
            owner, name, *values = args
            result = getattr(eval(owner, self.ns), name)(*values)  # noqa: S307 - test code's own
            self._quietly(self._seed, owner, name, values)
            return result
        self._quietly(getattr(self, "_" + kind), *args)
        return None

    def _quietly(self, fn: Any, *args: Any) -> None:
        # A mirror that cannot be made (a value that cannot be sent) leaves the test as it was;
        # only the student's process going away stops the test (KernelGone is a BaseException).
        with contextlib.suppress(Exception):
            fn(*args)

    def _del(self, *names: str) -> None:
        self.client.request("delete", names=[n for n in names if n not in self.ns])

    def _set(self, *names: str, public: bool = True) -> None:
        allowed = self.values_allowed and public
        values = {}
        for n in names:
            if n not in self.ns:
                continue
            if allowed or isinstance(self.ns[n], RemoteObject):
                values[n] = self.ns[n]
                self.pending.pop(n, None)
            else:
                self.pending[n] = self.ns[n]
        if values:
            self.client.set(values)

    def disclose(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """The test is about to pass ``args`` into the student's code: a global that hidden lines
        bound to one of these very objects is bound in the student's process first."""
        if not self.pending:
            return
        passed = {id(v) for v in (*args, *kwargs.values())}
        shown = {n: v for n, v in self.pending.items() if id(v) in passed and self.ns.get(n) is v}
        for n in shown:
            del self.pending[n]
        if shown:
            self._quietly(self.client.set, shown)

    def _set_hidden(self, *names: str) -> None:
        self._set(*names, public=False)

    def _module(self, owner: str) -> types.ModuleType | None:
        module = eval(owner, self.ns)  # noqa: S307 - a dotted name the test code wrote
        return module if isinstance(module, types.ModuleType) else None

    def _attr(self, owner: str, name: str) -> None:
        module = self._module(owner)
        if module is not None:
            value = self.client.encode_arg(getattr(module, name))
            self.client.request("modset", module=module.__name__, name=name, value=value)

    def _seed(self, owner: str, name: str, values: list[Any]) -> None:
        module = self._module(owner)
        if module is not None:
            args = [self.client.encode_arg(v) for v in values]
            self.client.request("modcall", module=module.__name__, name=name, args=args)


class StudentGlobals(dict[str, Any]):
    """``globals()`` in test code: the test's names, and the student's read on demand
    (``assert 'answer' in globals()``, ``globals()['answer']``)."""

    def __init__(self, client: KernelClient, ns: dict[str, Any]) -> None:
        super().__init__(ns)
        self.client = client
        names = client.request("names").get("names")
        self.student = (
            {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()
        )

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.student

    def __missing__(self, key: str) -> Any:
        if key in self.student:
            fetched = self.client.get([key])
            if key in fetched:
                self[key] = fetched[key]
                return fetched[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


__all__ = ["SYNC", "Mirror", "KernelGone", "StudentGlobals", "instrument"]
