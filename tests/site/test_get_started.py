"""A learner's way in: the labs page says how to get the labs and the checker, as commands.

The repository address comes from one setting, `extra.course_repository` in mkdocs.yml; the
checker also comes as a wheel the built site serves (site/hooks/checker_wheel.py). These tests
run what needs no network: `git clone` of a local repository given as the address, and the
site's wheel installed with `pip --no-index` into a fresh venv, then the checker on the site's
lab 1 download. test_get_started_browser.py follows the page's no-clone commands in Chromium.
`pip install -e` (from PyPI) and `jupyter lab` (a server and a browser) are not run.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site" / "hooks"))

import checker_wheel  # noqa: E402
import course_labs  # noqa: E402
import course_pages  # noqa: E402

SUMMARY = re.compile(r"(\d+)/(\d+) public tests pass; (\d+) hidden tests will run at grading")
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


@pytest.mark.skipif(shutil.which("git") is None, reason="the page's commands use git")
def test_the_clone_command_runs_in_a_clean_folder(tmp_path: Path) -> None:
    """git clone <address> mlops-course, cd: does the learner end in the course's folder?

    The venv and check commands after it are the ones test_get_started_browser.py runs as the
    page shows them (a venv, then the checker on a downloaded lab); not repeated here (CI time).
    """
    origin = tmp_path / "origin"  # a repository with the course's pyproject, as the address
    origin.mkdir()
    shutil.copy(ROOT / "pyproject.toml", origin / "pyproject.toml")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(origin)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "pyproject.toml"], check=True)
    subprocess.run([*git, "commit", "-qm", "course"], check=True)
    page = course_pages.labs_index([(LAB, "01-business-to-ml")], str(origin))
    clone, cd, venv, *_ = commands(page)
    home = tmp_path / "learner"
    home.mkdir()
    subprocess.run(shlex.split(clone), cwd=home, check=True, capture_output=True)
    folder = home / cd.split()[1]
    assert (folder / "pyproject.toml").is_file()
    assert venv in commands(page.split("### Only the checker", 1)[1])  # the one the browser runs


@pytest.mark.slow
def test_the_built_labs_page_says_how_to_get_started(built_site: Path) -> None:
    """Does the published labs page carry the get-started section and the checker command?"""
    index = (built_site / "labs" / "index.html").read_text(encoding="utf-8")
    assert 'id="get-started-on-your-own"' in index
    assert ".venv/bin/mlops-grade check" in index
    if "ask your instructor" in index:  # no address: a sentence, not a code block
        assert "<p>This site was built without the course repository" in index


@pytest.mark.parametrize("address", ["", "https://example.org/c.git"])
def test_the_get_started_text_renders_as_prose_and_commands(address: str) -> None:
    """Rendered as the site does: prose in paragraphs, and every command in a code block?"""
    import markdown

    page = course_pages.labs_index([(LAB, "01-business-to-ml")], address)
    html = markdown.markdown(page, extensions=["pymdownx.superfences", "pymdownx.tabbed"])
    section = html.split("Get started on your own</h2>", 1)[1].split("How to open a lab", 1)[0]
    blocks = "".join(re.findall(r"<pre[^>]*>(.*?)</pre>", section, re.S))
    blocks = unescape(re.sub(r"<[^>]+>", "", blocks))
    for command in commands(page.split("## How to open a lab", 1)[0]):
        assert command in blocks, command
    assert "This site was built" not in blocks and "```" not in blocks  # no fence shown as text


def test_each_module_page_links_its_lab() -> None:
    """Does every module with a lab link it from its index page?"""
    for lab in sorted((ROOT / "labs").glob("lab0*_*")):
        module = next((ROOT / "course").glob(f"{lab.name[3:5]}-*"))
        text = (module / "index.md").read_text(encoding="utf-8")
        assert f"(../labs/{lab.name}.md)" in text, f"{module.name}/index.md does not link its lab"


def public_tests(notebook: Path) -> set[str]:
    """The grade ids of the released notebook's test cells that still hold code (public)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return {
        c["metadata"]["nbgrader"]["grade_id"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
        and c["metadata"].get("nbgrader", {}).get("grade")
        and not c["metadata"]["nbgrader"].get("solution")
        and ast.parse("".join(c["source"])).body
    }


def test_the_page_gives_the_wheel_commands_without_a_clone() -> None:
    """With no repository address, does the page still give venv, pip install <wheel>, check?"""
    page = course_pages.labs_index([(LAB, "01-business-to-ml")], "")
    wheel = checker_wheel.wheel_name()
    assert f"(download/{quote(wheel)})" in page  # '+' as %2B: some static hosts read + as a space
    assert commands(page.split("### Only the checker", 1)[1])[:3] == [
        "python3 -m venv .venv",
        f".venv/bin/pip install {wheel}",
        ".venv/bin/mlops-grade check lab01_business_to_ml.ipynb",
    ]


@pytest.mark.slow
def test_the_site_serves_a_minimal_checker_wheel_that_installs_offline_and_checks(
    built_site: Path, checker_wheelhouse: Path, tmp_path: Path
) -> None:
    """The wheel in the built site, into a fresh venv with --no-index: does check run lab 1?"""
    wheel = built_site / "labs" / "download" / checker_wheel.wheel_name()
    assert wheel.is_file(), "the built site has no checker wheel"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(info).decode()
    # Minimal: the graders package and its dist-info, asking only for what graders imports.
    assert {n.split("/")[0] for n in names} == {"graders", info.split("/")[0]}
    needs = [
        line.split(":", 1)[1].strip() for line in metadata.splitlines() if "Requires-Dist" in line
    ]
    assert needs == checker_wheel.requirements()
    venv = tmp_path / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    install = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
    install += ["--no-index", "--find-links", str(checker_wheelhouse), "--no-cache-dir", str(wheel)]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PIP_CONFIG_FILE": os.devnull}
    done = subprocess.run(install, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    shutil.copy(built_site / "labs" / "download" / f"{LAB.name}.ipynb", tmp_path)
    done = subprocess.run(
        [str(venv / "bin" / "mlops-grade"), "check", f"{LAB.name}.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = done.stdout + done.stderr
    found = SUMMARY.search(out)
    assert done.returncode == 0 and found, out
    # It ran every public test: a row each, and every public test cell is among them.
    assert int(found[2]) == out.count("FAIL ") + out.count("PASS ") > 0, out
    tests = public_tests(tmp_path / f"{LAB.name}.ipynb")
    assert tests and all(f"{gid}" in out for gid in tests), (sorted(tests), out)


def test_the_wheel_is_reproducible_and_a_changed_checker_gets_a_new_version(
    tmp_path: Path,
) -> None:
    """Same sources, same bytes; one changed line, a new version (pip then replaces the old)."""
    root = tmp_path / "root"
    shutil.copytree(ROOT / "graders", root / "graders", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", root)
    first = checker_wheel.build_wheel(tmp_path / "a", root).read_bytes()
    assert checker_wheel.build_wheel(tmp_path / "b", root).read_bytes() == first
    before = checker_wheel.wheel_name(root)
    with (root / "graders" / "check.py").open("a") as f:
        f.write("# a fix\n")
    assert checker_wheel.wheel_name(root) != before
    project = checker_wheel.version(root).split("+")[0]
    assert checker_wheel.version(root) != project and project in before  # 0.1.0+<sources>
