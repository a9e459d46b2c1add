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
import traceback
import warnings
from dataclasses import dataclass
from typing import Any

from graders import cells as C
from graders.kernel.client import CALL_BUDGET, KernelClient, KernelGone, RemoteError
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
    loaded, bound = _names(code)
    return [n for n in loaded if n not in bound and n not in BUILTIN_NAMES]


def bound_names(code: str) -> set[str]:
    """Names the code binds (assignments, imports, definitions)."""
    return _names(code)[1]


def _names(code: str) -> tuple[dict[str, None], set[str]]:
    tree = ast.parse(code)
    loaded: dict[str, None] = {}
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded.setdefault(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
    return loaded, bound


def trusted_base(instructor_sources: list[str]) -> dict[str, Any]:
    """Execute the top-level import lines of instructor cells here, in the trusted process.

    A name these bind (``np``, ``pd``, ``accuracy_score``) is never fetched from the student,
    whatever the student rebinds it to. Imports that fail here (a lab-local module) are skipped:
    that name is then fetched like any other.
    """
    ns: dict[str, Any] = {"__builtins__": builtins}
    for text in instructor_sources:
        try:
            tree = ast.parse(text)
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
    inside = False
    for line in lines[:number]:
        if C.has_marker(line, C.BEGIN_HIDDEN):
            inside = True
        elif C.has_marker(line, C.END_HIDDEN):
            inside = False
    return lines[number - 1].strip(), inside


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


def _exec(code: str, ns: dict[str, Any], sink: io.StringIO) -> None:
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink):
        warnings.simplefilter("ignore")
        exec(compile(code, "<test>", "exec"), ns)


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
        names = [n for n in free_names(spec.source) if n not in base and n not in carry]
        binds = bound_names(spec.source)
    except SyntaxError as exc:
        return [
            unit(i, False, f"the test code does not parse: {exc}") for i in range(len(groups))
        ], ""
    try:
        ns = {**base, **client.get(names), **carry}
        if setup.strip():
            _exec(setup, ns, sink)
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
            _exec(group.code, group_ns, sink)
            if client.gone is not None:  # a bare `except:` in the test swallowed the death
                raise client.gone
            results.append(unit(i, True, ""))
        except KernelGone as gone:
            results.append(unit(i, False, _gone(gone)))
        except Exception as exc:
            results.append(unit(i, False, _failure(exc, group.code, group.hidden)))
        carry.update({n: group_ns[n] for n in binds if n in group_ns})
    return results, sink.getvalue()


def _gone(gone: KernelGone) -> str:
    if gone.reason == "timeout":
        return f"not scored: the notebook timed out ({gone.detail})"
    return f"not scored: the student's process stopped ({gone.detail})"
