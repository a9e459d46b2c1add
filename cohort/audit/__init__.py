"""Maturity audit of a group repository against Google's MLOps levels and the ML Test Score.

It only reads files; it runs the group's tests only when asked, and then in the grading sandbox.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cohort.audit.checks.quality import NOT_RUN
from cohort.audit.gitinfo import head_commit
from cohort.audit.repo import Repo
from cohort.audit.result import AuditResult, ItemResult, Reproduction, TestRun
from cohort.audit.rubric import ITEMS, mlops_level


def audit_repo(
    *, path: Path, run_tests: bool = False, allow_unsandboxed: bool = False
) -> AuditResult:
    """Score the repository at `path`; `run_tests` also runs its pytest suite, sandboxed."""
    repo = Repo.scan(path)
    items = []
    for item in ITEMS:
        finding = item.check(repo)
        items.append(
            ItemResult(
                id=item.id,
                title=item.title,
                level=finding.level,
                evidence=finding.evidence,
                missing=finding.missing,
                mlops_level=item.mlops_level,
                ml_test_score=item.ml_test_score,
            )
        )
    test_run = reproduction = None
    if run_tests:
        from cohort.audit.reproduce import reproduce_sandboxed
        from cohort.audit.run_tests import run_tests_sandboxed

        test_run = run_tests_sandboxed(repo_root=repo.root, allow_unsandboxed=allow_unsandboxed)
        items = [_with_test_run(i, test_run) if i.id == "tests" else i for i in items]
        reproduction = reproduce_sandboxed(repo_root=repo.root, allow_unsandboxed=allow_unsandboxed)
        if reproduction is not None:
            items = [
                _with_reproduction(i, reproduction) if i.id == "reproducibility" else i
                for i in items
            ]
    level = mlops_level({i.id: i.level for i in items})
    return AuditResult(
        repo=str(path),
        items=items,
        mlops_level=level,
        test_run=test_run,
        skipped=repo.skipped,
        commit=head_commit(repo.root),
        reproduction=reproduction,
    )


def _with_reproduction(item: ItemResult, rerun: Reproduction) -> ItemResult:
    """Committed metrics that a clean copy's pipeline does not give back cap the item at 1."""
    if rerun.same:
        line = "pipeline rerun from a clean copy: the committed metrics came back"
        return replace(item, evidence=[*item.evidence, line])
    why = rerun.detail or "metrics moved: " + "; ".join(rerun.differences[:3])
    return replace(
        item,
        level=min(item.level, 1),
        missing=[*item.missing, f"not reproduced from a clean copy ({why})"],
    )


def _with_test_run(item: ItemResult, run: TestRun) -> ItemResult:
    """Add the sandboxed run as evidence: a passing run completes a big enough suite; failing
    (or no) tests cap the item at partial."""
    line = f"sandboxed run ({run.backend}): {run.passed} passed, {run.failed} failed"
    if run.ok and run.mutant_failed == 0:
        return replace(
            item,
            level=min(item.level, 1),
            evidence=[*item.evidence, line],
            missing=[
                *(m for m in item.missing if not m.startswith(NOT_RUN)),
                "the tests all pass with a broken model (every Pipeline predicting a constant): "
                "test what the model predicts",
            ],
        )
    if run.ok:
        line += f"; {run.mutant_failed} fail with a broken model"
        # A suite big enough that only lacked a run earns the level now that it passed.
        missing = [m for m in item.missing if not m.startswith(NOT_RUN)]
        level = 2 if item.level == 1 and not missing else item.level
        return replace(item, level=level, evidence=[*item.evidence, line], missing=missing)
    return replace(
        item,
        level=min(item.level, 1),
        evidence=[*item.evidence, line],
        missing=[*item.missing, "make the tests pass"],
    )
