"""The audit rubric as data: items, the MLOps level each belongs to, their ML Test Score tests.

Levels follow Google's "MLOps: Continuous delivery and automation pipelines in machine learning"
(level 0 manual, 1 ML pipeline automation, 2 CI/CD pipeline automation); the test references are
to Breck et al., "The ML Test Score" (2017): D data, M model, I infrastructure, Mon monitoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cohort.audit.checks import Finding
from cohort.audit.checks.operations import check_ci, check_monitoring, check_serving
from cohort.audit.checks.pipeline import (
    check_experiment_tracking,
    check_model_registry,
    check_pipeline,
    check_reproducibility,
)
from cohort.audit.checks.quality import (
    check_data_validation,
    check_evaluation,
    check_model_card,
    check_model_tests,
    check_tests,
)
from cohort.audit.repo import Repo


@dataclass(frozen=True)
class Item:
    """One rubric item and the function that finds its evidence."""

    id: str
    title: str
    mlops_level: int
    ml_test_score: str
    check: Callable[[Repo], Finding]


# Order: level-1 items (the automated pipeline) first, then level-2 items (CI/CD and operations).
ITEMS: tuple[Item, ...] = (
    Item("pipeline", "Pipeline declared", 1, "I3 (pipeline integration)", check_pipeline),
    Item(
        "data_validation",
        "Data validation",
        1,
        "D1 (schema), D5 (data tests)",
        check_data_validation,
    ),
    Item(
        "evaluation",
        "Evaluation as the course teaches",
        1,
        "M-split (time-aware), I5 (gate on the KPI vs champion)",
        check_evaluation,
    ),
    Item(
        "model_tests",
        "Model tests and gate",
        1,
        "M1-M7 (model tests), I5 (gate)",
        check_model_tests,
    ),
    Item(
        "experiment_tracking",
        "Experiment tracking",
        1,
        "M2 (hyper-parameters tracked)",
        check_experiment_tracking,
    ),
    Item(
        "model_registry",
        "Model registry",
        1,
        "I7 (rollback), M-spec (versioned)",
        check_model_registry,
    ),
    Item(
        "reproducibility",
        "Reproducibility (pins, seeds)",
        1,
        "I1 (training reproducible)",
        check_reproducibility,
    ),
    Item("tests", "Tests present (and passing)", 2, "I2 (model spec unit tests)", check_tests),
    Item("ci", "Continuous integration", 2, "I3 (full pipeline in CI)", check_ci),
    Item("serving", "Containerized serving", 2, "I6 (canary / serving checked)", check_serving),
    Item("monitoring", "Monitoring", 2, "Mon1-Mon7 (drift, staleness, quality)", check_monitoring),
    Item("model_card", "Model card filled in", 2, "M-doc (model reporting)", check_model_card),
)

# Beyond all its items being at least partial, a level needs its key item complete (2).
KEY_ITEM = {1: "pipeline", 2: "ci"}


def mlops_level(levels: dict[str, int]) -> int:
    """Highest level L whose items (and lower ones) are all >= 1 and whose key item is 2."""
    reached = 0
    for level in (1, 2):
        items = [i.id for i in ITEMS if i.mlops_level <= level]
        if all(levels[i] >= 1 for i in items) and levels[KEY_ITEM[level]] == 2:
            reached = level
        else:
            break
    return reached
