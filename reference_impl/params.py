"""Typed parameters of the model stages (train, evaluate, register), read from `params.yaml`.

DVC tracks `params.yaml` (each stage lists the sections it depends on, so changing the gate does
not retrain); the `fraud` CLI reads the same file, or the defaults below when there is none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitParams(_Strict):
    """Prequential protocol: train / delay / test block lengths in days, number of folds."""

    train_days: int = Field(default=7, ge=1, description="Days in a training block.")
    delay_days: int = Field(
        default=7, ge=0, description="Feedback delay between training and test."
    )
    test_days: int = Field(default=7, ge=1, description="Days in a test (or validation) block.")
    n_folds: int = Field(
        default=4, ge=1, description="Prequential folds, for selection and for test."
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
    """Registry entry."""

    model_name: str = Field(
        default="fraud-detector", description="Registered model name in MLflow."
    )


class Params(_Strict):
    """Everything `params.yaml` may hold for the model stages."""

    split: SplitParams = SplitParams()
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    registry: RegistryParams = RegistryParams()


MODEL_SECTIONS = ("split", "train", "evaluate", "registry")


def load_params(path: Path | str | None = None) -> Params:
    """Parameters from a YAML file (only the model sections are read), or the defaults.

    Raises:
        FileNotFoundError: `path` is given but does not exist.
        ValueError: the file is not valid YAML or a value is invalid (message lists them).
    """
    if path is None:
        return Params()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no parameter file at {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path} must hold a mapping of sections")
    try:
        return Params.model_validate({k: v for k, v in raw.items() if k in MODEL_SECTIONS})
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"invalid parameters in {path}: {errors}") from exc
