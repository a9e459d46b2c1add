"""Command-line interface of the grading engine (`mlops-grade`): options only, work elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from graders import __version__
from graders import defaults as D
from graders.errors import GraderError

app = typer.Typer(
    name="mlops-grade",
    help="Release, check, autograde and export nbgrader-format labs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
console = Console()
T = TypeVar("T")

CourseDir = Annotated[
    Path,
    typer.Option(
        "--course-dir", help="Course root (holds source/, release/, submitted/, gradebook.db)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
CellTimeout = Annotated[
    float | None,
    typer.Option("--cell-timeout", help=f"Seconds per cell (default {D.CELL_TIMEOUT_S:g})."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlops-grade {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Grade labs written in nbgrader's format, in parallel and sandboxed."""


def _run(fn: Callable[[], T]) -> T:
    """Domain errors become one line on stderr and exit code 1."""
    try:
        return fn()
    except GraderError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@app.command()
def release(
    lab: str,
    course_dir: CourseDir = Path("."),
    revision: Annotated[
        str | None,
        typer.Option(help="Why the lab is released again (required once submissions exist)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Build `release/LAB` from `source/LAB`: solutions stubbed, hidden tests removed, instructor
    cells locked, checksummed and recorded in the gradebook as a new revision.

    Example: `mlops-grade release lab01 --course-dir course/`
    Again, after a fix: `mlops-grade release lab01 --revision "looser tolerance in test_x"`
    """
    from graders.release import release as run

    result = _run(lambda: run(course_dir=course_dir, lab=lab, revision=revision))
    if as_json:
        return _emit_json(result.to_dict())
    for nb in result.notebooks:
        console.print(
            f"released {escape(lab)}/{escape(nb.name)}: {nb.tests} test cells, {nb.points:g} "
            f"points, {nb.hidden_tests} hidden tests kept back"
        )
    console.print(f"→ {result.release_dir}", markup=False)


@app.command()
def check(
    notebook: Path,
    as_json: AsJson = False,
    cell_timeout: CellTimeout = None,
) -> None:
    """Run your notebook with its public tests, in the sandbox, before you submit.

    Example: `mlops-grade check lab01.ipynb`
    """
    from graders.check import check as run
    from graders.config import GradeConfig

    config = _run(lambda: GradeConfig.from_settings(cell_timeout_s=cell_timeout))
    result = _run(lambda: run(notebook=notebook, config=config))
    if as_json:
        return _emit_json(result.to_dict())
    for t in result.tests:
        mark = "[green]PASS[/]" if t.passed else "[red]FAIL[/]"
        console.print(
            f"{mark} {escape(t.name)} ({t.points:g}/{t.max_points:g}) {escape(t.message)}",
            highlight=False,
        )
    for finding in result.tampering:
        kind, _, gid = finding.partition(":")
        console.print(
            f"[yellow]warning[/]: {escape(kind)} '{escape(gid)}' — it will be restored at grading"
        )
    if result.sandbox == "local":
        console.print("[dim]ran without an isolating sandbox (none usable on this machine)[/]")
    console.print(result.summary(), highlight=False, markup=False)


@app.command()
def autograde(
    lab: str,
    course_dir: CourseDir = Path("."),
    student: Annotated[
        list[str] | None, typer.Option("--student", help="Only this student (repeatable).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Parallel workers (default: CPU count).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Regrade submissions already graded.")
    ] = False,
    allow_unsandboxed: Annotated[
        bool,
        typer.Option(
            "--allow-unsandboxed",
            help="Run untrusted code without isolation when no sandbox works (recorded).",
        ),
    ] = False,
    cell_timeout: CellTimeout = None,
    wall_time: Annotated[
        float | None,
        typer.Option("--wall-time", help=f"Seconds per notebook (default {D.WALL_TIME_S:g})."),
    ] = None,
    memory_mb: Annotated[
        int | None,
        typer.Option("--memory-mb", help=f"Memory limit per notebook (default {D.MEMORY_MB})."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Grade on a Dask cluster: tcp://HOST:PORT of its scheduler (default: the "
            "MLOPS_GRADE_SCHEDULER setting, else a process pool on this machine).",
        ),
    ] = None,
    worker_course_dir: Annotated[
        str | None,
        typer.Option(
            "--worker-course-dir",
            help="Where the Dask workers see the course folder (default: the same path).",
        ),
    ] = None,
    stall_timeout: Annotated[
        float | None,
        typer.Option(
            "--stall-timeout",
            min=1,
            help="On a Dask cluster, stop after this many seconds in which no worker can take "
            f"a task (default {D.STALL_TIMEOUT_S:g}; what is graded stays recorded).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Grade every submission of LAB in `submitted/*/LAB`, sandboxed and in parallel.

    Examples:

    * `mlops-grade autograde lab01 --course-dir course/`
    * `mlops-grade autograde lab01 --student alice --force --json`
    * `mlops-grade autograde lab04 --scheduler tcp://grader-0:8786` (on a Dask cluster)
    """
    from graders.autograde import autograde as run
    from graders.config import GradeConfig

    config = _run(
        lambda: GradeConfig.from_settings(
            cell_timeout_s=cell_timeout,
            wall_time_s=wall_time,
            memory_mb=memory_mb,
            allow_unsandboxed=allow_unsandboxed,
        )
    )
    progress = Progress(
        TextColumn("grading {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=as_json,
    )
    with progress:
        task = progress.add_task(escape(lab), total=None)
        result = _run(
            lambda: run(
                course_dir=course_dir, lab=lab, students=student, workers=workers, force=force,
                config=config, on_start=lambda n: progress.update(task, total=n),
                on_result=lambda r: progress.advance(task), scheduler=scheduler,
                worker_course_dir=worker_course_dir, stall_timeout_s=stall_timeout,
                on_cluster=None if as_json else lambda info: _print_cluster(info, progress.console),
            )
        )  # fmt: skip
    if as_json:
        return _emit_json(result.to_dict())
    if not result.isolating:
        console.print(
            "[bold red]graded WITHOUT a sandbox (--allow-unsandboxed); recorded in the gradebook[/]"
        )
    # Student ids, lab names and statuses are shown as they are, never read as Rich markup.
    table = Table(
        title=f"{escape(lab)}: {len(result.results)} graded in {result.wall_s:.1f} s on "
        f"{escape(result.backend)}"
    )
    table.add_column("status")
    table.add_column("count", justify="right")
    table.add_column("score", justify="right")
    table.add_column("students (score)")
    total = {r.student: (r.total, r.possible) for r in result.results}
    for status, names in result.by_status().items():
        scores = [total[n][0] for n in names if n in total]
        possible = max((total[n][1] for n in names if n in total), default=0.0)
        span = f"{min(scores):g}–{max(scores):g}" if len(set(scores)) > 1 else f"{scores[0]:g}"
        listed = ", ".join(f"{n} ({total[n][0]:g})" if n in total else n for n in names)
        table.add_row(
            Text(status), str(len(names)), f"{span} / {possible:g}" if scores else "", Text(listed)
        )
    console.print(table)
    if result.per_worker:
        counts = ", ".join(f"{w} {n}" for w, n in result.per_worker.items())
        console.print(f"results per worker: {counts}", markup=False)
    if result.skipped:
        console.print(f"skipped {len(result.skipped)} already graded (use --force to regrade)")
    _say_manual_pending(course_dir, lab)


def _print_cluster(info: Any, out: Console) -> None:
    """The cluster a run grades on: each worker's sandbox (or why it refuses), the dashboard."""
    out.print(f"Dask scheduler {info.scheduler}", markup=False)
    if info.dashboard:
        out.print(f"dashboard: {info.dashboard}", markup=False)
    for w in info.workers:
        mark = "grades" if w.accepts else "REFUSES"
        out.print(f"  {w.address} ({w.host}, slot {w.slot}) {mark}: {w.reason}", markup=False)


def _say_manual_pending(course_dir: Path, lab: str) -> None:
    from graders.course import Course
    from graders.gradebook import Gradebook
    from graders.manual import manual_grades

    try:
        with Gradebook(Course(course_dir).gradebook) as gb:
            grades = manual_grades(gb, lab)
    except GraderError:  # nothing recorded for this lab: nothing can be waiting
        return
    waiting = {s: g for s, g in grades.items() if g.pending}
    if waiting:
        answers = sum(len(g.pending) for g in waiting.values())
        points = sum(g.pending_points for g in waiting.values())
        console.print(
            f"{answers} answers of {len(waiting)} students await manual grading ({points:g} "
            f"points; scores are partial until then): mlops-grade grade-manual {lab}",
            markup=False,
        )


@app.command("grade-manual")
def grade_manual(
    lab: str,
    course_dir: CourseDir = Path("."),
    student: Annotated[str | None, typer.Option(help="The student whose answer to grade.")] = None,
    cell: Annotated[str | None, typer.Option(help="The answer's grade_id.")] = None,
    score: Annotated[float | None, typer.Option(help="Points for the answer.")] = None,
    comment: Annotated[str, typer.Option(help="A comment the learner sees.")] = "",
    as_json: AsJson = False,
) -> None:
    """List the answers that await manual grading, or record a score and comment for one.

    The same scores can be given in nbgrader's formgrader, which opens this gradebook.

    Examples:

    * `mlops-grade grade-manual lab01` (what is waiting, with each answer)
    * `mlops-grade grade-manual lab01 --student alice --cell statement --score 2 --comment "..."`
    """
    from graders.course import Course
    from graders.gradebook import Gradebook
    from graders.manual import answer_text, manual_grades, record_manual

    if score is not None:
        if not student or not cell:
            typer.echo("error: --score needs --student and --cell", err=True)
            raise typer.Exit(1)
        done = _run(
            lambda: record_manual(
                course_dir=course_dir, lab=lab, student=str(student), cell=str(cell),
                score=float(score), comment=comment,
            )
        )  # fmt: skip
        if as_json:
            return _emit_json({"student": student, "cell": cell, "score": score})
        console.print(
            f"recorded {score:g}/{done.points:g} for {student}'s {cell} in {lab}", markup=False
        )
        return
    course = Course(course_dir)
    with Gradebook.open_existing(course.gradebook) as gb:
        grades = _run(lambda: manual_grades(gb, lab))
    rows = [
        (s, c, answer_text(course, s, lab, c))
        for s, g in sorted(grades.items())
        if student in (None, s)
        for c in g.pending
    ]
    if as_json:
        return _emit_json(
            [
                {"student": s, "cell": c.grade_id, "points": c.points, "answer": a}
                for s, c, a in rows
            ]
        )
    if not rows:
        console.print(f"nothing awaits manual grading in {lab}", markup=False)
        return
    table = Table(title=f"{escape(lab)}: {len(rows)} answers await manual grading")
    for col in ("student", "answer cell", "points", "answer"):
        table.add_column(col)
    for s, c, text in rows:
        table.add_row(Text(s), Text(c.grade_id), f"{c.points:g}", Text(text[:400]))
    console.print(table)


@app.command()
def feedback(
    lab: str,
    course_dir: CourseDir = Path("."),
    student: Annotated[
        list[str] | None, typer.Option("--student", help="Only this student (repeatable).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Write HTML feedback to `feedback/<student>/LAB/` (hidden tests by name and result only).

    Example: `mlops-grade feedback lab01 --course-dir course/`
    """
    from graders.feedback import feedback as run

    result = _run(lambda: run(course_dir=course_dir, lab=lab, students=student))
    if as_json:
        return _emit_json(result.to_dict())
    console.print(f"wrote {len(result.files)} feedback pages", markup=False)


@app.command()
def export(
    course_dir: CourseDir = Path("."),
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for grades.csv and canvas.csv.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Export grades: `grades.csv` (score + status per lab) and a Canvas-importable `canvas.csv`.

    Example: `mlops-grade export --course-dir course/ --out exports/`
    """
    from graders.export import export as run

    result = _run(lambda: run(course_dir=course_dir, out_dir=out))
    if as_json:
        return _emit_json(result.to_dict())
    for path in result.files:
        console.print(f"wrote {path}", markup=False)


@app.command()
def report(
    course_dir: CourseDir = Path("."),
    lab: Annotated[str | None, typer.Option("--lab", help="Only this lab.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Where to write the HTML report.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Summarize the cohort: tables here, plots in an HTML page.

    Example: `mlops-grade report --course-dir course/ --html report.html`
    """
    from graders.report import print_tables
    from graders.report import report as run

    result = _run(lambda: run(course_dir=course_dir, lab=lab, html_path=html))
    if as_json:
        return _emit_json(result.to_dict())
    print_tables(result.labs, console)
    console.print(f"→ {result.html}", markup=False)


@app.command()
def doctor(as_json: AsJson = False) -> None:
    """Say which sandbox backends work on this machine, and why not.

    Example: `mlops-grade doctor`
    """
    from graders.sandbox import probe

    statuses = probe()
    if as_json:
        return _emit_json(
            [{"name": s.name, "usable": s.usable, "reason": s.reason} for s in statuses]
        )
    table = Table(title="Sandbox backends")
    for col in ("backend", "usable", "reason"):
        table.add_column(col)
    for s in statuses:
        table.add_row(s.name, "yes" if s.usable else "no", Text(s.reason))
    console.print(table)
