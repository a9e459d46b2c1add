"""Read-only view of a repository for the audit: its file list and capped, cached text."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cohort.errors import CohortError

# Generated, vendored or environment folders say nothing about what the group built.
SKIP_DIRS = {
    ".git", ".hg", ".venv", "venv", "env", ".env", "node_modules", "__pycache__", "build", "dist",
    "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "mlruns",
    "mlartifacts", ".ipynb_checkpoints", ".cache", "htmlcov", ".eggs", ".dvc",
}  # fmt: skip
# A folder holding a project template describes other people's projects, not this one.
TEMPLATE_MARKERS = ("copier.yml", "copier.yaml", "cookiecutter.json")
# The audit's own rules mention every tool it looks for: they are never evidence.
OWN_PACKAGE = Path(__file__).resolve().parent
TEXT_SUFFIXES = {
    ".py", ".ipynb", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".txt", ".lock", ".json", ".sh",
    ".in", ".r", ".jinja", ".md",
}  # fmt: skip
TEXT_NAMES = {
    "Dockerfile",
    "Containerfile",
    "Makefile",
    "Jenkinsfile",
    "Snakefile",
    "MLproject",
    "run",
}
MAX_FILES = 50_000
# A folder with this many files directly inside holds data (images, partitions), not code.
BULK_FILES = 2_000
MAX_BYTES = 300_000


def is_test_path(rel: str) -> bool:
    """Inside a tests folder, or a test module or conftest."""
    name = rel.rsplit("/", 1)[-1]
    in_tests = rel.startswith(("tests/", "test/")) or "/tests/" in rel or "/test/" in rel
    return (
        in_tests or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    )


@dataclass
class Repo:
    """The files of one repository (posix paths relative to its root)."""

    root: Path
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # template and bulk-data folders
    _text: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def scan(cls, root: Path) -> Repo:
        """List the files under `root`; skip environments, caches, templates and bulk data."""
        if not root.is_dir():
            raise CohortError(f"{root} is not a folder")
        repo = cls(root=root.resolve())
        for current, dirs, names in os.walk(repo.root):
            rel_dir = Path(current).relative_to(repo.root).as_posix()
            if Path(current) == OWN_PACKAGE:
                dirs[:] = []
                continue
            bulk = len(names) > BULK_FILES
            if rel_dir != "." and (bulk or any(m in names for m in TEMPLATE_MARKERS)):
                repo.skipped.append(rel_dir)
                dirs[:] = []
                continue
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
            for name in sorted(names):
                repo.files.append(name if rel_dir == "." else f"{rel_dir}/{name}")
                if len(repo.files) > MAX_FILES:
                    raise CohortError(
                        f"{root} has more than {MAX_FILES} files: is it a repository?"
                    )
        return repo

    def named(self, *patterns: str) -> list[str]:
        """Files whose base name matches one of the glob patterns (`Dockerfile*`, `test_*.py`)."""
        return [
            f for f in self.files if any(fnmatch.fnmatch(f.rsplit("/", 1)[-1], p) for p in patterns)
        ]

    def at(self, *patterns: str) -> list[str]:
        """Files whose whole relative path matches one of the glob patterns (`*` spans folders)."""
        return [f for f in self.files if any(fnmatch.fnmatch(f, p) for p in patterns)]

    def text(self, rel: str) -> str:
        """The file's text (first MAX_BYTES, undecodable bytes replaced), or '' if not text."""
        if rel not in self._text:
            path = self.root / rel
            name = path.name
            is_text = (
                path.suffix.lower() in TEXT_SUFFIXES
                or name in TEXT_NAMES
                or name.startswith("Dockerfile")
            )
            # Never read through a link leaving the repository, nor block on a FIFO or device.
            inside = not path.is_symlink() or path.resolve().is_relative_to(self.root)
            data = b""
            if is_text and inside and path.is_file():
                try:
                    with path.open("rb") as handle:
                        data = handle.read(MAX_BYTES)
                except OSError:
                    data = b""
            self._text[rel] = data.decode("utf-8", errors="replace")
        return self._text[rel]

    @cached_property
    def source_files(self) -> list[str]:
        """Code and config (not prose) outside the tests: the files whose content counts."""
        prose = (".md", ".rst", ".html", ".css", ".js", ".svg")
        return [f for f in self.files if not f.endswith(prose) and not is_test_path(f)]

    def src(self, *patterns: str) -> list[str]:
        """Like `named`, outside the tests: what the project does, not what it tests."""
        return [f for f in self.named(*patterns) if not is_test_path(f)]

    def grep(
        self, pattern: str, files: list[str] | None = None, flags: int = re.MULTILINE
    ) -> list[str]:
        """Files (default: code and config outside the tests) whose text matches the regex."""
        regex = re.compile(pattern, flags)
        return [
            f for f in (self.source_files if files is None else files) if regex.search(self.text(f))
        ]
