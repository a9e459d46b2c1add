"""Peer-review rubric: criteria scored on one integer scale, loaded from YAML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cohort.errors import CohortError

DEFAULT_RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "peer_review.yml"


@dataclass(frozen=True)
class Criterion:
    """One thing reviewers score."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Rubric:
    """Criteria, the score scale and the spread that counts as disagreement."""

    title: str
    criteria: tuple[Criterion, ...]
    scale_min: int = 0
    scale_max: int = 4
    labels: tuple[tuple[int, str], ...] = ()
    disagreement: int = 2

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.criteria]


def _criterion(raw: Any, path: Path) -> Criterion:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise CohortError(f"rubric {path.name}: every criterion needs an id")
    return Criterion(
        id=str(raw["id"]),
        title=str(raw.get("title", raw["id"])),
        description=str(raw.get("description", "")),
    )


def load_rubric(path: Path = DEFAULT_RUBRIC) -> Rubric:
    """Read a rubric YAML; raise `CohortError` when it is unreadable or malformed."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CohortError(f"cannot read rubric {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CohortError(
            f"rubric {path.name} is not valid YAML: {str(exc).splitlines()[0]}"
        ) from exc
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("criteria"), list)
        or not raw["criteria"]
    ):
        raise CohortError(f"rubric {path.name} needs a non-empty list under 'criteria'")
    criteria = tuple(_criterion(c, path) for c in raw["criteria"])
    ids = [c.id for c in criteria]
    if len(set(ids)) != len(ids):
        raise CohortError(f"rubric {path.name}: duplicate criterion ids")
    scale = raw.get("scale") or {}
    try:
        low, high = int(scale.get("min", 0)), int(scale.get("max", 4))
        disagreement = int(raw.get("disagreement", max(1, (high - low) // 2)))
        labels = tuple(sorted((int(k), str(v)) for k, v in (scale.get("labels") or {}).items()))
    except (TypeError, ValueError, AttributeError) as exc:
        raise CohortError(
            f"rubric {path.name}: scale min/max/labels and disagreement must be integers"
        ) from exc
    if high <= low:
        raise CohortError(f"rubric {path.name}: scale max must be above min")
    return Rubric(
        title=str(raw.get("title", "Peer review")),
        criteria=criteria,
        scale_min=low,
        scale_max=high,
        labels=labels,
        disagreement=disagreement,
    )
