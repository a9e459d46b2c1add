"""The SQLite gradebook: nbgrader's tables (formgrader can manual-grade on it) plus ours.

One writer (the parent process of a run), WAL journal, one transaction per submission: a
``kill -9`` mid-run loses nothing already graded. Regrading a submission first deletes its old
rows, so no stale grade survives.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graders.errors import GraderError
from graders.gradebook_schema import NBGRADER_ALEMBIC_HEAD, NBGRADER_SCHEMA, OUR_SCHEMA
from graders.results import SubmissionResult, is_ungraded
from graders.steps.base import InstructorCell

COURSE_ID = "default_course"


@dataclass
class LabNotebook:
    """A released notebook of a lab as the gradebook recorded it."""

    name: str
    cells: dict[str, InstructorCell] = field(default_factory=dict)

    @property
    def order(self) -> list[str]:
        return [gid for gid, _ in sorted(self.cells.items(), key=lambda kv: kv[1].index)]

    @property
    def possible(self) -> float:
        return round(sum(c.points for c in self.cells.values() if c.test), 6)

    @property
    def hidden_tests(self) -> int:
        return sum(c.hidden_tests for c in self.cells.values())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Gradebook:
    """A gradebook file; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(NBGRADER_SCHEMA + OUR_SCHEMA)  # idempotent: IF NOT EXISTS
        with self.transaction():
            if not self.db.execute("SELECT 1 FROM alembic_version").fetchone():
                self.db.execute("INSERT INTO alembic_version VALUES (?)", (NBGRADER_ALEMBIC_HEAD,))
            self.db.execute("INSERT OR IGNORE INTO course (id) VALUES (?)", (COURSE_ID,))

    @classmethod
    def open_existing(cls, path: Path) -> Gradebook:
        if not Path(path).is_file():
            raise GraderError(f"no gradebook at {path}: release a lab first")
        return cls(path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _insert(self, table: str, **row: Any) -> sqlite3.Cursor:
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        return self.db.execute(
            f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values())
        )

    def _one(self, sql: str, *args: Any) -> Any:
        row = self.db.execute(sql, args).fetchone()
        return row[0] if row else None

    # -- release -------------------------------------------------------------------------------
    def record_release(
        self, lab: str, notebooks: dict[str, list[InstructorCell]], *, reason: str = ""
    ) -> int:
        """Record a lab's instructor cells (a new revision), in nbgrader's tables and ours.

        What each earlier revision released stays recorded (`mlops_released_cell`), so that a
        submission made from it is not taken for tampering. Returns the new revision number.
        """
        with self.transaction() as db:
            revision = 1 + int(
                self._one("SELECT MAX(revision) FROM mlops_revision WHERE lab=?", lab) or 0
            )
            db.execute(
                "INSERT INTO mlops_released_cell SELECT lab, ?, notebook, grade_id, released_source"
                " FROM mlops_instructor_cell WHERE lab=?",
                (revision - 1, lab),
            )
            db.execute(
                "INSERT INTO mlops_revision VALUES (?,?,?,?)",
                (lab, revision, reason or "first release" if revision == 1 else reason, _now()),
            )
            aid = self._one("SELECT id FROM assignment WHERE name=?", lab)
            if aid is None:
                aid = uuid.uuid4().hex
                db.execute(
                    "INSERT INTO assignment (id, name, course_id) VALUES (?,?,?)",
                    (aid, lab, COURSE_ID),
                )
            db.execute("DELETE FROM mlops_instructor_cell WHERE lab=?", (lab,))
            for name, cells in notebooks.items():
                nid = self._one(
                    "SELECT id FROM notebook WHERE name=? AND assignment_id=?", name, aid
                )
                if nid is None:
                    nid = uuid.uuid4().hex
                    kernelspec = json.dumps({"name": "python3", "language": "python"})
                    self._insert(
                        "notebook", id=nid, name=name, assignment_id=aid, kernelspec=kernelspec
                    )
                for cell in cells:
                    self._record_nbgrader_cell(nid, cell)
                    db.execute(
                        "INSERT INTO mlops_instructor_cell VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (lab, name, cell.grade_id, cell.index, cell.cell_type, cell.source,
                         cell.released_source, cell.checksum, cell.released_checksum,
                         json.dumps(cell.metadata), cell.hidden_tests, cell.cell_id),
                    )  # fmt: skip
        return revision

    def revisions(self, lab: str) -> list[tuple[int, str, str]]:
        """(revision, reason, released at) of every release of ``lab``, oldest first."""
        return [
            (int(r), str(why), str(at))
            for r, why, at in self.db.execute(
                "SELECT revision, reason, released_at FROM mlops_revision WHERE lab=? "
                "ORDER BY revision",
                (lab,),
            )
        ]

    def has_submissions(self, lab: str) -> bool:
        return self._one("SELECT COUNT(*) FROM mlops_submission WHERE lab=?", lab) > 0

    def _record_nbgrader_cell(self, nid: str, cell: InstructorCell) -> None:
        db = self.db
        kinds = []
        if cell.grade:
            kinds.append(("GradeCell", "grade_cells"))
        if cell.solution:
            kinds.append(("SolutionCell", "solution_cells"))
        if cell.metadata.get("task"):
            kinds.append(("TaskCell", "task_cells"))
        for kind, table in kinds:
            cid = self._one(
                "SELECT id FROM base_cell WHERE name=? AND notebook_id=? AND type=?",
                cell.grade_id,
                nid,
                kind,
            )
            if cid is None:
                cid = uuid.uuid4().hex
                db.execute(
                    "INSERT INTO base_cell VALUES (?,?,?,?)", (cid, cell.grade_id, nid, kind)
                )
            if table == "solution_cells":
                db.execute("INSERT OR IGNORE INTO solution_cells VALUES (?)", (cid,))
            else:
                max_score = float(cell.metadata.get("points", 0) or 0)
                db.execute(
                    f"INSERT OR REPLACE INTO {table} VALUES (?,?,?)",
                    (cid, max_score, cell.cell_type),
                )
        db.execute(
            "INSERT INTO source_cell (id, name, cell_type, locked, source, checksum, notebook_id) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT (name, notebook_id) DO UPDATE SET "
            "cell_type=excluded.cell_type, locked=excluded.locked, source=excluded.source, "
            "checksum=excluded.checksum",
            (
                uuid.uuid4().hex,
                cell.grade_id,
                cell.cell_type,
                cell.locked,
                cell.source,
                cell.checksum,
                nid,
            ),
        )

    @staticmethod
    def unknown(kind: str, name: str, known: list[str], first: str | None = None) -> str:
        """One line for a name that is not in the gradebook: the closest known ones, or the
        command that would put it there."""
        import difflib

        close = (
            difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            or [k for k in known if k.startswith(name)][:3]
        )
        if close:
            return f"no {kind} '{name}' in the gradebook; did you mean {', '.join(close)}?"
        listed = f" (known: {', '.join(known[:10])})" if known else ""
        hint = f"; run `{first}` first" if first and not known else ""
        return f"no {kind} '{name}' in the gradebook{listed}{hint}"

    def labs(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute("SELECT DISTINCT lab FROM mlops_instructor_cell ORDER BY lab")
        ]

    def lab_notebooks(self, lab: str) -> dict[str, LabNotebook]:
        """The released notebooks of ``lab``; GraderError when it was never released."""
        rows = self.db.execute(
            "SELECT notebook, grade_id, idx, cell_type, source, released_source, checksum, "
            "released_checksum, metadata, hidden_tests, cell_id FROM mlops_instructor_cell "
            "WHERE lab=? ORDER BY notebook, idx",
            (lab,),
        ).fetchall()
        if not rows:
            raise GraderError(self.unknown("lab", lab, self.labs(), f"mlops-grade release {lab}"))
        earlier: dict[tuple[str, str], list[str]] = {}
        for nb, gid, text in self.db.execute(
            "SELECT notebook, grade_id, released_source FROM mlops_released_cell WHERE lab=? "
            "ORDER BY revision",
            (lab,),
        ):
            earlier.setdefault((nb, gid), []).append(text)
        out: dict[str, LabNotebook] = {}
        for nb, gid, idx, ctype, src, rsrc, chk, rchk, meta, hidden, cid in rows:
            out.setdefault(nb, LabNotebook(nb)).cells[gid] = InstructorCell(
                grade_id=gid, index=idx, cell_type=ctype, source=src, released_source=rsrc,
                checksum=chk, released_checksum=rchk, metadata=json.loads(meta),
                hidden_tests=hidden, cell_id=cid,
                earlier_released=tuple(earlier.get((nb, gid), ())),
            )  # fmt: skip
        return out

    # -- autograde -----------------------------------------------------------------------------
    def start_run(
        self,
        *,
        lab: str,
        backend: str,
        isolating: bool,
        allow_unsandboxed: bool,
        workers: int,
        tasks: int,
    ) -> int:
        with self.transaction():
            cur = self._insert(
                "mlops_run", started_at=_now(), lab=lab, backend=backend, isolating=isolating,
                allow_unsandboxed=allow_unsandboxed, workers=workers, tasks=tasks,
            )  # fmt: skip
            return int(cur.lastrowid or 0)

    def finished(self, lab: str) -> set[str]:
        return {
            r[0]
            for r in self.db.execute("SELECT student FROM mlops_submission WHERE lab=?", (lab,))
        }

    def save_result(self, result: SubmissionResult, *, run_id: int | None = None) -> None:
        """Replace everything recorded for this submission, in one transaction."""
        with self.transaction() as db:
            key = (result.student, result.lab)
            db.execute("DELETE FROM mlops_test_result WHERE student=? AND lab=?", key)
            db.execute(
                "INSERT OR REPLACE INTO mlops_submission VALUES (?,?,?,?,?,?,?,?,?)",
                (*key, result.status, result.total, result.possible, result.sandbox, run_id, _now(),
                 json.dumps(result.to_dict())),
            )  # fmt: skip
            for nb in result.notebooks:
                for t in nb.tests:
                    db.execute(
                        "INSERT OR REPLACE INTO mlops_test_result VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (
                            *key,
                            nb.name,
                            t.name,
                            t.cell,
                            t.points,
                            t.max_points,
                            t.passed,
                            t.hidden,
                            t.message,
                        ),
                    )
            self._save_nbgrader(result)

    def _save_nbgrader(self, result: SubmissionResult) -> None:
        db = self.db
        aid = self._one("SELECT id FROM assignment WHERE name=?", result.lab)
        if aid is None:
            return
        db.execute("INSERT OR IGNORE INTO student (id) VALUES (?)", (result.student,))
        said = self._one(
            "SELECT id FROM submitted_assignment WHERE assignment_id=? AND student_id=?",
            aid,
            result.student,
        )
        if said is None:
            said = uuid.uuid4().hex
            stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
            self._insert("submitted_assignment", id=said, assignment_id=aid,
                         student_id=result.student, timestamp=stamp)  # fmt: skip
        by_name = {nb.name: nb for nb in result.notebooks}
        for nid, name in db.execute(
            "SELECT id, name FROM notebook WHERE assignment_id=?", (aid,)
        ).fetchall():
            nbres = by_name.get(name)
            ok = nbres is not None and not is_ungraded(nbres.status)
            snid = self._one(
                "SELECT id FROM submitted_notebook WHERE notebook_id=? AND assignment_id=?",
                nid,
                said,
            )
            if snid is None:
                snid = uuid.uuid4().hex
                self._insert("submitted_notebook", id=snid, assignment_id=said, notebook_id=nid,
                             flagged=not ok)  # fmt: skip
            else:
                db.execute("UPDATE submitted_notebook SET flagged=? WHERE id=?", (not ok, snid))
            # What a person graded (formgrader or `mlops-grade grade-manual`) survives a regrade.
            kept = {
                cid: (manual, extra)
                for cid, manual, extra in db.execute(
                    "SELECT cell_id, manual_score, extra_credit FROM grade WHERE notebook_id=?",
                    (snid,),
                )
                if manual is not None or extra is not None
            }
            notes = dict(
                db.execute(
                    "SELECT cell_id, manual_comment FROM comment WHERE notebook_id=? "
                    "AND manual_comment IS NOT NULL",
                    (snid,),
                ).fetchall()
            )
            db.execute("DELETE FROM grade WHERE notebook_id=?", (snid,))
            db.execute("DELETE FROM comment WHERE notebook_id=?", (snid,))
            scores: dict[str, float] = {}
            for t in nbres.tests if nbres else []:
                scores[t.cell] = scores.get(t.cell, 0.0) + t.points
            for cid, cname, kind in db.execute(
                "SELECT id, name, type FROM base_cell WHERE notebook_id=?", (nid,)
            ).fetchall():
                if kind == "SolutionCell":
                    db.execute(
                        "INSERT INTO comment (id, notebook_id, cell_id, manual_comment) "
                        "VALUES (?,?,?,?)",
                        (uuid.uuid4().hex, snid, cid, notes.get(cid)),
                    )
                    continue
                # The same partial scores as ours; an incomplete notebook (timed out, kernel
                # died) is flagged for manual grading instead of its scores being dropped, so
                # `nbgrader export` and formgrader agree with `mlops-grade export`.
                manual = kind == "TaskCell" or cname not in scores or not ok
                manual_score, extra = kept.get(cid, (None, None))
                self._insert("grade", id=uuid.uuid4().hex, notebook_id=snid, cell_id=cid,
                             auto_score=scores.get(cname), manual_score=manual_score,
                             extra_credit=extra,
                             needs_manual_grade=manual and manual_score is None)  # fmt: skip

    def results(self, lab: str | None = None) -> list[SubmissionResult]:
        sql = (
            "SELECT result FROM mlops_submission"
            + (" WHERE lab=?" if lab else "")
            + " ORDER BY lab, student"
        )
        return [
            SubmissionResult.from_dict(json.loads(r[0]))
            for r in self.db.execute(sql, (lab,) if lab else ())
        ]

    def runs(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM mlops_run ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
