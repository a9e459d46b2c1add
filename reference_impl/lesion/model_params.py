"""Parameters of the lesion system's model stages (the `train:` and `evaluate:` blocks of the
`lesion:` section of params.yaml). The data stages' parameters live in `lesion.params`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FAMILIES = ("logreg", "random_forest", "hist_gb", "pixels")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainParams(_Strict):
    """Patient-grouped protocol, model families and how the operating threshold is set."""

    families: tuple[Literal["logreg", "random_forest", "hist_gb"], ...] = Field(
        default=("random_forest", "hist_gb"),
        min_length=1,
        description="Families compared on the ABCD features (the pixel baseline is a benchmark).",
    )
    test_share: float = Field(
        default=0.25, gt=0, lt=0.6, description="Share of *patients* held out for evaluate."
    )
    n_folds: int = Field(default=5, ge=2, description="Patient-grouped CV folds on the rest.")
    target_sensitivity: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="The operating threshold is the most specific one that reaches this "
        "sensitivity on the out-of-fold predictions.",
    )
    selection: Literal["specificity_at_sensitivity", "roc_auc"] = Field(
        default="specificity_at_sensitivity",
        description="How the family is chosen on the out-of-fold predictions.",
    )
    random_state: int = Field(default=0, description="Seed of the splits and the models.")
    n_jobs: int = Field(default=1, description="Cores for the forest (-1 = all).")


class EvaluateParams(_Strict):
    """Screening report and the release gate (a sensitivity floor per subgroup, not AUC)."""

    sensitivity_floor: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="Minimum sensitivity overall and in every subgroup with enough data.",
    )
    gate_on_lower_bound: bool = Field(
        default=False, description="Gate on the interval's lower end instead of the estimate."
    )
    min_malignant: int = Field(
        default=20, ge=1, description="Enough data: malignant lesions a subgroup needs."
    )
    min_patients: int = Field(
        default=10, ge=1, description="Enough data: distinct patients among those lesions."
    )
    n_boot: int = Field(default=1000, ge=10, description="Patient-bootstrap replicates.")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="Interval level.")
    screening_prevalence: float = Field(
        default=0.018, gt=0, lt=1, description="Prevalence of the screened population (ISIC 2020)."
    )
    specificity_target: float = Field(
        default=0.90, ge=0, le=1, description="Report the sensitivity at this specificity."
    )
    coverages: tuple[float, ...] = Field(
        default=(1.0, 0.9, 0.8, 0.7, 0.6, 0.5),
        description="Shares decided by the model in the refer-to-dermatologist curve.",
    )
    audit_attributes: tuple[str, ...] = Field(
        default=("skin_tone", "device"), description="Metadata columns audited by subgroup."
    )


class RegisterParams(_Strict):
    """Registration: the registered name and the refer-to-dermatologist band served with it."""

    model_name: str = Field(
        default="lesion-screener", min_length=1, description="Registered model name."
    )
    refer_coverage: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Share of lesions the served model decides; the rest (the band of the "
        "evaluation's abstention curve nearest this coverage) is referred to a dermatologist. "
        "1.0 = no band.",
    )
