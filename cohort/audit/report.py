"""Render an audit: a Rich table for the terminal, Markdown for the group, JSON for tools."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cohort.audit.result import LEVEL_NAMES, MLOPS_LEVELS, AuditResult

_STYLE = {0: "red", 1: "yellow", 2: "green"}


def headline(result: AuditResult) -> str:
    points = f"{result.points}/{result.possible} points ({result.percent:g}%)"
    return f"{MLOPS_LEVELS[result.mlops_level]} · {points}"


def _found(evidence: list[str], missing: list[str]) -> str:
    parts = list(evidence)
    parts += [f"missing: {m}" for m in missing]
    return "; ".join(parts) if parts else "–"


def to_table(result: AuditResult) -> Table:
    """The terminal table: one row per item, coloured by level."""
    table = Table(
        title=f"MLOps maturity audit: {escape(str(result.repo))}",
        caption=escape(headline(result)),
        show_lines=True,
    )
    table.add_column("item")
    table.add_column("for", justify="center")
    table.add_column("level", justify="center")
    table.add_column("evidence / what is missing", overflow="fold")
    for item in result.items:
        style = _STYLE[item.level]
        table.add_row(
            item.title,
            f"L{item.mlops_level}",
            f"[{style}]{item.level} {LEVEL_NAMES[item.level]}[/{style}]",
            Text(_found(item.evidence, item.missing)),  # paths of a student's repository
        )
    return table


def print_table(result: AuditResult, console: Console | None = None) -> None:
    (console or Console()).print(to_table(result))


def to_markdown(result: AuditResult) -> str:
    """The Markdown report a group reads."""
    lines = [f"# MLOps maturity audit: `{result.repo}`", "", f"**{headline(result)}**", ""]
    if result.commit:
        lines += [f"Commit audited: `{result.commit[:12]}`", ""]
    lines += [
        "| item | for | level | evidence | what is missing | ML Test Score |",
        "|---|---|---|---|---|---|",
    ]
    for i in result.items:
        evidence = "<br>".join(e if " " in e else f"`{e}`" for e in i.evidence) or "–"
        missing = "<br>".join(i.missing) or "–"
        lines.append(
            f"| {i.title} | L{i.mlops_level} | {i.level} {LEVEL_NAMES[i.level]} "
            f"| {evidence} | {missing} "
            f"| {i.ml_test_score} |"
        )
    if result.test_run is not None:
        run = result.test_run
        lines += [
            "",
            f"Tests run in the grading sandbox ({run.backend}): "
            f"{run.passed} passed, {run.failed} failed.",
        ]
    if result.skipped:
        folders = ", ".join(f"`{s}`" for s in result.skipped)
        lines += ["", f"Not audited (project templates, bulk data folders): {folders}."]
    return "\n".join(lines) + "\n"


def to_json(result: AuditResult) -> str:
    return json.dumps(result.to_dict(), indent=2) + "\n"
