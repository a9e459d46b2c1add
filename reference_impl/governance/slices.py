"""Metrics per subgroup, with intervals that respect how errors cluster.

A rate measured on a small subgroup is noisy, and frauds (or lesions of one patient) come in
clusters: ten frauds on one compromised card are one piece of evidence, not ten. So each rate
gets a percentile interval from a bootstrap that resamples *clusters* (cards, patients) with
Poisson(1) weights, as the monitor's card x terminal bootstrap does (`monitor.uncertainty`).

`slice_table` gives, per subgroup, the share of `hit` rows among `among` rows: the false-decline
rate is `hit = declined` among legitimate payments, recall is `hit = declined` among frauds.
`floor_threshold` finds the highest threshold at which every subgroup with enough positives
reaches a recall (sensitivity) floor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from reference_impl.errors import InvalidInputError

N_BOOT = 200


@dataclass(frozen=True)
class Rate:
    """A share with its bootstrap interval (`level` coverage) and the counts behind it."""

    rate: float
    lo: float
    hi: float
    hits: int
    n: int
    clusters: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


# --8<-- [start:rate]
def rate_with_interval(
    hit: np.ndarray,
    cluster: np.ndarray,
    *,
    n_boot: int = N_BOOT,
    level: float = 0.95,
    seed: int = 0,
) -> Rate:
    """Share of True in `hit`, with a percentile interval from a cluster (Poisson) bootstrap."""
    hit = np.asarray(hit, dtype=bool)
    if len(hit) == 0:
        return Rate(float("nan"), float("nan"), float("nan"), 0, 0, 0)
    ids = np.unique(np.asarray(cluster), return_inverse=True)[1]
    n_clusters = int(ids.max()) + 1
    rows, hits = np.bincount(ids, minlength=n_clusters), np.bincount(ids, weights=hit)
    rng = np.random.default_rng(seed)
    weights = rng.poisson(1.0, size=(n_boot, n_clusters)).astype(float)  # one per cluster
    total = weights @ rows  # a cluster's weight applies to each of its rows
    shares = (weights @ hits) / np.where(total > 0, total, np.nan)
    shares = shares[np.isfinite(shares)]
    tail = (1 - level) / 2
    lo, hi = np.quantile(shares, [tail, 1 - tail]) if len(shares) else (np.nan, np.nan)
    return Rate(float(hit.mean()), float(lo), float(hi), int(hit.sum()), len(hit), n_clusters)


# --8<-- [end:rate]


def slice_table(
    frame: pd.DataFrame,
    *,
    group: str,
    hit: str,
    among: str,
    cluster: str,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per value of `group` (and `all`): the rate of `hit` among `among` rows."""
    for column in (group, hit, among, cluster):
        if column not in frame.columns:
            raise InvalidInputError(f"slice_table: no column {column!r}")
    chosen = frame[frame[among].astype(bool)]
    rows = {}
    for name, part in [*sorted(chosen.groupby(group, observed=True)), ("all", chosen)]:
        r = rate_with_interval(
            part[hit].to_numpy(), part[cluster].to_numpy(), n_boot=n_boot, seed=seed
        )
        rows[str(name)] = r.to_dict()
    return pd.DataFrame.from_dict(rows, orient="index")


# --8<-- [start:floor]
def floor_threshold(
    y: np.ndarray,
    score: np.ndarray,
    group: np.ndarray,
    *,
    floor: float,
    min_positives: int = 30,
) -> float:
    """Highest threshold at which each group with >= `min_positives` positives has recall >= floor.

    A row is flagged when its score >= the threshold. Groups with fewer positives are reported,
    not used: their recall is too noisy to set a threshold on (their interval says so).
    """
    y, score, group = np.asarray(y, bool), np.asarray(score, float), np.asarray(group)
    if not 0 < floor <= 1:
        raise InvalidInputError(f"floor_threshold: floor must be in (0, 1], not {floor}")
    thresholds = []
    for g in np.unique(group):
        positives = np.sort(score[(group == g) & y])[::-1]
        if len(positives) < min_positives:
            continue
        needed = int(np.ceil(floor * len(positives)))  # flag at least this many positives
        thresholds.append(positives[needed - 1])
    if not thresholds:
        raise InvalidInputError(f"floor_threshold: no group has {min_positives} positives")
    return float(min(thresholds))


# --8<-- [end:floor]
