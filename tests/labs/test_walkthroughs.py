"""Learner-time walk-throughs of the labs: `labs/<lab>/walkthrough.yml`, `tools/lab_walkthrough.py`.

Cheap: word counts and arithmetic, no grading. The estimate the module pages quote is
`course/_data/lab_walkthroughs.json` (a `tools/course_numbers.py` set).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import lab_walkthrough as walk  # noqa: E402

WALKED = sorted(p.parent.name for p in (ROOT / "labs").glob(f"lab*/{walk.FILE}"))
LIMIT_MINUTES = 90  # issues 18 and 19: a lab takes a learner at most 90 minutes
RESULTS = ROOT / "course" / "_data" / "lab_walkthroughs.json"


def _answer_ids(lab: str) -> list[str]:
    nb = json.loads((ROOT / "labs" / lab / f"{lab}.ipynb").read_text(encoding="utf-8"))
    return [
        c["metadata"]["nbgrader"]["grade_id"]
        for c in nb["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]


@pytest.fixture(scope="module")
def estimates() -> dict:
    return walk.figures()["labs"]


def test_labs_6_and_7_have_a_walkthrough() -> None:
    """Do the serving and monitoring labs carry their measured walk-through?"""
    assert {"lab06_serving", "lab07_monitoring"} <= set(WALKED)


@pytest.mark.parametrize("lab", WALKED)
def test_every_graded_exercise_was_walked_through(lab: str, estimates: dict) -> None:
    """Does the walk-through name each graded exercise of the lab, in the notebook's order?"""
    walked = [e for e in estimates[lab]["exercises"] if e not in ("setup", "closing")]
    assert walked == _answer_ids(lab)


@pytest.mark.parametrize("lab", WALKED)
def test_the_quoted_estimate_is_the_rule_applied_today(lab: str, estimates: dict) -> None:
    """Is the committed figure the module page quotes what the rule gives on today's files?"""
    committed = json.loads(RESULTS.read_text(encoding="utf-8"))["figures"]["labs"][lab]
    fresh = estimates[lab]
    for bound in ("minutes_low", "minutes_high"):
        assert abs(committed[bound] - fresh[bound]) <= 2, (
            f"{lab} {bound}: committed {committed[bound]}, now {fresh[bound]}: run "
            "`python tools/course_numbers.py --only lab_walkthroughs`"
        )


@pytest.mark.parametrize("lab", WALKED)
def test_a_fluent_learner_finishes_within_the_limit(lab: str, estimates: dict) -> None:
    """Does the walk-through's lower estimate (a fluent learner) stay within the 90 minutes?"""
    assert estimates[lab]["minutes_low"] <= LIMIT_MINUTES, estimates[lab]["minutes_low"]


@pytest.mark.parametrize("lab", WALKED)
@pytest.mark.xfail(
    strict=True,
    reason="labs 6 and 7 were cut (issues 18, 19) and a fluent learner now finishes within 90 "
    "minutes, but the walk-throughs still estimate more for a typical learner; strict, so a lab "
    "that gets there turns this red",
)
def test_a_typical_learner_finishes_within_the_limit(lab: str, estimates: dict) -> None:
    """Does the walk-through's upper estimate stay within the issue's 90 minutes?"""
    assert estimates[lab]["minutes_high"] <= LIMIT_MINUTES, estimates[lab]["minutes_high"]


def test_the_rule_charges_each_measured_quantity(estimates: dict) -> None:
    """Do more words, lines, runs, concepts or open issues each make an exercise take longer?"""
    base = {
        "notebook_words": 200,
        "lesson_words": 300,
        "lines_logic": 10,
        "lines_literal": 0,
        "words_written": 0,
        "check_runs": 1,
        "new_concepts": ["x"],
        "issues": [{"text": "t", "fixed": "yes"}],
    }
    before = walk.estimate(base)
    assert 0 < before.low < before.high
    for key, more in [
        ("notebook_words", 400),
        ("lesson_words", 600),
        ("lines_logic", 20),
        ("lines_literal", 5),
        ("words_written", 50),
        ("check_runs", 2),
        ("new_concepts", ["x", "y"]),
        ("issues", [{"text": "t", "fixed": None}]),
    ]:
        after = walk.estimate({**base, key: more})
        assert after.low > before.low and after.high > before.high, key


def test_an_entry_that_is_no_exercise_of_the_lab_is_refused(tmp_path: Path) -> None:
    """Does a typo in an exercise id fail with one line naming the file and the id?"""
    lab = tmp_path / "lab06_serving"
    shutil.copytree(ROOT / "labs" / "lab06_serving", lab)
    path = lab / walk.FILE
    path.write_text(path.read_text().replace("id: canary", "id: canery"), encoding="utf-8")
    with pytest.raises(walk.WalkthroughError, match=r"walkthrough\.yml: 'canery' is no answer"):
        walk.load(lab)
