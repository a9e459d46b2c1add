"""Workshop 3's leakage hunt: each planted feature leaks, each answer does not, and the check
that tells them apart is the one the groups are asked to write."""

from __future__ import annotations

import numpy as np
import pytest

from cohort.workshops import leakage_answers, leakage_hunt


@pytest.fixture(scope="module")
def frame():
    return leakage_hunt.demo_frame()


@pytest.mark.parametrize("name", sorted(leakage_hunt.FEATURES))
def test_each_planted_feature_leaks_and_its_answer_does_not(frame, name: str) -> None:
    """Removing the future changes the planted feature's past values, not the answer's."""
    planted, answer = leakage_hunt.FEATURES[name], leakage_answers.FEATURES[name]
    assert leakage_hunt.point_in_time_violations(planted, frame, cutoff=40.0) > 0
    assert leakage_hunt.point_in_time_violations(answer, frame, cutoff=40.0) == 0


def test_the_answers_compute_what_their_names_say(frame) -> None:
    """First payment: no mean yet; gaps are positive; rates are shares."""
    mean = leakage_answers.customer_mean_amount(frame)
    first = frame.sort_values("tx_time").groupby("customer_id").head(1).index
    assert mean.loc[first].isna().all() and mean.drop(first).notna().all()
    gaps = leakage_answers.days_since_previous(frame)
    assert (gaps > 0).all()
    rate = leakage_answers.terminal_fraud_rate(frame).dropna()
    assert ((rate >= 0) & (rate <= 1)).all() and not np.isclose(rate, 0).all()
