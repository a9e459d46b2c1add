"""The course directory: nbgrader's step folders under one root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graders.errors import GraderError


@dataclass(frozen=True)
class Course:
    """Paths of a course: ``source/<lab>``, ``release/<lab>``, ``submitted/<student>/<lab>``,
    ``autograded/<student>/<lab>``, ``feedback/<student>/<lab>`` and ``gradebook.db``."""

    root: Path

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    def source(self, lab: str) -> Path:
        return self.root / "source" / lab

    def release(self, lab: str) -> Path:
        return self.root / "release" / lab

    def submitted(self, student: str, lab: str) -> Path:
        return self.root / "submitted" / student / lab

    def autograded(self, student: str, lab: str) -> Path:
        return self.root / "autograded" / student / lab

    def feedback(self, student: str, lab: str) -> Path:
        return self.root / "feedback" / student / lab

    def students(self) -> list[str]:
        """Every student with a folder under ``submitted/``."""
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))

    def source_labs(self) -> list[str]:
        base = self.root / "source"
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []

    def require_source(self, lab: str) -> Path:
        path = self.source(lab)
        if not path.is_dir():
            raise GraderError(f"no source folder for lab '{lab}': expected {path}")
        return path
