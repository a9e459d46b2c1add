"""report: cohort summary from the gradebook, as Rich tables and as an HTML page with plots.

Plots (matplotlib, embedded as base64 PNG, so the page works offline and as one file): the score
distribution of each lab and the pass rate of each test, lowest first — the exercises the cohort
struggles with.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape as markup_escape
from rich.table import Table
from rich.text import Text

from graders.course import Course
from graders.errors import GraderError
from graders.gradebook import Gradebook
from graders.manual import manual_grades
from graders.notebooks import write_atomic
from graders.results import SubmissionResult


@dataclass
class LabSummary:
    lab: str
    students: int
    possible: float
    mean: float
    median: float
    statuses: dict[str, int]
    pass_rate: dict[str, float]
    scores: list[float] = field(default_factory=list)
    manual_pending: int = 0  # answers still awaiting manual grading


@dataclass
class ReportResult:
    labs: list[LabSummary] = field(default_factory=list)
    html: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"html": self.html, "labs": [vars(s) for s in self.labs]}


def summarize(results: list[SubmissionResult], lab: str) -> LabSummary:
    rows = [r for r in results if r.lab == lab]
    scores = [r.total for r in rows]
    tests: dict[str, list[bool]] = {}
    for r in rows:
        for t in r.tests:
            tests.setdefault(t.name, []).append(t.passed)
    return LabSummary(
        lab=lab,
        students=len(rows),
        possible=max((r.possible for r in rows), default=0.0),
        mean=round(statistics.fmean(scores), 3) if scores else 0.0,
        median=statistics.median(scores) if scores else 0.0,
        statuses=dict(Counter(r.status for r in rows).most_common()),
        pass_rate={k: round(sum(v) / len(v), 3) for k, v in sorted(tests.items())},
        scores=scores,
    )


def print_tables(summaries: list[LabSummary], console: Console) -> None:
    table = Table(title="Cohort summary")
    for col in ("lab", "students", "mean", "median", "possible", "statuses", "manual pending"):
        table.add_column(col)
    for s in summaries:
        statuses = ", ".join(f"{k}: {v}" for k, v in s.statuses.items())
        table.add_row(
            Text(s.lab),
            str(s.students),
            f"{s.mean:g}",
            f"{s.median:g}",
            f"{s.possible:g}",
            Text(statuses),
            f"{s.manual_pending} answers" if s.manual_pending else "–",
        )
    console.print(table)
    for s in summaries:
        tests = Table(title=f"{markup_escape(s.lab)}: pass rate per test (lowest first)")
        tests.add_column("test")
        tests.add_column("pass rate", justify="right")
        for name, rate in sorted(s.pass_rate.items(), key=lambda kv: kv[1]):
            tests.add_row(Text(name), f"{rate:.0%}")
        console.print(tests)


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(s: LabSummary) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(s.scores, bins=min(20, max(5, len(set(s.scores)))), color="#4062bb")
    ax.set(xlabel=f"score (out of {s.possible:g})", ylabel="students", title=f"{s.lab}: scores")
    hist = _png(fig)
    plt.close(fig)
    items = sorted(s.pass_rate.items(), key=lambda kv: kv[1])
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(items) + 1))
    ax.barh([k for k, _ in items], [v * 100 for _, v in items], color="#59a14f")
    ax.set(xlabel="% of students passing", xlim=(0, 100), title=f"{s.lab}: pass rate per test")
    bars = _png(fig)
    plt.close(fig)
    return hist, bars


def render_html(summaries: list[LabSummary]) -> str:
    parts = []
    for s in summaries:
        hist, bars = _plots(s)
        statuses = "".join(f"<li><code>{escape(k)}</code>: {v}</li>" for k, v in s.statuses.items())
        parts.append(
            f"<h2>{escape(s.lab)}</h2><p>{s.students} students · mean {s.mean:g} · median "
            f"{s.median:g} of {s.possible:g}</p><ul>{statuses}</ul>"
            f'<img alt="score distribution of {escape(s.lab)}" src="data:image/png;base64,{hist}">'
            f'<img alt="pass rate per test of {escape(s.lab)}" src="data:image/png;base64,{bars}">'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cohort report</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto}"
        "img{max-width:100%;display:block;margin:1em 0}</style></head><body>"
        f"<h1>Cohort report</h1>{''.join(parts)}</body></html>\n"
    )


def report(
    *, course_dir: Path, lab: str | None = None, html_path: Path | None = None
) -> ReportResult:
    """Summarize the gradebook; write the HTML page (default ``<course>/reports/report.html``)."""
    course = Course(Path(course_dir))
    with Gradebook.open_existing(course.gradebook) as gb:
        if lab is not None and lab not in gb.labs():
            raise GraderError(gb.unknown("lab", lab, gb.labs()))  # never an empty report
        results = gb.results(lab)
        labs = [lab] if lab else sorted({r.lab for r in results})
        pending = {name: sum(len(m.pending) for m in manual_grades(gb, name).values())
                   for name in labs}  # fmt: skip
    summaries = [summarize(results, name) for name in labs]
    for summary in summaries:
        summary.manual_pending = pending.get(summary.lab, 0)
    path = Path(html_path) if html_path else course.root / "reports" / "report.html"
    write_atomic(path, render_html(summaries))
    return ReportResult(summaries, str(path))
