"""The `fraud` Typer app and what its commands share: options, error mapping, output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reference_impl import __version__

if TYPE_CHECKING:
    from reference_impl.config import Settings
    from reference_impl.params import Params

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


@contextmanager
def domain_errors() -> Iterator[None]:
    """Map expected failures (bad input, missing data, broken contract, gate) to exit 1."""
    from reference_impl.errors import DomainError
    from reference_impl.validate import DataContractError

    try:
        yield
    except DataContractError as exc:
        typer.echo(exc.report.to_text(), err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1) from None


ParamsOption = Annotated[
    Path | None,
    typer.Option("--params", help="params.yaml of the pipeline (default: built-in defaults)."),
]
TrackOption = Annotated[
    bool | None,
    typer.Option(
        "--track/--no-track", help="Record the run in MLflow (default: FRAUD_TRACK, true)."
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON (its to_dict()) on stdout.")
]


def echo_err(line: str) -> None:
    typer.echo(line, err=True)


def settings_with(**paths: Any) -> Settings:
    """The settings, with the options that were given (None = keep the setting)."""
    from reference_impl.config import get_settings

    given = {k: v for k, v in paths.items() if v is not None}
    return get_settings().model_copy(update=given) if given else get_settings()


def params_with(path: Path | None, **sections: dict[str, Any]) -> Params:
    """params.yaml (or the defaults) with the options that were given merged in."""
    from reference_impl.params import load_params, parse_params

    params = load_params(path)
    given = {k: {n: v for n, v in s.items() if v is not None} for k, s in sections.items()}
    if not any(given.values()):
        return params
    raw = params.model_dump(by_alias=True)
    for section, values in given.items():
        raw[section] = {**raw[section], **values}
    return parse_params(raw, source=f"{path or 'defaults'} + options")


def report(result: Any, as_json: bool, line: str) -> None:
    """Print `line`, or with `--json` the result's `to_dict()`."""
    typer.echo(json.dumps(result.to_dict(), indent=2, default=str) if as_json else line)


def promote_and_report(
    settings: Any, model_name: str, version: str, reason: str, as_json: bool
) -> None:
    """`fraud promote` / `lesion promote`: move the champion pointer of `settings.models_dir`."""
    from reference_impl import registry

    with domain_errors():
        done = registry.promote(
            settings.models_dir,
            version,
            reason=reason,
            tracking_uri=settings.tracking,
            model_name=model_name,
        )
    report(done, as_json, f"champion: {done.version} (was {done.previous})")


def serve_until_stopped(serve_settings: Any, *, host: str, port: int) -> None:
    """`fraud serve` / `lesion serve`: run the service; a missing or bad model exits 1, one line."""
    from reference_impl.serve.bundle import BundleError
    from reference_impl.serve.server import serve_forever

    typer.echo(f"serving on http://{host}:{port} (docs: /docs; Ctrl+C stops)", err=True)
    try:
        serve_forever(serve_settings, host=host, port=port)
    except BundleError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
