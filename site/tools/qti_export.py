"""Export the course's quizzes (mkdocs-quiz `<quiz>` blocks) as QTI packages for Canvas/Moodle.

Usage: python site/tools/qti_export.py [--docs course] [--out build/exports/qti] [--qti 1.2|2.1]
Writes one ZIP per module (`NN-slug-qti<version>.zip`) and one for the whole course.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

# Run as a script (`make cards`, `make qti`), only site/tools is on sys.path: the hooks'
# helper modules are found through it, so `_hooks` comes first.
from _hooks import ROOT, shown  # isort: skip

import course_cards  # noqa: E402  # isort: skip
import course_figures  # noqa: E402  # isort: skip


# A whole-file include (pymdownx.snippets, base path: the repository root), as code-reading
# questions show their snippet.
INCLUDE = re.compile(r'^(?P<indent>[ \t]*)--8<-- "(?P<path>[^"]+)"[ \t]*$', re.M)


def _included(text: str, where: str) -> str:
    """`text` with each `--8<-- "path"` line replaced by the file, as the site's build does."""

    def expand(match: re.Match[str]) -> str:
        path = ROOT / match["path"]
        if not path.is_file():
            raise ValueError(f"{where}: snippet {match['path']} not found")
        lines = path.read_text(encoding="utf-8").rstrip("\n").splitlines()
        return "\n".join(match["indent"] + line if line else line for line in lines)

    return INCLUDE.sub(expand, text)


def _rendered(quiz_md: Path, results: dict, scratch: Path) -> Path:
    """A copy of `quiz_md` with its figure placeholders filled in and its code snippets included,
    as the site shows it."""
    text = course_figures.render(quiz_md.read_text(encoding="utf-8"), results, where=shown(quiz_md))
    text = _included(text, shown(quiz_md))
    copy = scratch / quiz_md.parent.name / quiz_md.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(text, encoding="utf-8")
    return copy


def export(docs: Path, out: Path, version: str = "1.2") -> list[tuple[Path, int]]:
    """One QTI ZIP per module quiz and one for the course; return (path, questions) pairs."""
    from mkdocs_quiz.qti import QTIExporter, QTIVersion, QuizCollection, extract_quizzes_from_file

    qti = QTIVersion.from_string(version)
    results = course_figures.load_results(docs)  # quizzes show figures as the site does
    scratch_dir = tempfile.TemporaryDirectory(prefix="qti-")
    scratch = Path(scratch_dir.name)
    out.mkdir(parents=True, exist_ok=True)
    written, everything = [], []
    for module in course_cards.module_dirs(docs):
        quiz_md = module / "quiz.md"
        if not quiz_md.is_file():
            continue
        quizzes = extract_quizzes_from_file(_rendered(quiz_md, results, scratch))
        if not quizzes:
            continue
        title = quiz_md.read_text(encoding="utf-8").partition("\n")[0].lstrip("# ").strip()
        collection = QuizCollection(title=title or module.name, quizzes=quizzes)
        errors = collection.validate()
        if errors:
            first = next(iter(errors.items()))
            raise ValueError(f"{quiz_md}: quiz {first[0]}: {first[1][0]}")
        path = out / f"{module.name}-qti{version}.zip"
        written.append((QTIExporter.create(collection, qti).export_to_zip(path), len(quizzes)))
        everything += quizzes
    if everything:
        course = QuizCollection(title="Hands-on MLOps: all quizzes", quizzes=everything)
        path = out / f"hands-on-mlops-qti{version}.zip"
        written.append((QTIExporter.create(course, qti).export_to_zip(path), len(everything)))
    scratch_dir.cleanup()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "course", help="course folder")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "exports" / "qti")
    parser.add_argument("--qti", choices=["1.2", "2.1"], default="1.2", help="QTI version")
    args = parser.parse_args(argv)
    try:
        written = export(args.docs, args.out, args.qti)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not written:
        print(f"error: no quiz.md with <quiz> blocks under {args.docs}", file=sys.stderr)
        return 1
    for path, count in written:
        print(f"{count:4d} questions  {shown(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
