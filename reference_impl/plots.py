"""Evaluation plots saved as PNG: precision-recall curve, reliability, KPI vs alert budget.

Uses matplotlib's non-interactive Agg backend; each function writes one file and returns its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from reference_impl.atomic import atomic_file
from reference_impl.metrics import Reliability

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _figure() -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=110)
    return fig, ax


def _save(fig: Figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    with atomic_file(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return path


def pr_curve(y_true: np.ndarray, score: np.ndarray, path: Path, *, label: str) -> Path:
    """Precision-recall curve with the AP in the legend and the base rate as a dashed line."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    precision, recall, _ = precision_recall_curve(y_true, score)
    fig, ax = _figure()
    ap = average_precision_score(y_true, score)
    ax.plot(recall, precision, label=f"{label} (AP {ap:.3f})")
    ax.axhline(np.mean(y_true), ls="--", c="grey", label="random")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall, test week")
    ax.legend()
    return _save(fig, path)


def reliability(rel: Reliability, path: Path, *, brier: float) -> Path:
    """Reliability diagram (log-log: fraud probabilities are small) with the Brier score."""
    fig, ax = _figure()
    lo = max(min(rel.mean_predicted.min(), 1e-4), 1e-5)
    ax.plot([lo, 1], [lo, 1], ls="--", c="grey", label="perfectly calibrated")
    frac = np.maximum(rel.fraction_positive, lo)
    ax.plot(rel.mean_predicted, frac, "o-", label=f"model (Brier {brier:.4f})")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="mean predicted fraud probability (quantile bins)",
        ylabel="observed fraud rate",
        title="Reliability, test week",
    )
    ax.legend()
    return _save(fig, path)


def kpi_vs_alerts(curve: pd.DataFrame, path: Path, *, limit: float, budget: int) -> Path:
    """Residual fraud among approved transactions (count, amount) vs alerts per day."""
    fig, ax = _figure()
    k = curve["alerts_per_day"]
    ax.plot(k, 100 * curve["by_count"], "o-", label="by count")
    ax.plot(k, 100 * curve["by_amount"], "s-", label="by amount")
    ax.axhline(100 * limit, ls="--", c="red", label=f"target ≤ {100 * limit:.1f} %")
    ax.axvline(budget, ls=":", c="grey", label=f"budget {budget}/day")
    ax.set(
        xlabel="alerts per day (top-k)",
        ylabel="fraud among approved (%)",
        title="Business KPI vs alert budget",
    )
    ax.legend()
    return _save(fig, path)
