"""Per-reviewer review forms (YAML a person can fill in with any editor) and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cohort.errors import CohortError
from cohort.review.assign import AssignmentResult
from cohort.review.rubric import Rubric


@dataclass(frozen=True)
class Score:
    """One reviewer's score and comment for one criterion of one project."""

    project: str
    reviewer: str
    criterion: str
    score: int | None
    comment: str


def _scale_line(rubric: Rubric) -> str:
    labels = ", ".join(f"{k} = {v}" for k, v in rubric.labels)
    return f"{rubric.scale_min}..{rubric.scale_max}" + (f" ({labels})" if labels else "")


def render_form(*, reviewer: str, projects: list[str], rubric: Rubric) -> str:
    """The YAML text of one reviewer's form, with the criteria explained in comments."""
    lines = [
        f"# {rubric.title}: review form of {reviewer}",
        f"# Give every criterion a whole-number score {_scale_line(rubric)} and a comment",
        "# that says why: the reviewed group sees your scores and comments under your id.",
        f"reviewer: {yaml.safe_dump(reviewer).splitlines()[0]}",
        "reviews:",
    ]
    for project in projects:
        lines += [f"  - project: {yaml.safe_dump(project).splitlines()[0]}", "    scores:"]
        for c in rubric.criteria:
            lines.append(f"      # {c.title}: {c.description}".rstrip(": "))
            lines.append(f'      {c.id}: {{score: null, comment: ""}}')
    return "\n".join(lines) + "\n"


def write_forms(*, assignments: AssignmentResult, rubric: Rubric, out_dir: Path) -> list[Path]:
    """Write `<reviewer>.yml` per reviewer into `out_dir`; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for reviewer in sorted({a.reviewer for a in assignments.assignments}):
        path = out_dir / f"{reviewer}.yml"
        path.write_text(
            render_form(
                reviewer=reviewer, projects=assignments.projects_of(reviewer), rubric=rubric
            ),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def _score(value: Any, where: str, rubric: Rubric) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CohortError(f"{where}: score {value!r} is not a whole number")
    if not rubric.scale_min <= value <= rubric.scale_max:
        raise CohortError(
            f"{where}: score {value} is outside {rubric.scale_min}..{rubric.scale_max}"
        )
    return value


def read_form(path: Path, *, rubric: Rubric, assignments: AssignmentResult) -> list[Score]:
    """Scores of one filled form; raise `CohortError` on anything a reviewer could get wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CohortError(
            f"form {path.name} cannot be read as YAML: {str(exc).splitlines()[0]}"
        ) from exc
    if (
        not isinstance(raw, dict)
        or "reviewer" not in raw
        or not isinstance(raw.get("reviews"), list)
    ):
        raise CohortError(f"form {path.name} needs 'reviewer' and a list under 'reviews'")
    reviewer = str(raw["reviewer"])
    allowed = set(assignments.projects_of(reviewer))
    scores: list[Score] = []
    for review in raw["reviews"]:
        if not isinstance(review, dict) or not isinstance(review.get("scores", {}), dict):
            raise CohortError(
                f"form {path.name}: each review needs 'project' and a 'scores' mapping"
            )
        project = str(review.get("project", ""))
        if project not in allowed:
            raise CohortError(
                f"form {path.name}: {reviewer} was not assigned to review project {project!r}"
            )
        given = review.get("scores") or {}
        unknown = set(given) - set(rubric.ids)
        if unknown:
            raise CohortError(
                f"form {path.name}, {project}: unknown criteria {', '.join(sorted(unknown))}"
            )
        for cid in rubric.ids:
            entry = given.get(cid) or {}
            if not isinstance(entry, dict):
                raise CohortError(
                    f"form {path.name}, {project}.{cid}: expected {{score: ..., comment: ...}}"
                )
            where = f"form {path.name}, {project}.{cid}"
            scores.append(
                Score(
                    project=project,
                    reviewer=reviewer,
                    criterion=cid,
                    score=_score(entry.get("score"), where, rubric),
                    comment=str(entry.get("comment") or "").strip(),
                )
            )
    return scores
