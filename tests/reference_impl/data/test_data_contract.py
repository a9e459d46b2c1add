"""Data contract: clean data passes; each broken rule is reported, all of them at once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reference_impl import schemas as s
from reference_impl.simulate import config_for, simulate, write_raw
from reference_impl.validate import DataContractError, ValidationReport, validate

PART = "date=2018-04-10/part.parquet"


@pytest.fixture(scope="module")
def short_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve days of the tiny preset: enough for row rules, quick to copy and re-validate."""
    out = tmp_path_factory.mktemp("short") / "raw"
    write_raw(simulate(config_for("tiny", n_days=12)), out)
    return out


def corrupt(raw: Path, tmp_path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
    """A copy of the dataset with one partition rewritten by `change`."""
    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    df = pd.read_parquet(copy / PART)
    change(df).to_parquet(copy / PART, index=False)
    return copy


def checks_failed(report: ValidationReport) -> set[str]:
    return {v.check for v in report.violations}


def test_clean_simulated_data_passes(tiny_raw: Path) -> None:
    """Does a freshly simulated preset satisfy every rule, statistics bands included?"""
    report = validate(tiny_raw)
    assert report.ok, report.to_text()
    assert report.preset == "tiny" and "expected_statistics" in report.checks
    assert report.n_rows > 50_000 and report.n_partitions == 60
    assert json.loads(report.to_json())["ok"] is True


def _set(col: str, row: int, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return change


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (_set(s.TX_AMOUNT, 3, -2.5), "amount"),
        (_set(s.TX_AMOUNT, 3, np.inf), "amount"),
        (_set(s.TX_FRAUD, 4, 2), "fraud_values"),
        (_set(s.TX_FRAUD, 4, 1), "scenario_fraud"),
        (_set(s.TX_FRAUD_SCENARIO, 5, 9), "scenario_values"),
        (_set(s.TRANSACTION_ID, 6, 0), "unique_ids"),
        (_set(s.TX_AMOUNT, 7, np.nan), "non_null"),
        (_set(s.TX_TIME_SECONDS, 8, 1), "time_columns"),
        (_set(s.TX_TIME_DAYS, 8, 0), "time_columns"),
        (_set(s.CUSTOMER_ID, 9, 10**9), "known_customer_id"),
        (_set(s.TX_DATETIME, 10, pd.Timestamp("2018-04-10 00:00:00")), "monotone_time"),
        (_set(s.TX_DATETIME, 10, pd.Timestamp("2018-04-11 12:00:00")), "partition_date"),
        (lambda df: df.drop(columns=[s.TX_FRAUD]), "schema"),
        (lambda df: df.astype({s.CUSTOMER_ID: "float64"}), "schema"),
        (lambda df: df.assign(EXTRA=1), "schema"),
    ],
)
def test_each_broken_rule_is_reported(
    short_raw: Path, tmp_path: Path, change: Callable[[pd.DataFrame], pd.DataFrame], check: str
) -> None:
    """Is each kind of bad row caught by its own named check (and by the content hash)?"""
    report = validate(corrupt(short_raw, tmp_path, change))
    assert check in checks_failed(report), report.to_text()
    assert "content_hash" in checks_failed(report)


def test_every_violation_is_listed_with_examples(short_raw: Path, tmp_path: Path) -> None:
    """Does one report list all problems, with row counts and example ids, not just the first?"""

    def many(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[[1, 2], s.TX_AMOUNT] = -1.0
        df.loc[3, s.TX_FRAUD_SCENARIO] = 7
        return df

    report = validate(corrupt(short_raw, tmp_path, many))
    assert {"amount", "scenario_values", "scenario_fraud", "content_hash"} <= checks_failed(report)
    amount = next(v for v in report.violations if v.check == "amount")
    assert amount.rows == 2 and len(amount.examples) == 2
    text = report.to_text()
    assert "FAILED" in text and text.count("\n  x ") == len(report.violations)


def test_failing_report_raises_when_asked(short_raw: Path, tmp_path: Path) -> None:
    """Does raise_on_error stop the caller with the report attached?"""
    copy = corrupt(short_raw, tmp_path, _set(s.TX_AMOUNT, 3, -1.0))
    with pytest.raises(DataContractError) as err:
        validate(copy, raise_on_error=True)
    assert not err.value.report.ok


def test_tampering_and_missing_manifest_are_caught(short_raw: Path, tmp_path: Path) -> None:
    """Are a deleted partition and a missing manifest reported (raw data is immutable)?"""
    copy = tmp_path / "raw"
    shutil.copytree(short_raw, copy)
    shutil.rmtree(copy / "date=2018-04-05")
    report = validate(copy)
    assert "content_hash" in checks_failed(report) and "missing" in report.to_text()
    (copy / "manifest.json").unlink()
    assert "manifest" in checks_failed(validate(copy))


def test_statistics_out_of_band_are_reported(tiny_raw: Path, tmp_path: Path) -> None:
    """Does data of the wrong size for its preset fail the expected-statistics check?"""
    report = validate(tiny_raw, preset="full")
    assert checks_failed(report) == {"expected_statistics"}
    assert "n_transactions" in report.to_text()


def test_unknown_preset_and_missing_folder(tmp_path: Path, tiny_raw: Path) -> None:
    """Are a bad preset name and a missing folder clear errors?"""
    with pytest.raises(ValueError, match="unknown preset"):
        validate(tiny_raw, preset="mega")
    with pytest.raises(FileNotFoundError):
        validate(tmp_path / "nope")
