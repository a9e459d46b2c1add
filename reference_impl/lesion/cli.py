"""Command-line interface of the lesion system (`lesion`): the `fraud` verbs, one per stage.

Thin, like `fraud`: options become settings (where: `LESION_*`, default root build/lesion) and
parameters (what: the `lesion:` section of params.yaml), a runner is called, its result printed
as one line or `--json`. Expected failures exit 1 with one line (a broken contract prints its
report); heavy libraries are imported inside the commands, so `lesion --help` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reference_impl import __version__
from reference_impl.cli.app import (
    JsonOption,
    ParamsOption,
    TrackOption,
    domain_errors,
    echo_err,
    promote_and_report,
    serve_until_stopped,
)
from reference_impl.cli.app import report as _report

if TYPE_CHECKING:
    from reference_impl.lesion.config import LesionSettings
    from reference_impl.lesion.params import LesionParams

app = typer.Typer(
    name="lesion",
    help="Run the reference skin-lesion screening pipeline, one stage per subcommand.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lesion {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Generate (HAM10000 layout), validate, featurize, train, evaluate and register."""


def settings_with(**paths: Any) -> LesionSettings:
    """The lesion settings, with the options that were given (None = keep the setting)."""
    from reference_impl.lesion.config import get_settings

    given = {k: v for k, v in paths.items() if v is not None}
    return get_settings().model_copy(update=given) if given else get_settings()


def params_with(path: Path | None, **blocks: dict[str, Any]) -> LesionParams:
    """The `lesion:` section of params.yaml (or the defaults) with the given options merged in."""
    from reference_impl.lesion.params import load_params, parse_params

    params = load_params(path)
    given = {k: {n: v for n, v in b.items() if v is not None} for k, b in blocks.items()}
    if not any(given.values()):
        return params
    raw = params.model_dump()
    for block, values in given.items():
        raw[block] = {**raw[block], **values}
    return parse_params(raw, source=f"{path or 'defaults'} + options")


PresetOption = Annotated[
    str | None, typer.Option(help="Size preset: tiny (500), small (4,000) or full (20,000).")
]
RawOption = Annotated[
    Path | None, typer.Option("--raw", help="Dataset folder (default: <root>/data/raw).")
]


@app.command()
def simulate(
    params: ParamsOption = None,
    preset: PresetOption = None,
    prevalence: Annotated[
        str | None, typer.Option(help="Prevalence preset: ham, ham_binary or screening.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same bytes).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Dataset folder (default: <root>/data/raw).")
    ] = None,
    seven_class: Annotated[
        bool | None, typer.Option("--seven-class/--binary", help="The 7 HAM10000 diagnoses.")
    ] = None,
    dark_skin: Annotated[
        float | None, typer.Option(help="Drift: share of skin tones V-VI, e.g. 0.5.")
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(help="Drift: every image from one device (dermlite, molemax, phone)."),
    ] = None,
    amelanotic: Annotated[
        float | None, typer.Option(help="Drift: share of melanomas drawn amelanotic (new class).")
    ] = None,
    jobs: Annotated[int | None, typer.Option(help="Processes that render.")] = None,
    force: Annotated[bool, typer.Option(help="Replace a different existing dataset.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Generate lesion images and metadata in the HAM10000 layout (immutable raw data).

    The same dataset already in place is kept; a different one needs --force.

    Example: lesion simulate --preset small --prevalence screening --dark-skin 0.5 --force
    """
    from reference_impl.lesion.runner import run_simulate
    from reference_impl.lesion.simulate import SKIN_TONE_WEIGHTS

    overrides: dict[str, Any] = {}
    if seven_class is not None:
        overrides["seven_class"] = seven_class
    if dark_skin is not None:
        light = sum(SKIN_TONE_WEIGHTS[:4])
        scale = (1 - dark_skin) / light if light else 0.0
        overrides["skin_tone_weights"] = [w * scale for w in SKIN_TONE_WEIGHTS[:4]] + [
            dark_skin / 2,
            dark_skin / 2,
        ]
    if device is not None:
        overrides["device_weights"] = {device: 1.0}
    if amelanotic is not None:
        overrides["amelanotic_rate"] = amelanotic
    with domain_errors():
        base = params_with(params)
        data = {
            "preset": preset,
            "prevalence": prevalence,
            "seed": seed,
            "n_jobs": jobs,
            "overrides": {**base.data.overrides, **overrides} if overrides else None,
        }
        res = run_simulate(
            settings=settings_with(raw_path=out),
            params=params_with(params, data=data),
            force=force,
            progress=echo_err,
        )
    kept = "" if res.written else " (kept: already there)"
    _report(
        res,
        as_json,
        f"{res.n_images:,} images of {res.n_lesions:,} lesions from {res.n_patients:,} patients, "
        f"{res.n_malignant / max(res.n_images, 1):.1%} malignant -> {res.path}{kept} "
        f"({res.seconds:.1f} s, hash {res.dataset_hash[:12]})",
    )


@app.command()
def validate(
    params: ParamsOption = None, raw: RawOption = None, as_json: JsonOption = False
) -> None:
    """Check images and metadata against the contract; exit 1 if broken.

    Writes reports/validation.json either way. Reads the real HAM10000 download too (--raw).

    Example: lesion validate --raw build/lesion/data/raw
    """
    from reference_impl.lesion.runner import run_validate

    with domain_errors():
        res = run_validate(settings=settings_with(raw_path=raw), params=params_with(params))
    _report(res, as_json, res.text)


@app.command()
def features(
    params: ParamsOption = None,
    raw: RawOption = None,
    jobs: Annotated[int | None, typer.Option(help="Processes that compute features.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate the dataset, then write its ABCD feature table (nothing on bad data).

    Example: lesion features --jobs 2
    """
    from reference_impl.lesion.runner import run_features

    with domain_errors():
        res = run_features(
            settings=settings_with(raw_path=raw),
            params=params_with(params, features={"n_jobs": jobs}),
            progress=echo_err,
        )
    _report(
        res,
        as_json,
        f"{res.n_rows:,} images x {res.n_features} features -> {res.path} ({res.seconds:.1f} s)",
    )


@app.command()
def train(
    params: ParamsOption = None, track: TrackOption = None, as_json: JsonOption = False
) -> None:
    """Hold out patients, cross-validate the families by patient, save the candidate.

    Example: lesion train --no-track
    """
    from reference_impl.lesion.model_runner import run_train

    with domain_errors():
        res = run_train(
            settings=settings_with(track=track), params=params_with(params), progress=echo_err
        )
    _report(
        res,
        as_json,
        f"candidate {res.family}, threshold {res.threshold:.3f} -> {res.candidate_dir}",
    )


@app.command()
def evaluate(
    params: ParamsOption = None, track: TrackOption = None, as_json: JsonOption = False
) -> None:
    """Screening report, subgroup audit and plots; exit 1 when the sensitivity gate fails.

    Example: lesion evaluate
    """
    from reference_impl.lesion.model_runner import run_evaluate

    with domain_errors():
        res = run_evaluate(
            settings=settings_with(track=track), params=params_with(params), progress=echo_err
        )
    verdict = "gate passed" if res.gate_passed else "gate FAILED"
    _report(res, as_json, f"{verdict}; report -> {res.out_dir}")


def _registered_line(res: Any) -> str:
    role = "champion" if res.champion == res.version else f"challenger (champion: {res.champion})"
    band = res.refer_band
    refer = (
        f", refer band [{band['low']:.3f}, {band['high']:.3f}] ({band['referred']:.0%} referred)"
        if band
        else ", no refer band"
    )
    return f"registered {res.version} as {role}{refer} -> {res.directory}"


@app.command()
def register(
    params: ParamsOption = None, track: TrackOption = None, as_json: JsonOption = False
) -> None:
    """Publish the evaluated candidate as a version; exit 1 if its sensitivity gate failed.

    The first version becomes the champion (the one `fraud serve --lesion-models` loads); later
    ones are challengers until promoted.

    Example: lesion register --params params.yaml
    """
    from reference_impl.lesion.registration import run_register

    with domain_errors():
        res = run_register(
            settings=settings_with(track=track), params=params_with(params), progress=echo_err
        )
    _report(res, as_json, _registered_line(res))


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Registered version to promote, e.g. v002.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in models/history.jsonl).")],
    params: ParamsOption = None,
    track: TrackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make a registered version (e.g. a challenger) the champion, recording the reason.

    Example: lesion promote v002 --reason "same patients: specificity +0.04 at 95 % sensitivity"
    """
    model_name = params_with(params).registry.model_name
    promote_and_report(settings_with(track=track), model_name, version, reason, as_json)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    models_dir: Annotated[
        Path | None,
        typer.Option(help="Lesion registry (default: <root>/models, root build/lesion)."),
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model", help="Version to serve (default: the champion).")
    ] = None,
) -> None:
    """Serve the lesion model alone over HTTP: POST /v1/lesion/score, no fraud model.

    The same app as `fraud serve --lesion-models DIR` without the fraud routes; readiness names
    the lesion model. Other settings come from FRAUD_SERVE_* variables (upload limits, token).

    Example: lesion serve --port 8081
    """
    from reference_impl.serve.settings import ServeSettings

    overrides: dict[str, Any] = {
        "lesion_models_dir": models_dir or settings_with().models_dir,
        "lesion_model_version": model_version,
        "serve_fraud": False,
    }
    settings = ServeSettings(**{k: v for k, v in overrides.items() if v is not None})
    serve_until_stopped(settings, host=host, port=port)


@app.command()
def pipeline(
    params: ParamsOption = None,
    preset: PresetOption = None,
    seed: Annotated[int | None, typer.Option(help="Generator seed.")] = None,
    fresh: Annotated[
        bool, typer.Option(help="Remove data, models, reports and the MLflow store first.")
    ] = False,
    track: TrackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run every stage without DVC: simulate → validate → features → train → evaluate → register.

    Example: lesion pipeline --preset tiny --fresh --no-track
    """
    from reference_impl.lesion.runner import STAGES
    from reference_impl.pipeline import run_pipeline

    with domain_errors():
        res = run_pipeline(
            settings=settings_with(track=track),
            params=params_with(params, data={"preset": preset, "seed": seed}),
            fresh=fresh,
            progress=echo_err,
            stages=STAGES,
        )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in res.seconds.items())
    _report(res, as_json, f"pipeline done in {res.total:.1f} s ({stages})")
