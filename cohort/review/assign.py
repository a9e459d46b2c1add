"""Assign reviewers to projects: never from the project's own group, load balanced, seeded."""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cohort.errors import CohortError


@dataclass(frozen=True)
class Assignment:
    """Reviewer `reviewer` (a student id) reviews the project of group `project`."""

    project: str
    reviewer: str


@dataclass(frozen=True)
class AssignmentResult:
    """All assignments plus the load of each reviewer."""

    assignments: tuple[Assignment, ...]
    per_project: int
    seed: int

    def load(self) -> Counter[str]:
        return Counter(a.reviewer for a in self.assignments)

    def reviewers_of(self, project: str) -> list[str]:
        return [a.reviewer for a in self.assignments if a.project == project]

    def projects_of(self, reviewer: str) -> list[str]:
        return [a.project for a in self.assignments if a.reviewer == reviewer]


def _rebalance(
    pairs: list[Assignment], home: dict[str, str], students: list[str]
) -> list[Assignment]:
    """Move reviews from the busiest to the idlest reviewer until loads differ by at most one."""
    for _ in range(len(pairs) * len(students)):
        load = Counter(a.reviewer for a in pairs)
        busy = max(students, key=lambda s: (load[s], s))
        idle = min(students, key=lambda s: (load[s], s))
        if load[busy] - load[idle] <= 1:
            break
        for k, a in enumerate(pairs):
            taken = {p.reviewer for p in pairs if p.project == a.project}
            if a.reviewer == busy and home[idle] != a.project and idle not in taken:
                pairs[k] = Assignment(project=a.project, reviewer=idle)
                break
        else:
            break  # no legal move left: accept the best balance found
    return pairs


def assign_reviewers(
    *, groups: dict[str, list[str]], per_project: int = 3, seed: int = 0
) -> AssignmentResult:
    """Give each group's project `per_project` distinct reviewers from the other groups."""
    if per_project < 1:
        raise CohortError(f"each project needs at least one reviewer, got {per_project}")
    home = {sid: gid for gid, members in groups.items() for sid in members}
    students = sorted(home)
    smallest_pool = min(len(students) - len(members) for members in groups.values())
    if per_project > smallest_pool:
        raise CohortError(
            f"{per_project} reviewers per project, but a project has only "
            f"{smallest_pool} reviewers outside its group"
        )
    rng = random.Random(seed)
    tiebreak = {s: rng.random() for s in students}
    load: Counter[str] = Counter()
    pairs: list[Assignment] = []
    projects = sorted(groups)
    rng.shuffle(projects)
    for project in projects:
        pool = [s for s in students if home[s] != project]
        # Least-loaded first; the seeded tiebreak spreads equal loads differently per seed.
        pool.sort(key=lambda s: (load[s], tiebreak[s]))
        for reviewer in pool[:per_project]:
            load[reviewer] += 1
            pairs.append(Assignment(project=project, reviewer=reviewer))
    pairs = _rebalance(pairs, home, students)
    pairs.sort(key=lambda a: (a.project, a.reviewer))
    return AssignmentResult(assignments=tuple(pairs), per_project=per_project, seed=seed)


def write_assignments_csv(result: AssignmentResult, path: Path) -> Path:
    """One row per (project, reviewer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["project", "reviewer"])
        writer.writerows((a.project, a.reviewer) for a in result.assignments)
    return path


def read_assignments_csv(path: Path) -> AssignmentResult:
    """Read back an assignments CSV."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not {"project", "reviewer"} <= set(reader.fieldnames or []):
                raise CohortError(
                    f"assignments file {path.name} needs columns project and reviewer"
                )
            pairs = tuple(
                Assignment(project=r["project"].strip(), reviewer=r["reviewer"].strip())
                for r in reader
            )
    except OSError as exc:
        raise CohortError(f"cannot read assignments {path}: {exc.strerror}") from exc
    if not pairs:
        raise CohortError(f"assignments file {path.name} is empty")
    per = Counter(a.project for a in pairs)
    return AssignmentResult(assignments=pairs, per_project=max(per.values()), seed=-1)
