"""cohort.review forms and results: forms a person fills, transparent per-project results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cohort.errors import CohortError
from cohort.review.assign import Assignment, AssignmentResult
from cohort.review.forms import write_forms
from cohort.review.results import collect_reviews, write_results
from cohort.review.rubric import DEFAULT_RUBRIC, load_rubric

ASSIGNED = AssignmentResult(
    assignments=(
        Assignment("g1", "s3"),
        Assignment("g1", "s4"),
        Assignment("g2", "s1"),
        Assignment("g2", "s2"),
    ),
    per_project=2,
    seed=0,
)


def _fill(path: Path, scores: dict[str, int | None]) -> None:
    """Fill every criterion of every project in a form, as a reviewer would in an editor."""
    form = yaml.safe_load(path.read_text())
    for review in form["reviews"]:
        for cid in review["scores"]:
            review["scores"][cid] = {
                "score": scores.get(cid, 3),
                "comment": f"{cid} by {form['reviewer']}",
            }
    path.write_text(yaml.safe_dump(form))


def test_forms_list_each_reviewers_projects_and_criteria(tmp_path) -> None:
    """Does each reviewer get one form with only their projects and every criterion empty?"""
    rubric = load_rubric()
    paths = write_forms(assignments=ASSIGNED, rubric=rubric, out_dir=tmp_path)
    assert sorted(p.stem for p in paths) == ["s1", "s2", "s3", "s4"]
    text = (tmp_path / "s3.yml").read_text()
    form = yaml.safe_load(text)
    assert [r["project"] for r in form["reviews"]] == ["g1"]
    assert list(form["reviews"][0]["scores"]) == rubric.ids
    assert "Reproducible pipeline" in text  # criteria are explained in the form


def test_results_show_every_reviewer_and_flag_disagreement(tmp_path) -> None:
    """Are all scores and comments shown per reviewer, and a 2-point spread flagged?"""
    rubric = load_rubric()
    forms = tmp_path / "forms"
    write_forms(assignments=ASSIGNED, rubric=rubric, out_dir=forms)
    _fill(forms / "s3.yml", {"pipeline": 4})
    _fill(forms / "s4.yml", {"pipeline": 1})
    _fill(forms / "s1.yml", {})
    (forms / "s2.yml").unlink()  # s2 never handed in
    results = collect_reviews(forms_dir=forms, rubric=rubric, assignments=ASSIGNED)
    g1, g2 = results.projects
    assert g1.flagged == ["pipeline"]
    pipeline = next(c for c in g1.criteria if c.criterion == "pipeline")
    assert pipeline.scores == {"s3": 4, "s4": 1}
    assert pipeline.comments["s4"] == "pipeline by s4"
    assert g2.missing == ["s2"] and g2.flagged == [] and g2.mean == 3.0
    out = write_results(results, rubric, tmp_path / "results")
    page = (tmp_path / "results" / "g1.md").read_text()
    assert "reviewers disagree" in page and "| s4 | 1 | pipeline by s4 |" in page
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["projects"][0]["criteria"][1]["reviews"]["s3"]["score"] == 4
    assert {p.name for p in out} >= {"g1.md", "g2.md", "results.json", "summary.csv"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f["reviews"][0]["scores"]["problem"].update(score=9), "outside 0..4"),
        (lambda f: f["reviews"][0]["scores"]["problem"].update(score="good"), "not a whole number"),
        (lambda f: f["reviews"][0].update(project="g2"), "not assigned to review project 'g2'"),
        (lambda f: f["reviews"][0]["scores"].update(style={"score": 1}), "unknown criteria style"),
    ],
)
def test_bad_forms_are_clear_errors(tmp_path, edit, message: str) -> None:
    """Does a form with a wrong score, project or criterion raise one clear error?"""
    rubric = load_rubric()
    write_forms(assignments=ASSIGNED, rubric=rubric, out_dir=tmp_path)
    form = yaml.safe_load((tmp_path / "s3.yml").read_text())
    edit(form)
    (tmp_path / "s3.yml").write_text(yaml.safe_dump(form))
    with pytest.raises(CohortError, match=message):
        collect_reviews(forms_dir=tmp_path, rubric=rubric, assignments=ASSIGNED)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("criteria: []", "non-empty list"),
        ("criteria: [{title: x}]", "needs an id"),
        (": [", "not valid YAML"),
    ],
)
def test_bad_rubric(tmp_path, text: str, message: str) -> None:
    """Is an unusable rubric one clear error?"""
    path = tmp_path / "rubric.yml"
    path.write_text(text)
    with pytest.raises(CohortError, match=message):
        load_rubric(path)


def test_default_rubric_loads() -> None:
    """Does the shipped rubric load with its scale and threshold?"""
    rubric = load_rubric(DEFAULT_RUBRIC)
    assert (rubric.scale_min, rubric.scale_max, rubric.disagreement) == (0, 4, 2)
