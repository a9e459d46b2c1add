"""Learning features at build time: cards files, Anki packages, labs, glossary, exports."""

from __future__ import annotations

import json
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "site" / "fixtures"

sys.path.insert(0, str(ROOT / "site" / "hooks"))
sys.path.insert(0, str(ROOT / "site" / "tools"))

import course_anki  # noqa: E402
import course_cards  # noqa: E402
import course_labs  # noqa: E402
import course_notebooks  # noqa: E402

DEMO_DECK = FIXTURES / "course" / "00-demo" / "flashcards.yml"
BAD_DECK = FIXTURES / "bad" / "flashcards.yml"


def test_a_deck_loads_with_tags_and_terms() -> None:
    """Are ids, tags and glossary terms read as the course author wrote them?"""
    deck = course_cards.load_deck(DEMO_DECK)
    assert deck.title == "0 · Demo" and [c.id for c in deck.cards] == ["registry", "drift", "gate"]
    assert deck.cards[0].tags == ("serving", "definitions")
    assert deck.cards[0].term == "Model registry" and deck.cards[2].term is None
    assert deck.cards[0].key == "00-demo/registry"


def test_a_card_without_answer_is_reported_with_file_and_line() -> None:
    """Does a card missing its answer name the file and the card's line?"""
    with pytest.raises(course_cards.CardsError, match=rf"^{BAD_DECK}:6: card 'no-answer': `a`"):
        course_cards.load_deck(BAD_DECK)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("deck: x\ncards:\n  - id: a\n    q: [unclosed\n", 5, "invalid YAML"),
        ("deck: x\ncards:\n  - {id: a, q: Q, a: A}\n  - {id: a, q: Q, a: A}\n", 4, "duplicate"),
        ("deck: x\ncards:\n  - {id: a, q: Q, a: A, answer: A}\n", 3, "unknown card key"),
        ("deck: x\ncards:\n  - {id: a, q: Q, a: A, tags: oops}\n", 3, "`tags` must be a list"),
        ("deck: x\ncards:\n  - {id: Not A Slug, q: Q, a: A}\n", 3, "lowercase slug"),
        ("deck: x\ncards: []\n", 2, "non-empty list"),
        ("- just a list\n", 1, "expected a mapping"),
    ],
)
def test_malformed_decks_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    """Does each kind of mistake point at the line to fix?"""
    path = tmp_path / "00-x" / "flashcards.yml"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(course_cards.CardsError) as info:
        course_cards.load_deck(path)
    assert str(info.value).startswith(f"{path}:{line}:") and message in str(info.value)


def test_a_term_defined_twice_is_an_error(tmp_path: Path) -> None:
    """Would two cards claiming the same glossary term be caught?"""
    for module in ("00-a", "01-b"):
        (tmp_path / module).mkdir()
        (tmp_path / module / "flashcards.yml").write_text(
            "deck: d\ncards:\n  - {id: x, q: Q, a: A, term: Drift}\n"
        )
    with pytest.raises(course_cards.CardsError, match="term 'Drift'.*already defined"):
        course_cards.glossary(course_cards.load_course(tmp_path))


@pytest.mark.slow
def test_a_malformed_deck_fails_the_strict_build(tmp_path: Path, mkdocs_build) -> None:
    """Does `mkdocs build` stop with the file and line of a broken flashcards.yml?"""
    course = tmp_path / "course"
    (course / "00-demo").mkdir(parents=True)
    (course / "index.md").write_text("# Home\n")
    (course / "00-demo" / "index.md").write_text("# Demo\n")
    bad = course / "00-demo" / "flashcards.yml"
    bad.write_text(BAD_DECK.read_text())
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {course}\n"
        f"hooks: [{ROOT / 'site/hooks/learning.py'}]\n"
        f"theme: {{custom_dir: {ROOT / 'site/overrides'}}}\nnav: [index.md, 00-demo/index.md]\n"
    )
    proc = mkdocs_build(tmp_path / "out", config)
    assert proc.returncode != 0
    assert f"{bad}:6: card 'no-answer'" in proc.stderr


def _collection(apkg: Path, tmp_path: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as zf:
        zf.extract("collection.anki2", tmp_path)
    return sqlite3.connect(tmp_path / "collection.anki2")


def _decks(docs: Path) -> list[course_cards.Deck]:
    return course_cards.load_course(docs)


@pytest.mark.parametrize("docs", [FIXTURES / "course", ROOT / "course"], ids=["fixture", "course"])
def test_the_course_apkg_lists_every_card_once_with_tags(docs: Path, tmp_path: Path) -> None:
    """Is the .apkg a valid Anki collection with each card once, its tags and a stable GUID?"""
    decks = _decks(docs)
    if not decks:
        pytest.skip("no flashcards.yml in the course yet")
    apkg = course_anki.write_package(decks, tmp_path / "course.apkg")
    db = _collection(apkg, tmp_path)
    rows = db.execute("select guid, tags, flds from notes").fetchall()
    cards = [c for d in decks for c in d.cards]
    assert len(rows) == len(cards) == db.execute("select count(*) from cards").fetchone()[0]
    by_key = {flds.split("\x1f")[0]: (guid, tags.split()) for guid, tags, flds in rows}
    assert sorted(by_key) == sorted(c.key for c in cards)  # every card exactly once
    for card in cards:
        guid, tags = by_key[card.key]
        assert guid == course_anki.note(card).guid
        assert set(tags) == {f"module::{card.module}", *card.tags}
    deck_names = {
        d["name"] for d in json.loads(db.execute("select decks from col").fetchone()[0]).values()
    }
    assert {f"Hands-on MLOps::{d.title}" for d in decks} <= deck_names


def test_anki_ids_do_not_change_between_builds(tmp_path: Path) -> None:
    """Would re-importing a rebuilt deck update the same notes in the same deck?"""
    decks = _decks(FIXTURES / "course")
    ids = []
    for name in ("one", "two"):
        db = _collection(
            course_anki.write_package(decks, tmp_path / f"{name}.apkg"), tmp_path / name
        )
        ids.append(
            (
                sorted(r[0] for r in db.execute("select guid from notes")),
                sorted(json.loads(db.execute("select decks from col").fetchone()[0])),
                sorted(json.loads(db.execute("select models from col").fetchone()[0])),
            )
        )
    assert ids[0] == ids[1]


def test_student_version_keeps_public_tests_and_drops_solutions() -> None:
    """Does the released notebook keep the task and public test but no solution or hidden test?"""
    nb = json.loads((FIXTURES / "labs" / "lab00_demo" / "lab00_demo.ipynb").read_text())
    text = json.dumps(course_labs.student_version(nb))
    for secret in ("secret_solution_marker", "hidden_test_marker", "secret_markdown_answer"):
        assert secret in json.dumps(nb) and secret not in text
    assert "raise NotImplementedError()" in text and "YOUR ANSWER HERE" in text
    assert "assert 0 < threshold(0.02) < 1" in text and '"grade_id": "test_threshold"' in text


def test_site_labs_use_the_grading_engines_release(tmp_path: Path) -> None:
    """Is the downloadable notebook what `mlops-grade release` hands out, and a bad lab refused?"""
    pytest.importorskip("graders.release")
    source = FIXTURES / "labs" / "lab00_demo" / "lab00_demo.ipynb"
    lab = course_labs.Lab("lab00_demo", "00", source, "Demo")
    released = course_labs.release(lab, json.loads(source.read_text()))
    assert all("checksum" in c["metadata"]["nbgrader"] for c in released["cells"][2:])
    nb = json.loads(source.read_text())
    del nb["cells"][2]["metadata"]["nbgrader"]  # solution markers in a cell not marked as one
    with pytest.raises(course_labs.LabError, match=rf"^{source}: release refused: .*cell #3"):
        course_labs.release(lab, nb)


@pytest.mark.slow
def test_lab_page_and_download_hold_no_solution(fixture_site: Path) -> None:
    """Do the rendered lab and its download leave out solutions, with a download link and help?"""
    page = (fixture_site / "labs" / "lab00_demo.html").read_text()
    download = (fixture_site / "labs" / "download" / "lab00_demo.ipynb").read_text()
    for text in (page, download):
        assert "secret_solution_marker" not in text and "hidden_test_marker" not in text
    assert 'href="download/lab00_demo.ipynb"' in page and "How to open it" in page
    assert json.loads(download)["cells"][2]["outputs"] == []
    index = (fixture_site / "labs" / "index.html").read_text()
    assert "lab00_demo.html" in index and "How to open a lab" in index


@pytest.mark.slow
def test_glossary_lists_terms_and_lessons_link_the_first_use(fixture_site: Path) -> None:
    """Are card terms on the glossary page, linked once from the lesson that uses them?"""
    glossary = (fixture_site / "glossary.html").read_text()
    assert 'id="term-data-drift"' in glossary and 'id="term-model-registry"' in glossary
    lesson = (fixture_site / "00-demo" / "index.html").read_text()
    assert lesson.count('href="../glossary.html#term-model-registry"') == 1
    assert lesson.count('href="../glossary.html#term-data-drift"') == 1
    assert "lf-term" not in lesson.split("<h1", 1)[1].split("</h1>", 1)[0]
    math = lesson.split('<span class="arithmatex">', 1)[1].split("</span>", 1)[0]
    assert "Data drift" in math and "lf-term" not in math


@pytest.mark.slow
def test_every_deck_of_the_course_gets_a_study_page_and_apkg(built_site: Path) -> None:
    """Does each module with flashcards.yml get a study page listing all cards and its .apkg?"""
    decks = _decks(ROOT / "course")
    if not decks:
        pytest.skip("no flashcards.yml in the course yet")
    for deck in decks:
        page = (built_site / deck.module / "flashcards.html").read_text()
        assert all(f'data-card="{c.id}"' in page for c in deck.cards)
        assert (built_site / deck.module / f"{deck.module}.apkg").stat().st_size > 1000
    assert (built_site / "downloads" / "hands-on-mlops.apkg").is_file()
    data = (built_site / "assets" / "learning" / "course.js").read_text()
    assert all(f'"slug": "{d.module}"' in data for d in decks)


def test_qti_export_writes_a_package_per_module_and_one_for_the_course(tmp_path: Path) -> None:
    """Does the QTI export find every quiz question and write importable ZIPs?"""
    import qti_export

    written = qti_export.export(FIXTURES / "course", tmp_path, "1.2")
    assert [(Path(p).name, n) for p, n in written] == [
        ("00-demo-qti1.2.zip", 2),
        ("hands-on-mlops-qti1.2.zip", 2),
    ]
    with zipfile.ZipFile(tmp_path / "00-demo-qti1.2.zip") as zf:
        names = zf.namelist()
        assert "imsmanifest.xml" in names
        assert any("A model registry" in zf.read(n).decode() for n in names)


def test_anki_export_cli_writes_one_package_per_module_and_the_course(tmp_path: Path) -> None:
    """Does `python site/tools/anki_export.py` write every package and say how many cards?"""
    import anki_export

    assert anki_export.main(["--docs", str(FIXTURES / "course"), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.apkg")) == [
        "00-demo.apkg",
        "01-second.apkg",
        "hands-on-mlops.apkg",
    ]


def test_notebook_scripts_that_reach_a_cdn_are_dropped() -> None:
    """Are nbconvert's MathJax 2, mermaid-from-CDN and empty-src scripts removed, others kept?"""
    html = (
        '<script src=""> </script><script type="text/x-mathjax-config">x</script>'
        '<script type="module">import("https://cdnjs.cloudflare.com/m.mjs")</script>'
        "<script>keep()</script>"
    )
    assert course_notebooks.strip_notebook_scripts(html) == "<script>keep()</script>"


@pytest.mark.slow
def test_rendered_notebooks_are_cached_by_content(tmp_path: Path, monkeypatch) -> None:
    """Does a second build reuse the rendered notebook instead of converting it again?"""
    nb = tmp_path / "lab.ipynb"
    nb.write_text((FIXTURES / "labs" / "lab00_demo" / "lab00_demo.ipynb").read_text())
    first = course_notebooks.render_all([nb], tmp_path / "cache")[nb]
    assert "jupyter-wrapper" in first["content"] and "cdnjs" not in first["content"]
    assert first["title"] == "Lab 00 · Tuning a fraud threshold"

    def convert_again(*args, **kwargs):
        raise AssertionError("converted a cached notebook again")

    monkeypatch.setattr(course_notebooks.subprocess, "run", convert_again)
    assert course_notebooks.render_all([nb], tmp_path / "cache")[nb] == first
    nb.write_text(nb.read_text().replace("2 %", "3 %"))
    with pytest.raises(AssertionError, match="converted"):
        course_notebooks.render_all([nb], tmp_path / "cache")
