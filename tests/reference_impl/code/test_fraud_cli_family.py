"""The `fraud` CLI as one of the family: --version, --json results, domain errors vs bugs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reference_impl import __version__, runner
from reference_impl.cli import app
from reference_impl.errors import InvalidInputError


def test_version() -> None:
    """Does --version print the package version and exit 0?"""
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"fraud {__version__}"


def test_json_is_the_results_to_dict(root: Path) -> None:
    """Is `--json` the runner result's to_dict(), and a second run the same dataset kept?"""
    result = CliRunner().invoke(app, ["simulate", "--preset", "tiny", "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)
    assert first["written"] and first["n_days"] == 60 and first["path"] == str(root / "data/raw")
    again = json.loads(CliRunner().invoke(app, ["simulate", "--preset", "tiny", "--json"]).stdout)
    assert not again["written"] and again["dataset_hash"] == first["dataset_hash"]
    assert set(first) == {f for f in runner.SimulateResult.__dataclass_fields__}


def test_domain_error_is_one_line_but_a_bug_keeps_its_traceback(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Is a DomainError exit 1 with one line, while a plain ValueError (a bug) is not hidden?"""

    def domain(**_: object) -> None:
        raise InvalidInputError("feature table lacks column(s) X\nsecond line")

    def bug(**_: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(runner, "run_train", domain)
    result = CliRunner().invoke(app, ["train", "--no-track"])
    assert result.exit_code == 1 and result.output == "error: feature table lacks column(s) X\n"
    monkeypatch.setattr(runner, "run_train", bug)
    result = CliRunner().invoke(app, ["train", "--no-track"])
    assert isinstance(result.exception, ValueError) and str(result.exception) == "a bug"
