"""The group project template: create a project from it, publish it as a tagged git repo, update.

`copier update` needs to know which template version a project came from, so groups should copy
from a *published* template (a git repository with version tags), not from this folder.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cohort.errors import CohortError

TEMPLATE_DIR = Path(__file__).resolve().parent / "template"


@dataclass(frozen=True)
class Published:
    """Where the template was published and under which tag."""

    repo: Path
    version: str
    commit: str


def new_project(
    *, dest: Path, answers: dict[str, Any], template: str | None = None, vcs_ref: str | None = None
) -> Path:
    """Render the template into `dest` with `answers` (defaults for the rest); no prompts."""
    from copier import run_copy
    from copier.errors import CopierError

    if dest.exists() and any(dest.iterdir()):
        raise CohortError(f"{dest} exists and is not empty")
    try:
        run_copy(
            template or str(TEMPLATE_DIR),
            dest,
            data=answers,
            defaults=True,
            vcs_ref=vcs_ref,
            quiet=True,
        )
    except (CopierError, ValueError) as exc:
        raise CohortError(f"cannot render the template: {str(exc).splitlines()[0]}") from exc
    return dest


def update_project(*, path: Path, vcs_ref: str | None = None) -> None:
    """Bring later template versions into a project (a clean git repo with .copier-answers.yml)."""
    from copier import run_update
    from copier.errors import CopierError

    answers_file = path / ".copier-answers.yml"
    if not answers_file.is_file():
        raise CohortError(f"{path} was not made from the template (no .copier-answers.yml)")
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    if "_commit" not in answers:
        raise CohortError(
            f"{path} was made from an unpublished template copy: publish it "
            "(mlops-cohort publish-template) and create projects from the published repository"
        )
    try:
        run_update(path, defaults=True, overwrite=True, vcs_ref=vcs_ref, quiet=True)
    except (CopierError, ValueError, subprocess.CalledProcessError) as exc:
        raise CohortError(f"copier update failed: {str(exc).splitlines()[0]}") from exc


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=mlops-cohort", "-c", "user.email=cohort@localhost", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise CohortError(
            f"git {args[0]} failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1]}"
        )
    return proc.stdout.strip()


def publish_template(*, dest: Path, version: str, source: Path = TEMPLATE_DIR) -> Published:
    """Copy the template into the git repository `dest` (created if needed), commit and tag it."""
    if not version.lstrip("v")[:1].isdigit():
        raise CohortError(
            f"version {version!r} must look like v1.2.0 (copier orders tags by version)"
        )
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / ".git").exists():
        _git(dest, "init", "-q", "-b", "main")
    if version in _git(dest, "tag", "--list").split():
        raise CohortError(f"tag {version} already exists in {dest}")
    for child in dest.iterdir():  # replace the tree with the current template
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(source, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "--allow-empty", "-m", f"Template {version}")
    _git(dest, "tag", version)
    return Published(repo=dest, version=version, commit=_git(dest, "rev-parse", "HEAD"))
