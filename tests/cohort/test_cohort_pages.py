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


WORKSHOPS = ROOT / "course" / "instructors" / "workshops.md"
PARTS = ("**Objectives.**", "| time | part |", "**Materials.**", "**Debrief with the answers.**",
         "**Facilitator notes.**", "**Remote variant.**")  # fmt: skip


def _workshop_sections() -> dict[int, str]:
    text = WORKSHOPS.read_text(encoding="utf-8")
    parts = re.split(r"^## Module (\d) · ", text, flags=re.M)
    return {int(n): body for n, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_every_module_has_a_workshop_plan_with_its_parts() -> None:
    """Modules 0-9 each have a 60-90 minute plan with objectives, timings, warm-up, a breakout,
    materials, a debrief with answers, facilitator notes and a remote variant."""
    sections = _workshop_sections()
    assert sorted(sections) == list(range(10))
    for module, body in sections.items():
        missing = [p for p in PARTS if p not in body]
        assert not missing, (module, missing)
        minutes = int(re.search(r"<!-- schedule:workshop \d -->, (\d+) minutes", body).group(1))
        assert 60 <= minutes <= 90 and f"schedule:workshop {module} " in body
        assert "| warm-up |" in body and re.search(r"\| breakout", body), module
        ends = [int(m) for m in re.findall(r"^\| \d+–(\d+) \|", body, re.M)]
        assert ends and ends[-1] == minutes and ends == sorted(ends), (module, ends)


def test_workshop_materials_are_files_of_this_repository() -> None:
    """Does every path a plan lists as material exist (so a facilitator can open it)?"""
    missing = []
    for module, body in _workshop_sections().items():
        materials = body.split("**Materials.**", 1)[1].split("**Debrief", 1)[0]
        for path in re.findall(r"`([\w./{}-]+/[\w./{}-]*)`", materials):
            if not (ROOT / path).exists():
                missing.append((module, path))
    assert not missing


def test_ama_page_has_its_parts() -> None:
    """Questions collected in advance, the session, the growing FAQ, office hours, norms."""
    text = (ROOT / "course" / "instructors" / "ama.md").read_text(encoding="utf-8")
    headings = ["## Before: collect questions in advance", "## During: 45 minutes"]
    headings += ["## After: the FAQ grows per cohort", "## Office hours", "## Community norms"]
    assert all(h in text for h in headings)


def test_drill_page_states_the_codes_incidents_and_weights() -> None:
    """Do the drill page's numbers (weights, drift size, burst) match the code?"""
    import inspect

    from cohort.drill.score import WEIGHTS
    from cohort.drill.traffic import DRIFT_SDS, WINDOWS, build_traffic

    page = (ROOT / "course" / "09-capstone" / "03-live-drill.md").read_text(encoding="utf-8")
    burst = inspect.signature(build_traffic).parameters["burst"].default
    assert WEIGHTS == {"availability": 0.4, "latency": 0.2, "kpi": 0.2, "monitor": 0.2}
    assert "0.4 for availability and 0.2 for each of the others" in page
    words = {3: "three", 8: "eight"}
    assert f"shifted by {words[int(DRIFT_SDS)]} standard deviations" in page
    assert f"requests come {words[burst]} at a time" in page
    for k, name in enumerate(WINDOWS, 1):
        assert f"| {k} · {name} |" in page


def test_learner_page_states_what_a_fresh_template_earns(generated_project) -> None:  # noqa: ANN001
    """Is the 'fresh template' sentence on the learners' page what the audit gives today?"""
    from cohort.audit import audit_repo

    result = audit_repo(path=generated_project)
    text = LEARNERS.read_text(encoding="utf-8")
    said = re.search(r"scores \*\*level (\d), (\d+)\s+of (\d+)\*\*", text)
    assert said, "the learners' page lost its sentence on a fresh template"
    assert said.groups() == (str(result.mlops_level), str(result.points), str(result.possible))
