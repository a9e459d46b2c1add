"""cohort.scaffold and the template: what a group gets; it installs, passes, and updates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from cohort.errors import CohortError
from cohort.scaffold import TEMPLATE_DIR, new_project, publish_template, update_project

BIN = Path(sys.executable).parent
LAYOUT = [
    "README.md", "pyproject.toml", "requirements.lock", "params.yaml", "dvc.yaml", "MLproject",
    "Dockerfile", ".dockerignore", ".github/workflows/ci.yml", ".pre-commit-config.yaml",
    "Makefile", "docs/model_card.md", "docs/report.md", ".copier-answers.yml",
    *(f"src/fraud_radar/{m}.py" for m in (
        "data", "validate", "split", "features", "train", "evaluate", "registry", "serve",
        "monitor", "cli",
    )),
    "tests/code/test_api.py", "tests/data/test_validate.py", "tests/data/test_split.py",
    "tests/model/test_model.py",
]  # fmt: skip


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def test_layout_mirrors_the_reference_system(generated_project: Path) -> None:
    """Does the generated repo have a module per stage, three test suites and the ops files?"""
    missing = [p for p in LAYOUT if not (generated_project / p).is_file()]
    assert not missing
    answers = yaml.safe_load((generated_project / ".copier-answers.yml").read_text())
    assert answers["package_name"] == "fraud_radar" and answers["problem_type"] == "classification"
    assert "Ada <ada@example.org>" in (generated_project / "docs/model_card.md").read_text()


def test_makefile_help_lists_targets(generated_project: Path) -> None:
    """Does `make help` list the targets a group needs?"""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(
        ["make", "-s", "help"], cwd=generated_project, capture_output=True, text=True
    )
    for target in ("install", "test", "pipeline", "serve", "monitor", "docker-build", "lock"):
        assert target in out.stdout


def test_generated_code_is_lint_clean(generated_project: Path, tmp_path: Path) -> None:
    """Do both problem types render to code that passes ruff check and ruff format?"""
    regression = new_project(dest=tmp_path / "reg", answers={"problem_type": "regression"})
    assert "kpi: mae" in (regression / "params.yaml").read_text()
    for project in (generated_project, regression):  # the course's split and gate, not shortcuts
        code = "".join(p.read_text() for p in (project / "src").rglob("*.py"))
        assert "train_test_split" not in code and "time_split(" in code and "champion" in code
        assert "roc_auc" not in (project / "params.yaml").read_text()
    assert "RandomForestRegressor" in (regression / "src/fraud_radar/train.py").read_text()
    for project in (generated_project, regression):
        for cmd in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
            proc = subprocess.run(
                [str(BIN / "ruff"), *cmd], cwd=project, capture_output=True, text=True
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"package_name": "Bad-Name"}, "cannot render"),
        ({"problem_type": "ranking"}, "cannot render"),
    ],
)
def test_bad_answers_are_one_clear_error(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    """Is an invalid answer refused with a CohortError, not a traceback?"""
    with pytest.raises(CohortError, match=message):
        new_project(dest=tmp_path / "p", answers=answers)


def _venv_with_course_packages(path: Path) -> Path:
    """A venv that sees the course's installed packages (offline: nothing is downloaded)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "course-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _run_tests(python: Path, project: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, env=env,
    )  # fmt: skip


@pytest.mark.slow
def test_generated_project_installs_and_its_tests_pass(tmp_path: Path) -> None:
    """Does `pip install` of a fresh project work offline, and do its own tests pass?"""
    project = new_project(dest=tmp_path / "proj", answers={})
    python = _venv_with_course_packages(tmp_path / "venv")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-build-isolation", "--no-index", str(project)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    assert (tmp_path / "venv" / "bin" / "fraud_radar").exists()  # console script installed
    shutil.rmtree(project / "src")  # the tests must now import the *installed* package
    tests = _run_tests(python, project)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout.splitlines()[-1]


@pytest.mark.slow
def test_regression_project_tests_pass(tmp_path: Path) -> None:
    """Do the tests of a regression project pass too (run from its source tree)?"""
    project = new_project(dest=tmp_path / "reg", answers={"problem_type": "regression"})
    tests = _run_tests(Path(sys.executable), project)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout.splitlines()[-1]


@pytest.mark.slow
def test_copier_update_brings_template_fixes(tmp_path: Path) -> None:
    """After a new template version, does `update` bring the fix and keep the group's edits?"""
    published = tmp_path / "template-repo"
    publish_template(dest=published, version="v1.0.0")
    project = new_project(dest=tmp_path / "team", answers={}, template=str(published))
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "start")
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("# Fraud Radar", "# Fraud Radar (team 3)"))
    _git(project, "commit", "-q", "-am", "our title")

    newer = tmp_path / "template-v2"
    shutil.copytree(TEMPLATE_DIR, newer)
    makefile = newer / "project" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\ncheck: lint test ## Lint, then test\n")
    publish_template(dest=published, version="v1.1.0", source=newer)
    update_project(path=project)

    assert "check: lint test" in (project / "Makefile").read_text()
    assert "# Fraud Radar (team 3)" in readme.read_text()
    assert "_commit: v1.1.0" in (project / ".copier-answers.yml").read_text()
    with pytest.raises(CohortError, match="already exists"):
        publish_template(dest=published, version="v1.1.0")


def test_update_needs_a_published_template(generated_project: Path) -> None:
    """A project copied from the bundled (unversioned) template cannot update: say how to fix it."""
    with pytest.raises(CohortError, match="publish-template"):
        update_project(path=generated_project)


def test_rendered_config_files_parse_and_agree(generated_project: Path) -> None:
    """Do the YAML files parse, and do dvc.yaml, MLproject and CI call commands the CLI has?"""
    for name in ("params.yaml", "dvc.yaml", "MLproject", ".pre-commit-config.yaml"):
        assert yaml.safe_load((generated_project / name).read_text()), name
    ci = yaml.safe_load((generated_project / ".github/workflows/ci.yml").read_text())
    cli = (generated_project / "src/fraud_radar/cli.py").read_text()
    commands = set(re.findall(r"^def (\w+)\(", cli, re.M)) | {"all"}
    stages = yaml.safe_load((generated_project / "dvc.yaml").read_text())["stages"]
    used = [stage["cmd"].split() for stage in stages.values()]
    used += [e["command"].split() for e in yaml.safe_load(
        (generated_project / "MLproject").read_text())["entry_points"].values()]  # fmt: skip
    assert all(cmd[0] == "fraud_radar" and cmd[1] in commands for cmd in used), used
    steps = [s.get("run", "") for job in ci["jobs"].values() for s in job["steps"]]
    assert any("pytest" in s for s in steps) and any("fraud_radar all" in s for s in steps)
