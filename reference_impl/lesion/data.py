"""Lesion dataset IO in the public HAM10000 layout: the writer of generated data, the loader.

Layout::

    HAM10000_metadata.csv   one row per image: lesion_id, image_id, dx, dx_type, age, sex,
                            localization (HAM10000's columns), then ours (schemas.EXTRA_COLUMNS)
    images/<image_id>.jpg   the images (the real download: HAM10000_images_part_{1,2}/, 600x450)
    manifest.json           generated data only: generator config, counts, dataset hash
    SHA256SUMS              generated data only: one `sha256  path` line per file

`load_dataset` reads either: images are found by `<image_id>.jpg|.png` in any sub-folder and
brought to 64x64 RGB (centre square crop, resize); columns the real metadata lacks get defaults.
"""

from __future__ import annotations

import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from PIL import Image

from reference_impl.atomic import atomic_directory
from reference_impl.errors import DatasetExistsError, InvalidInputError, MissingInputError
from reference_impl.lesion import schemas as s

if TYPE_CHECKING:
    from reference_impl.lesion.simulate import Simulation

CHECKSUMS = "SHA256SUMS"
METADATA_NAMES = (s.METADATA_FILE, "HAM10000_metadata", "metadata.csv")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# Defaults for columns the real HAM10000 metadata does not have.
DEFAULTS: dict[str, Any] = {
    s.SKIN_TONE: s.UNKNOWN_TONE,
    s.DEVICE: s.UNKNOWN,
    s.VARIANT: s.UNKNOWN,
    **{a: np.nan for a in s.ATTRIBUTES},
}
Image.MAX_IMAGE_PIXELS = 50_000_000  # a decompression bomb is an error, not a hang


@dataclass(frozen=True)
class LesionDataset:
    """Images and their metadata: row i of `metadata` describes `images[i]`."""

    root: Path
    metadata: pd.DataFrame
    images: np.ndarray  # uint8 (N, 64, 64, 3)

    def __len__(self) -> int:
        return len(self.metadata)

    @property
    def labels(self) -> np.ndarray:
        """1 = malignant, per image."""
        return self.metadata[s.LABEL].to_numpy(dtype=int)

    @property
    def groups(self) -> np.ndarray:
        """The patient of each image: the groups of a grouped split."""
        return self.metadata[s.PATIENT_ID].to_numpy()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_dataset(sim: Simulation, out_dir: Path | str, *, force: bool = False) -> dict[str, Any]:
    """Write a simulation in the HAM10000 layout, atomically; return its manifest.

    Raises:
        DatasetExistsError: `out_dir` already holds files and `force` is false.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise DatasetExistsError(
            f"{out_dir} already holds a dataset; raw data is immutable (use --force)"
        )
    meta = sim.metadata
    with atomic_directory(out_dir, mode=0o755) as tmp:
        (tmp / s.IMAGES_DIR).mkdir()

        def put(item: tuple[str, bytes]) -> tuple[str, str]:
            rel = f"{s.IMAGES_DIR}/{item[0]}.jpg"
            (tmp / rel).write_bytes(item[1])
            return rel, _sha256(item[1])

        # Many small files: writes and hashing release the GIL, so a few threads overlap them.
        with ThreadPoolExecutor(max_workers=4) as pool:
            sums = dict(pool.map(put, zip(meta[s.IMAGE_ID], sim.jpegs, strict=True)))
        csv = meta.to_csv(index=False, lineterminator="\n").encode()
        (tmp / s.METADATA_FILE).write_bytes(csv)
        sums[s.METADATA_FILE] = _sha256(csv)
        lines = "".join(f"{h}  {rel}\n" for rel, h in sorted(sums.items()))
        (tmp / CHECKSUMS).write_text(lines)
        manifest = {
            "format": 1,
            "generator": "reference_impl.lesion.simulate",
            "config": sim.config.model_dump(mode="json"),
            "n_images": len(meta),
            "n_lesions": int(meta[s.LESION_ID].nunique()),
            "n_patients": int(meta[s.PATIENT_ID].nunique()),
            "n_malignant": int(meta[s.LABEL].sum()),
            "image_size": s.IMAGE_SIZE,
            "dataset_hash": _sha256(lines.encode()),
        }
        (tmp / s.MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(root: Path | str) -> dict[str, Any]:
    """The manifest of a generated dataset (empty dict for a real download)."""
    path = Path(root) / s.MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {}


def dataset_hash(root: Path | str) -> str:
    """SHA-256 of the checksum list of the files now on disk (as `write_dataset` computes it)."""
    root = Path(root)
    files = [root / s.METADATA_FILE, *image_files(root).values()]
    sums = {p.relative_to(root).as_posix(): _sha256(p.read_bytes()) for p in files}
    return _sha256("".join(f"{h}  {rel}\n" for rel, h in sorted(sums.items())).encode())


def metadata_path(root: Path | str) -> Path:
    """The metadata CSV of a dataset folder.

    Raises:
        MissingInputError: no folder, or no HAM10000 metadata file in it.
    """
    root = Path(root)
    if not root.is_dir():
        raise MissingInputError(f"no lesion dataset at {root} (run `lesion simulate` first)")
    for name in METADATA_NAMES:
        if (root / name).is_file():
            return root / name
    raise MissingInputError(f"no {s.METADATA_FILE} in {root}: not a HAM10000-layout folder")


def load_metadata(root: Path | str) -> pd.DataFrame:
    """The metadata table, ids as strings, our columns filled in where the file lacks them.

    Raises:
        MissingInputError: no metadata file.
        InvalidInputError: unreadable, or a HAM10000 column is missing.
    """
    path = metadata_path(root)
    try:
        meta = pd.read_csv(path, dtype={s.LESION_ID: str, s.IMAGE_ID: str, s.PATIENT_ID: str})
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path} is not a readable CSV: {exc}") from None
    missing = [c for c in (s.LESION_ID, s.IMAGE_ID, s.DX) if c not in meta]
    if missing:
        raise InvalidInputError(f"{path} lacks the HAM10000 column(s) {', '.join(missing)}")
    for col in (s.DX_TYPE, s.SEX, s.LOCALIZATION):
        if col not in meta:
            meta[col] = s.UNKNOWN
    if s.AGE not in meta:
        meta[s.AGE] = np.nan
    if s.PATIENT_ID not in meta:  # HAM10000 publishes no patient: the lesion is the best group
        meta[s.PATIENT_ID] = meta[s.LESION_ID]
    if s.LABEL not in meta:
        meta[s.LABEL] = meta[s.DX].map(s.label_of)
    for col, value in DEFAULTS.items():
        if col not in meta:
            meta[col] = value
    return meta


def image_files(root: Path | str) -> dict[str, Path]:
    """`image_id` -> file, for every image in any sub-folder of `root`."""
    found: dict[str, Path] = {}
    for path in sorted(Path(root).rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.setdefault(path.stem, path)
    return found


def read_image(source: Path | bytes, size: int = s.IMAGE_SIZE) -> np.ndarray:
    """One image as uint8 (size, size, 3): RGB, centre square crop, resized if needed.

    Raises:
        InvalidInputError: not a readable image (the message says why).
    """
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as file:
            if file.format == "JPEG" and min(file.size) > 2 * size:
                file.draft("RGB", (size, size))  # decode at reduced scale: much faster
            img = file.convert("RGB")
            w, h = img.size
            if (w, h) != (size, size):
                side = min(w, h)
                box = ((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2)
                img = img.resize((size, size), Image.Resampling.BILINEAR, box=box)
            return np.asarray(img, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInputError(f"unreadable image: {exc}") from None


def load_dataset(root: Path | str, *, size: int = s.IMAGE_SIZE) -> LesionDataset:
    """Metadata and images of a HAM10000-layout folder (generated or the real download).

    Raises:
        MissingInputError: no folder or no metadata file.
        InvalidInputError: a listed image is missing or unreadable (the first few named).
    """
    root = Path(root)
    meta = load_metadata(root)
    files = image_files(root)
    ids = meta[s.IMAGE_ID].tolist()
    missing = [i for i in ids if i not in files]
    if missing:
        raise InvalidInputError(
            f"{len(missing)} image(s) listed in the metadata are missing, e.g. {missing[:3]}"
        )
    images = np.empty((len(ids), size, size, 3), np.uint8)
    for n, image_id in enumerate(ids):
        try:
            images[n] = read_image(files[image_id], size)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{files[image_id]}: {exc}") from None
    return LesionDataset(root=root, metadata=meta.reset_index(drop=True), images=images)
