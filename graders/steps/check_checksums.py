"""Learner-side tamper check: compare locked cells with the checksums written at release.

The learner has no gradebook, so this uses what the released notebook carries: each locked cell's
nbgrader checksum and the list of instructor cells (``metadata.mlops_grader``). Autograde does
not trust these (a student can edit them); it uses `detect_tampering` against the gradebook.
"""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import Notebook, StepContext


class CheckChecksums:
    """Add ``edited-*`` and ``deleted-*`` findings to ``ctx.tampering``."""

    name = "check_checksums"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        present: set[str] = set()
        for cell in nb.get("cells", []):
            gid = C.grade_id(cell)
            if gid:
                present.add(gid)
            stored = C.nbmeta(cell).get("checksum")
            if C.is_locked(cell) and stored and stored != C.compute_checksum(cell):
                kind = "edited-test-cell" if C.is_test(cell) else "edited-locked-cell"
                ctx.tampering.append(f"{kind}:{gid}")
        expected = nb.get("metadata", {}).get(C.OUR_KEY, {}).get("instructor_cells", [])
        for gid in expected:
            if isinstance(gid, str) and gid not in present:
                ctx.tampering.append(f"deleted-cell:{gid}")
        return nb
