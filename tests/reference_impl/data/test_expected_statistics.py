"""Expected statistics of spec §1.1/§4.1 on the tiny and small presets."""

from __future__ import annotations

import pytest

from reference_impl import schemas as s
from reference_impl.simulate import Simulation, config_for, simulate
from reference_impl.validate import COMMON, EXPECTED, ValidationReport, check_statistics, statistics


@pytest.fixture(scope="module")
def small_sim() -> Simulation:
    return simulate(config_for("small", seed=0))


def _band_failures(preset: str, stats: dict[str, float]) -> list[str]:
    report = ValidationReport(raw_dir="-", preset=preset, statistics=stats)
    check_statistics(report)
    return [v.message for v in report.violations]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tiny_preset_is_within_its_bands(seed: int) -> None:
    """Does every seed of the tiny preset land inside the validation bands?"""
    sim = simulate(config_for("tiny", seed=seed))
    assert _band_failures("tiny", statistics(sim.transactions, sim.customers)) == []


def test_small_preset_reproduces_the_spec(small_sim: Simulation) -> None:
    """Does the small preset (seed 0) match the spec's figures within tolerance?"""
    st = statistics(small_sim.transactions, small_sim.customers)
    assert _band_failures("small", st) == []
    assert st["n_transactions"] == pytest.approx(470_000, rel=0.05)
    assert 0.0078 <= st["fraud_rate"] <= 0.0082  # spec: 0.78-0.82 % on the small preset
    assert st["legit_amount_mean"] == pytest.approx(55, abs=2)
    assert st["legit_amount_median"] == pytest.approx(46, abs=2)
    assert st["weekend_share"] == pytest.approx(0.29, abs=0.01)
    assert st["night_share"] == pytest.approx(0.17, abs=0.01)
    assert st["terminals_per_customer"] == pytest.approx(75, abs=2)
    assert st["fraud_amount_share"] == pytest.approx(0.021, abs=0.004)
    assert st["share_s2"] > st["share_s3"] > st["share_s1"] > 0


def test_fraud_ramps_up_over_the_first_28_days(small_sim: Simulation) -> None:
    """Is the daily fraud count lower during the S2 ramp-up than afterwards (handbook 55 vs 89)?"""
    tx = small_sim.transactions
    per_day = tx.groupby(s.TX_TIME_DAYS)[s.TX_FRAUD].sum()
    assert per_day.iloc[:28].mean() < 0.8 * per_day.iloc[28:].mean()


def test_amounts_are_non_negative_with_two_decimals(small_sim: Simulation) -> None:
    """Are amounts >= 0 and rounded to cents, S3 frauds much larger than genuine ones?"""
    tx = small_sim.transactions
    amount = tx[s.TX_AMOUNT]
    assert amount.min() >= 0
    assert ((amount * 100).round() - amount * 100).abs().max() < 1e-6
    s3 = tx[tx[s.TX_FRAUD_SCENARIO] == 3][s.TX_AMOUNT].mean()
    assert s3 > 4 * tx[tx[s.TX_FRAUD] == 0][s.TX_AMOUNT].mean()
    s1 = tx[tx[s.TX_FRAUD_SCENARIO] == 1][s.TX_AMOUNT]
    assert (s1 > 220).all()


def test_bands_cover_the_spec_figures() -> None:
    """Do the validation bands contain the spec's headline figures (no band that excludes them)?"""
    spec = {"legit_amount_mean": 55, "legit_amount_median": 46, "weekend_share": 0.29}
    spec |= {"night_share": 0.17, "terminals_per_customer": 75}
    assert all(COMMON[k][0] <= v <= COMMON[k][1] for k, v in spec.items())
    assert (
        EXPECTED["full"]["n_transactions"][0] <= 1_754_155 <= EXPECTED["full"]["n_transactions"][1]
    )
    assert EXPECTED["full"]["fraud_rate"][0] <= 0.00837 <= EXPECTED["full"]["fraud_rate"][1]
    for k, share in ((1, 0.07), (2, 0.62), (3, 0.31)):
        lo, hi = EXPECTED["full"][f"share_s{k}"]
        assert lo <= share <= hi


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_full_preset_reproduces_the_spec_for_every_seed(seed: int) -> None:
    """Does the full preset hit the spec's fraud rate (0.80-0.90 %) and mix for seeds 0 and 1?

    With a Poisson number of compromises per day, seed 1 fell to 0.77 % with S2 at 59 %: the
    handbook compromises exactly 2 terminals and 3 cards every day.
    """
    sim = simulate(config_for("full", seed=seed))
    st = statistics(sim.transactions, sim.customers)
    assert 0.0080 <= st["fraud_rate"] <= 0.0090
    assert st["share_s2"] == pytest.approx(0.62, abs=0.03)
    assert st["share_s3"] == pytest.approx(0.31, abs=0.03)
    assert st["share_s1"] == pytest.approx(0.07, abs=0.015)
    assert st["fraud_amount_share"] == pytest.approx(0.021, abs=0.002)
