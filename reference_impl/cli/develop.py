"""Developing the model: `fraud simulate | validate | features | train | evaluate | register |
promote | pipeline`.

Each command turns its options into settings (where) and parameters (what), calls the stage's
runner (`reference_impl.runner`) and prints the result: one line, or `--json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reference_impl.cli.app import (
    JsonOption,
    ParamsOption,
    TrackOption,
    app,
    domain_errors,
    echo_err,
    params_with,
    promote_and_report,
    report,
    settings_with,
)


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
            settings=settings_with(raw_path=out),
            params=params_with(params, data=data),
            force=force,
            progress=echo_err,
        )
    kept = "" if res.written else " (kept: already there)"
    report(
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
            settings=settings_with(raw_path=raw),
            params=params_with(params, validate={"bands": preset}),
        )
    report(res, as_json, res.text)


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
            settings=settings_with(raw_path=raw, features_path=out),
            params=params_with(params, features={"delay_days": delay_days}),
            progress=echo_err,
        )
    report(res, as_json, f"{res.n_rows:,} rows x 15 features -> {res.path} ({res.seconds:.1f} s)")


@app.command()
def train(
    params: ParamsOption = None, track: TrackOption = None, as_json: JsonOption = False
) -> None:
    """Select a model family prequentially, fit the release candidate, track it in MLflow.

    Example: fraud train --params params.yaml
    """
    from reference_impl.runner import run_train

    with domain_errors():
        res = run_train(
            settings=settings_with(track=track), params=params_with(params), progress=echo_err
        )
    report(
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
            settings=settings_with(track=track), params=params_with(params), progress=echo_err
        )
    h = res.headline
    report(
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
            settings=settings_with(track=track), params=params_with(params), progress=echo_err
        )
    report(res, as_json, _registered_line(res))


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Registered version to promote, e.g. v002.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in models/history.jsonl).")],
    params: ParamsOption = None,
    track: TrackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make a registered version (e.g. a challenger) the champion, recording the reason.

    Example: fraud promote v002 --reason "two weeks of shadow traffic: AP +0.02"
    """
    model_name = params_with(params).registry.model_name
    promote_and_report(settings_with(track=track), model_name, version, reason, as_json)


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
            settings=settings_with(),
            params=params_with(params, data={"preset": preset, "seed": seed}),
            fresh=fresh,
            progress=echo_err,
        )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in res.seconds.items())
    reg = res.results["register"]
    report(res, as_json, f"pipeline done in {res.total:.1f} s ({stages}); {_registered_line(reg)}")
