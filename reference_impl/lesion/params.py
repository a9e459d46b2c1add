"""Typed parameters of the lesion pipeline: the `lesion:` section of params.yaml.

The data stages' blocks are here (`data`, `features`); the model stages' (`train`, `evaluate`)
are in `lesion.model_params`. The fraud system reads the other sections of the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reference_impl.errors import InvalidInputError, MissingInputError
from reference_impl.lesion.model_params import EvaluateParams, RegisterParams, TrainParams

SECTION = "lesion"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(_Strict):
    """Generator: size and prevalence presets, seed, config overrides (drift knobs)."""

    preset: Literal["tiny", "small", "full"] = Field(
        default="small", description="Size preset: 500, 4,000 or 20,000 images."
    )
    prevalence: Literal["ham", "ham_binary", "screening"] = Field(
        default="ham", description="Prevalence preset: 11 %, 19.5 % or 1.8 % malignant."
    )
    seed: int = Field(default=0, ge=0, description="Random seed (same seed, same bytes).")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="LesionConfig overrides, e.g. {device_weights: {phone: 1}, seven_class: true}.",
    )
    n_jobs: int = Field(
        default=2, ge=1, description="Processes that render (the bytes do not depend on it)."
    )


class FeatureParams(_Strict):
    """Hand-crafted ABCD features."""

    n_jobs: int = Field(default=2, ge=1, description="Processes that compute features.")


class LesionParams(_Strict):
    """Everything the `lesion:` section holds, one block per stage (or group of stages)."""

    data: DataParams = DataParams()
    features: FeatureParams = FeatureParams()
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    registry: RegisterParams = RegisterParams()


def parse_params(raw: dict[str, Any], *, source: str = "parameters") -> LesionParams:
    """Validate the blocks of the `lesion:` section.

    Raises:
        InvalidInputError: an unknown block or an invalid value (every error on one line).
    """
    try:
        return LesionParams.model_validate(raw)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e['input']!r})" for e in exc.errors()
        )
        raise InvalidInputError(f"invalid lesion parameters in {source}: {errors}") from None


def load_params(path: Path | str | None = None) -> LesionParams:
    """The `lesion:` section of a params.yaml (defaults when absent, or when no path is given).

    Raises:
        MissingInputError: `path` is given but does not exist.
        InvalidInputError: not valid YAML, or an invalid value in the section.
    """
    if path is None:
        return LesionParams()
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"no parameter file at {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get(SECTION, {}), dict):
        raise InvalidInputError(f"{path}: the {SECTION!r} section must be a mapping")
    return parse_params(raw.get(SECTION) or {}, source=str(path))
