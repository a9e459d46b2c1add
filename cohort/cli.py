"""Command-line interface of the cohort project kit (`mlops-cohort`)."""

import typer

app = typer.Typer(name="mlops-cohort", no_args_is_help=True, add_completion=False)


@app.callback()
def main() -> None:
    """Form groups, run peer review, audit group repositories, scaffold the group project."""
