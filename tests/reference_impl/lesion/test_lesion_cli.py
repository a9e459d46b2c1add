"""The `lesion` CLI: the fraud verbs, `--json`, one-line errors and exit 1 on a broken contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reference_impl.lesion import schemas as s
from reference_impl.lesion.cli import app
from reference_impl.lesion.config import get_settings


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LESION_ROOT", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_simulate_validate_and_errors(root: Path) -> None:
    """Does a user get a dataset, a clean report, and exit 1 with a reason on bad input?"""
    params = root / "params.yaml"
    params.write_text("lesion:\n  data: {preset: tiny, n_jobs: 1, overrides: {n_images: 60}}\n")
    cli = CliRunner()
    res = cli.invoke(app, ["simulate", "--params", str(params), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["n_images"] == 60 and out["written"]
    raw = Path(out["path"])
    assert (raw / s.METADATA_FILE).is_file()
    res = cli.invoke(app, ["validate"])
    assert res.exit_code == 0 and "OK: no violation" in res.stdout

    next(iter((raw / s.IMAGES_DIR).iterdir())).write_bytes(b"garbage")
    res = cli.invoke(app, ["validate"])
    assert res.exit_code == 1 and "x image_readable" in res.output
    res = cli.invoke(app, ["features"])
    assert res.exit_code == 1 and not (root / "data" / "features").exists()

    res = cli.invoke(app, ["simulate", "--params", str(params), "--seed", "1"])
    assert res.exit_code == 1 and "immutable" in res.output
    res = cli.invoke(app, ["simulate", "--prevalence", "rare"])
    assert res.exit_code == 1 and "data.prevalence" in res.output
    assert "Traceback" not in res.output
