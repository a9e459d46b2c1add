"""Execute one notebook: student cells in the sandbox, test cells in this (trusted) process.

Cells run in notebook order, so each test sees the student's state as of its position. Test
cells never enter the sandbox; hidden tests therefore never reach the student's process.
"""

from __future__ import annotations

import contextlib
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from graders import cells as C
from graders.kernel.client import KernelClient, KernelGone
from graders.results import TestResult
from graders.scoring import TestSpec, bound_names, run_test_cell, trusted_base


@dataclass
class RunOutcome:
    """What executing a notebook produced."""

    tests: list[TestResult] = field(default_factory=list)
    gone: KernelGone | None = None
    exec_s: float = 0.0  # the student's process at work: its cells and the calls tests make
    cell_errors: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)


def limit_hit(error: dict[str, Any] | None, dropped: int) -> str | None:
    """Which sandbox limit a cell ran into, if any (the status then says so)."""
    if dropped > 0:
        return "output-limit"
    if not error:
        return None
    kind, message = str(error.get("type")), str(error.get("message"))
    if kind == "MemoryError":
        return "memory-limit"
    if "File too large" in message or "[Errno 27]" in message:
        return "file-size-limit"
    if kind == "BlockingIOError" or "Resource temporarily unavailable" in message:
        return "process-limit"
    return None


def _stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def _summary(results: list[TestResult]) -> str:
    lines = []
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        lines.append(
            f"[{mark}] {r.name}: {r.points:g}/{r.max_points:g}"
            + (f" - {r.message}" if r.message else "")
        )
    return "\n".join(lines) + "\n"


def public_bindings(test_source: str) -> set[str]:
    """Names bound by the public part of a test cell and never by its hidden part."""
    public, _ = C.replace_regions(test_source, C.BEGIN_HIDDEN, C.END_HIDDEN, None)
    hidden = _hidden_binds(test_source)
    if hidden is None:
        return set()  # cannot tell what hidden code binds: share nothing
    try:
        return bound_names(public) - hidden
    except SyntaxError:
        return set()


def _hidden_binds(test_source: str) -> set[str] | None:
    hidden: list[str] = []
    inside = False
    for line in test_source.split("\n"):
        if C.has_marker(line, C.BEGIN_HIDDEN):
            inside = True
        elif C.has_marker(line, C.END_HIDDEN):
            inside = False
        elif inside:
            hidden.append(line)
    try:
        return bound_names(textwrap.dedent("\n".join(hidden)))
    except SyntaxError:
        return None


def run_notebook(
    nb: dict[str, Any],
    client: KernelClient,
    tests: dict[str, TestSpec],
    instructor_sources: list[str],
    *,
    share_test_bindings: bool = True,
    base: dict[str, Any] | None = None,
) -> RunOutcome:
    """Run every cell of ``nb`` in order and score the test cells named in ``tests``.

    Args:
        nb: The sanitized notebook; outputs are written into it.
        client: The driver in the sandbox.
        tests: Test cells to score, by grade_id, with their recorded source and points.
        instructor_sources: Code of locked instructor cells (their imports are run trusted).
        share_test_bindings: After scoring a test cell, bind in the student's namespace the
            names its public code bound (``X_train = ...``), so later student cells see the state
            they saw in Jupyter (nbgrader notebooks often define data in test cells). Student
            objects go back by handle (not recomputed); names bound by hidden code never do.
    """
    out = RunOutcome()
    # The trusted imports (numpy, pandas, ...) load while the student's first cells run.
    given = base
    pool = ThreadPoolExecutor(1, thread_name_prefix="trusted-imports")
    pending_base = pool.submit(lambda: trusted_base(instructor_sources) if given is None else given)
    pool.shutdown(wait=False)
    carry: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        gid = C.grade_id(cell)
        if gid in tests:
            results, printed = run_test_cell(tests[gid], client, pending_base.result(), carry)
            out.tests.extend(results)
            shown = [r for r in results if not r.hidden]
            # What hidden test code printed may show its values: it stays out of the notebook.
            secret = C.has_marker(tests[gid].source, C.BEGIN_HIDDEN)
            cell["outputs"] = [_stream(printed)] if printed and not secret else []
            if shown:
                cell["outputs"].append(_stream(_summary(shown)))
            if share_test_bindings and client.gone is None:
                names = public_bindings(tests[gid].source)
                with contextlib.suppress(KernelGone):  # recorded in client.gone
                    client.set({n: carry[n] for n in names if n in carry})
            continue
        if client.gone is not None:
            continue
        try:
            res = client.exec(C.source(cell))
        except KernelGone as gone:
            cell["outputs"] = [_stream(f"[grader] {gone.detail}\n", "stderr")]
            continue
        cell["outputs"] = [_stream(res.stdout)] if res.stdout else []
        if res.error:
            out.cell_errors.append(f"{res.error.get('type')}: {res.error.get('message')}"[:300])
        limit = limit_hit(res.error, res.dropped)
        if limit and limit not in out.limits:
            out.limits.append(limit)
    out.gone = client.gone
    out.exec_s = client.busy_s
    return out
