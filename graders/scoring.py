"""Run test code in the trusted process: the heart of "scores are decided outside the student".

For each test cell: parse it, find the names it reads but does not define, take library names
from trusted imports (the instructor's own import lines, executed here), fetch the rest from the
student's process as plain data or proxies, then execute the test code here, with this process's
own numpy. Only an exception fails a test; warnings and printed text never cost points.

An nbgrader cell (no ``# TEST:`` markers) also keeps nbgrader's two output rules, as the authors
of such courses rely on them: text the *test code* writes to stderr (``traceback.print_exc()``)
scores the cell 0, and a number the test computes as the cell's last expression
(``credit / totalcredit``) is its partial credit. What the student's code prints, to stdout or
stderr, never costs points (nbgrader would give 0 for a warning the student's code raised), and a
last expression that reads a student's name is not partial credit (its value is the student's).
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


LAST = "__grader_last_value__"
CLOCKS = ("perf_counter", "monotonic", "time")


def test_time_module(client: KernelClient) -> types.ModuleType:
    """The ``time`` module test code sees: its clocks leave out the grader's transport.

    In one Jupyter kernel a test that times ``first(big)`` 20 times times 20 calls; here each
    call also moves ``big`` between two processes. The seconds the trusted side measures moving
    data (`KernelClient.transport_s`, bounded by the data's size) are taken off these clocks, so
    the test times the student's code (and its own), never the grader's plumbing.
    """
    import time as real

    fake = types.ModuleType("time", real.__doc__)
    fake.__dict__.update({k: v for k, v in real.__dict__.items() if not k.startswith("__")})
    for name in CLOCKS:
        clock, clock_ns = getattr(real, name), getattr(real, name + "_ns")
        setattr(fake, name, lambda clock=clock: clock() - client.transport_s)
        setattr(fake, name + "_ns", lambda c=clock_ns: c() - int(client.transport_s * 1e9))
    return fake


def _with_test_clock(ns: dict[str, Any], client: KernelClient) -> None:
    """Swap the real ``time`` (module and clock functions) in test code for `test_time_module`,
    also for ``import time`` / ``from time import perf_counter`` in the test cell itself."""
    import time as real

    fake = test_time_module(client)
    swap = {id(real): fake}
    for name in CLOCKS:
        for suffix in ("", "_ns"):
            swap[id(getattr(real, name + suffix))] = getattr(fake, name + suffix)
    for key, value in list(ns.items()):
        if id(value) in swap and key != "__builtins__":
            ns[key] = swap[id(value)]

    def _import(name: str, *args: Any, **kwargs: Any) -> Any:
        module = builtins.__import__(name, *args, **kwargs)
        return fake if module is real else module

    ns["__builtins__"] = {**builtins.__dict__, "__import__": _import}


def _keep_last_value(tree: ast.Module, code: str) -> None:
    """``credit / totalcredit`` as the last statement → bound to `LAST` (IPython's Out)."""
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or python_source(code).rstrip().endswith(";"):
        return
    tree.body[-1] = ast.fix_missing_locations(
        ast.copy_location(ast.Assign([ast.Name(LAST, ast.Store())], last.value), last)
    )


def _partial_credit(code: str, ns: dict[str, Any], student: set[str], points: float) -> Any:
    """nbgrader's partial credit: the cell's last value, when it is a number in [0, points] that
    the test code computed (every name it reads is the test's own, a builtin or a module).

    Returns None (full credit), a float, or an error message."""
    value = ns.get(LAST)
    if value is None or isinstance(value, RemoteObject):
        return None
    try:
        expr = ast.parse(python_source(code)).body[-1]
    except (SyntaxError, IndexError):
        return None
    reads = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
    own = bound_names(code)
    if any(
        n in student
        and n not in own
        or n not in own
        and n not in BUILTIN_NAMES
        and not isinstance(ns.get(n), types.ModuleType)
        for n in reads
    ):
        return None
    try:
        grade = float(repr(value))  # IPython's text/plain of the value, as nbgrader reads it
    except (ValueError, TypeError):
        return None
    if not 0.0 <= grade <= points:
        return f"the test's last value {grade:g} is not a partial credit between 0 and {points:g}"
    return grade


def _exec(
    code: str,
    ns: dict[str, Any],
    sink: io.StringIO,
    mirror: Mirror | None = None,
    stderr: io.StringIO | None = None,
) -> None:
    """Run test code; ``stderr`` given: an nbgrader cell (its stderr and last value are kept)."""
    tree = _automagic_lines(ast.parse(python_source(code)), ns)
    if stderr is not None:
        _keep_last_value(tree, code)
    if mirror is not None:
        modules = {n for n, v in ns.items() if isinstance(v, types.ModuleType)}
        tree = instrument(tree, mirror.names, modules, hidden_lines(code))  # same line numbers
        ns[SYNC] = mirror
        ns["globals"] = lambda: StudentGlobals(mirror.client, ns)
        _with_test_clock(ns, mirror.client)
    ns.setdefault("get_ipython", lambda: IPythonShim(ns))
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink if stderr is None else stderr),
    ):
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

    def unit(
        i: int, passed: bool, message: str | tuple[str, str], earned: float | None = None
    ) -> TestResult:
        g = groups[i]
        name = spec.grade_id if not g.name else f"{spec.grade_id}::{g.name}"
        shown, detail = (message, message) if isinstance(message, str) else message
        return TestResult(
            name=name,
            cell=spec.grade_id,
            points=earned if earned is not None else shares[i] if passed else 0.0,
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
            err = io.StringIO() if not group.name else None  # an nbgrader cell: its rules
            _exec(group.code, group_ns, sink, Mirror(client, group_ns, public, student), err)
            if client.gone is not None:  # a bare `except:` in the test swallowed the death
                raise client.gone
            results.append(_nbgrader_outputs(unit, i, group, group_ns, student, shares[i], err))
        except KernelGone as gone:
            results.append(unit(i, False, _gone(gone)))
        except Exception as exc:
            results.append(unit(i, False, _failure(exc, group.code, group.hidden)))
        carry.update({n: group_ns[n] for n in binds if n in group_ns})
    return results, sink.getvalue()


def _nbgrader_outputs(
    unit: Any,
    i: int,
    group: C.Group,
    ns: dict[str, Any],
    student: set[str],
    points: float,
    err: io.StringIO | None,
) -> TestResult:
    """The unit of a test that ran to its end: full points, or what nbgrader's output rules
    give an nbgrader cell (stderr written by the test → 0; a last number → partial credit)."""
    if err is None:
        return unit(i, True, "")
    text = err.getvalue()
    if text.strip():
        first = text.strip().splitlines()[-1][:200]
        shown = "the test code wrote to stderr, which nbgrader scores as a failed test"
        return unit(i, False, (shown, f"{shown}: {first}"))
    grade = _partial_credit(group.code, ns, student, points)
    if isinstance(grade, str):
        return unit(i, False, grade)
    if grade is None or grade >= points:
        return unit(i, True, "")
    shown = f"partial credit: {grade:g} of {points:g} points (the test's last value)"
    return unit(i, False, shown, earned=grade)


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
