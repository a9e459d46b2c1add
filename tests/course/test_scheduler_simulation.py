"""The SM-2 vs FSRS-6 simulation (`benchmarks/scheduler_simulation.py`) behind "How this course
works": its FSRS is the browser's, its learners behave as stated, and the page's claims hold."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import scheduler_simulation as sim  # noqa: E402


def _browser_port():
    """The FSRS-6 port the browser tests check ts-fsrs against (tests/site)."""
    path = ROOT / "tests" / "site" / "test_learning_browser.py"
    spec = importlib.util.spec_from_file_location("_fsrs_port", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_simulated_fsrs_is_the_one_the_browser_runs() -> None:
    """Do the simulation's FSRS-6 parameters and formulas give what the browser-checked port gives,
    review after review (all four grades, short and long gaps)?"""
    port = _browser_port()
    assert tuple(sim.W) == port.W
    s, d = port.W[2], port._clamp(port._d0(3))
    ours_s, ours_d = np.array([s]), np.array([d])
    for grade, days in [("good", 3), ("hard", 5), ("again", 20), ("easy", 1), ("good", 40)]:
        s, d = port._fsrs6(s, d, days, grade)
        r = sim.power_recall(np.array([float(days)]), ours_s)
        ours_s, ours_d = sim.fsrs_next(ours_s, ours_d, r, np.array([port.RATING[grade]]))
        assert ours_s[0] == pytest.approx(s, rel=1e-9) and ours_d[0] == pytest.approx(d, rel=1e-9)
    # At 90 % desired retention the interval is the stability, as the browser test checks.
    assert sim.fsrs_interval(np.array([8.2956]), 0.9)[0] == 8


def test_new_cards_follow_the_course_pace_and_the_module_weeks() -> None:
    """Is no day given more than `pace` new cards, and no card shown before its module opens?"""
    decks = [("00-a", 25), ("01-b", 3), ("02-c", 12)]
    days = sim.introduction_days(decks, pace=10)
    assert np.bincount(days).max() == 10
    assert list(days[:25]) == [0] * 10 + [1] * 10 + [2] * 5
    assert set(days[25:28]) == {7} and list(days[28:]) == [14] * 10 + [15] * 2


@pytest.mark.parametrize("truth", [sim.FsrsTruth, sim.ExponentialTruth])
def test_more_reviews_buy_more_recall_under_both_memory_models(truth) -> None:
    """Does asking FSRS for a higher retention cost reviews and buy recall, and does a learner who
    is never reviewed (a planted scheduler with a 1000-day interval) recall less still?"""
    intro = sim.introduction_days([("00-a", 30), ("01-b", 30)], pace=10)
    kwargs = {"learners": 20, "exam_day": 21, "seed": 3}
    low = sim.simulate(truth, lambda sh: sim.Fsrs(sh, 0.7), intro, **kwargs).summary()
    high = sim.simulate(truth, lambda sh: sim.Fsrs(sh, 0.95), intro, **kwargs).summary()
    assert high["reviews_total"] > low["reviews_total"]
    assert high["exam_retention"] > low["exam_retention"]

    class Never(sim.Fsrs):
        def learn(self, m, grade):
            return np.full(int(m.sum()), 1000.0)

        review = None  # never called: nothing comes due

    never = sim.simulate(truth, lambda sh: Never(sh, 0.9), intro, **kwargs).summary()
    assert never["exam_retention"] < low["exam_retention"] < high["exam_retention"] - 0.15


def test_the_pages_claims_hold_in_the_committed_figures() -> None:
    """ "How this course works": under FSRS's own model the two schedulers cost about the same for
    every target; under the exponential model FSRS saves, more for 95 % than for 90 %."""
    path = ROOT / "course" / "_data" / "scheduler_simulation.json"
    figures = json.loads(path.read_text())["figures"]
    setup, truths = figures["setup"], figures["truths"]
    assert setup["cards"] >= 20 * setup["modules"] and setup["exam_day"] % 7 == 0
    for truth in ("fsrs", "exponential"):
        for target in truths[truth]["target"].values():  # every target reached by both sweeps
            assert target["sm2_reviews"] and target["fsrs_reviews"]
    own = truths["fsrs"]["target"]
    assert all(abs(t["fsrs_saving"]) < 0.1 for t in own.values())  # "about the same"
    exp = truths["exponential"]["target"]
    assert 0.05 < exp["t90"]["fsrs_saving"] < exp["t95"]["fsrs_saving"]


def test_the_simulated_pace_is_the_sites_default_pace() -> None:
    """Do the simulation, the browser's default and the page's sentence use one new-card pace?"""
    js = (ROOT / "site" / "overrides" / "assets" / "javascripts" / "learning.js").read_text()
    default = int(re.search(r"var DEFAULT_PACE = (\d+);", js).group(1))
    path = ROOT / "course" / "_data" / "scheduler_simulation.json"
    assert json.loads(path.read_text())["figures"]["setup"]["pace"] == default
    page = (ROOT / "course" / "how-it-works.md").read_text(encoding="utf-8")
    assert f"at most {default} a day across the whole course" in page
    assert f'"--pace", type=int, default={default}' in Path(sim.__file__).read_text()  # its CLI


def test_the_simulated_decks_are_still_the_courses() -> None:
    """Does the committed simulation still describe this course: the same modules, and a card
    count within 10 % of today's? (A card edit moves every random draw, so the figures are not
    recomputed in CI; a new module or a large change of the decks needs
    `python tools/course_numbers.py --only scheduler_simulation`.)"""
    figures = json.loads((ROOT / "course" / "_data" / "scheduler_simulation.json").read_text())
    setup = figures["figures"]["setup"]
    decks = sim.load_decks()
    cards = sum(n for _, n in decks)
    assert setup["modules"] == len(decks), "modules changed: rerun the simulation"
    assert abs(setup["cards"] - cards) <= 0.1 * cards, f"{setup['cards']} simulated, {cards} now"
