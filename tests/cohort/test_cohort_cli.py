"""mlops-cohort CLI: the instructor's commands end to end, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from cohort_helpers import roster_rows
from typer.testing import CliRunner

from cohort.cli import app

runner = CliRunner()


def test_groups_review_end_to_end(write_csv, tmp_path: Path) -> None:
    """Roster → groups → assignments → forms → filled → results, through the CLI."""
    roster = write_csv(roster_rows(12))
    groups, assigned = tmp_path / "groups.csv", tmp_path / "assignments.csv"
    forms, results = tmp_path / "forms", tmp_path / "results"
    result = runner.invoke(app, ["groups", str(roster), "--size", "4", "--out", str(groups)])
    assert result.exit_code == 0, result.output
    assert "3 groups" in result.output
    result = runner.invoke(app, ["review", "assign", str(groups), "-r", "2", "-o", str(assigned)])
    assert result.exit_code == 0 and "6 reviews" in result.output, result.output
    assert runner.invoke(app, ["review", "forms", str(assigned), "-o", str(forms)]).exit_code == 0
    for path in forms.glob("*.yml"):
        form = yaml.safe_load(path.read_text())
        for review in form["reviews"]:
            for cid in review["scores"]:
                review["scores"][cid] = {"score": 2, "comment": "ok"}
        path.write_text(yaml.safe_dump(form))
    result = runner.invoke(
        app, ["review", "collect", str(forms), "-a", str(assigned), "-o", str(results)]
    )
    assert result.exit_code == 0, result.output
    assert len(list(results.glob("g*.md"))) == 3


def test_bad_roster_exits_1_with_one_line(write_csv) -> None:
    """A duplicate id: exit 1, one line naming it, no traceback."""
    rows = roster_rows(4)
    rows[3]["id"] = rows[0]["id"]
    result = runner.invoke(app, ["groups", str(write_csv(rows)), "--size", "2"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: roster roster.csv line 5: duplicate id 's00'"
    ]


def test_roster_smaller_than_a_group(write_csv) -> None:
    """Three students, groups of four: exit 1 with the reason."""
    result = runner.invoke(app, ["groups", str(write_csv(roster_rows(3))), "--size", "4"])
    assert result.exit_code == 1 and "cannot fill one group of 4" in result.output


def test_settings_give_the_defaults(write_csv, tmp_path: Path, monkeypatch) -> None:
    """Without options, do MLOPS_COHORT_* variables set the output root and group size?"""
    from cohort.config import get_settings

    monkeypatch.setenv("MLOPS_COHORT_ROOT", str(tmp_path / "cohort-out"))
    monkeypatch.setenv("MLOPS_COHORT_GROUP_SIZE", "3")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["groups", str(write_csv(roster_rows(9)))])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "3 groups" in result.output
    assert (tmp_path / "cohort-out" / "groups.csv").is_file()


def test_groups_table_prints_ids_literally(write_csv) -> None:
    """Is a roster id that looks like Rich markup (`alice[conceal]_x`) printed as it is?"""
    rows = roster_rows(4)
    rows[0]["id"], rows[1]["id"] = "alice[conceal]_x", "[bold]bob[/bold]"
    result = runner.invoke(
        app, ["groups", str(write_csv(rows)), "--size", "4"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "alice[conceal]_x" in result.output and "[bold]bob[/bold]" in result.output
