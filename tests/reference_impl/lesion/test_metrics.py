"""Screening metrics on arrays whose answers are known (two Gaussian classes, exact posteriors)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from reference_impl.lesion import metrics as sm
from reference_impl.metrics import brier


def _population(n: int, prevalence: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and a 1-D marker: benign N(0, 1), malignant N(1.5, 1)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    return y, rng.normal(1.5 * y, 1.0)


def _posterior(x: np.ndarray, prevalence: float) -> np.ndarray:
    """The exact P(malignant | x) at `prevalence`: a perfectly calibrated model."""
    l1, l0 = norm.pdf(x, 1.5), norm.pdf(x, 0.0)
    return prevalence * l1 / (prevalence * l1 + (1 - prevalence) * l0)


def test_specificity_at_sensitivity_is_the_most_specific_threshold_reaching_the_target() -> None:
    """Does the chosen threshold reach 95 % sensitivity, and would any higher one miss it?"""
    y, x = _population(2000, 0.2, seed=1)
    op = sm.specificity_at_sensitivity(y, x, 0.95)
    assert op.sensitivity >= 0.95
    higher = np.unique(x[x > op.threshold])[0]
    assert sm.operating_point(y, x, higher).sensitivity < 0.95
    # Two unit-variance classes 1.5 apart: spec at 95 % sens is Φ(1.5 − 1.645) ≈ 0.44.
    assert op.specificity == pytest.approx(norm.cdf(1.5 - norm.ppf(0.95)), abs=0.05)


def test_sensitivity_at_specificity_is_the_most_sensitive_threshold_keeping_it() -> None:
    """Does the chosen threshold keep 90 % specificity, and would any lower one lose it?"""
    y, x = _population(2000, 0.2, seed=2)
    op = sm.sensitivity_at_specificity(y, x, 0.90)
    assert op.specificity >= 0.90
    lower = np.unique(x[x < op.threshold])[-1]
    assert sm.operating_point(y, x, lower).specificity < 0.90


def test_number_needed_to_biopsy_counts_referrals_per_cancer_found() -> None:
    """2 cancers among 8 referred lesions: 4 biopsies per cancer."""
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    s = np.array([9, 9, 9, 9, 9, 9, 9, 9, 0, 0])
    op = sm.operating_point(y, s, threshold=5)
    assert (op.tp, op.fp, op.fn, op.tn) == (2, 6, 1, 1)
    assert op.nnb == 4 and op.ppv == 0.25
    assert sm.operating_point(y, s, threshold=10).nnb == float("inf")


def test_ppv_collapses_from_clinic_to_screening_prevalence_as_measured() -> None:
    """The formula's PPV at 1.8 % matches what the same threshold does on a screened population."""
    y, x = _population(4000, 0.11, seed=3)
    op = sm.specificity_at_sensitivity(y, x, 0.95)
    clinic = sm.ppv_at_prevalence(op.sensitivity, op.specificity, 0.11)
    screening = sm.ppv_at_prevalence(op.sensitivity, op.specificity, 0.018)
    assert screening < clinic / 4
    ys, xs = _population(200_000, 0.018, seed=4)
    measured = sm.operating_point(ys, xs, op.threshold)
    assert screening == pytest.approx(measured.ppv, rel=0.15)
    assert sm.nnb_at_prevalence(op.sensitivity, op.specificity, 0.018) == pytest.approx(
        1 / screening
    )


def test_prior_shift_recalibration_recovers_ppv_and_prevalence_at_screening() -> None:
    """A model calibrated at 20 % overstates risk at 2 %; the odds correction puts it right."""
    train_prev, screen_prev = 0.20, 0.02
    y, x = _population(100_000, screen_prev, seed=5)
    p_train = _posterior(x, train_prev)  # perfectly calibrated on the training population
    p_adj = sm.adjust_to_prevalence(p_train, train_prevalence=train_prev, target_prevalence=0.02)
    np.testing.assert_allclose(p_adj, _posterior(x, screen_prev), rtol=1e-6)
    referred = p_train >= 0.5
    observed_ppv = y[referred].mean()
    # The mean predicted risk of the referred lesions is the PPV the model promises.
    assert abs(p_adj[referred].mean() - observed_ppv) < 0.03
    assert p_train[referred].mean() > observed_ppv + 0.2
    assert brier(y, p_adj) < brier(y, p_train)
    assert p_adj.mean() == pytest.approx(y.mean(), abs=0.003)
    # Unlabelled batch: EM finds the new prevalence from the training-calibrated probabilities.
    assert sm.estimate_prevalence(p_train, train_prevalence=train_prev) == pytest.approx(
        screen_prev, abs=0.005
    )


def test_expected_calibration_error_separates_calibrated_from_overconfident() -> None:
    """A calibrated model has a small ECE; squashing its probabilities towards 1 raises it."""
    y, x = _population(20_000, 0.2, seed=6)
    p = _posterior(x, 0.2)
    assert sm.expected_calibration_error(y, p) < 0.02
    assert sm.expected_calibration_error(y, p**0.3) > 0.15


def test_abstention_curve_trades_coverage_for_fewer_errors() -> None:
    """Referring the least sure lesions lowers the error on the rest, step by step."""
    y, x = _population(5000, 0.2, seed=7)
    p = _posterior(x, 0.2)
    t = 0.2
    curve = sm.abstention_curve(y, p, threshold=t, coverages=[1.0, 0.8, 0.6, 0.4])
    full = sm.operating_point(y, p, t)
    assert curve[0].coverage == 1.0 and curve[0].referred == 0.0
    assert curve[0].error == pytest.approx((full.fp + full.fn) / len(y))
    errors = [pt.error for pt in curve]
    assert errors == sorted(errors, reverse=True) and errors[-1] < errors[0] / 2
    for pt in curve[1:]:
        assert pt.low <= t <= pt.high  # the band straddles the operating threshold
        assert pt.referred == pytest.approx(1 - pt.coverage)
    assert curve[-1].missed_per_1000 < curve[0].missed_per_1000


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sm.specificity_at_sensitivity([0, 0, 0], [0.1, 0.2, 0.3]), "both benign"),
        (lambda: sm.operating_point([0, 2], [0.1, 0.2], 0.5), "0 \\(benign\\) or 1"),
        (lambda: sm.operating_point([0, 1], [0.1, np.nan], 0.5), "finite"),
        (lambda: sm.operating_point([0, 1, 1], [0.1, 0.2], 0.5), "different lengths"),
        (
            lambda: sm.adjust_to_prevalence([0.5], train_prevalence=0, target_prevalence=0.1),
            "train_prevalence",
        ),
        (lambda: sm.abstention_curve([0, 1], [0.2, 3.0], threshold=0.5), "probabilities"),
        (lambda: sm.abstention_curve([0, 1], [0.2, 0.3], threshold=0.5, coverages=[0]), "coverage"),
    ],
)
def test_bad_input_is_refused_with_a_named_reason(call: object, message: str) -> None:
    """Each malformed input raises ValueError naming what is wrong."""
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_class_report_counts_a_hand_made_confusion() -> None:
    """Per-class recall, macro recall (mean over present classes) and the matrix, by hand?"""
    y = ["nv", "nv", "nv", "nv", "mel", "mel", "vasc"]
    p = ["nv", "nv", "nv", "mel", "mel", "nv", "vasc"]
    r = sm.class_report(y, p, ("mel", "nv", "vasc", "df"))
    assert r.recall == {"mel": 0.5, "nv": 0.75, "vasc": 1.0}  # df absent: not averaged
    assert r.macro_recall == pytest.approx(0.75) and r.accuracy == pytest.approx(5 / 7)
    assert r.confusion == [[1, 1, 0, 0], [1, 3, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert r.support == {"mel": 2, "nv": 4, "vasc": 1, "df": 0}
    with pytest.raises(ValueError, match=r"\['bcc'\] are not among"):
        sm.class_report(["bcc"], ["nv"], ("mel", "nv"))
