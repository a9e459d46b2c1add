"""Does every mutant a workshop plan cites exist in that module's lab?"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKSHOPS = ROOT / "course" / "instructors" / "workshops.md"
SECTION = re.compile(r"^## Module (\d+) · .*?(?=^## )", re.M | re.S)
# "(mutant `psi`)" or "(mutants `a` and `b`)": the answer cell (grade_id) the mutant replaces.
CITATION = re.compile(r"\(mutants?\s+([^)]*)\)")
GRADE_ID = re.compile(r"`(\w+)`")


def cited_mutants(text: str) -> dict[int, list[str]]:
    """The grade_ids each module's plan cites as mutants, by module number."""
    cited: dict[int, list[str]] = {}
    for section in SECTION.finditer(text):
        ids = [g for c in CITATION.findall(section.group(0)) for g in GRADE_ID.findall(c)]
        cited[int(section.group(1))] = ids
    return cited


def lab_mutants(module: int) -> set[str]:
    (path,) = ROOT.glob(f"labs/lab{module:02d}_*/mutants.yml")
    return set(yaml.safe_load(path.read_text(encoding="utf-8")))


CITED = cited_mutants(WORKSHOPS.read_text(encoding="utf-8"))


def test_parser_reads_citations_not_code():
    """Does the parser find cited ids, across a line break, and skip other code in the text?"""
    text = (
        "## Module 3 · X\n\n**Debrief.** a (mutant\n`a_b`); `prose` (not a citation)\n\n"
        "**Facilitator notes.** b (mutants `c` and\n`d`).\n\n## End\n(mutant `after`)\n"
    )
    assert cited_mutants(text) == {3: ["a_b", "c", "d"]}


@pytest.mark.parametrize("module", range(1, 9))
def test_cited_mutants_exist(module):
    """Is each mutant the notes cite a real one of the module's lab (and are some cited at all)?"""
    cited = CITED.get(module, [])
    assert cited, f"module {module}: the facilitator notes cite no mutant as (mutant `grade_id`)"
    unknown = sorted(set(cited) - lab_mutants(module))
    assert not unknown, f"module {module}: no such mutant in the lab's mutants.yml: {unknown}"
