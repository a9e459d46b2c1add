"""`tools/course_numbers.py --reextract`: an extractor that reads more of a committed run's JSON
adds figures without rerunning a slow set, and cannot pass off another run's output as it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import course_numbers  # noqa: E402

META = {"command": "python benchmarks/x.py", "revision": "a" * 40, "seconds": 600.0}


def _extract(raw: dict[str, Any]) -> dict[str, Any]:
    return {"model": {k: v for k, v in raw.items() if k != "seconds"}}


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    raw_dir, data = tmp_path / "raw", tmp_path / "data"
    raw_dir.mkdir()
    data.mkdir()
    monkeypatch.setattr(course_numbers, "RAW", raw_dir)
    committed = {"meta": META, "figures": {"model": {"auc": 0.85}}}
    (data / "x_full.json").write_text(json.dumps(committed))
    return raw_dir, data


SET = course_numbers.FigureSet(
    "x_full", "benchmarks/x.py", ("--out", "{out}"), "full", 0, False, _extract
)


def test_reextract_adds_figures_and_keeps_the_runs_provenance(setup: tuple[Path, Path]) -> None:
    """Does a re-read of the same run add the new figure and keep meta (command, revision)?"""
    raw_dir, data = setup
    (raw_dir / "x_full.json").write_text(json.dumps({"auc": 0.85, "ece": 0.02, "seconds": 9}))
    added = course_numbers.reextract(SET, data)
    written = json.loads((data / "x_full.json").read_text())
    assert added == ["model.ece"]
    assert written == {"meta": META, "figures": {"model": {"auc": 0.85, "ece": 0.02}}}


def test_reextract_refuses_another_runs_output(setup: tuple[Path, Path]) -> None:
    """A JSON whose figures differ from the committed ones is another run: refused, unwritten."""
    raw_dir, data = setup
    before = (data / "x_full.json").read_text()
    (raw_dir / "x_full.json").write_text(json.dumps({"auc": 0.80, "ece": 0.02}))
    with pytest.raises(RuntimeError, match="not the committed run's output.*model.auc"):
        course_numbers.reextract(SET, data)
    assert (data / "x_full.json").read_text() == before
    (raw_dir / "x_full.json").unlink()
    with pytest.raises(RuntimeError, match="--reextract needs"):
        course_numbers.reextract(SET, data)
