"""Simulator: presets, determinism, immutability of raw data, drift leaves the past alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reference_impl import data
from reference_impl import schemas as s
from reference_impl.simulate import (
    PRESETS,
    Simulation,
    SimulatorConfig,
    config_for,
    daily_counts,
    dataset_hash,
    load_transactions,
    simulate,
    write_raw,
)


def test_defaults_are_the_handbook_reference_run() -> None:
    """Does the default config describe the handbook's 5k customers, 10k terminals, 183 days?"""
    cfg = SimulatorConfig()
    assert (cfg.n_customers, cfg.n_terminals, cfg.n_days, cfg.radius) == (5000, 10_000, 183, 5.0)
    assert str(cfg.start_date) == "2018-04-01"
    assert cfg.fraud.s1_amount_threshold == 220 and cfg.fraud.s2_duration_days == 28
    assert config_for("full") == SimulatorConfig()
    assert set(PRESETS) == {"tiny", "small", "full"}


def test_unknown_preset_and_bad_override_are_refused() -> None:
    """Is a typo in a preset or a knob a clear ValueError rather than a silent default?"""
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        config_for("huge")
    with pytest.raises(ValueError):
        config_for("tiny", n_customers=0)
    with pytest.raises(ValueError):
        config_for("tiny", drift={"no_such_knob": 1})


def test_auto_radius_keeps_about_75_terminals_per_customer(tiny_sim: Simulation) -> None:
    """Do the scaled-down presets keep the handbook's density of reachable terminals?"""
    assert 70 <= tiny_sim.customers["nb_terminals"].mean() <= 82


def test_transactions_have_the_handbook_columns_sorted_by_time(tiny_sim: Simulation) -> None:
    """Are the columns, dtypes, ids and ordering what downstream stages rely on?"""
    tx = tiny_sim.transactions
    assert tuple(tx.columns) == s.TRANSACTION_COLUMNS
    assert {c: str(t) for c, t in tx.dtypes.items()} == s.TRANSACTION_DTYPES
    assert tx[s.TX_DATETIME].is_monotonic_increasing
    assert (tx[s.TRANSACTION_ID].to_numpy() == np.arange(len(tx))).all()
    assert set(tx[s.TX_FRAUD_SCENARIO].unique()) == {0, 1, 2, 3}


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    """Do two runs with one seed write byte-identical datasets, and another seed a different one?"""
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_raw(simulate(config_for("tiny", seed=seed, n_days=20)), tmp_path / name)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    assert dataset_hash(tmp_path / "a") == dataset_hash(tmp_path / "b")
    assert dataset_hash(tmp_path / "a") != dataset_hash(tmp_path / "c")
    assert (tmp_path / "a/manifest.json").read_bytes() == (
        tmp_path / "b/manifest.json"
    ).read_bytes()


def test_raw_round_trip_and_date_filter(tiny_sim: Simulation, tiny_raw: Path) -> None:
    """Does reading the partitions give back exactly the simulated table, and filter by date?"""
    pd.testing.assert_frame_equal(load_transactions(tiny_raw), tiny_sim.transactions)
    week = load_transactions(tiny_raw, "2018-04-08", "2018-04-14")
    assert sorted(week[s.TX_TIME_DAYS].unique()) == list(range(7, 14))
    assert len(list(tiny_raw.glob("date=*/part.parquet"))) == 60


def test_raw_data_is_never_overwritten_without_force(tiny_sim: Simulation, tmp_path: Path) -> None:
    """Is an existing dataset refused, and replaced only with force=True?"""
    out = tmp_path / "raw"
    write_raw(tiny_sim, out)
    before = dataset_hash(out)
    other = simulate(config_for("tiny", seed=1, n_days=5))
    with pytest.raises(FileExistsError, match="immutable"):
        write_raw(other, out)
    assert dataset_hash(out) == before
    write_raw(other, out, force=True)
    assert len(list(out.glob("date=*"))) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]  # no temp folder left


def test_a_failed_write_leaves_nothing_behind(
    tiny_sim: Simulation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does a crash half-way through writing leave neither a dataset nor a temp folder?"""
    calls = {"n": 0}
    real = data._write_parquet

    def flaky(df: pd.DataFrame, path: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 10:
            raise OSError("disk full")
        real(df, path)

    monkeypatch.setattr(data, "_write_parquet", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_raw(tiny_sim, tmp_path / "raw")
    assert list(tmp_path.iterdir()) == []


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    """Does reading a folder without partitions say what to run?"""
    with pytest.raises(FileNotFoundError, match="fraud simulate"):
        load_transactions(tmp_path / "nothing")


def test_drift_leaves_days_before_its_start_untouched(tiny_sim: Simulation) -> None:
    """Are the days before drift.start_day identical to the run without drift?"""
    drift = {"start_day": 30, "amount_scale": 1.25, "freq_scale": 1.5, "s3_amount_mult": 2.0}
    drift |= {"s2_duration_days": 7, "card_testing": {"cards_per_day": 5}}
    drifted = simulate(config_for("tiny", seed=0, drift=drift)).transactions
    base = tiny_sim.transactions
    before = base[s.TX_TIME_DAYS] < 30
    pd.testing.assert_frame_equal(
        drifted[drifted[s.TX_TIME_DAYS] < 30].reset_index(drop=True),
        base[before].reset_index(drop=True),
    )
    assert (
        not drifted[drifted[s.TX_TIME_DAYS] >= 30]
        .reset_index(drop=True)
        .equals(base[~before].reset_index(drop=True))
    )


def test_compromises_per_day_follow_the_rate_without_noise() -> None:
    """Are exactly 2 terminals / 3 cards compromised each day, and 0.8/day 4 in every 5 days?"""
    assert daily_counts(np.full(183, 2e-4 * 10_000)).tolist() == [2] * 183
    assert daily_counts(np.full(183, 6e-4 * 5_000)).tolist() == [3] * 183
    slow = daily_counts(np.full(100, 0.8))
    assert slow.sum() == 80 and set(slow.tolist()) == {0, 1}
    assert all(slow[i : i + 5].sum() == 4 for i in range(0, 100, 5))
    # A rate that changes from day 50 on (a drift) leaves the first 50 days' counts alone.
    drifted = daily_counts(np.r_[np.full(50, 0.8), np.full(50, 3.2)])
    assert drifted[:50].tolist() == slow[:50].tolist()
    assert drifted[50:].sum() == 160
