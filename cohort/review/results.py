"""Collect filled forms into per-project results: every score and comment, disagreement flagged."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from cohort.errors import CohortError
from cohort.review.assign import AssignmentResult
from cohort.review.forms import Score, read_form
from cohort.review.rubric import Rubric


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of one project: each reviewer's score and comment, mean, spread, flag."""

    criterion: str
    title: str
    scores: dict[str, int | None]
    comments: dict[str, str]
    disagreement_at: int

    @property
    def given(self) -> list[int]:
        return [s for s in self.scores.values() if s is not None]

    @property
    def mean(self) -> float | None:
        return round(mean(self.given), 2) if self.given else None

    @property
    def spread(self) -> int:
        return max(self.given) - min(self.given) if len(self.given) > 1 else 0

    @property
    def disagreement(self) -> bool:
        return self.spread >= self.disagreement_at


@dataclass(frozen=True)
class ProjectResult:
    """A project's results across criteria, plus which reviewers have not handed in."""

    project: str
    reviewers: list[str]
    criteria: list[CriterionResult]
    missing: list[str] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        means = [c.mean for c in self.criteria if c.mean is not None]
        return round(mean(means), 2) if means else None

    @property
    def flagged(self) -> list[str]:
        return [c.criterion for c in self.criteria if c.disagreement]

    def to_dict(self) -> dict[str, object]:
        return {
            "project": self.project,
            "mean": self.mean,
            "reviewers": self.reviewers,
            "missing_reviews": self.missing,
            "disagreement": self.flagged,
            "criteria": [
                {
                    "id": c.criterion,
                    "title": c.title,
                    "mean": c.mean,
                    "spread": c.spread,
                    "disagreement": c.disagreement,
                    "reviews": {
                        r: {"score": c.scores[r], "comment": c.comments[r]} for r in c.scores
                    },
                }
                for c in self.criteria
            ],
        }


@dataclass(frozen=True)
class ReviewResults:
    """All projects' results."""

    projects: list[ProjectResult]
    forms_read: int

    def to_dict(self) -> dict[str, object]:
        return {"forms_read": self.forms_read, "projects": [p.to_dict() for p in self.projects]}


def collect_reviews(
    *, forms_dir: Path, rubric: Rubric, assignments: AssignmentResult
) -> ReviewResults:
    """Read every `*.yml` form in `forms_dir` and build per-project results."""
    if not forms_dir.is_dir():
        raise CohortError(f"forms folder {forms_dir} does not exist")
    forms = sorted(forms_dir.glob("*.yml")) + sorted(forms_dir.glob("*.yaml"))
    scores: list[Score] = []
    for path in forms:
        scores.extend(read_form(path, rubric=rubric, assignments=assignments))
    table = {(s.project, s.reviewer, s.criterion): s for s in scores}
    projects = []
    for project in sorted({a.project for a in assignments.assignments}):
        reviewers = sorted(assignments.reviewers_of(project))
        criteria = []
        for c in rubric.criteria:
            cells = {r: table.get((project, r, c.id)) for r in reviewers}
            criteria.append(
                CriterionResult(
                    criterion=c.id,
                    title=c.title,
                    scores={r: s.score if s else None for r, s in cells.items()},
                    comments={r: s.comment if s else "" for r, s in cells.items()},
                    disagreement_at=rubric.disagreement,
                )
            )
        missing = [r for r in reviewers if all(c.scores[r] is None for c in criteria)]
        projects.append(
            ProjectResult(project=project, reviewers=reviewers, criteria=criteria, missing=missing)
        )
    return ReviewResults(projects=projects, forms_read=len(forms))


def project_markdown(result: ProjectResult, rubric: Rubric) -> str:
    """The page a group receives: each criterion, each reviewer's score and comment."""
    lines = [f"# {rubric.title}: project {result.project}", ""]
    lines.append(
        f"Mean score: **{result.mean if result.mean is not None else '–'}** "
        f"on {rubric.scale_min}..{rubric.scale_max}, from {len(result.reviewers)} reviewers."
    )
    if result.missing:
        lines.append(f"Not yet handed in: {', '.join(result.missing)}.")
    for c in result.criteria:
        flag = " ⚠ reviewers disagree" if c.disagreement else ""
        lines += [
            "",
            f"## {c.title} (mean {c.mean if c.mean is not None else '–'}, spread {c.spread}){flag}",
            "",
        ]
        lines += ["| reviewer | score | comment |", "|---|---|---|"]
        for r in result.reviewers:
            score = "–" if c.scores[r] is None else str(c.scores[r])
            comment = c.comments[r].replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {r} | {score} | {comment} |")
    return "\n".join(lines) + "\n"


def write_results(results: ReviewResults, rubric: Rubric, out_dir: Path) -> list[Path]:
    """Write `<project>.md` per project, `results.json` and a `summary.csv`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in results.projects:
        path = out_dir / f"{p.project}.md"
        path.write_text(project_markdown(p, rubric), encoding="utf-8")
        paths.append(path)
    data = out_dir / "results.json"
    data.write_text(
        json.dumps(results.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    summary = out_dir / "summary.csv"
    with summary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["project", "mean", *rubric.ids, "disagreement", "missing_reviews"])
        for p in results.projects:
            writer.writerow(
                [
                    p.project,
                    p.mean,
                    *[c.mean for c in p.criteria],
                    ";".join(p.flagged),
                    ";".join(p.missing),
                ]
            )
    return [*paths, data, summary]
