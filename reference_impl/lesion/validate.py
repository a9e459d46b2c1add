"""Data contract of a lesion dataset (HAM10000 layout): every violation in one report.

Checks, in order: the manifest and content hash (generated data is immutable; a real download
has no manifest and is noted), the metadata's columns, then row rules (non-null ids, unique
image ids, known classes and values, ranges of age, skin tone and the ABCD attributes, label
consistent with dx, one patient and one diagnosis per lesion), then every image (its file,
readable, 8-bit RGB of the dataset's size, not blank) and files no row describes. The report
has the fraud contract's shape (`reference_impl.validate.ValidationReport`), so `lesion validate`
prints and exits like `fraud validate`: exit 1 when any violation is found.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from reference_impl.errors import DomainError
from reference_impl.lesion import schemas as s
from reference_impl.lesion.data import (
    dataset_hash,
    image_files,
    load_metadata,
    metadata_path,
    read_manifest,
)
from reference_impl.validate import DataContractError, ValidationReport, Violation

# Allowed values per column (NaN allowed where the real data may lack the value).
VALUES: dict[str, tuple[Any, ...]] = {
    s.DX: s.CLASSES,
    s.DX_TYPE: (*s.DX_TYPES, s.UNKNOWN),
    s.SEX: s.SEXES,
    s.LABEL: (0, 1),
}
RANGES: dict[str, tuple[float, float]] = {
    s.AGE: (0, 120),
    s.SKIN_TONE: (-1, 6),
    "A": (0, 2),
    "B": (0, 8),
    "C": (1, 6),
    "D": (1, 5),
    "diameter_mm": (0.1, 30),
}


class LesionValidationReport(ValidationReport):
    """The fraud report, counting images, quoting image ids."""

    def add(self, check: str, message: str, bad: pd.Series | None = None, ids: Any = None) -> None:
        """Record a violation; `bad` is a row mask, `ids` the image ids to quote from."""
        rows = int(bad.sum()) if bad is not None else 0
        examples = [] if bad is None or ids is None else [str(i) for i in ids[bad.to_numpy()][:5]]
        self.violations.append(Violation(check, message, rows, examples))

    def to_text(self) -> str:
        """Human-readable summary: one line per violation."""
        lines = [f"Data contract of {self.raw_dir}: {self.n_rows:,} images"]
        lines[0] += f", preset {self.preset}" if self.preset else ""
        lines.append(f"{len(self.checks)} checks run")
        if self.ok:
            lines.append("OK: no violation")
        else:
            lines.append(f"FAILED: {len(self.violations)} violation(s)")
            for v in self.violations:
                more = f" ({v.rows:,} rows" if v.rows else ""
                if v.examples:
                    more += f"; e.g. {', '.join(map(str, v.examples))})"
                elif v.rows:
                    more += ")"
                lines.append(f"  x {v.check}: {v.message}{more}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _check_manifest(root: Path, manifest: dict[str, Any], report: ValidationReport) -> None:
    if not manifest:
        report.notes.append("no manifest.json: not generated data, content hash not checked")
        return
    report.checks.append("content_hash")
    if dataset_hash(root) != manifest.get("dataset_hash"):
        report.add("content_hash", "files differ from the manifest (raw data is immutable)")


def check_rows(
    meta: pd.DataFrame, report: ValidationReport, *, columns: list[str], generated: bool
) -> None:
    """Row rules on a metadata table (HAM10000 columns present); `columns` as in the file."""
    ids = meta[s.IMAGE_ID].to_numpy()
    report.n_rows = len(meta)
    report.checks += ["columns", "non_null", "unique_ids", "values", "ranges", "label_dx"]
    expected = s.COLUMNS if generated else s.HAM_COLUMNS
    missing = [c for c in expected if c not in columns]
    if missing:
        report.add("columns", f"missing column(s) {', '.join(missing)}")
    for col in (s.LESION_ID, s.IMAGE_ID, s.DX, s.PATIENT_ID):
        null = meta[col].isna()
        if null.any():
            report.add("non_null", f"{col} has missing values", null, ids)
    dup = meta[s.IMAGE_ID].duplicated(keep=False)
    if dup.any():
        report.add("unique_ids", "image_id values repeat", dup, ids)
    for col, allowed in VALUES.items():
        bad = meta[col].notna() & ~meta[col].isin(allowed)
        if bad.any():
            seen = sorted(map(str, meta.loc[bad, col].unique()))[:3]
            report.add(
                "values", f"{col} has unknown value(s) {seen}; allowed {list(allowed)}", bad, ids
            )
    for col, (lo, hi) in RANGES.items():
        values = pd.to_numeric(meta[col], errors="coerce") if col in meta else None
        if values is None:
            continue
        bad = (values.notna() & ((values < lo) | (values > hi))) | (
            values.isna() & meta[col].notna()
        )
        if bad.any():
            report.add("ranges", f"{col} outside [{lo:g}, {hi:g}]", bad, ids)
    bad = meta[s.LABEL].isin((0, 1)) & (meta[s.LABEL] != meta[s.DX].isin(s.MALIGNANT).astype(int))
    if bad.any():
        report.add("label_dx", "label must be 1 exactly for dx in mel, bcc, akiec", bad, ids)
    report.checks += ["lesion_one_patient", "lesion_one_dx"]
    for col, check in ((s.PATIENT_ID, "lesion_one_patient"), (s.DX, "lesion_one_dx")):
        n = meta.groupby(s.LESION_ID)[col].transform("nunique")
        if (n > 1).any():
            split = meta.loc[n > 1, s.LESION_ID].unique()
            what = "patients" if col == s.PATIENT_ID else "diagnoses"
            report.add(
                check, f"lesion(s) {', '.join(map(str, split[:3]))} span several {what}", n > 1, ids
            )


def check_images(
    root: Path, meta: pd.DataFrame, report: ValidationReport, *, size: int | None
) -> None:
    """Every row's image: present, readable, 8-bit RGB of one size, not blank; no orphan file."""
    report.checks += ["image_files", "image_readable", "image_mode", "image_size", "image_blank"]
    files = image_files(root)
    ids = meta[s.IMAGE_ID].to_numpy()
    missing = ~meta[s.IMAGE_ID].isin(list(files))
    if missing.any():
        report.add("image_files", "image file missing for listed image_id", missing, ids)
    problems: dict[str, list[bool]] = {k: [] for k in ("readable", "mode", "size", "blank")}
    sizes: Counter[tuple[int, int]] = Counter()
    seen: list[tuple[int, int] | None] = []
    for image_id, absent in zip(ids, missing, strict=True):
        info = None if absent else _inspect(files[str(image_id)])
        seen.append(info[1] if info else None)
        problems["readable"].append(not absent and info is None)
        problems["mode"].append(info is not None and info[0] != "RGB")
        problems["blank"].append(info is not None and info[2])
        if info:
            sizes[info[1]] += 1
    expected = (size, size) if size else (sizes.most_common(1)[0][0] if sizes else None)
    problems["size"] = [sz is not None and sz != expected for sz in seen]
    messages = {
        "readable": "image cannot be decoded",
        "mode": "image is not 8-bit RGB (3 channels of uint8)",
        "size": f"image size differs from {expected[0]}x{expected[1]}" if expected else "",
        "blank": "image is blank (one colour: no information)",
    }
    for key, flags in problems.items():
        bad = pd.Series(flags, dtype=bool)
        if bad.any():
            report.add(f"image_{key}", messages[key], bad, ids)
    orphans = sorted(set(files) - set(map(str, ids)))
    report.checks.append("orphan_images")
    if orphans:
        report.add("orphan_images", f"{len(orphans)} image file(s) no row describes: {orphans[:3]}")


def _inspect(path: Path) -> tuple[str, tuple[int, int], bool] | None:
    """(mode, size, blank) of an image file, or None when it cannot be decoded."""
    try:
        with Image.open(path) as img:
            img.load()
            extrema = img.getextrema()
            bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
            blank = all(lo == hi for lo, hi in bands)
            return img.mode, img.size, blank
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def statistics(meta: pd.DataFrame) -> dict[str, float]:
    """Counts and shares a reader checks at a glance (and the monitoring lab compares)."""
    out = {
        "n_images": float(len(meta)),
        "n_lesions": float(meta[s.LESION_ID].nunique()),
        "n_patients": float(meta[s.PATIENT_ID].nunique()),
        "malignant_rate": float(pd.to_numeric(meta[s.LABEL], errors="coerce").mean()),
    }
    if len(meta):
        per_patient = meta.groupby(s.PATIENT_ID)[s.LESION_ID].nunique()
        out["lesions_per_patient"] = float(per_patient.mean())
        out["patients_with_several_lesions"] = float((per_patient > 1).mean())
        for tone, share in meta[s.SKIN_TONE].value_counts(normalize=True).items():
            out[f"skin_tone_{tone}"] = float(share)
        for device, share in meta[s.DEVICE].value_counts(normalize=True).items():
            out[f"device_{device}"] = float(share)
    return out


def validate(root: Path | str, *, raise_on_error: bool = False) -> LesionValidationReport:
    """Check a HAM10000-layout folder against the contract and return the full report.

    Raises:
        MissingInputError: no folder or no metadata file.
        DataContractError: with `raise_on_error`, on a failing report.
    """
    root = Path(root)
    metadata_path(root)
    manifest = read_manifest(root)
    report = LesionValidationReport(raw_dir=str(root), preset=None)
    report.preset = _preset(manifest)
    _check_manifest(root, manifest, report)
    try:
        meta = load_metadata(root)
    except DomainError as exc:
        report.checks.append("metadata")
        report.add("metadata", str(exc))
    else:
        columns = list(pd.read_csv(metadata_path(root), nrows=0).columns)
        check_rows(meta, report, columns=columns, generated=bool(manifest))
        check_images(root, meta, report, size=manifest.get("image_size"))
        report.statistics = statistics(meta)
    if raise_on_error and not report.ok:
        raise DataContractError(report)
    return report


def _preset(manifest: dict[str, Any]) -> str | None:
    from reference_impl.lesion.simulate import PRESETS

    n = manifest.get("config", {}).get("n_images")
    return next((name for name, size in PRESETS.items() if size == n), None)
