"""Every grading pipeline, declared in one place as an ordered list of steps.

Ordering constraints are written next to the steps that need them.
"""

from __future__ import annotations

from graders.steps.base import Notebook, Step, StepContext
from graders.steps.check_checksums import CheckChecksums
from graders.steps.check_markers import CheckMarkers
from graders.steps.clear_hidden_tests import ClearHiddenTests
from graders.steps.clear_outputs import ClearOutputs
from graders.steps.clear_solutions import ClearSolutions
from graders.steps.collect_leak_lines import CollectLeakLines
from graders.steps.compute_checksums import ComputeChecksums
from graders.steps.detect_tampering import DetectTampering
from graders.steps.lock_cells import LockCells
from graders.steps.record_instructor_cells import RecordInstructorCells
from graders.steps.restore_locked_cells import RestoreLockedCells
from graders.steps.scan_leaks import ScanLeaks

# source/<lab> -> release/<lab>
RELEASE: list[Step] = [
    CheckMarkers(),  # first: refuse before anything is changed or written
    CollectLeakLines(),  # before ClearSolutions: needs the solutions to know what must not leak
    ClearSolutions(),
    ClearOutputs(),
    LockCells(),  # before checksums: `locked` is part of nbgrader's checksum
    ComputeChecksums(),  # checksum of the complete instructor cell, as nbgrader's SaveCells sees it
    RecordInstructorCells("source"),  # before ClearHiddenTests: autograde restores hidden tests
    ClearHiddenTests(),
    ComputeChecksums(),  # again: the released checksum is what a student's edit is compared to
    RecordInstructorCells("released"),
    ScanLeaks(),  # last: scans exactly what will be written
]

# submitted/<student>/<lab> -> the notebook that is executed and scored
AUTOGRADE: list[Step] = [
    DetectTampering(),  # before RestoreLockedCells, which erases the evidence
    RestoreLockedCells(),  # before execution: tests run as recorded, never as submitted
    ClearOutputs(),
]

# a learner's own notebook -> public tests only (`check`); no gradebook on the learner's side
CHECK: list[Step] = [
    CheckChecksums(),  # before ClearHiddenTests, which changes the cells it compares
    ClearHiddenTests(),  # check never runs hidden tests, even on an instructor's source notebook
    ClearOutputs(),
]


def run_pipeline(steps: list[Step], nb: Notebook, ctx: StepContext) -> Notebook:
    """Apply ``steps`` in order; a step may raise `StepError` to refuse the notebook."""
    for step in steps:
        nb = step(nb, ctx)
    return nb
