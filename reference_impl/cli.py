"""Command-line interface of the reference fraud system (`fraud`): one subcommand per stage."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from reference_impl import __version__
from reference_impl.config import get_settings

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
    """Map expected failures (bad input, missing data, broken contract) to one line + exit 1."""
    from reference_impl.validate import DataContractError

    try:
        yield
    except DataContractError as exc:
        typer.echo(exc.report.to_text(), err=True)
        raise typer.Exit(1) from None
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1) from None


def _drift(**knobs: Any) -> dict[str, Any]:
    """Drift overrides from CLI options (unset options keep the preset's values)."""
    drift = {k: v for k, v in knobs.items() if v is not None and k != "card_testing"}
    if knobs.get("card_testing"):
        drift["card_testing"] = {"cards_per_day": knobs["card_testing"]}
    return drift


@app.command()
def simulate(
    preset: Annotated[str, typer.Option(help="Size preset: tiny, small or full.")] = "",
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same bytes).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Dataset folder (default: <root>/data/raw).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing dataset.")] = False,
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
) -> None:
    """Simulate transactions into daily Parquet partitions (immutable raw data).

    Example: fraud simulate --preset small --seed 0 --drift-start 60 --amount-scale 1.25
    """
    from rich.progress import Progress

    from reference_impl import simulate as sim_mod

    settings = get_settings()
    overrides: dict[str, Any] = {"seed": settings.seed if seed is None else seed}
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
    target = out or settings.raw_dir
    with domain_errors():
        cfg = sim_mod.config_for(preset or settings.preset, **overrides)
        if target.exists() and any(target.iterdir()) and not force:
            raise FileExistsError(
                f"{target} already holds a dataset; raw data is immutable (use --force)"
            )
        started = time.perf_counter()
        with Progress(transient=True) as bar:
            task = bar.add_task("simulating", total=None)
            result = sim_mod.simulate(cfg)
            bar.update(task, description="writing partitions", total=cfg.n_days, completed=0)
            advance: Callable[[int], None] = lambda n: bar.advance(task, n)  # noqa: E731
            manifest = sim_mod.write_raw(result, target, force=force, progress=advance)
    tx, elapsed = result.transactions, time.perf_counter() - started
    typer.echo(
        f"{len(tx):,} transactions over {cfg.n_days} days, fraud rate {tx['TX_FRAUD'].mean():.3%}"
        f" -> {target} ({elapsed:.1f} s, hash {manifest['dataset_hash'][:12]})"
    )


@app.command()
def validate(
    raw: Annotated[
        Path | None, typer.Option(help="Raw dataset (default: <root>/data/raw).")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="Statistics bands (default: from the manifest).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="JSON report (default: <root>/reports/validation.json).")
    ] = None,
) -> None:
    """Check raw data against the data contract; exit 1 with the list of violations.

    Example: fraud validate --raw build/data/raw
    """
    from reference_impl.validate import validate as run_validate

    settings = get_settings()
    with domain_errors():
        result = run_validate(raw or settings.raw_dir, preset)
    path = report or settings.reports_dir / "validation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(result.to_json() + "\n")
    tmp.replace(path)
    typer.echo(result.to_text(), err=not result.ok)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def features(
    raw: Annotated[
        Path | None, typer.Option(help="Raw dataset (default: <root>/data/raw).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <root>/data/features).")
    ] = None,
    delay_days: Annotated[
        int | None, typer.Option(help="Label delay of terminal features.")
    ] = None,
) -> None:
    """Validate the raw data, then write the 15 point-in-time features (Parquet).

    Example: fraud features --raw build/data/raw --out build/data/features
    """
    from rich.console import Console

    from reference_impl.features import featurize

    settings = get_settings()
    delay = settings.label_delay_days if delay_days is None else delay_days
    with domain_errors(), Console(stderr=True).status("validating and building features"):
        result = featurize(raw or settings.raw_dir, out or settings.features_dir, delay_days=delay)
    typer.echo(f"{result.n_rows:,} rows x 15 features -> {result.path} ({result.seconds:.1f} s)")


ParamsOption = Annotated[
    Path | None,
    typer.Option("--params", help="params.yaml of the model stages (default: built-in defaults)."),
]
TrackOption = Annotated[
    bool, typer.Option("--track/--no-track", help="Record the run in MLflow (local SQLite).")
]


def _echo_err(line: str) -> None:
    typer.echo(line, err=True)


@app.command()
def train(params: ParamsOption = None, track: TrackOption = True) -> None:
    """Select a model family prequentially, fit the release candidate, track it in MLflow.

    Example: fraud train --params params.yaml
    """
    from reference_impl.params import load_params
    from reference_impl.pipeline import candidate_dir, run_train

    settings = get_settings()
    with domain_errors():
        result = run_train(
            settings=settings, params=load_params(params), track=track, progress=_echo_err
        )
    typer.echo(
        f"candidate: {result.family} {result.params} on days {result.train_days[0]}-"
        f"{result.train_days[1]}, threshold {result.threshold:.4g} -> {candidate_dir(settings)} "
        f"({result.seconds:.1f} s)"
    )


@app.command()
def evaluate(params: ParamsOption = None, track: TrackOption = True) -> None:
    """Score the candidate: AUC, AP, CP@100, calibration, business KPI, plots; exit 1 if gated.

    Example: fraud evaluate --params params.yaml
    """
    from reference_impl.params import load_params
    from reference_impl.pipeline import evaluation_dir, run_evaluate

    settings = get_settings()
    with domain_errors():
        result = run_evaluate(
            settings=settings, params=load_params(params), track=track, progress=_echo_err
        )
    h = result.headline
    typer.echo(
        f"gate passed: AP {h['prequential_average_precision']:.3f} (prequential), test AUC "
        f"{h['test_roc_auc']:.3f} AP {h['test_average_precision']:.3f} CP@100 "
        f"{h['test_card_precision_100']:.3f}; residual fraud {h['residual_fraud_count']:.2%} "
        f"(count) {h['residual_fraud_amount']:.2%} (amount) at {h['alerts_per_day']:.0f} "
        f"alerts/day -> {evaluation_dir(settings)}"
    )


@app.command()
def register(params: ParamsOption = None, track: TrackOption = True) -> None:
    """Publish the evaluated candidate: MLflow registry, build/models/vNNN/, model card.

    Example: fraud register --params params.yaml
    """
    from reference_impl.params import load_params
    from reference_impl.pipeline import run_register

    with domain_errors():
        reg = run_register(settings=get_settings(), params=load_params(params), track=track)
    mlflow_note = f", MLflow version {reg.mlflow_version}" if reg.mlflow_version else ""
    typer.echo(f"registered {reg.name} {reg.version} -> {reg.directory}{mlflow_note}")


@app.command()
def pipeline(
    preset: Annotated[str, typer.Option(help="Size preset: tiny, small or full.")] = "small",
    seed: Annotated[int | None, typer.Option(help="Simulator seed.")] = None,
    params: ParamsOption = None,
    fresh: Annotated[
        bool, typer.Option(help="Remove data, models, reports and the MLflow store first.")
    ] = False,
) -> None:
    """Run every stage without DVC: simulate → validate → features → train → evaluate → register.

    Example: fraud pipeline --preset small --fresh --params params.yaml
    """
    from reference_impl.pipeline import run_pipeline

    settings = get_settings()
    with domain_errors():
        result = run_pipeline(
            settings=settings,
            preset=preset,
            seed=settings.seed if seed is None else seed,
            params_path=params,
            fresh=fresh,
            progress=_echo_err,
        )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    typer.echo(f"pipeline done in {result.total:.1f} s ({stages}); registered {result.version}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    models_dir: Annotated[
        Path | None, typer.Option(help="Model registry (default: <root>/models).")
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model", help="Version to serve (default: latest).")
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
    first_day: Annotated[int, typer.Option(help="First day sent.")] = 42,
    last_day: Annotated[int, typer.Option(help="Last day sent.")] = 104,
    preset: Annotated[str, typer.Option(help="Simulator size preset.")] = "small",
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Scored log (Parquet).")] = None,
) -> None:
    """Stream simulated days with a scripted incident (drift from day 70) to the service.

    The online mode sends raw transactions (the service computes the features) and the labels
    7 days later; start the service with the history before the first day sent, e.g.
    fraud serve --history build/data/raw --history-end 2018-05-12 (day 41 of the small preset).

    Example: fraud replay --incident card_testing --url http://127.0.0.1:8080
    """
    from rich.progress import Progress

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
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        log.to_parquet(tmp)
        tmp.replace(target)
    typer.echo(f"{len(log):,} transactions scored over {len(days)} days -> {target}")


@app.command()
def monitor(
    log: Annotated[
        Path | None, typer.Option(help="Scored log from `fraud replay` (Parquet).")
    ] = None,
    drill: Annotated[
        str | None, typer.Option(help="Instead of a log: run this incident in-process.")
    ] = None,
    reference: Annotated[tuple[int, int], typer.Option(help="Reference days (inclusive).")] = (
        42,
        69,
    ),
    current: Annotated[tuple[int, int], typer.Option(help="Current days (inclusive).")] = (
        77,
        104,
    ),
    today: Annotated[int | None, typer.Option(help="Day the check runs (labels: delay).")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder.")] = None,
    retrain: Annotated[
        bool, typer.Option(help="On a retrain decision, rerun train/evaluate/register.")
    ] = False,
    url: Annotated[str | None, typer.Option(help="Service to hot-swap after retraining.")] = None,
) -> None:
    """Check drift and delayed-label performance; decide no action / investigate / retrain.

    Example: fraud monitor --drill spending_inflation
    Example: fraud monitor --log build/reports/monitor/card_testing/log.parquet --retrain
    """
    import pandas as pd

    from reference_impl.monitor.decide import Action
    from reference_impl.monitor.drill import default_fit, run_drill, train_champion
    from reference_impl.monitor.job import run_monitor
    from reference_impl.monitor.report import write_reports

    settings = get_settings()
    with domain_errors():
        if (log is None) == (drill is None):
            raise ValueError("give exactly one of --log or --drill")
        if drill is not None:
            result, _ = run_drill(drill, train_champion())
        else:
            assert log is not None
            result = run_monitor(
                pd.read_parquet(log),
                reference_days=reference,
                current_days=current,
                today=today,
                label_delay_days=settings.label_delay_days,
                challenger=default_fit,
            )
        target = out or settings.reports_dir / "monitor" / (drill or Path(log or "log").parent.name)
        json_path, html_path = write_reports(result, target)
    typer.echo(f"decision: {result.decision.action.value}")
    for reason in result.decision.reasons:
        typer.echo(f"  - {reason}")
    typer.echo(f"reports: {json_path} {html_path}")
    if retrain and result.decision.action is Action.RETRAIN:
        from reference_impl.monitor.retrain import retrain_and_reload

        with domain_errors():
            done = retrain_and_reload(settings=settings, service_url=url)
        typer.echo(f"retrained: {done.version}" + (" (service swapped)" if done.reloaded else ""))
