"""Reading submitted notebooks defensively: anything but a regular file is a missing notebook."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graders.notebooks import NotebookError, load_notebook


def test_a_folder_named_like_the_notebook_is_a_missing_notebook(tmp_path: Path) -> None:
    """Does a directory called lab01.ipynb give missing-notebook, not a crash?"""
    (tmp_path / "lab01.ipynb").mkdir()
    with pytest.raises(NotebookError) as caught:
        load_notebook(tmp_path / "lab01.ipynb")
    assert caught.value.reason == "missing-notebook"
    assert "lab01.ipynb is not a file" in caught.value.detail


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    """Does a FIFO called lab01.ipynb give missing-notebook at once (a reader would block)?"""
    os.mkfifo(tmp_path / "lab01.ipynb")
    with pytest.raises(NotebookError) as caught:
        load_notebook(tmp_path / "lab01.ipynb")
    assert caught.value.reason == "missing-notebook"


def test_no_file_at_all_is_a_missing_notebook(tmp_path: Path) -> None:
    """Does an absent notebook still say it was not submitted?"""
    with pytest.raises(NotebookError) as caught:
        load_notebook(tmp_path / "lab01.ipynb")
    assert (caught.value.reason, caught.value.detail) == (
        "missing-notebook",
        "lab01.ipynb was not submitted",
    )
