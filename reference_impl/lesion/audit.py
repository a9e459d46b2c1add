"""Subgroup audit: sensitivity and specificity per skin tone and per device, with intervals.

Confidence intervals come from a *patient* bootstrap (cluster bootstrap): each replicate draws
patients with replacement and keeps all their lesions. A patient's lesions share skin, device
and habits, so they are not independent; resampling lesions (what fairlearn's
`MetricFrame(n_boot=...)` does, row by row) makes the intervals too narrow. The replicates are
drawn once as a patients × replicates count matrix, so every subgroup of every attribute is
measured on the same replicates (percentile intervals, Efron & Tibshirani 1994, ch. 13).

"Enough data": a subgroup is judged only when it holds at least `min_malignant` malignant
lesions from at least `min_patients` different patients. Below that, its sensitivity interval
is too wide to pass or fail anything (with 20 cancers a true 0.90 reads anywhere from about 0.75
to 1.0); the audit says *insufficient data* instead of pretending.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from reference_impl.metrics import ArrayLike, _arr, _same_length

# Per (patient, subgroup): malignant, malignant referred, benign, benign not referred.
_POS, _TP, _NEG, _TN = range(4)


@dataclass(frozen=True)
class EnoughData:
    """The rule that decides whether a subgroup's sensitivity can be judged."""

    min_malignant: int = 20
    min_patients: int = 10

    def reason(self, n_malignant: int, n_malignant_patients: int) -> str | None:
        """Why the subgroup is too small, or None when it is large enough."""
        if n_malignant < self.min_malignant:
            return f"{n_malignant} malignant lesions < {self.min_malignant}"
        if n_malignant_patients < self.min_patients:
            return f"malignant lesions from {n_malignant_patients} patients < {self.min_patients}"
        return None


@dataclass(frozen=True)
class SubgroupResult:
    """One subgroup (e.g. skin tone 6, or device `phone`): rates, intervals, sample sizes."""

    attribute: str
    group: str
    n_lesions: int
    n_patients: int
    n_malignant: int
    n_malignant_patients: int
    sensitivity: float
    sensitivity_low: float
    sensitivity_high: float
    specificity: float
    specificity_low: float
    specificity_high: float
    enough_data: bool
    note: str  # why not enough data, else ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class Audit:
    """Every subgroup of every audited attribute, and how the intervals were made."""

    subgroups: list[SubgroupResult]
    n_boot: int
    confidence: float
    rule: EnoughData

    def of(self, attribute: str) -> list[SubgroupResult]:
        """The subgroups of one attribute, in sorted group order."""
        return [s for s in self.subgroups if s.attribute == attribute]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {
            "method": "patient (cluster) bootstrap, percentile intervals",
            "n_boot": self.n_boot,
            "confidence": self.confidence,
            "enough_data": asdict(self.rule),
            "subgroups": [s.to_dict() for s in self.subgroups],
        }


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1e-300), np.nan)


def _interval(values: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = 100 * (1 - confidence) / 2
    # A subgroup without cancers in a replicate has no sensitivity there: NaN, skipped.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(values, tail, axis=0), np.nanpercentile(values, 100 - tail, axis=0)


def _widen_at_bounds(
    rate: np.ndarray, low: np.ndarray, high: np.ndarray, n_patients: np.ndarray, confidence: float
) -> None:
    """At 0 % or 100 % every resample agrees and the percentile interval collapses to a point;
    use the exact (Clopper-Pearson) bound there, counting patients, not lesions (conservative).

    21 cancers found out of 21 is not proof of 100 % sensitivity: with 18 patients the lower
    95 % bound is 0.025^(1/18) ≈ 0.81.
    """
    tail = (1 - confidence) / 2
    n = np.maximum(n_patients, 1)
    at_one, at_zero = rate == 1, rate == 0
    low[at_one] = np.minimum(low[at_one], tail ** (1 / n[at_one]))
    high[at_zero] = np.maximum(high[at_zero], 1 - tail ** (1 / n[at_zero]))


def subgroup_audit(
    y_true: ArrayLike,
    referred: ArrayLike,
    patient: ArrayLike,
    attributes: Mapping[str, ArrayLike],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    rule: EnoughData | None = None,
    seed: int = 0,
) -> Audit:
    """Sensitivity and specificity of hard decisions per subgroup, with patient-bootstrap CIs.

    Args:
        y_true: 1 = malignant.
        referred: the model's decision at its operating threshold (1 = refer / biopsy).
        patient: patient id of each lesion (the resampling unit).
        attributes: e.g. {"skin_tone": ..., "device": ...}, one value per lesion.
        n_boot: bootstrap replicates; confidence: interval level; seed: replicates' seed.
        rule: the enough-data rule (defaults: 20 malignant lesions from 10 patients).
    """
    y, r = _arr(y_true).astype(int), _arr(referred).astype(bool)
    pid = _arr(patient)
    _same_length(y, r, pid)
    if not set(np.unique(y)) <= {0, 1}:
        raise ValueError("labels must be 0 (benign) or 1 (malignant)")
    if n_boot < 10 or not 0 < confidence < 1:
        raise ValueError("need n_boot >= 10 and a confidence level in (0, 1)")
    rule = rule or EnoughData()
    codes, p_idx = np.unique(pid, return_inverse=True)
    n_pat = len(codes)
    rng = np.random.default_rng(seed)
    # counts[b, p]: how many times replicate b drew patient p.
    counts = rng.multinomial(n_pat, np.full(n_pat, 1 / n_pat), size=n_boot).astype(float)
    out: list[SubgroupResult] = []
    for name, values in attributes.items():
        g = _arr(values).astype(str)
        _same_length(y, g)
        groups, g_idx = np.unique(g, return_inverse=True)
        stats = np.zeros((n_pat, len(groups), 4))
        for k, mask in ((_POS, y == 1), (_TP, (y == 1) & r), (_NEG, y == 0), (_TN, (y == 0) & ~r)):
            np.add.at(stats[:, :, k], (p_idx[mask], g_idx[mask]), 1)
        point = stats.sum(axis=0)  # (groups, 4)
        boot = np.einsum("bp,pgk->bgk", counts, stats)
        sens_lo, sens_hi = _interval(_ratio(boot[..., _TP], boot[..., _POS]), confidence)
        spec_lo, spec_hi = _interval(_ratio(boot[..., _TN], boot[..., _NEG]), confidence)
        sens, spec = _ratio(point[:, _TP], point[:, _POS]), _ratio(point[:, _TN], point[:, _NEG])
        _widen_at_bounds(sens, sens_lo, sens_hi, (stats[:, :, _POS] > 0).sum(axis=0), confidence)
        _widen_at_bounds(spec, spec_lo, spec_hi, (stats[:, :, _NEG] > 0).sum(axis=0), confidence)
        for j, group in enumerate(groups):
            in_group = g_idx == j
            n_mal = int(point[j, _POS])
            n_mal_pat = len(np.unique(p_idx[in_group & (y == 1)]))
            why = rule.reason(n_mal, n_mal_pat)
            out.append(
                SubgroupResult(
                    attribute=name,
                    group=str(group),
                    n_lesions=int(in_group.sum()),
                    n_patients=len(np.unique(p_idx[in_group])),
                    n_malignant=n_mal,
                    n_malignant_patients=n_mal_pat,
                    sensitivity=float(sens[j]),
                    sensitivity_low=float(sens_lo[j]),
                    sensitivity_high=float(sens_hi[j]),
                    specificity=float(spec[j]),
                    specificity_low=float(spec_lo[j]),
                    specificity_high=float(spec_hi[j]),
                    enough_data=why is None,
                    note=why or "",
                )
            )
    return Audit(subgroups=out, n_boot=n_boot, confidence=confidence, rule=rule)


@dataclass(frozen=True)
class SensitivityGate:
    """The release gate: every subgroup with enough data reaches the sensitivity floor."""

    passed: bool
    reasons: list[str]
    judged: list[str]  # "attribute=group" of the subgroups the floor applied to
    not_judged: list[str]  # subgroups with too little data (reported, not gated)
    floor: float | None = None  # the sensitivity floor applied (recorded with the verdict)
    use_lower_bound: bool = False  # gated on the interval's lower end instead of the estimate

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def sensitivity_gate(
    audit: Audit, *, floor: float, overall_sensitivity: float, use_lower_bound: bool = False
) -> SensitivityGate:
    """Fail when the overall sensitivity or any judged subgroup's is below `floor`.

    With `use_lower_bound`, a subgroup must show its interval's lower end above the floor (a
    stricter claim that needs more data). AUC plays no part: a model can rank well on average
    and still miss most cancers of one skin tone.
    """
    reasons, judged, not_judged = [], [], []
    if not overall_sensitivity >= floor:
        reasons.append(f"overall sensitivity {overall_sensitivity:.3f} < floor {floor:.2f}")
    for s in audit.subgroups:
        label = f"{s.attribute}={s.group}"
        if not s.enough_data:
            not_judged.append(label)
            continue
        judged.append(label)
        value = s.sensitivity_low if use_lower_bound else s.sensitivity
        if not value >= floor:
            what = "lower bound of sensitivity" if use_lower_bound else "sensitivity"
            reasons.append(
                f"{label}: {what} {value:.3f} < floor {floor:.2f} "
                f"({s.n_malignant} malignant, {100 * audit.confidence:.0f} % CI "
                f"{s.sensitivity_low:.2f}-{s.sensitivity_high:.2f})"
            )
    return SensitivityGate(
        passed=not reasons,
        reasons=reasons,
        judged=judged,
        not_judged=not_judged,
        floor=floor,
        use_lower_bound=use_lower_bound,
    )
