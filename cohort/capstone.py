"""The capstone's milestones (one peer-review rubric each) and how the final grade is formed.

Milestone rubrics live in `cohort/rubrics/capstone/m*.yml` (the peer-review format plus the
milestone's deliverables); the weights in `cohort/rubrics/capstone/grade.yml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cohort.errors import CohortError
from cohort.review.rubric import Rubric, load_rubric

CAPSTONE_DIR = Path(__file__).resolve().parent / "rubrics" / "capstone"


@dataclass(frozen=True)
class Milestone:
    """One milestone: its id (m1..m8), the module it follows, what to hand in, its rubric."""

    id: str
    module: int
    deliverables: tuple[str, ...]
    rubric: Rubric
    path: Path


def load_milestones(folder: Path = CAPSTONE_DIR) -> list[Milestone]:
    """Every milestone rubric in `folder`, in milestone order."""
    out = []
    for path in sorted(folder.glob("m*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        info = raw.get("milestone") or {}
        if not info.get("id") or "module" not in info or not raw.get("deliverables"):
            raise CohortError(f"{path.name}: needs milestone.id, milestone.module, deliverables")
        out.append(
            Milestone(
                id=str(info["id"]),
                module=int(info["module"]),
                deliverables=tuple(str(d) for d in raw["deliverables"]),
                rubric=load_rubric(path),
                path=path,
            )
        )
    return sorted(out, key=lambda m: int(m.id[1:]))


@dataclass(frozen=True)
class Weights:
    """Points out of 100 for each milestone, the final audit and the live drill."""

    milestones: dict[str, float]
    audit: float
    drill: float

    @property
    def total(self) -> float:
        return sum(self.milestones.values()) + self.audit + self.drill


def load_weights(path: Path = CAPSTONE_DIR / "grade.yml") -> Weights:
    """The grade's weights; CohortError unless they add up to 100."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    weights = Weights(
        milestones={str(k): float(v) for k, v in (raw.get("milestones") or {}).items()},
        audit=float(raw.get("audit", 0)),
        drill=float(raw.get("drill", 0)),
    )
    if abs(weights.total - 100) > 1e-9:
        raise CohortError(f"{path.name}: the weights add up to {weights.total:g}, not 100")
    return weights


def final_grade(
    *, weights: Weights, milestones: dict[str, float], audit: float, drill: float
) -> float:
    """Grade out of 100 from shares in [0, 1]: each milestone's rubric score / its maximum, the
    final audit's points / possible, the drill's score."""
    missing = sorted(set(weights.milestones) - set(milestones))
    if missing:
        raise CohortError(f"no score for milestone(s) {', '.join(missing)}")
    shares = {**milestones, "audit": audit, "drill": drill}
    bad = [k for k, v in shares.items() if not 0.0 <= v <= 1.0]
    if bad:
        raise CohortError(f"scores must be shares between 0 and 1: {', '.join(sorted(bad))}")
    points = sum(w * milestones[m] for m, w in weights.milestones.items())
    return round(points + weights.audit * audit + weights.drill * drill, 2)
