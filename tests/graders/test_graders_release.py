"""release: golden output, refusals naming the cell, nothing half-written, gradebook records."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from grader_helpers import SAMPLE, make_grade_cell, make_notebook, read_notebook, write_notebook

from graders.errors import GraderError
from graders.gradebook import Gradebook
from graders.release import release

GOLDEN = Path(__file__).parent / "golden" / "lab01"


def test_release_matches_golden(sample_course: Path, update_goldens: bool) -> None:
    """Is the released notebook exactly the reviewed golden (regenerate with --update-goldens)?"""
    produced = (sample_course / "release" / "lab01" / "lab01.ipynb").read_text()
    golden = GOLDEN / "lab01.ipynb"
    if update_goldens:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced)
    assert produced == golden.read_text(), "release output changed: review, then --update-goldens"


def test_release_ships_no_solution_and_no_hidden_test(sample_course: Path) -> None:
    """Do the released files contain no solution line and no hidden test?"""
    text = "".join(p.read_text() for p in (sample_course / "release" / "lab01").iterdir())
    for secret in (
        "x - x.mean()",
        "math.pi * r**2",
        "np.zeros(4)",
        "integer columns",
        "HIDDEN",
        "center the data",
    ):
        assert secret not in text
    assert "data.csv" in {p.name for p in (sample_course / "release" / "lab01").iterdir()}


def test_release_counts_hidden_tests_in_metadata(sample_course: Path) -> None:
    """Does each released test cell carry only the number of hidden tests removed?"""
    nb = read_notebook(sample_course / "release" / "lab01" / "lab01.ipynb")
    counts = {
        c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]
        .get("mlops_grader", {})
        .get("hidden_tests", 0)
        for c in nb["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
    }
    assert counts == {
        "test_mean_center": 1,
        "test_add_ratio": 1,
        "test_circle_area": 1,
        "test_circle_area_hidden": 1,
    }


def test_gradebook_records_complete_instructor_cells(sample_course: Path) -> None:
    """Does the gradebook keep the hidden tests (to restore them) and the checksums?"""
    with Gradebook(sample_course / "gradebook.db") as gb:
        cells = gb.lab_notebooks("lab01")["lab01"].cells
    assert "np.zeros(4)" in cells["test_mean_center"].source
    assert "np.zeros(4)" not in cells["test_mean_center"].released_source
    assert cells["test_add_ratio"].points == 4 and cells["imports"].locked
    assert "x - x.mean()" not in cells["mean_center_answer"].source  # solutions are never stored


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (make_grade_cell("### BEGIN HIDDEN TESTS\nassert 1", "t_open"), "t_open.*never closed"),
        (make_grade_cell("assert 1", "t_nopoints", points=None), "t_nopoints.*no points"),
    ],
)
def test_refusal_names_the_cell_and_writes_nothing(
    tmp_path: Path, cell: dict, message: str
) -> None:
    """Is a broken source refused with the cell named, leaving no release and no gradebook row?"""
    write_notebook(make_notebook(cell), tmp_path / "source" / "bad" / "bad.ipynb")
    with pytest.raises(GraderError, match=message):
        release(course_dir=tmp_path, lab="bad")
    assert not (tmp_path / "release" / "bad").exists()
    assert not (tmp_path / "gradebook.db").exists()


def test_duplicate_grade_id_is_refused(tmp_path: Path) -> None:
    """Is a duplicated grade_id refused?"""
    nb = make_notebook(make_grade_cell("assert 1", "same"), make_grade_cell("assert 2", "same"))
    write_notebook(nb, tmp_path / "source" / "dup" / "dup.ipynb")
    with pytest.raises(GraderError, match="'same' already used"):
        release(course_dir=tmp_path, lab="dup")


def test_leaking_helper_file_is_refused(tmp_path: Path) -> None:
    """Is a data/helper file that contains a solution line refused?"""
    shutil.copytree(SAMPLE / "source", tmp_path / "source")
    (tmp_path / "source" / "lab01" / "answers.py").write_text("    return x - x.mean()\n")
    with pytest.raises(GraderError, match="answers.py would leak"):
        release(course_dir=tmp_path, lab="lab01")


def test_missing_lab_is_one_clear_error(tmp_path: Path) -> None:
    """Does releasing an unknown lab say which folder is missing?"""
    with pytest.raises(GraderError, match="no source folder for lab 'nope'"):
        release(course_dir=tmp_path, lab="nope")
