"""Distribution drift between a reference and a current sample: PSI, KS statistic, JS distance.

Bins are the reference's deciles (or one bin per distinct value when it has at most `bins` of
them, as for 0/1 flags), with ε-smoothing so an empty bin never gives an infinite PSI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

EPS = 1e-4


def bin_edges(reference: np.ndarray, *, bins: int = 10) -> np.ndarray:
    """Inner bin edges: reference deciles, or a narrow bin around each value when it has few.

    In the discrete case the gaps between (and beyond) the reference's values are bins too, so
    a value never seen in the reference (a new category) shows up instead of hiding in a
    neighbour's bin.
    """
    values = np.unique(reference)
    if len(values) <= bins:
        delta = 1e-9 * np.maximum(1.0, np.abs(values))
        return np.sort(np.concatenate([values - delta, values + delta]))
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """ε-smoothed share of `values` in each bin defined by `edges`."""
    return shares_of_bins(np.searchsorted(edges, values, side="right"), len(edges) + 1)


def shares_of_bins(bins: np.ndarray, n_bins: int) -> np.ndarray:
    """ε-smoothed share of each bin, from each value's bin index (see `shares`)."""
    counts = np.bincount(bins, minlength=n_bins)
    share = np.clip(counts / max(counts.sum(), 1), EPS, None)
    return share / share.sum()


def psi_from_shares(r: np.ndarray, c: np.ndarray) -> float:
    return float(np.sum((c - r) * np.log(c / r)))


def psi(reference: np.ndarray, current: np.ndarray, *, bins: int = 10) -> float:
    """Population stability index Σ (c − r)·ln(c / r) over the reference's bins."""
    edges = bin_edges(np.asarray(reference, float), bins=bins)
    return psi_from_shares(shares(reference, edges), shares(np.asarray(current, float), edges))


def js_distance(reference: np.ndarray, current: np.ndarray, *, bins: int = 10) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) over the same bins as PSI."""
    edges = bin_edges(np.asarray(reference, float), bins=bins)
    return float(jensenshannon(shares(reference, edges), shares(current, edges), base=2))


def ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov D = max |ECDF_ref − ECDF_cur| (no p-value: at 10⁴+ rows
    everything is "significant", so the distance itself is what to threshold)."""
    r, c = np.sort(np.asarray(reference, float)), np.sort(np.asarray(current, float))
    grid = np.concatenate([r, c])
    cdf_r = np.searchsorted(r, grid, side="right") / max(len(r), 1)
    cdf_c = np.searchsorted(c, grid, side="right") / max(len(c), 1)
    return float(np.max(np.abs(cdf_r - cdf_c))) if len(grid) else 0.0


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column; `level` is 'ok', 'warning' or 'alarm' by PSI."""

    column: str
    psi: float
    ks: float
    js: float
    level: str

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


def drift_level(value: float, *, warning: float, alarm: float) -> str:
    return "alarm" if value >= alarm else "warning" if value >= warning else "ok"


def column_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    *,
    warning: float = 0.1,
    alarm: float = 0.25,
    bins: int = 10,
) -> list[ColumnDrift]:
    """PSI / KS / JS of each column, with its level against the PSI thresholds."""
    out = []
    for name in columns:
        ref, cur = reference[name].to_numpy(float), current[name].to_numpy(float)
        value = psi(ref, cur, bins=bins)
        out.append(
            ColumnDrift(
                column=name,
                psi=round(value, 5),
                ks=round(ks_statistic(ref, cur), 5),
                js=round(js_distance(ref, cur, bins=bins), 5),
                level=drift_level(value, warning=warning, alarm=alarm),
            )
        )
    return out
