"""A learner's way in: the labs page says how to get the labs and the checker, as commands.

The repository address comes from one setting, `extra.course_repository` in mkdocs.yml. These
tests run what the page prints in a clean folder wherever that needs no network: `git clone` of
a local repository given as the address, `python3 -m venv`, and the checker on a notebook
downloaded from the built site. `pip install` (from PyPI) and `jupyter lab` (a server and a
browser) are not run here; the checker runs from this project's own environment instead.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site" / "hooks"))

import course_labs  # noqa: E402
import course_pages  # noqa: E402

BIN = Path(sys.executable).parent
BASH = re.compile(r"^ *```bash\n(.*?)^ *```$", re.M | re.S)
LAB = course_labs.Lab("lab01_business_to_ml", "01", Path("unused"), "Lab 1")


def commands(page: str) -> list[str]:
    """The shell commands of the page's bash blocks, in order."""
    return [line.strip() for block in BASH.findall(page) for line in block.splitlines()]


def test_the_address_is_one_setting_of_mkdocs_yml() -> None:
    """Does mkdocs.yml carry the setting the labs page reads?"""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    extra = text.split("\nextra:\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^  course_repository: ", extra, re.M), "no extra.course_repository"


def test_with_an_address_the_page_gives_the_clone_install_and_check_commands() -> None:
    """With the setting, does the page print git clone <address>, the venv and the checker?"""
    page = course_pages.labs_index([(LAB, "01-business-to-ml")], "https://example.org/c.git")
    assert commands(page)[:4] == [
        "git clone https://example.org/c.git mlops-course",
        "cd mlops-course",
        "python3 -m venv .venv",
        ".venv/bin/pip install -e '.[labs,grade]' jupyterlab",
    ]
    assert ".venv/bin/mlops-grade check lab01_business_to_ml.ipynb" in commands(page)
    assert "ask your instructor" not in page


def test_without_an_address_the_page_prints_no_command_that_cannot_work() -> None:
    """Empty setting: no `git clone` with a blank address, and a pointer to the setting."""
    page = course_pages.labs_index([(LAB, "01-business-to-ml")], "")
    assert "git clone" not in page and "ask your instructor" in page
    assert "course_repository" in page


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="the page's commands use git")
def test_the_page_commands_run_in_a_clean_folder(built_site: Path, tmp_path: Path) -> None:
    """git clone, venv, then the checker on the downloaded lab 1: does each step work?"""
    origin = tmp_path / "origin"  # a repository with the course's pyproject, as the address
    origin.mkdir()
    shutil.copy(ROOT / "pyproject.toml", origin / "pyproject.toml")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(origin)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "pyproject.toml"], check=True)
    subprocess.run([*git, "commit", "-qm", "course"], check=True)
    page = course_pages.labs_index([(LAB, "01-business-to-ml")], str(origin))
    clone, cd, venv, _pip, _jupyter, check = commands(page)[:6]
    home = tmp_path / "learner"
    home.mkdir()
    subprocess.run(shlex.split(clone), cwd=home, check=True, capture_output=True)
    folder = home / cd.split()[1]
    assert (folder / "pyproject.toml").is_file()
    subprocess.run(shlex.split(venv), cwd=folder, check=True, capture_output=True, timeout=120)
    assert (folder / ".venv" / "bin" / "python").exists()
    # The learner downloads the notebook the site serves into that folder.
    shutil.copy(built_site / "labs" / "download" / f"{LAB.name}.ipynb", folder)
    done = subprocess.run(
        shlex.split(check.replace(".venv/bin/", f"{BIN}/")),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert re.search(r"0/\d+ public tests pass; \d+ hidden tests will run at grading", out), out


@pytest.mark.slow
def test_the_built_labs_page_says_how_to_get_started(built_site: Path) -> None:
    """Does the published labs page carry the get-started section and the checker command?"""
    index = (built_site / "labs" / "index.html").read_text(encoding="utf-8")
    assert 'id="get-started-on-your-own"' in index
    assert ".venv/bin/mlops-grade check" in index


def test_each_module_page_links_its_lab() -> None:
    """Does every module with a lab link it from its index page?"""
    for lab in sorted((ROOT / "labs").glob("lab0*_*")):
        module = next((ROOT / "course").glob(f"{lab.name[3:5]}-*"))
        text = (module / "index.md").read_text(encoding="utf-8")
        assert f"(../labs/{lab.name}.md)" in text, f"{module.name}/index.md does not link its lab"
