"""`fraud simulate | validate | features`: happy path and one-line errors with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reference_impl import schemas as s
from reference_impl.cli import app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.slow
def test_simulate_validate_features(root: Path) -> None:
    """Does the data half of the pipeline run end to end from the CLI?"""
    code, out = run("simulate", "--preset", "tiny", "--seed", "1")
    assert code == 0 and "transactions over 60 days" in out, out
    code, out = run("validate")
    assert code == 0 and "OK: no violation" in out, out
    assert json.loads((root / "reports/validation.json").read_text())["ok"] is True
    code, out = run("features")
    assert code == 0, out
    table = pd.read_parquet(root / "data/features/features.parquet")
    assert set(s.FEATURE_COLUMNS) <= set(table.columns) and len(table) > 50_000
    meta = json.loads((root / "data/features/features.json").read_text())
    assert meta["feature_columns"] == list(s.FEATURE_COLUMNS) and meta["delay_days"] == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("simulate", "--preset", "huge"),
            "data.preset: Input should be 'tiny', 'small' or 'full' (got 'huge')",
        ),
        (("validate", "--raw", "missing"), "no raw dataset"),
        (("features", "--raw", "missing"), "no raw dataset"),
        (("validate", "--raw", ".", "--preset", "mega"), "validate.bands: Input should be"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(root: Path, args: tuple[str, ...], message: str) -> None:
    """Is a domain error a single readable line with exit code 1, no traceback?"""
    code, out = run(*args)
    assert code == 1
    assert message in out and len(out.strip().splitlines()) == 1 and "Traceback" not in out


def test_raw_data_is_immutable_from_the_cli(root: Path) -> None:
    """Does a second simulate refuse to overwrite, and --force replace?"""
    assert run("simulate", "--preset", "tiny")[0] == 0
    code, out = run("simulate", "--preset", "tiny", "--seed", "2")
    assert code == 1 and "--force" in out
    assert run("simulate", "--preset", "tiny", "--seed", "2", "--force")[0] == 0


def test_invalid_data_stops_features(root: Path) -> None:
    """Does `features` refuse to run on data that breaks the contract (and write nothing)?"""
    assert (
        run("simulate", "--preset", "tiny", "--drift-start", "30", "--amount-scale", "1.2")[0] == 0
    )
    part = next((root / "data/raw").glob("date=*/part.parquet"))
    df = pd.read_parquet(part)
    df.loc[0, s.TX_AMOUNT] = -1.0
    df.to_parquet(part, index=False)
    code, out = run("validate")
    assert code == 1 and "amount" in out and "content_hash" in out
    code, out = run("features")
    assert code == 1 and "FAILED" in out
    assert not (root / "data/features/features.parquet").exists()


def test_drift_options_reach_the_simulator(root: Path) -> None:
    """Do the CLI's drift options end up in the dataset's recorded config and data?"""
    args = ["simulate", "--preset", "tiny", "--drift-start", "50", "--card-testing", "2"]
    args += ["--s3-mult", "2", "--no-scale-s1", "--weekend-mult", "1.1"]
    assert run(*args)[0] == 0
    cfg = json.loads((root / "data/raw/manifest.json").read_text())["config"]
    assert cfg["drift"]["start_day"] == 50 and cfg["drift"]["card_testing"]["cards_per_day"] == 2
    assert cfg["drift"]["s3_amount_mult"] == 2 and cfg["drift"]["scale_s1_threshold"] is False
    assert cfg["seasonality"]["weekend_volume_mult"] == 1.1
    tx = pd.read_parquet(root / "data/raw/date=2018-05-25/part.parquet")
    assert (tx[s.TX_FRAUD_SCENARIO] == 4).any()
