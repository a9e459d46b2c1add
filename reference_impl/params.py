"""Typed parameters of every pipeline stage, read from `params.yaml`: the one place for numbers.

DVC tracks `params.yaml` (each stage lists the sections it depends on, so changing the gate does
not retrain); the `fraud` CLI and `fraud pipeline` read the same file, or the defaults below when
there is none. The defaults come from `schemas` (label delay) and `sim_config` (presets).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reference_impl.errors import InvalidInputError, MissingInputError
from reference_impl.schemas import DEFAULT_DELAY_DAYS
from reference_impl.splits import SplitSpec

FAMILIES = ("logreg", "random_forest", "hist_gb", "blend")
# `blend` (forest + regularised boosting, probabilities averaged) costs both fits: opt-in.
DEFAULT_FAMILIES = ("logreg", "random_forest", "hist_gb")
# Small grids: the pipeline on the `small` preset must run in about a minute on 2 cores.
# benchmarks/reference_model.py searches wider ones.
DEFAULT_GRIDS: dict[str, dict[str, list[Any]]] = {
    "logreg": {"model__C": [0.1, 100.0]},
    "random_forest": {"model__max_depth": [20]},
    "hist_gb": {"model__max_iter": [100]},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DataParams(_Strict):
    """Simulator: size preset, seed and config overrides (drift, seasonality, fraud blocks)."""

    preset: Literal["tiny", "small", "full"] = Field(default="small", description="Size preset.")
    seed: int = Field(default=0, description="Random seed (same seed, same bytes).")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Simulator config overrides, nested blocks as mappings, e.g. "
        "{drift: {start_day: 60, amount_scale: 1.25}}.",
    )


class ValidateParams(_Strict):
    """Data contract options."""

    bands: Literal["tiny", "small", "full"] | None = Field(
        default=None,
        description="Expected-statistics bands to apply; None = the manifest's preset "
        "(skipped for drifted or custom data).",
    )


class FeatureParams(_Strict):
    """Point-in-time features. The windows (1, 7, 30 days) name the model's input columns, so
    they live with the column names in `schemas` (a dependency of the features stage in dvc.yaml).
    """

    delay_days: int = Field(
        default=DEFAULT_DELAY_DAYS,
        ge=1,
        description="Label delay d: terminal-risk windows end d days before each transaction.",
    )


class SplitParams(_Strict):
    """Prequential protocol: train / delay / test block lengths in days, number of folds."""

    # Defaults: the handbook's protocol, spelled once in `splits.SplitSpec`.
    train_days: int = Field(
        default=SplitSpec.train_days, ge=1, description="Days in a training block."
    )
    delay_days: int = Field(
        default=SplitSpec.delay_days, ge=0, description="Feedback delay between training and test."
    )
    test_days: int = Field(
        default=SplitSpec.test_days, ge=1, description="Days in a test (or validation) block."
    )
    n_folds: int = Field(
        default=SplitSpec.n_folds,
        ge=1,
        description="Prequential folds, for selection and for test.",
    )
    anchor_day: int | None = Field(
        default=None,
        description="First training day of the earliest test fold (handbook: 115 = 2018-07-25); "
        "None = the latest that fits, so the last test fold ends on the last day of data.",
    )


class TrainParams(_Strict):
    """Model families and their hyper-parameter grids (keys are `model__<param>`)."""

    families: list[str] = Field(default=list(DEFAULT_FAMILIES), description="Families to compare.")
    grids: dict[str, dict[str, list[Any]]] = Field(
        default_factory=lambda: dict(DEFAULT_GRIDS),
        description="Grid per family, searched over the validation folds.",
    )
    scoring: Literal["average_precision", "roc_auc", "card_precision_100"] = Field(
        default="average_precision", description="Selection metric (AP: the handbook's best proxy)."
    )
    random_state: int = Field(default=0, description="Seed of the stochastic models.")
    n_jobs: int = Field(default=-1, description="Cores for random forests (-1 = all).")

    @model_validator(mode="after")
    def _known_families(self) -> TrainParams:
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown or not self.families:
            raise ValueError(f"unknown model families {unknown}; choose from {list(FAMILIES)}")
        return self


class EvaluateParams(_Strict):
    """Operating point, business KPI and the gate that blocks a model from the registry."""

    alerts_per_day: int = Field(default=50, ge=1, description="Investigators' daily alert budget.")
    threshold_policy: Literal["budget", "cost"] = Field(
        default="budget",
        description="budget: threshold that gives the budget on recent (unlabelled) traffic; "
        "cost: block iff p > c_fp / (c_fp + c_fn). Alerts are capped by the budget either way.",
    )
    c_fp: float = Field(
        default=5.0, ge=0, description="Cost of a false alert (an investigator's call)."
    )
    c_fn: float = Field(default=100.0, gt=0, description="Cost of a missed fraud.")
    max_residual_fraud: float = Field(
        default=0.005,
        gt=0,
        description="Gate: fraud among approved transactions, by count and amount.",
    )
    min_average_precision: float = Field(
        default=0.45, ge=0, le=1, description="Gate: floor on the prequential mean test AP."
    )
    kpi_budgets: list[int] = Field(
        default=[5, 10, 20, 30, 40, 50, 75, 100, 150, 200],
        description="Alerts/day on the KPI plot.",
    )


class RegistryParams(_Strict):
    """Registry entry and the champion/challenger release decision (`reference_impl.release`)."""

    model_name: str = Field(
        default="fraud-detector", description="Registered model name in MLflow."
    )
    noise_z: float = Field(
        default=2.0,
        gt=0,
        description="A gap in AP with the champion counts only beyond this many standard errors.",
    )
    max_regression: float = Field(
        default=0.01,
        ge=0,
        description="AP a candidate may lose to the champion (beyond noise) and stay a challenger.",
    )
    n_replicates: int = Field(
        default=200, ge=20, description="Card x terminal bootstrap replicates of the AP gap."
    )


class Params(_Strict):
    """Everything `params.yaml` holds, one section per stage (or group of stages)."""

    data: DataParams = DataParams()
    validate_: ValidateParams = Field(default=ValidateParams(), alias="validate")
    features: FeatureParams = FeatureParams()
    split: SplitParams = SplitParams()
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    registry: RegistryParams = RegistryParams()


SECTIONS = ("data", "validate", "features", "split", "train", "evaluate", "registry")


def load_params(path: Path | str | None = None) -> Params:
    """Parameters from a YAML file, or the defaults.

    Raises:
        MissingInputError: `path` is given but does not exist.
        InvalidInputError: not valid YAML, an unknown section or an invalid value (all listed).
    """
    if path is None:
        return Params()
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"no parameter file at {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path} must hold a mapping of sections")
    raw.pop("lesion", None)  # the lesion system's section (`reference_impl.lesion.params`)
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise InvalidInputError(f"unknown section(s) {unknown} in {path}; known: {list(SECTIONS)}")
    return parse_params(raw, source=str(path))


def parse_params(raw: dict[str, Any], *, source: str = "parameters") -> Params:
    """Validate a mapping of sections (e.g. a parsed params.yaml, or CLI overrides merged in).

    Raises:
        InvalidInputError: a value is invalid (every error listed on one line).
    """
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e['input']!r})" for e in exc.errors()
        )
        raise InvalidInputError(f"invalid parameters in {source}: {errors}") from None
