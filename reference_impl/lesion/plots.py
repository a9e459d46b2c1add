"""Screening plots saved as PNG: ROC with operating points, subgroup sensitivities with their
intervals, reliability diagram, the refer-to-dermatologist (abstention) curve, and the 7-class
confusion matrix.

Same conventions as `reference_impl.plots` (Agg backend, one file per function, atomic write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from reference_impl.lesion.audit import SubgroupResult
from reference_impl.lesion.metrics import AbstentionPoint, ClassReport, OperatingPoint
from reference_impl.metrics import Reliability
from reference_impl.plots import _figure, _save


def roc(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: Path,
    *,
    points: Mapping[str, OperatingPoint],
    title: str = "ROC, held-out patients",
) -> Path:
    """ROC curves (label → (y, score)) with named operating points marked on them."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = _figure()
    for label, (y, score) in curves.items():
        fpr, tpr, _ = roc_curve(y, score)
        ax.plot(fpr, tpr, label=f"{label} (AUC {roc_auc_score(y, score):.3f})")
    for name, op in points.items():
        ax.plot(1 - op.specificity, op.sensitivity, "o", ms=7, label=name)
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.set(xlabel="1 − specificity", ylabel="sensitivity", title=title)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def subgroup_sensitivity(
    subgroups: Sequence[SubgroupResult], path: Path, *, floor: float, confidence: float
) -> Path:
    """Sensitivity per subgroup with its interval; grey when there is not enough data."""
    fig, ax = _figure()
    labels = [f"{s.attribute}={s.group}" for s in subgroups]
    x = np.arange(len(subgroups))
    for i, s in enumerate(subgroups):
        if not np.isfinite(s.sensitivity):
            continue
        low = max(s.sensitivity - s.sensitivity_low, 0.0)
        high = max(s.sensitivity_high - s.sensitivity, 0.0)
        ax.errorbar(
            i,
            s.sensitivity,
            yerr=[[low], [high]],
            fmt="o",
            capsize=3,
            c="C0" if s.enough_data else "lightgrey",
        )
    ax.axhline(floor, ls="--", c="red", label=f"floor {floor:.2f}")
    ax.plot([], [], "o", c="C0", label="judged by the gate")
    ax.plot([], [], "o", c="lightgrey", label="too few cancers: reported only")
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
    ax.set(
        ylim=(0, 1.02),
        ylabel="sensitivity",
        title=f"Sensitivity by subgroup ({100 * confidence:.0f} % patient-bootstrap CI)",
    )
    ax.legend(fontsize=7, loc="lower left")
    return _save(fig, path)


def reliability(rel: Reliability, path: Path, *, brier: float, label: str) -> Path:
    """Reliability diagram on linear axes (lesion prevalences are not tiny) with the Brier score."""
    fig, ax = _figure()
    ax.plot([0, 1], [0, 1], ls="--", c="grey", label="perfectly calibrated")
    ax.plot(rel.mean_predicted, rel.fraction_positive, "o-", label=f"{label} (Brier {brier:.3f})")
    ax.set(
        xlabel="mean predicted probability of malignancy",
        ylabel="observed malignant share",
        title="Reliability, held-out patients",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def abstention(curve: Sequence[AbstentionPoint], path: Path) -> Path:
    """Error and missed cancers among the lesions the model decides, vs the share it decides."""
    fig, ax = _figure()
    cov = [100 * p.coverage for p in curve]
    ax.plot(cov, [100 * p.error for p in curve], "o-", label="error among decided (%)")
    ax.plot(cov, [p.missed_per_1000 / 10 for p in curve], "s-", label="missed cancers (%)")
    ax.invert_xaxis()
    ax.set(
        xlabel="decided by the model (%); the rest go to a dermatologist",
        ylabel="% of decided lesions",
        title="Refer-to-dermatologist band",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def confusion(
    report: ClassReport, path: Path, *, title: str = "7-class confusion (row = true class)"
) -> Path:
    """Confusion matrix as row shares (each true class sums to 1) with the counts written in;
    the per-class recall is the diagonal, named on the rows."""
    fig, ax = _figure()
    counts = np.asarray(report.confusion, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i, j in np.ndindex(counts.shape):
        colour = "white" if shares[i, j] > 0.6 else "black"
        ax.text(j, i, f"{counts[i, j]:.0f}", ha="center", va="center", fontsize=7, c=colour)
    k = np.arange(len(report.classes))
    rows = [f"{c} ({report.recall.get(c, float('nan')):.0%})" for c in report.classes]
    ax.set_xticks(k, report.classes, fontsize=8)
    ax.set_yticks(k, rows, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true class (recall)")
    ax.set_title(f"{title}\nmacro recall {report.macro_recall:.3f}", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    return _save(fig, path)
