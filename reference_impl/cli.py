"""Command-line interface of the reference fraud system (`fraud`): one subcommand per stage."""

from typing import Annotated

import typer

from reference_impl import __version__

app = typer.Typer(
    name="fraud",
    help="Run the reference fraud-detection pipeline, one stage per subcommand.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fraud {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Simulate, validate, featurize, train, evaluate, register, serve and monitor."""
