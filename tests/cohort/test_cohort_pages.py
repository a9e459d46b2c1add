"""The group-project pages agree with the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

from cohort.audit.rubric import ITEMS
from cohort.cli import app, review_app

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = ROOT / "course" / "project" / "index.md"
INSTRUCTORS = ROOT / "course" / "project" / "instructors.md"


def test_learner_page_lists_every_audit_item_with_its_level() -> None:
    """Does the audit table on the learners' page match the rubric in cohort/audit/rubric.py?"""
    rows = re.findall(r"^\| ([^|]+?) \| L(\d) \|", LEARNERS.read_text(encoding="utf-8"), re.M)
    assert rows == [(item.title, str(item.mlops_level)) for item in ITEMS]


def test_instructor_page_shows_every_command() -> None:
    """Is every mlops-cohort command used on the instructors' page?"""
    text = INSTRUCTORS.read_text(encoding="utf-8")
    commands = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]
    commands += [f"review {c.name}" for c in review_app.registered_commands]
    missing = [c for c in commands if f"mlops-cohort {c}" not in text]
    assert not missing


def test_roster_on_the_page_forms_groups() -> None:
    """Does the roster included on the instructors' page actually form three groups?"""
    from cohort.groups import form_groups
    from cohort.roster import read_roster

    students = read_roster(ROOT / "tests" / "cohort" / "fixtures" / "roster.csv")
    result = form_groups(students=students, size=4, seed=2026)
    assert [len(g.members) for g in result.groups] == [4, 4, 4]
