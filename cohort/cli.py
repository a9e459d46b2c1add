"""Command-line interface of the cohort project kit (`mlops-cohort`): options only."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from cohort import __version__
from cohort.audit import audit_repo
from cohort.audit.leaderboard import audit_cohort, discover
from cohort.audit.report import print_table, to_json, to_markdown
from cohort.config import get_settings
from cohort.drill import BUILD as DRILL_BUILD
from cohort.drill import MONITOR as DRILL_MONITOR
from cohort.drill import SERVE as DRILL_SERVE
from cohort.errors import CohortError
from cohort.groups import form_groups, read_groups_csv, write_groups_csv
from cohort.review.assign import assign_reviewers, read_assignments_csv, write_assignments_csv
from cohort.review.forms import write_forms
from cohort.review.results import collect_reviews, write_results
from cohort.review.rubric import DEFAULT_RUBRIC, load_rubric
from cohort.roster import read_roster
from cohort.scaffold import new_project, publish_template, update_project

app = typer.Typer(
    name="mlops-cohort",
    help="Form groups, run peer review, audit group repositories, scaffold the group project.",
    no_args_is_help=True,
    add_completion=False,
)
review_app = typer.Typer(
    help="Peer review: assign reviewers, write forms, collect results.", no_args_is_help=True
)
app.add_typer(review_app, name="review")
console = Console()

RubricOpt = Annotated[Path, typer.Option("--rubric", help="Rubric YAML (criteria and scale).")]


def fail(exc: CohortError) -> typer.Exit:
    """Print the domain error on one line and exit 1."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlops-cohort {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Cohort-level instructor tools for the group project."""


@app.command()
def groups(
    roster: Annotated[
        Path, typer.Argument(help="Roster CSV: id, name, email[, skills, timezone].")
    ],
    size: Annotated[int | None, typer.Option("--size", "-n", help="Students per group.")] = None,
    seed: Annotated[int | None, typer.Option(help="Same roster and seed, same groups.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Groups CSV to write.")] = None,
) -> None:
    """Form groups balanced on skills (spread) and time zone (kept close).

    Example: mlops-cohort groups roster.csv --size 4 --seed 7 --out groups.csv
    """
    settings = get_settings()
    seed = settings.seed if seed is None else seed
    out = out or settings.groups_csv
    try:
        result = form_groups(
            students=read_roster(roster), size=size or settings.group_size, seed=seed
        )
    except CohortError as exc:
        raise fail(exc) from None
    write_groups_csv(result, out)
    table = Table(title=f"{len(result.groups)} groups (seed {seed})")
    for column in ("group", "members", "skills", "tz spread (h)"):
        table.add_column(column)
    for g in result.groups:
        skills = ", ".join(f"{k}×{v}" for k, v in sorted(g.skills.items()))
        # Ids from the roster are shown as they are, never read as Rich markup.
        members = ", ".join(m.id for m in g.members)
        table.add_row(Text(g.id), Text(members), Text(skills), f"{g.tz_spread:g}")
    console.print(table)
    typer.echo(f"wrote {out}")


@review_app.command("assign")
def review_assign(
    groups_csv: Annotated[Path, typer.Argument(help="Groups CSV from `mlops-cohort groups`.")],
    reviewers: Annotated[
        int | None, typer.Option("--reviewers", "-r", help="Reviewers per project.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Same groups and seed, same assignment.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Assignments CSV to write.")
    ] = None,
) -> None:
    """Give every project N reviewers from other groups, each reviewer about the same load.

    Example: mlops-cohort review assign groups.csv --reviewers 3 --out assignments.csv
    """
    settings = get_settings()
    out = out or settings.assignments_csv
    try:
        result = assign_reviewers(
            groups=read_groups_csv(groups_csv),
            per_project=reviewers or settings.reviewers,
            seed=settings.seed if seed is None else seed,
        )
    except CohortError as exc:
        raise fail(exc) from None
    write_assignments_csv(result, out)
    load = result.load()
    typer.echo(
        f"{len(result.assignments)} reviews; "
        f"load per reviewer {min(load.values())}..{max(load.values())}; wrote {out}"
    )


@review_app.command("forms")
def review_forms(
    assignments: Annotated[Path, typer.Argument(help="Assignments CSV.")],
    rubric: RubricOpt = DEFAULT_RUBRIC,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for one form per reviewer.")
    ] = None,
) -> None:
    """Write one YAML review form per reviewer.

    Example: mlops-cohort review forms assignments.csv --rubric rubric.yml --out forms/
    """
    out = out or get_settings().forms_dir
    try:
        paths = write_forms(
            assignments=read_assignments_csv(assignments), rubric=load_rubric(rubric), out_dir=out
        )
    except CohortError as exc:
        raise fail(exc) from None
    typer.echo(f"wrote {len(paths)} forms to {out}")


@review_app.command("collect")
def review_collect(
    forms: Annotated[Path, typer.Argument(help="Folder of filled forms.")],
    assignments: Annotated[
        Path | None, typer.Option("--assignments", "-a", help="Assignments CSV.")
    ] = None,
    rubric: RubricOpt = DEFAULT_RUBRIC,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for per-project results.")
    ] = None,
) -> None:
    """Collect filled forms into per-project pages (every score and comment) and a summary.

    Example: mlops-cohort review collect forms/ --assignments assignments.csv --out results/
    """
    settings = get_settings()
    out = out or settings.review_dir
    try:
        loaded = load_rubric(rubric)
        results = collect_reviews(
            forms_dir=forms,
            rubric=loaded,
            assignments=read_assignments_csv(assignments or settings.assignments_csv),
        )
    except CohortError as exc:
        raise fail(exc) from None
    write_results(results, loaded, out)
    table = Table(title=f"Peer review ({results.forms_read} forms read)")
    for column in ("project", "mean", "reviewers disagree on", "missing reviews"):
        table.add_column(column)
    for p in results.projects:
        table.add_row(
            Text(p.project),
            "–" if p.mean is None else f"{p.mean:.2f}",
            Text(", ".join(p.flagged)),
            Text(", ".join(p.missing)),
        )
    console.print(table)
    typer.echo(f"wrote {out}")


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


@app.command()
def audit(
    repo: Annotated[Path, typer.Argument(help="Path of the project repository to audit.")] = Path(
        "."
    ),
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the report here.")
    ] = None,
    run_tests: Annotated[
        bool,
        typer.Option("--run-tests", help="Run the repo's pytest suite in the grading sandbox."),
    ] = False,
    allow_unsandboxed: Annotated[
        bool,
        typer.Option(
            "--allow-unsandboxed", help="With --run-tests: run without isolation if none works."
        ),
    ] = False,
) -> None:
    """Score a repository's MLOps maturity (Google levels 0-2, ML Test Score). Only reads files.

    Example: mlops-cohort audit ../group-3 --format markdown --out audit.md
    """
    try:
        result = audit_repo(path=repo, run_tests=run_tests, allow_unsandboxed=allow_unsandboxed)
    except CohortError as exc:
        raise fail(exc) from None
    text = {Format.markdown: to_markdown, Format.json: to_json}.get(fmt, to_markdown)(result)
    if fmt is Format.table:
        print_table(result, Console(width=max(console.width, 120)))
    else:
        typer.echo(text, nl=False)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(to_json(result) if out.suffix == ".json" else text, encoding="utf-8")


@app.command("audit-cohort")
def audit_cohort_cmd(
    repos: Annotated[Path, typer.Argument(help="Folder with one sub-folder per group repository.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for reports and leaderboard.")
    ] = None,
    run_tests: Annotated[
        bool, typer.Option("--run-tests", help="Run each repo's tests, sandboxed.")
    ] = False,
) -> None:
    """Audit every group repository and write a leaderboard (Markdown, CSV, JSON).

    Example: mlops-cohort audit-cohort repos/ --out build/cohort/audit
    """
    out = out or get_settings().audit_dir
    try:
        found = discover(repos)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("auditing", total=len(found))

            def step(name: str) -> None:
                progress.update(task, advance=1, description=f"audited {escape(name)}")

            board = audit_cohort(repos=found, out_dir=out, run_tests=run_tests, on_repo=step)
    except CohortError as exc:
        raise fail(exc) from None
    table = Table(title="Cohort leaderboard")
    for column in ("rank", "repo", "level", "points"):
        table.add_column(column)
    for k, (name, r) in enumerate(board.ranked(), start=1):
        table.add_row(str(k), Text(name), f"L{r.mlops_level}", f"{r.points}/{r.possible}")
    console.print(table)
    for name, why in board.errors.items():
        typer.echo(f"not audited: {name}: {why}", err=True)
    typer.echo(f"wrote {out / 'leaderboard.md'}")


@app.command()
def drill(
    repos: Annotated[
        list[Path],
        typer.Argument(
            help="Group repositories (each drilled in turn), or one folder of them with --cohort."
        ),
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for reports.")] = None,
    cohort: Annotated[
        bool, typer.Option("--cohort", help="REPOS is one folder with a sub-folder per group.")
    ] = False,
    build_cmd: Annotated[
        str, typer.Option(help="Build command ('' to skip); placeholders {python} {package}.")
    ] = DRILL_BUILD,
    serve_cmd: Annotated[
        str, typer.Option(help="Command that serves on 127.0.0.1:{port} (uvicorn, docker compose).")
    ] = DRILL_SERVE,
    monitor_cmd: Annotated[
        str, typer.Option(help="Monitor command ('' for none): exit 1 = incident raised; {window}.")
    ] = DRILL_MONITOR,
    traffic: Annotated[
        Path | None, typer.Option(help="CSV of traffic (default: params.yaml data.path).")
    ] = None,
    rows: Annotated[
        int, typer.Option(min=40, max=20_000, help="Rows replayed, one per request.")
    ] = 800,
    deadline: Annotated[
        float, typer.Option(min=1, help="Seconds for the whole replay; unsent rows fail.")
    ] = 180.0,
    startup: Annotated[float, typer.Option(min=1, help="Seconds to wait for /health.")] = 60.0,
) -> None:
    """Live production drill: start each group's service on 127.0.0.1, replay its recent traffic
    with four incidents, score availability, p99 latency, the KPI on delayed labels and the
    monitor; write a report and a plot per group and a leaderboard.

    Example: mlops-cohort drill repos/ --cohort --out build/cohort/drill
    """
    from cohort.drill.run import DrillConfig, drill_cohort

    out = out or get_settings().root / "drill"
    config = DrillConfig(
        build_cmd=build_cmd or None,
        serve_cmd=serve_cmd,
        monitor_cmd=monitor_cmd or None,
        traffic=traffic,
        rows=rows,
        deadline_s=deadline,
        startup_s=startup,
    )
    try:
        for path in repos:
            if not path.is_dir():
                raise CohortError(f"{path} is not a folder")
        found = discover(repos[0]) if cohort else {p.resolve().name: p for p in repos}
        results, errors = drill_cohort(
            repos=found, out_dir=out, config=config,
            on_repo=lambda name: typer.echo(f"drilled {name}", err=True),
        )  # fmt: skip
    except CohortError as exc:
        raise fail(exc) from None
    table = Table(title="Live drill")
    for column in ("group", "score", "availability", "p99 ms", "KPI", "monitor", "service"):
        table.add_column(column)
    for r in sorted(results, key=lambda r: -r.score.total):
        s = r.score
        table.add_row(
            Text(r.group), f"{s.total:.2f}", f"{s.availability:.2f}", str(s.p99_ms or "–"),
            f"{s.kpi:.2f}", f"{s.monitor:.2f}", Text(r.reason),
        )  # fmt: skip
    console.print(table)
    for name, why in errors.items():
        typer.echo(f"not drilled: {name}: {why}", err=True)
    typer.echo(f"wrote {out / 'leaderboard.md'}")


class Problem(StrEnum):
    classification = "classification"
    regression = "regression"


@app.command()
def new(
    dest: Annotated[Path, typer.Argument(help="Folder for the new group repository.")],
    name: Annotated[str, typer.Option("--name", help="Project name.")] = "Fraud Radar",
    problem: Annotated[
        Problem, typer.Option(help="What the model predicts.")
    ] = Problem.classification,
    members: Annotated[str, typer.Option(help="Team members, comma separated.")] = "",
    dataset: Annotated[str, typer.Option(help="Where the data comes from.")] = "",
    target: Annotated[str, typer.Option(help="Label column of the data set.")] = "target",
    template: Annotated[
        str | None,
        typer.Option(help="Published template (git URL or path); default: $MLOPS_COHORT_TEMPLATE."),
    ] = None,
    ref: Annotated[str | None, typer.Option(help="Template version tag to use.")] = None,
) -> None:
    """Create a group project from the template (copier), laid out like the reference system.

    Example: mlops-cohort new ../team-3 --name "Churn Watch" --members "Ada <a@x.org>, Al <l@x.org>"
    """
    answers: dict[str, str] = {
        "project_name": name,
        "problem_type": problem.value,
        "target_column": target,
    }
    answers |= {k: v for k, v in (("team_members", members), ("dataset_source", dataset)) if v}
    try:
        new_project(
            dest=dest, answers=answers, template=template or get_settings().template, vcs_ref=ref
        )
    except CohortError as exc:
        raise fail(exc) from None
    typer.echo(f"created {dest}: cd there, then `make install test pipeline`")


@app.command()
def update(
    project: Annotated[
        Path, typer.Argument(help="A project made from a published template.")
    ] = Path("."),
    ref: Annotated[
        str | None, typer.Option(help="Template version tag (default: the newest).")
    ] = None,
) -> None:
    """Bring template fixes into a group's repository (copier update; commit your work first).

    Example: mlops-cohort update ../team-3
    """
    try:
        update_project(path=project, vcs_ref=ref)
    except CohortError as exc:
        raise fail(exc) from None
    typer.echo(f"updated {project}: review `git diff`, resolve any .rej files, commit")


@app.command("publish-template")
def publish_template_cmd(
    dest: Annotated[Path, typer.Argument(help="Git repository to publish the template into.")],
    version: Annotated[str, typer.Option(help="Version tag, e.g. v1.1.0.")],
) -> None:
    """Commit the bundled template into a git repository and tag it, so groups can `copier update`.

    Example: mlops-cohort publish-template ../project-template --version v1.0.0
    """
    try:
        published = publish_template(dest=dest, version=version)
    except CohortError as exc:
        raise fail(exc) from None
    typer.echo(
        f"published {published.version} ({published.commit[:8]}) in {published.repo}; push it"
    )
