"""The lesion data contract: a clean dataset passes; each planted defect is named."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from reference_impl.lesion import schemas as s
from reference_impl.lesion.data import write_dataset
from reference_impl.lesion.simulate import config_for, simulate
from reference_impl.lesion.validate import validate
from reference_impl.validate import DataContractError


def _edit_meta(root: Path, change: Callable[[pd.DataFrame], None]) -> None:
    path = root / s.METADATA_FILE
    meta = pd.read_csv(path, dtype=str)
    change(meta)
    meta.to_csv(path, index=False)


def _image(root: Path, row: int) -> Path:
    image_id = pd.read_csv(root / s.METADATA_FILE, dtype=str)[s.IMAGE_ID][row]
    return root / s.IMAGES_DIR / f"{image_id}.jpg"


def _jpeg(size: int, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (size, size), color=(90, 60, 40) if mode == "RGB" else 90).save(buf, "JPEG")
    return buf.getvalue()


def _split_lesion(meta: pd.DataFrame) -> None:
    views = meta.groupby(s.LESION_ID)[s.IMAGE_ID].transform("size").astype(int)
    row = meta.index[views > 1][0]
    meta.loc[row, s.PATIENT_ID] = "SYNP_999999"


def _wrong_label(meta: pd.DataFrame) -> None:
    row = meta.index[meta[s.DX] == "nv"][0]
    meta.loc[row, s.LABEL] = "1"


DEFECTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "unknown class": (
        lambda r: _edit_meta(r, lambda m: m.loc.__setitem__((3, s.DX), "mole")),
        "values",
    ),
    "duplicate image id": (
        lambda r: _edit_meta(r, lambda m: m.loc.__setitem__((1, s.IMAGE_ID), m[s.IMAGE_ID][0])),
        "unique_ids",
    ),
    "lesion split across patients": (lambda r: _edit_meta(r, _split_lesion), "lesion_one_patient"),
    "label disagrees with dx": (lambda r: _edit_meta(r, _wrong_label), "label_dx"),
    "age out of range": (
        lambda r: _edit_meta(r, lambda m: m.loc.__setitem__((2, s.AGE), "230")),
        "ranges",
    ),
    "skin tone out of range": (
        lambda r: _edit_meta(r, lambda m: m.loc.__setitem__((2, s.SKIN_TONE), "9")),
        "ranges",
    ),
    "missing column": (
        lambda r: _edit_meta(r, lambda m: m.pop(s.DEVICE)),
        "columns",
    ),
    "image file missing": (lambda r: _image(r, 0).unlink(), "image_files"),
    "corrupt image": (lambda r: _image(r, 0).write_bytes(b"\xff\xd8 not a jpeg"), "image_readable"),
    "wrong image size": (lambda r: _image(r, 0).write_bytes(_jpeg(32)), "image_size"),
    "grey image (1 channel)": (lambda r: _image(r, 0).write_bytes(_jpeg(64, "L")), "image_mode"),
    "blank image": (lambda r: _image(r, 0).write_bytes(_jpeg(64)), "image_blank"),
    "undescribed image file": (
        lambda r: (r / s.IMAGES_DIR / "SYN_extra.jpg").write_bytes(_jpeg(64)),
        "orphan_images",
    ),
    "image replaced": (
        lambda r: _image(r, 0).write_bytes(_image(r, 1).read_bytes()),
        "content_hash",
    ),
}


def test_clean_dataset_passes(lesion_raw: Path) -> None:
    """Does the generated tiny dataset meet its own contract, with its statistics?"""
    report = validate(lesion_raw)
    assert report.ok, report.to_text()
    assert report.n_rows == 500 and report.preset == "tiny"
    assert report.statistics["patients_with_several_lesions"] > 0.3
    assert "OK: no violation" in report.to_text()


@pytest.fixture(scope="module")
def few_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 images: enough for lesions with several views, cheap to copy for each defect."""
    out = tmp_path_factory.mktemp("lesion_few") / "raw"
    write_dataset(simulate(config_for("tiny", seed=1, n_images=80)), out)
    assert validate(out).ok
    return out


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_each_planted_defect_is_named(defect: str, few_raw: Path, tmp_path: Path) -> None:
    """Is each defect reported under its own check, with the exit-1 error on request?"""
    root = tmp_path / "raw"
    shutil.copytree(few_raw, root)
    plant, check = DEFECTS[defect]
    plant(root)
    report = validate(root)
    assert check in {v.check for v in report.violations}, report.to_text()
    with pytest.raises(DataContractError, match=f"x {check}"):
        validate(root, raise_on_error=True)


def test_a_download_without_manifest_is_checked_too(tmp_path: Path) -> None:
    """Does a HAM10000-shaped folder (600x450 JPEGs, HAM columns only) pass, with a note that
    no content hash was checked, and still fail on a class HAM10000 does not have?"""
    (tmp_path / "HAM10000_images_part_1").mkdir()
    for name in ("ISIC_0024306", "ISIC_0024307"):
        img = Image.linear_gradient("L").convert("RGB").resize((600, 450))
        img.save(tmp_path / "HAM10000_images_part_1" / f"{name}.jpg")
    csv = "lesion_id,image_id,dx,dx_type,age,sex,localization\n"
    csv += "HAM_0000118,ISIC_0024306,bkl,histo,80.0,male,scalp\n"
    (tmp_path / "HAM10000_metadata.csv").write_text(
        csv + "HAM_0000119,ISIC_0024307,mel,histo,,female,back\n"
    )
    report = validate(tmp_path)
    assert report.ok, report.to_text()
    assert any("no manifest" in note for note in report.notes)
    (tmp_path / "HAM10000_metadata.csv").write_text(
        csv + "HAM_0000119,ISIC_0024307,scc,histo,,female,back\n"
    )
    assert "values" in {v.check for v in validate(tmp_path).violations}
