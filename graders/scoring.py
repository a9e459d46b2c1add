"""Run test code in the trusted process: the heart of "scores are decided outside the student".

For each test cell: parse it, find the names it reads but does not define, take library names
from trusted imports (the instructor's own import lines, executed here), fetch the rest from the
student's process as plain data or proxies, then execute the test code here, with this process's
own numpy. Only an exception fails a test; warnings and printed text never cost points.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import re
import symtable
import traceback
import types
import warnings
from dataclasses import dataclass
from typing import Any

from graders import cells as C
from graders.kernel.client import (
    CALL_BUDGET,
    STATEFUL_MODULES,
    KernelClient,
    KernelGone,
    RemoteError,
)
from graders.kernel.proxies import RemoteObject
from graders.mirror import SYNC, Mirror, StudentGlobals, hidden_lines, instrument
from graders.results import TestResult

BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class TestSpec:
    """A test cell as recorded by the instructor (never as submitted)."""

    __test__ = False

    grade_id: str
    source: str
    points: float


def free_names(code: str) -> list[str]:
    """Names the code loads without binding them itself (builtins excluded), in order seen."""
    loaded, _ = _names(python_source(code))
    return [n for n in loaded if n not in BUILTIN_NAMES]


def bound_names(code: str) -> set[str]:
    """Names the code binds at its top level (assignments, imports, definitions)."""
    return _names(python_source(code))[1]


def python_source(code: str) -> str:
    """Cell code as plain Python: IPython magics and shell escapes (``%time f(x)``, ``!ls``)
    become calls on ``get_ipython()``, as IPython runs them (nbgrader cells run in IPython)."""
    try:
        ast.parse(code)
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        # Timing magics only wrap code: the code itself is what the test runs (and reads).
        code = _TIMING_CELL.sub("", _TIMING_LINE.sub(r"\1\2", code))
        return str(TransformerManager().transform_cell(code))
    return code


_TIMING_LINE = re.compile(r"^(\s*)%(?:time|timeit|prun)\s+(.*)$", re.MULTILINE)
_TIMING_CELL = re.compile(r"\A\s*%%(?:time|timeit|prun|capture)\b[^\n]*\n")


def _names(code: str) -> tuple[dict[str, None], set[str]]:
    """Global names the code reads, in order seen, and names it binds at its top level.

    Scopes are Python's own (`symtable`): a helper ``def``'s parameters and locals are its own,
    so ``def total(data): ...`` followed by ``total(data)`` still reads the student's ``data``.
    A name read before the test code binds it (``orig = squares; del squares; ...; squares =
    orig``) is read from the student too.
    """
    tree = ast.parse(code)
    table = symtable.symtable(code, "<test>", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    reads: set[str] = set()
    tables = [(table, True)]
    while tables:
        t, top = tables.pop()
        reads.update(
            s.get_name() for s in t.get_symbols() if s.is_referenced() and (top or s.is_global())
        )
        tables.extend((c, False) for c in t.get_children())
    first: dict[str, bool] = {}  # name -> whether its first occurrence in the text is a load
    for _line, _col, name, load in sorted(_occurrences(tree)):
        first.setdefault(name, load)
    loaded = {n: None for n in first if n in reads and (first[n] or n not in bound)}
    return loaded, bound


def _occurrences(tree: ast.AST) -> list[tuple[int, int, str, bool]]:
    """(line, column, name, is a load) of every name use, definitions and imports included."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.append((node.lineno, node.col_offset, node.id, isinstance(node.ctx, ast.Load)))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.append((node.lineno, node.col_offset, node.name, False))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                out.append((node.lineno, node.col_offset, name, False))
    return out


class IPythonShim:
    """``get_ipython()`` for test code run here: magics that time or configure run the code
    they wrap (or nothing); shell escapes are not run in the grader."""

    def __init__(self, ns: dict[str, Any]) -> None:
        self.ns = ns

    def run_line_magic(self, name: str, line: str, *args: Any) -> Any:
        if name in ("time", "timeit", "prun", "capture"):
            code = compile(python_source(line), "<test>", "exec")
            exec(code, self.ns)
        return None

    def run_cell_magic(self, name: str, line: str, cell: str) -> Any:
        if name in ("time", "timeit", "prun", "capture"):
            exec(compile(python_source(cell), "<test>", "exec"), self.ns)
        return None

    def system(self, cmd: str, *args: Any) -> None:
        return None

    def getoutput(self, cmd: str, *args: Any) -> list[str]:
        return []


def trusted_base(instructor_sources: list[str]) -> dict[str, Any]:
    """Execute the top-level import lines of instructor cells here, in the trusted process.

    A name these bind (``np``, ``pd``, ``accuracy_score``) is never fetched from the student,
    whatever the student rebinds it to. Imports that fail here (a lab-local module) are skipped:
    that name is then fetched like any other.
    """
    ns: dict[str, Any] = {"__builtins__": builtins}
    for text in instructor_sources:
        try:
            tree = ast.parse(python_source(text))  # `%matplotlib inline` above the imports
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import) or (
                isinstance(node, ast.ImportFrom) and node.level == 0
            ):
                with contextlib.suppress(Exception):
                    exec(compile(ast.Module([node], []), "<trusted imports>", "exec"), ns)
    return ns


def _failing_line(exc: BaseException, code: str) -> tuple[str, bool]:
    """The test line that raised, and whether it lies in a hidden-tests region."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<test>"]
    lines = code.split("\n")
    if not frames or not frames[-1].lineno or frames[-1].lineno > len(lines):
        return "", True
    number = frames[-1].lineno
    return lines[number - 1].strip(), number in hidden_lines(code)


def _failure(exc: BaseException, code: str, hidden: bool) -> tuple[str, str]:
    """(what the learner reads, what the instructor reads) for a failed unit.

    A hidden unit tells the learner its class only: a wrong value, an exception of type X raised
    by their code or by the test, a name that is not defined. Never argument values, messages or
    the failing line: the student's own exception text could carry the hidden call's arguments.
    """
    line, in_hidden = _failing_line(exc, code)
    # A `# TEST:` group's code arrives without its markers: a hidden group is secret throughout.
    secret = hidden and (in_hidden or not line or not C.has_marker(code, C.BEGIN_HIDDEN))
    student = getattr(exc, "from_student", False) or isinstance(exc, RemoteError)
    kind = type(exc).__name__
    if student:
        text = str(exc) if isinstance(exc, RemoteError) else f"{kind}: {exc}"
        kind = text.split(":", 1)[0] if isinstance(exc, RemoteError) else kind
        where = f" in `{line}`" if line else ""
        full = f"your code raised {text.rstrip(': ')}{where}"
        return (f"your code raised {kind} in a hidden test" if secret else full), full
    if isinstance(exc, AssertionError):
        detail = str(exc)
        full = f"assertion failed: {detail or line}" if detail or line else "assertion failed"
        # The author's message may quote expected values: keep it to the instructor.
        return ("a hidden check failed" if secret else full), full
    if isinstance(exc, NameError):
        full = f"{exc} (is it defined in your notebook?)"
        return ("NameError: a name the hidden test needs is not defined" if secret else full), full
    full = f"{kind}: {exc}" + (f" in `{line}`" if line else "")
    return (f"the hidden test raised {kind}" if secret else f"{kind}: {exc}"), full


# IPython's automagic: a line that is only one of these names (and no variable of that name
# exists) is the shell command, e.g. `ls`. Shell commands are not run in the grader.
AUTOMAGIC = frozenset({"ls", "ll", "pwd", "cd", "who", "whos", "env", "history", "clear"})


def _automagic_lines(tree: ast.Module, ns: dict[str, Any]) -> ast.Module:
    tree.body = [
        ast.copy_location(ast.Pass(), s)
        if isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Name)
        and s.value.id in AUTOMAGIC
        and s.value.id not in ns
        else s
        for s in tree.body
    ]
    return tree


def _exec(code: str, ns: dict[str, Any], sink: io.StringIO, mirror: Mirror | None = None) -> None:
    tree = _automagic_lines(ast.parse(python_source(code)), ns)
    if mirror is not None:
        modules = {n for n, v in ns.items() if isinstance(v, types.ModuleType)}
        tree = instrument(tree, mirror.names, modules, hidden_lines(code))  # same line numbers
        ns[SYNC] = mirror
        ns["globals"] = lambda: StudentGlobals(mirror.client, ns)
    ns.setdefault("get_ipython", lambda: IPythonShim(ns))
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink):
        warnings.simplefilter("ignore")
        exec(compile(tree, "<test>", "exec"), ns)


def run_test_cell(
    spec: TestSpec,
    client: KernelClient,
    base: dict[str, Any],
    carry: dict[str, Any] | None = None,
) -> tuple[list[TestResult], str]:
    """Score one test cell; returns its scoring units and the text it printed.

    ``carry`` holds what earlier test cells of the notebook bound (``X_train = ...`` in one test
    cell, used by the next, as nbgrader notebooks do); it is read first and updated in place.

    Raises nothing: a dead or timed-out student process fails the units with that reason (the
    caller reads ``client.gone`` for the notebook status).
    """
    setup, groups = C.split_groups(spec.source)
    shares = C.group_points(groups, spec.points)

    def unit(i: int, passed: bool, message: str | tuple[str, str]) -> TestResult:
        g = groups[i]
        name = spec.grade_id if not g.name else f"{spec.grade_id}::{g.name}"
        shown, detail = (message, message) if isinstance(message, str) else message
        return TestResult(
            name=name,
            cell=spec.grade_id,
            points=shares[i] if passed else 0.0,
            max_points=shares[i],
            passed=passed,
            hidden=g.hidden,
            message=shown,
            detail=detail if detail != shown else "",
        )

    sink = io.StringIO()
    carry = {} if carry is None else carry
    client.calls_left = CALL_BUDGET
    try:
        read = free_names(spec.source)
        # A stateful library (pyplot) is read from the student's process: its figures are there.
        stateful = [n for n in read if _stateful(base.get(n)) and n not in carry]
        names = [n for n in read if (n not in base or n in stateful) and n not in carry]
        binds = bound_names(spec.source)
    except SyntaxError as exc:
        return [
            unit(i, False, f"the test code does not parse: {exc}") for i in range(len(groups))
        ], ""
    try:
        fetched = client.get(names)
        for n in stateful:  # only the student's own copy of that very module replaces ours
            if n in fetched and not _same_module(fetched[n], base[n]):
                del fetched[n]
        ns = {**base, **fetched, **carry}
        student = set(fetched) | _globals_read(client)
        if setup.strip():
            # The set-up of `# TEST:` groups arrives without its markers: public only when the
            # cell has no hidden region at all.
            public = not C.has_marker(spec.source, C.BEGIN_HIDDEN)
            _exec(setup, ns, sink, Mirror(client, ns, public, student))
            carry.update({n: ns[n] for n in binds if n in ns})
    except KernelGone as gone:
        return [unit(i, False, _gone(gone)) for i in range(len(groups))], sink.getvalue()
    except Exception as exc:
        shown, full = _failure(exc, setup, any(g.hidden for g in groups))
        msg = ("setup of the test failed: " + shown, "setup of the test failed: " + full)
        return [unit(i, False, msg) for i in range(len(groups))], sink.getvalue()
    results = []
    for i, group in enumerate(groups):
        group_ns = dict(ns)
        try:
            # Bindings of hidden lines never carry trusted values (statement by statement); a
            # group without `# TEST:` markers mixes public and hidden lines.
            public = not group.hidden or not group.name
            _exec(group.code, group_ns, sink, Mirror(client, group_ns, public, student))
            if client.gone is not None:  # a bare `except:` in the test swallowed the death
                raise client.gone
            results.append(unit(i, True, ""))
        except KernelGone as gone:
            results.append(unit(i, False, _gone(gone)))
        except Exception as exc:
            results.append(unit(i, False, _failure(exc, group.code, group.hidden)))
        carry.update({n: group_ns[n] for n in binds if n in group_ns})
    return results, sink.getvalue()


def _stateful(value: Any) -> bool:
    return isinstance(value, types.ModuleType) and value.__name__ in STATEFUL_MODULES


def _same_module(proxy: Any, module: types.ModuleType) -> bool:
    return isinstance(proxy, RemoteObject) and object.__getattribute__(proxy, "_repr").startswith(
        f"<module '{module.__name__}'"
    )


def _globals_read(client: KernelClient) -> set[str]:
    """Global names the student's functions read (a test that binds one must mirror it)."""
    names = client.request("globals_read").get("names")
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def _gone(gone: KernelGone) -> str:
    if gone.reason == "timeout":
        return f"not scored: the notebook timed out ({gone.detail})"
    return f"not scored: the student's process stopped ({gone.detail})"
