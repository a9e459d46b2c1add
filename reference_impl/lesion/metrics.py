"""Screening metrics for the skin-lesion system, as pure functions of arrays (spec §4.3).

A missed melanoma costs far more than a needless biopsy, so the operating point is set by a
sensitivity target and the questions are: how specific is the model there (specificity at ≥ 95 %
sensitivity), how many biopsies per cancer found (number needed to biopsy), what a positive means
at the prevalence of the population screened (PPV, prior-shift recalibration), whether the
probabilities can be read as risks (reliability, Brier), and how much error the model avoids by
referring its uncertain cases to a dermatologist (abstention curve).

Threshold convention: a lesion is *referred* (called malignant) when its score ≥ the threshold.
Generic helpers (AUC, Brier, reliability bins, confusion counts) come from `reference_impl.metrics`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import roc_curve

from reference_impl.metrics import ArrayLike, _arr, _ratio, _same_length, reliability


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold and what it does: confusion counts, sensitivity, specificity, NNB."""

    threshold: float
    sensitivity: float
    specificity: float
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def referred(self) -> int:
        """Lesions sent to biopsy (score ≥ threshold)."""
        return self.tp + self.fp

    @property
    def ppv(self) -> float:
        """Share of referred lesions that are malignant."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def nnb(self) -> float:
        """Number needed to biopsy: referred lesions per malignant one found (1 / PPV)."""
        return float("inf") if self.tp == 0 else self.referred / self.tp

    def to_dict(self) -> dict[str, float]:
        """Plain dict for JSON, derived rates included (NNB infinite → None)."""
        nnb = self.nnb if np.isfinite(self.nnb) else None
        return {**asdict(self), "ppv": self.ppv, "nnb": nnb}


def _labels_scores(y_true: ArrayLike, score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y, s = _arr(y_true).astype(int), _arr(score, float)
    _same_length(y, s)
    if not set(np.unique(y)) <= {0, 1}:
        raise ValueError("labels must be 0 (benign) or 1 (malignant)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    return y, s


def operating_point(y_true: ArrayLike, score: ArrayLike, threshold: float) -> OperatingPoint:
    """Confusion counts and rates when referring every lesion with score ≥ `threshold`."""
    y, s = _labels_scores(y_true, score)
    pred = s >= threshold
    tp, fn = int((pred & (y == 1)).sum()), int((~pred & (y == 1)).sum())
    fp, tn = int((pred & (y == 0)).sum()), int((~pred & (y == 0)).sum())
    return OperatingPoint(
        threshold=float(threshold),
        sensitivity=_ratio(tp, tp + fn),
        specificity=_ratio(tn, tn + fp),
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
    )


def _roc(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(np.unique(y)) < 2:
        raise ValueError("need both benign and malignant lesions to set an operating point")
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    return fpr, tpr, thr


def specificity_at_sensitivity(
    y_true: ArrayLike, score: ArrayLike, sensitivity: float = 0.95
) -> OperatingPoint:
    """The most specific threshold whose sensitivity is at least `sensitivity`.

    This is how a screening threshold is chosen: the sensitivity target is the constraint,
    specificity what is left. Raises ValueError with a single class.
    """
    y, s = _labels_scores(y_true, score)
    if not 0 < sensitivity <= 1:
        raise ValueError(f"sensitivity target must be in (0, 1], got {sensitivity}")
    fpr, tpr, thr = _roc(y, s)
    i = int(np.argmax(tpr >= sensitivity - 1e-12))  # fpr grows along the curve: first is best
    return operating_point(y, s, float(thr[i]))


def sensitivity_at_specificity(
    y_true: ArrayLike, score: ArrayLike, specificity: float = 0.9
) -> OperatingPoint:
    """The most sensitive threshold whose specificity is at least `specificity`."""
    y, s = _labels_scores(y_true, score)
    if not 0 <= specificity <= 1:
        raise ValueError(f"specificity target must be in [0, 1], got {specificity}")
    fpr, tpr, thr = _roc(y, s)
    i = int(np.flatnonzero(1 - fpr >= specificity - 1e-12)[-1])
    return operating_point(y, s, float(thr[i]))


def ppv_at_prevalence(sensitivity: float, specificity: float, prevalence: float) -> float:
    """PPV of a test with this sensitivity and specificity in a population of `prevalence`.

    Bayes: sens·π / (sens·π + (1 − spec)·(1 − π)). The same model referring at the same
    threshold has a much lower PPV at a screening prevalence (1.8 %) than in a clinic (11 %).
    """
    if not 0 <= prevalence <= 1:
        raise ValueError(f"prevalence must be in [0, 1], got {prevalence}")
    hit = sensitivity * prevalence
    return _ratio(hit, hit + (1 - specificity) * (1 - prevalence))


def nnb_at_prevalence(sensitivity: float, specificity: float, prevalence: float) -> float:
    """Number needed to biopsy at `prevalence` (1 / PPV; infinite when nothing is found)."""
    ppv = ppv_at_prevalence(sensitivity, specificity, prevalence)
    return float("inf") if not ppv > 0 else 1 / ppv


def _check_prevalence(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")


def adjust_to_prevalence(
    proba: ArrayLike, *, train_prevalence: float, target_prevalence: float
) -> np.ndarray:
    """Bayes prior-shift correction of calibrated probabilities (Saerens et al. 2002, eq. 2.4).

    Posterior odds scale with the prior odds: odds' = odds · [π'/(1 − π')] / [π/(1 − π)].
    Valid when only the class mix changes (p(x | class) stays the same).
    """
    _check_prevalence("train_prevalence", train_prevalence)
    _check_prevalence("target_prevalence", target_prevalence)
    p = np.clip(_arr(proba, float), 1e-12, 1 - 1e-12)
    w1 = target_prevalence / train_prevalence
    w0 = (1 - target_prevalence) / (1 - train_prevalence)
    return p * w1 / (p * w1 + (1 - p) * w0)


def estimate_prevalence(
    proba: ArrayLike, *, train_prevalence: float, max_iter: int = 200, tol: float = 1e-6
) -> float:
    """Prevalence of an *unlabelled* batch by EM on the prior (Saerens et al. 2002).

    Alternates: adjust the probabilities to the current prior estimate, then set the prior to
    their mean. Needs calibrated probabilities on the training population.
    """
    _check_prevalence("train_prevalence", train_prevalence)
    p = _arr(proba, float)
    prior = train_prevalence
    for _ in range(max_iter):
        new = float(
            adjust_to_prevalence(
                p, train_prevalence=train_prevalence, target_prevalence=prior
            ).mean()
        )
        new = min(max(new, 1e-6), 1 - 1e-6)
        if abs(new - prior) < tol:
            return new
        prior = new
    return prior


def expected_calibration_error(y_true: ArrayLike, proba: ArrayLike, *, n_bins: int = 10) -> float:
    """ECE: size-weighted mean |observed rate − mean prediction| over equal-count bins."""
    rel = reliability(y_true, proba, n_bins=n_bins, strategy="quantile")
    gaps = np.abs(rel.fraction_positive - rel.mean_predicted)
    return float((gaps * rel.count).sum() / rel.count.sum())


@dataclass(frozen=True)
class AbstentionPoint:
    """One width of the refer-to-dermatologist band and what the model decides outside it."""

    coverage: float  # share of lesions the model decides alone
    referred: float  # share sent to a dermatologist (1 − coverage)
    low: float  # band [low, high): scores inside are referred
    high: float
    error: float  # error rate among the decided lesions
    sensitivity: float  # among decided malignant lesions
    specificity: float  # among decided benign lesions
    missed_per_1000: float  # malignant lesions called benign, per 1,000 decided

    def to_dict(self) -> dict[str, float]:
        """Plain dict for JSON."""
        return asdict(self)


def abstention_curve(
    y_true: ArrayLike,
    proba: ArrayLike,
    *,
    threshold: float,
    coverages: ArrayLike = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5),
) -> list[AbstentionPoint]:
    """Coverage/error trade-off of a refer-to-dermatologist band (Chow's rule, 1970).

    The operating threshold t implies a cost ratio: calling a lesion benign costs p·(1 − t) in
    expectation (a missed cancer), calling it malignant (1 − p)·t (a needless biopsy); t is where
    the two are equal. A lesion is referred when even the better call is expensive, so for each
    coverage c the (1 − c) lesions with the highest expected cost of deciding go to a
    dermatologist and the rest are decided at t. The band is asymmetric: it reaches far above
    t (moderately suspicious lesions see a specialist) and little below it.
    """
    y, p = _labels_scores(y_true, proba)
    if not 0 < threshold < 1 or ((p < 0) | (p > 1)).any():
        raise ValueError("abstention needs probabilities in [0, 1] and a threshold in (0, 1)")
    cost_of_deciding = np.minimum(p * (1 - threshold), (1 - p) * threshold)
    order = np.argsort(cost_of_deciding, kind="stable")  # cheapest to decide first
    points = []
    for c in np.asarray(coverages, float):
        if not 0 < c <= 1:
            raise ValueError(f"coverage must be in (0, 1], got {c}")
        n_keep = max(int(round(c * len(y))), 1)
        keep = np.zeros(len(y), bool)
        keep[order[:n_keep]] = True
        op = operating_point(y[keep], p[keep], threshold)
        in_band = p[~keep]
        points.append(
            AbstentionPoint(
                coverage=n_keep / len(y),
                referred=1 - n_keep / len(y),
                low=float(in_band.min()) if len(in_band) else threshold,
                high=float(in_band.max()) if len(in_band) else threshold,
                error=(op.fp + op.fn) / n_keep,
                sensitivity=op.sensitivity,
                specificity=op.specificity,
                missed_per_1000=1000 * op.fn / n_keep,
            )
        )
    return points


@dataclass(frozen=True)
class ClassReport:
    """How a multi-class prediction fares class by class (the 7-class mode's figures).

    `confusion[i][j]` counts lesions of true class `classes[i]` predicted `classes[j]`;
    `recall[c]` is the share of class c found; `macro_recall` (balanced multiclass accuracy, the
    ISIC 2018 challenge's metric) is their mean over the classes present, so that a model that
    calls everything the majority class scores 1 / (number of classes).
    """

    classes: tuple[str, ...]
    confusion: list[list[int]]
    support: dict[str, int]
    recall: dict[str, float]
    macro_recall: float
    accuracy: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return asdict(self)


def class_report(y_true: ArrayLike, y_pred: ArrayLike, classes: tuple[str, ...]) -> ClassReport:
    """Confusion matrix, per-class recall and macro recall of predicted class names.

    Raises:
        ValueError: different lengths, no rows, or a label outside `classes` (named).
    """
    y, p = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    _same_length(y, p)
    if len(y) == 0:
        raise ValueError("no predictions to report on")
    unknown = sorted(str(c) for c in (set(y) | set(p)) - set(classes))
    if unknown:
        raise ValueError(f"labels {unknown} are not among the classes {list(classes)}")
    index = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=int)
    np.add.at(matrix, ([index[c] for c in y], [index[c] for c in p]), 1)
    support = matrix.sum(axis=1)
    recall = {c: float(matrix[i, i] / support[i]) for i, c in enumerate(classes) if support[i]}
    return ClassReport(
        classes=tuple(classes),
        confusion=matrix.tolist(),
        support={c: int(n) for c, n in zip(classes, support, strict=True)},
        recall=recall,
        macro_recall=float(np.mean(list(recall.values()))),
        accuracy=float(np.trace(matrix) / len(y)),
    )
