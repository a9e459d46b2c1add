"""Export the course's flashcards as Anki packages: one per module and one for the whole course.

Usage: python site/tools/anki_export.py [--docs course] [--out build/exports/anki]
Ids are stable, so re-importing a newer package updates notes instead of duplicating them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Run as a script (`make cards`, `make qti`), only site/tools is on sys.path: the hooks'
# helper modules are found through it, so `_hooks` comes first.
from _hooks import ROOT, shown  # isort: skip

import course_anki  # noqa: E402  # isort: skip
import course_cards  # noqa: E402  # isort: skip


def export(docs: Path, out: Path) -> list[tuple[Path, int]]:
    """Write `<module>.apkg` per module and `hands-on-mlops.apkg`; return (path, cards) pairs."""
    decks = course_cards.load_course(docs)
    written = [
        (course_anki.write_package([d], out / f"{d.module}.apkg"), len(d.cards)) for d in decks
    ]
    if decks:
        total = sum(len(d.cards) for d in decks)
        written.append((course_anki.write_package(decks, out / "hands-on-mlops.apkg"), total))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "course", help="course folder")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "exports" / "anki")
    args = parser.parse_args(argv)
    try:
        written = export(args.docs, args.out)
    except course_cards.CardsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not written:
        print(f"error: no flashcards.yml under {args.docs}", file=sys.stderr)
        return 1
    for path, count in written:
        print(f"{count:4d} cards  {shown(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
