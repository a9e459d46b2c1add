"""Command-line interface of the reference fraud system (`fraud`): one subcommand per stage.

Thin: each command parses its options into settings (where) and parameters (what), calls the
stage's runner (`reference_impl.runner`) and prints its result: one line, or `--json` (the
result's `to_dict()`). Expected failures (`errors.DomainError`) exit 1 with one line; anything
else is a bug and shows its traceback. Heavy libraries are imported inside the commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reference_impl import __version__
from reference_impl.monitor.timeline import DRILL

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


def _echo_err(line: str) -> None:
    typer.echo(line, err=True)


def _settings(**paths: Any) -> Settings:
    """The settings, with the options that were given (None = keep the setting)."""
    from reference_impl.config import get_settings

    given = {k: v for k, v in paths.items() if v is not None}
    return get_settings().model_copy(update=given) if given else get_settings()


def _params(path: Path | None, **sections: dict[str, Any]) -> Params:
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


def _report(result: Any, as_json: bool, line: str) -> None:
    typer.echo(json.dumps(result.to_dict(), indent=2, default=str) if as_json else line)


def _drift(**knobs: Any) -> dict[str, Any]:
    """Drift overrides from CLI options (unset options keep the preset's values)."""
    drift = {k: v for k, v in knobs.items() if v is not None and k != "card_testing"}
    if knobs.get("card_testing"):
        drift["card_testing"] = {"cards_per_day": knobs["card_testing"]}
    return drift


@app.command()
def simulate(
    params: ParamsOption = None,
    preset: Annotated[str | None, typer.Option(help="Size preset: tiny, small or full.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same bytes).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Dataset folder (default: <root>/data/raw).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace a different existing dataset.")] = False,
    drift_start: Annotated[int | None, typer.Option(help="Day the drift knobs apply from.")] = None,
    amount_scale: Annotated[
        float | None, typer.Option(help="Legit spending inflation, e.g. 1.25.")
    ] = None,
    scale_s1: Annotated[
        bool | None, typer.Option(help="Scale the S1 threshold with amounts.")
    ] = None,
    freq_scale: Annotated[float | None, typer.Option(help="Volume growth, e.g. 1.5.")] = None,
    s2_duration: Annotated[
        int | None, typer.Option(help="Terminal compromise days, e.g. 7.")
    ] = None,
    s2_rate: Annotated[
        float | None, typer.Option(help="Compromises/terminal/day, e.g. 8e-4.")
    ] = None,
    s3_mult: Annotated[
        float | None, typer.Option(help="Account-takeover amount multiplier.")
    ] = None,
    card_testing: Annotated[int, typer.Option(help="Cards tested per day (scenario 4).")] = 0,
    weekend_mult: Annotated[float | None, typer.Option(help="Weekend volume multiplier.")] = None,
    intensity: Annotated[float | None, typer.Option(help="Multiplies the S2/S3 rates.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate transactions into daily Parquet partitions (immutable raw data).

    The same dataset already in place is kept; a different one needs --force.

    Example: fraud simulate --preset small --seed 0 --drift-start 60 --amount-scale 1.25
    """
    from reference_impl.runner import run_simulate

    overrides: dict[str, Any] = {}
    drift = _drift(
        start_day=drift_start,
        amount_scale=amount_scale,
        scale_s1_threshold=scale_s1,
        freq_scale=freq_scale,
        s2_duration_days=s2_duration,
        s2_terminal_rate=s2_rate,
        s3_amount_mult=s3_mult,
        card_testing=card_testing,
    )
    if drift:
        overrides["drift"] = drift
    if weekend_mult is not None:
        overrides["seasonality"] = {"weekend_volume_mult": weekend_mult}
    if intensity is not None:
        overrides["fraud"] = {"intensity": intensity}
    with domain_errors():
        data = {"preset": preset, "seed": seed, "overrides": overrides or None}
        res = run_simulate(
            settings=_settings(raw_path=out),
            params=_params(params, data=data),
            force=force,
            progress=_echo_err,
        )
    kept = "" if res.written else " (kept: already there)"
    _report(
        res,
        as_json,
        f"{res.n_transactions:,} transactions over {res.n_days} days, fraud rate "
        f"{res.n_frauds / max(res.n_transactions, 1):.3%} -> {res.path}{kept} "
        f"({res.seconds:.1f} s, hash {res.dataset_hash[:12]})",
    )


@app.command()
def validate(
    params: ParamsOption = None,
    raw: Annotated[
        Path | None, typer.Option(help="Raw dataset (default: <root>/data/raw).")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="Statistics bands (default: from the manifest).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check raw data against the data contract, write reports/validation.json; exit 1 if broken.

    Example: fraud validate --raw build/data/raw
    """
    from reference_impl.runner import run_validate

    with domain_errors():
        res = run_validate(
            settings=_settings(raw_path=raw), params=_params(params, validate={"bands": preset})
        )
    _report(res, as_json, res.text)


@app.command()
def features(
    params: ParamsOption = None,
    raw: Annotated[
        Path | None, typer.Option(help="Raw dataset (default: <root>/data/raw).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <root>/data/features).")
    ] = None,
    delay_days: Annotated[
        int | None, typer.Option(help="Label delay of terminal features.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate the raw data, then write the 15 point-in-time features (Parquet).

    Example: fraud features --raw build/data/raw --out build/data/features
    """
    from reference_impl.runner import run_features

    with domain_errors():
        res = run_features(
            settings=_settings(raw_path=raw, features_path=out),
            params=_params(params, features={"delay_days": delay_days}),
            progress=_echo_err,
        )
    _report(res, as_json, f"{res.n_rows:,} rows x 15 features -> {res.path} ({res.seconds:.1f} s)")


@app.command()
def train(
    params: ParamsOption = None, track: TrackOption = None, as_json: JsonOption = False
) -> None:
    """Select a model family prequentially, fit the release candidate, track it in MLflow.

    Example: fraud train --params params.yaml
    """
    from reference_impl.runner import run_train

    with domain_errors():
        res = run_train(settings=_settings(track=track), params=_params(params), progress=_echo_err)
    _report(
        res,
        as_json,
        f"candidate: {res.family} {res.params} on days {res.train_days[0]}-{res.train_days[1]}, "
        f"threshold {res.threshold:.4g} -> {res.candidate_dir} ({res.seconds:.1f} s)",
    )


@app.command()
def evaluate(
    params: ParamsOption = None, track: TrackOption = None, as_json: JsonOption = False
) -> None:
    """Score the candidate: AUC, AP, CP@100, calibration, business KPI, plots; exit 1 if gated.

    Example: fraud evaluate --params params.yaml
    """
    from reference_impl.runner import run_evaluate

    with domain_errors():
        res = run_evaluate(
            settings=_settings(track=track), params=_params(params), progress=_echo_err
        )
    h = res.headline
    _report(
        res,
        as_json,
        f"gate passed: AP {h['prequential_average_precision']:.3f} (prequential), test AUC "
        f"{h['test_roc_auc']:.3f} AP {h['test_average_precision']:.3f} CP@100 "
        f"{h['test_card_precision_100']:.3f}; residual fraud {h['residual_fraud_count']:.2%} "
        f"(count) {h['residual_fraud_amount']:.2%} (amount) at {h['alerts_per_day']:.0f} "
        f"alerts/day -> {res.out_dir}",
    )


def _registered_line(res: Any) -> str:
    role = "champion" if res.champion == res.version else f"challenger (champion: {res.champion})"
    mlflow = f", MLflow version {res.mlflow_version}" if res.mlflow_version else ""
    return f"registered {res.version} as {role} -> {res.directory}{mlflow}"


@app.command()
def register(
    params: ParamsOption = None, track: TrackOption = None, as_json: JsonOption = False
) -> None:
    """Compare the evaluated candidate with the champion; publish it as champion or challenger.

    A candidate better than the champion beyond noise (or the first one) is promoted; one within
    noise is registered as a challenger; one worse beyond noise is rejected (exit 1).

    Example: fraud register --params params.yaml
    """
    from reference_impl.runner import run_register

    with domain_errors():
        res = run_register(
            settings=_settings(track=track), params=_params(params), progress=_echo_err
        )
    _report(res, as_json, _registered_line(res))


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Registered version to promote, e.g. v002.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in models/history.jsonl).")],
    params: ParamsOption = None,
    track: TrackOption = None,
) -> None:
    """Make a registered version (e.g. a challenger) the champion, recording the reason.

    Example: fraud promote v002 --reason "two weeks of shadow traffic: AP +0.02"
    """
    from reference_impl import registry

    settings = _settings(track=track)
    with domain_errors():
        previous = registry.champion_version(settings.models_dir)
        registry.promote(
            settings.models_dir,
            version,
            reason=reason,
            tracking_uri=settings.tracking,
            model_name=_params(params).registry.model_name,
        )
    typer.echo(f"champion: {version} (was {previous})")


@app.command()
def pipeline(
    params: ParamsOption = None,
    preset: Annotated[str | None, typer.Option(help="Size preset: tiny, small or full.")] = None,
    seed: Annotated[int | None, typer.Option(help="Simulator seed.")] = None,
    fresh: Annotated[
        bool, typer.Option(help="Remove data, models, reports and the MLflow store first.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run every stage without DVC: simulate → validate → features → train → evaluate → register.

    Example: fraud pipeline --preset small --fresh --params params.yaml
    """
    from reference_impl.pipeline import run_pipeline

    with domain_errors():
        res = run_pipeline(
            settings=_settings(),
            params=_params(params, data={"preset": preset, "seed": seed}),
            fresh=fresh,
            progress=_echo_err,
        )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in res.seconds.items())
    reg = res.results["register"]
    _report(res, as_json, f"pipeline done in {res.total:.1f} s ({stages}); {_registered_line(reg)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    models_dir: Annotated[
        Path | None, typer.Option(help="Model registry (default: <root>/models).")
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model", help="Version to serve (default: the champion).")
    ] = None,
    history: Annotated[
        Path | None, typer.Option(help="Raw dataset that warms the online feature state.")
    ] = None,
    history_end: Annotated[
        str | None, typer.Option(help="Last day of history to load (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Serve the registered model over HTTP (FastAPI, one uvicorn worker, JSON logs).

    Other settings come from FRAUD_SERVE_* variables (see reference_impl/serve/settings.py).

    Example: fraud serve --port 8080 --history build/data/raw
    """
    from reference_impl.serve.bundle import BundleError
    from reference_impl.serve.server import serve_forever
    from reference_impl.serve.settings import ServeSettings

    overrides: dict[str, Any] = {
        "models_dir": models_dir,
        "model_version": model_version,
        "history_dir": history,
        "history_end": history_end,
    }
    settings = ServeSettings(**{k: v for k, v in overrides.items() if v is not None})
    typer.echo(f"serving on http://{host}:{port} (docs: /docs; Ctrl+C stops)", err=True)
    try:
        serve_forever(settings, host=host, port=port)
    except BundleError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def replay(
    incident: Annotated[str, typer.Option(help="none, spending_inflation, card_testing, ...")],
    url: Annotated[str, typer.Option(help="Base URL of the running service.")] = (
        "http://127.0.0.1:8080"
    ),
    mode: Annotated[str, typer.Option(help="batch (features) or online (raw + labels).")] = "batch",
    first_day: Annotated[int, typer.Option(help="First day sent.")] = DRILL.reference[0],
    last_day: Annotated[int, typer.Option(help="Last day sent.")] = DRILL.current[1],
    preset: Annotated[str, typer.Option(help="Simulator size preset.")] = "small",
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Scored log (Parquet).")] = None,
) -> None:
    """Stream simulated days with a scripted incident (the drill's timeline) to the service.

    The online mode sends raw transactions (the service computes the features) and the labels
    once the label delay has passed; start the service with the history before the first day
    sent, e.g. fraud serve --history build/data/raw --history-end 2018-05-12 (the day before the
    drill's reference window on the small preset).

    Example: fraud replay --incident card_testing --url http://127.0.0.1:8080
    """
    from rich.progress import Progress

    from reference_impl.atomic import atomic_file
    from reference_impl.config import get_settings
    from reference_impl.monitor.replay import replay_to_api

    days = range(first_day, last_day + 1)
    target = out or get_settings().reports_dir / "monitor" / incident / "log.parquet"
    with domain_errors(), Progress(transient=True) as bar:
        task = bar.add_task(f"replaying {incident}", total=len(days))
        log = replay_to_api(
            incident,
            url,
            days=days,
            mode=mode,
            preset=preset,
            seed=seed,
            on_day=lambda _: bar.advance(task),
        )
        with atomic_file(target) as tmp:
            log.to_parquet(tmp)
    typer.echo(f"{len(log):,} transactions scored over {len(days)} days -> {target}")


@app.command()
def monitor(
    log: Annotated[
        Path | None, typer.Option(help="Scored log from `fraud replay` (Parquet).")
    ] = None,
    drill: Annotated[
        str | None, typer.Option(help="Instead of a log: run this incident in-process.")
    ] = None,
    reference: Annotated[
        tuple[int, int], typer.Option(help="Reference days (inclusive).")
    ] = DRILL.reference,
    current: Annotated[
        tuple[int, int], typer.Option(help="Current days (inclusive).")
    ] = DRILL.current,
    today: Annotated[int | None, typer.Option(help="Day the check runs (labels: delay).")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder.")] = None,
    params: ParamsOption = None,
    retrain: Annotated[
        bool, typer.Option(help="On a retrain decision, rerun train/evaluate/register.")
    ] = False,
    url: Annotated[str | None, typer.Option(help="Service to hot-swap after retraining.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check drift and delayed-label performance; decide no action / investigate / retrain.

    Example: fraud monitor --drill spending_inflation
    Example: fraud monitor --log build/reports/monitor/card_testing/log.parquet --retrain
    """
    import pandas as pd

    from reference_impl.config import get_settings
    from reference_impl.errors import InvalidInputError
    from reference_impl.monitor.decide import Action
    from reference_impl.monitor.drill import default_fit, run_drill, train_champion
    from reference_impl.monitor.job import run_monitor
    from reference_impl.monitor.report import write_reports

    settings = get_settings()
    with domain_errors():
        if (log is None) == (drill is None):
            raise InvalidInputError("give exactly one of --log or --drill")
        if drill is not None:
            result, _ = run_drill(drill, train_champion())
        else:
            assert log is not None
            result = run_monitor(
                pd.read_parquet(log),
                reference_days=reference,
                current_days=current,
                today=today,
                label_delay_days=_params(params).features.delay_days,
                challenger=default_fit,
            )
        target = out or settings.reports_dir / "monitor" / (drill or Path(log or "log").parent.name)
        json_path, html_path = write_reports(result, target)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        typer.echo(f"decision: {result.decision.action.value}")
        for reason in result.decision.reasons:
            typer.echo(f"  - {reason}")
        typer.echo(f"reports: {json_path} {html_path}")
    if retrain and result.decision.action is Action.RETRAIN:
        from reference_impl.monitor.retrain import retrain_and_reload

        with domain_errors():
            done = retrain_and_reload(settings=settings, params_path=params, service_url=url)
        role = "promoted" if done.promoted else "challenger, not promoted"
        swapped = " (service swapped)" if done.reloaded else ""
        typer.echo(f"retrained: {done.version} ({role}){swapped}", err=as_json)
