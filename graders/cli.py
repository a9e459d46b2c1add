"""Command-line interface of the grading engine (`mlops-grade`)."""

from typing import Annotated

import typer

from graders import __version__

app = typer.Typer(
    name="mlops-grade",
    help="Release, check, autograde and export nbgrader-format labs.",
    no_args_is_help=True,
    add_completion=False,
)


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
