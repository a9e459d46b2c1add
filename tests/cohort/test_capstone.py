"""cohort.capstone: the milestone rubrics load as peer-review rubrics and the grade adds up."""

from __future__ import annotations

from pathlib import Path

import pytest

from cohort.capstone import final_grade, load_milestones, load_weights
from cohort.errors import CohortError

ROOT = Path(__file__).resolve().parents[2]


def test_eight_milestones_follow_modules_1_to_9_in_order() -> None:
    """Does each milestone load as a rubric, follow a later module than the one before, and
    appear (with its rubric file) on the capstone's milestones page?"""
    milestones = load_milestones()
    assert [m.id for m in milestones] == [f"m{k}" for k in range(1, 9)]
    modules = [m.module for m in milestones]
    assert modules == sorted(modules) and modules[0] == 1 and modules[-1] == 9
    page = (ROOT / "course" / "09-capstone" / "01-milestones.md").read_text(encoding="utf-8")
    for m in milestones:
        assert len(m.rubric.criteria) >= 3 and m.deliverables
        assert f"cohort/rubrics/capstone/{m.path.name}" in page


def test_the_grade_uses_every_weight() -> None:
    """Full marks give 100, nothing gives 0, and the drill is worth its weight."""
    weights = load_weights()
    ones = dict.fromkeys(weights.milestones, 1.0)
    assert final_grade(weights=weights, milestones=ones, audit=1.0, drill=1.0) == 100
    zeros = dict.fromkeys(weights.milestones, 0.0)
    assert final_grade(weights=weights, milestones=zeros, audit=0.0, drill=0.0) == 0
    no_drill = final_grade(weights=weights, milestones=ones, audit=1.0, drill=0.0)
    assert no_drill == pytest.approx(100 - weights.drill)


def test_bad_scores_and_weights_are_refused(tmp_path: Path) -> None:
    """A missing milestone, a share above 1 and weights not adding to 100 are one-line errors."""
    weights = load_weights()
    some = {"m1": 1.0}
    with pytest.raises(CohortError, match="no score for milestone"):
        final_grade(weights=weights, milestones=some, audit=1.0, drill=1.0)
    ones = dict.fromkeys(weights.milestones, 1.0)
    with pytest.raises(CohortError, match="between 0 and 1: drill"):
        final_grade(weights=weights, milestones=ones, audit=1.0, drill=4.0)
    (tmp_path / "grade.yml").write_text("milestones: {m1: 50}\naudit: 10\ndrill: 20\n")
    with pytest.raises(CohortError, match="add up to 80"):
        load_weights(tmp_path / "grade.yml")
