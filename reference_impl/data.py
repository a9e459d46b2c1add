"""Raw dataset IO: immutable daily Parquet partitions, a manifest and a content hash.

Layout of a raw dataset folder::

    date=2018-04-01/part.parquet   one partition per simulated day (transactions)
    customers.parquet, terminals.parquet
    manifest.json                  simulator config, row counts, per-file and dataset hashes

A dataset is written to a temporary sibling folder, then renamed into place, so a crash never
leaves a half-written dataset; an existing dataset is only replaced with ``force=True``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reference_impl import schemas as s
from reference_impl.atomic import atomic_directory, atomic_file, write_json
from reference_impl.errors import DatasetExistsError, MissingInputError

if TYPE_CHECKING:
    from reference_impl.simulate import Simulation

MANIFEST = "manifest.json"
PROFILE_FILES = ("customers.parquet", "terminals.parquet")
_PART = "part.parquet"


def _write_parquet(df: pd.DataFrame | pa.Table, path: Path) -> None:
    table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def file_sha256(path: Path) -> str:
    """SHA-256 of one file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _data_files(raw_dir: Path) -> list[Path]:
    parts = sorted(raw_dir.glob(f"date=*/{_PART}"))
    return parts + [raw_dir / name for name in PROFILE_FILES if (raw_dir / name).exists()]


def partition_files(raw_dir: Path | str) -> list[Path]:
    """Daily partition files of a raw dataset, in date order.

    Raises:
        FileNotFoundError: the folder does not exist or holds no partition.
    """
    raw_dir = Path(raw_dir)
    files = sorted(raw_dir.glob(f"date=*/{_PART}"))
    if not files:
        raise MissingInputError(f"no raw dataset at {raw_dir} (run `fraud simulate` first)")
    return files


def dataset_hash(raw_dir: Path | str) -> str:
    """SHA-256 over the data files of a raw dataset (relative paths and bytes; not the manifest)."""
    raw_dir = Path(raw_dir)
    partition_files(raw_dir)
    digest = hashlib.sha256()
    for path in _data_files(raw_dir):
        digest.update(f"{path.relative_to(raw_dir).as_posix()}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def read_manifest(raw_dir: Path | str) -> dict[str, Any]:
    """The manifest of a raw dataset (empty dict when missing)."""
    path = Path(raw_dir) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def write_raw(
    sim: Simulation,
    out_dir: Path | str,
    *,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write a simulation as an immutable raw dataset; return its manifest.

    Args:
        sim: the simulation to write.
        out_dir: dataset folder (created; must not hold data unless `force`).
        force: replace an existing dataset.
        progress: called with 1 after each partition written.

    Raises:
        FileExistsError: `out_dir` already holds data and `force` is false.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise DatasetExistsError(
            f"{out_dir} already holds a dataset; raw data is immutable (use --force)"
        )
    # 0o755: the dataset is shared read-only data (mkdtemp alone would make it private).
    with atomic_directory(out_dir, mode=0o755) as tmp:
        manifest = _write_into(sim, tmp, progress)
    return manifest


def _write_into(
    sim: Simulation, folder: Path, progress: Callable[[int], None] | None
) -> dict[str, Any]:
    tx = sim.transactions
    days = tx[s.TX_TIME_DAYS].to_numpy()
    bounds = np.searchsorted(days, np.arange(sim.config.n_days + 1))
    table = pa.Table.from_pandas(tx, preserve_index=False)  # once; partitions are zero-copy slices
    files: dict[str, dict[str, Any]] = {}

    def write_day(day: int) -> None:
        rel = f"date={(sim.config.start_date + dt.timedelta(days=day)).isoformat()}/{_PART}"
        (folder / rel).parent.mkdir()
        _write_parquet(table.slice(bounds[day], bounds[day + 1] - bounds[day]), folder / rel)
        files[rel] = {"rows": int(bounds[day + 1] - bounds[day])}
        if progress is not None:
            progress(1)

    # Files are independent and Parquet encoding releases the GIL: two writers use both cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(write_day, range(sim.config.n_days)))
    files = dict(sorted(files.items()))
    _write_parquet(sim.customers, folder / PROFILE_FILES[0])
    _write_parquet(sim.terminals, folder / PROFILE_FILES[1])
    for rel in files:
        files[rel]["sha256"] = file_sha256(folder / rel)
    manifest = {
        "format": 1,
        "config": sim.config.model_dump(mode="json"),
        "n_transactions": len(tx),
        "n_frauds": int(tx[s.TX_FRAUD].sum()),
        "first_date": sim.config.start_date.isoformat(),
        "n_days": sim.config.n_days,
        "dataset_hash": dataset_hash(folder),
        "files": files,
        "versions": {"numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pa.__version__},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _as_date(value: dt.date | str | None) -> str | None:
    if value is None:
        return None
    return (
        value.isoformat()
        if isinstance(value, dt.date)
        else dt.date.fromisoformat(value).isoformat()
    )


def load_transactions(
    raw_dir: Path | str,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
) -> pd.DataFrame:
    """Read the transactions of a raw dataset, optionally only days in [start, end] (inclusive).

    Raises:
        FileNotFoundError: no raw dataset at `raw_dir`.
    """
    lo, hi = _as_date(start), _as_date(end)
    files = [
        f
        for f in partition_files(raw_dir)
        if (lo is None or f.parent.name[5:] >= lo) and (hi is None or f.parent.name[5:] <= hi)
    ]
    if not files:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in s.TRANSACTION_DTYPES.items()})
    with ThreadPoolExecutor(max_workers=2) as pool:
        tables = list(pool.map(pq.read_table, files))
    return pa.concat_tables(tables).to_pandas().reset_index(drop=True)


def load_profiles(raw_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and terminals tables of a raw dataset."""
    raw_dir = Path(raw_dir)
    return pd.read_parquet(raw_dir / PROFILE_FILES[0]), pd.read_parquet(raw_dir / PROFILE_FILES[1])


FEATURES_FILE = "features.parquet"
FEATURES_MANIFEST = "features.json"


def write_features(
    features: pd.DataFrame, out_dir: Path | str, *, metadata: dict[str, Any]
) -> Path:
    """Write a feature table, then its metadata (each atomically); return the table's path."""
    out_dir = Path(out_dir)
    target = out_dir / FEATURES_FILE
    with atomic_file(target) as tmp:
        _write_parquet(features, tmp)
        meta = {**metadata, "n_rows": len(features), "sha256": file_sha256(tmp)}
    write_json(out_dir / FEATURES_MANIFEST, meta)
    return target


def load_features(features_dir: Path | str) -> pd.DataFrame:
    """Read the feature table written by `fraud features`.

    Raises:
        FileNotFoundError: no feature table in `features_dir`.
    """
    path = Path(features_dir) / FEATURES_FILE
    if not path.exists():
        raise MissingInputError(f"no features at {path} (run `fraud features` first)")
    return pd.read_parquet(path)


def read_features_metadata(features_dir: Path | str) -> dict[str, Any]:
    """Metadata of a feature table (raw dataset hash, delay, columns); empty when missing."""
    path = Path(features_dir) / FEATURES_MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}
