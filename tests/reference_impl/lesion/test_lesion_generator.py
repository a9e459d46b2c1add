"""The lesion generator and loader: same seed same bytes, realistic mix, HAM10000 layout."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from reference_impl.errors import DatasetExistsError, InvalidInputError, MissingInputError
from reference_impl.lesion import schemas as s
from reference_impl.lesion.data import load_dataset, read_manifest, write_dataset
from reference_impl.lesion.simulate import Simulation, config_for, simulate


def _digest(sim: Simulation) -> str:
    h = hashlib.sha256(sim.metadata.to_csv(index=False).encode())
    for b in sim.jpegs:
        h.update(b)
    return h.hexdigest()


def test_same_seed_same_bytes_in_one_or_two_processes() -> None:
    """Does a seed decide every byte, whatever the number of rendering processes?"""
    cfg = config_for("tiny", seed=3, n_images=70)
    one, two = simulate(cfg), simulate(cfg, n_jobs=2)
    assert _digest(one) == _digest(two)
    other = simulate(config_for("tiny", seed=4, n_images=70))
    assert _digest(other) != _digest(one)
    assert not np.array_equal(other.images, one.images)


def test_tiny_preset_is_realistic(lesion_sim: Simulation) -> None:
    """Does the tiny preset have few dark skin tones, repeat patients and the HAM-like rate?"""
    meta = lesion_sim.metadata
    assert len(meta) == 500 and list(meta.columns) == list(s.COLUMNS)
    tones = meta.drop_duplicates(s.PATIENT_ID)[s.SKIN_TONE].value_counts(normalize=True)
    assert tones.get(1, 0) + tones.get(2, 0) + tones.get(3, 0) > 0.6
    assert 0 < tones.get(5, 0) + tones.get(6, 0) < 0.2  # present, but few
    lesions_per_patient = meta.groupby(s.PATIENT_ID)[s.LESION_ID].nunique()
    assert (lesions_per_patient >= 3).sum() >= 10 and lesions_per_patient.max() <= 20
    views = meta.groupby(s.LESION_ID).size()
    assert views.max() > 1 and views.max() <= 3
    assert meta.groupby(s.LESION_ID)[s.PATIENT_ID].nunique().max() == 1
    assert meta[s.DEVICE].nunique() >= 2
    assert 0.05 < meta[s.LABEL].mean() < 0.2
    assert set(meta[s.DX]) == {"mel", "nv"}
    assert (meta[s.LABEL] == meta[s.DX].isin(s.MALIGNANT)).all()
    assert lesion_sim.images.shape == (500, 64, 64, 3)


def test_malignant_lesions_score_higher_on_the_latent_tds(lesion_sim: Simulation) -> None:
    """Do the attributes carry the label (TDS higher for malignant, bigger diameter)?"""
    meta = lesion_sim.metadata
    mal = meta[s.LABEL_TRUE] == 1
    assert meta.loc[mal, "tds"].mean() > meta.loc[~mal, "tds"].mean() + 1.0
    assert meta.loc[mal, "diameter_mm"].median() > meta.loc[~mal, "diameter_mm"].median()
    # Atypical nevi: benign, but between the two profiles (the hard negatives).
    atyp = meta[s.VARIANT] == "atypical"
    assert (meta.loc[atyp, s.LABEL_TRUE] == 0).all() and 0.15 < atyp[~mal].mean() < 0.45
    typical_benign = ~mal & ~atyp
    assert (
        meta.loc[typical_benign, "tds"].mean()
        < meta.loc[atyp, "tds"].mean()
        < meta.loc[mal, "tds"].mean()
    )


def test_seven_class_mode_and_drift_knobs() -> None:
    """Do the 7-class mode, the screening prevalence and the tone/device knobs do what they say?"""
    seven = simulate(config_for("tiny", n_images=150, seven_class=True)).metadata
    assert set(seven[s.DX]) <= set(s.CLASSES) and seven[s.DX].nunique() >= 5
    assert (seven[s.LABEL] == seven[s.DX].isin(s.MALIGNANT)).all()
    cfg = config_for(
        "tiny",
        prevalence="screening",
        n_images=120,
        flip_neg=0.0,
        skin_tone_weights=(0, 0, 0, 0, 0.5, 0.5),
        device_weights={"phone": 1.0},
        amelanotic_rate=1.0,
    )
    drifted = simulate(cfg).metadata
    assert set(drifted[s.SKIN_TONE]) <= {5, 6} and set(drifted[s.DEVICE]) == {"phone"}
    assert drifted[s.LABEL_TRUE].mean() < 0.06
    assert (drifted.loc[drifted[s.DX] == "mel", s.VARIANT] == "amelanotic").all()


def test_bad_config_is_one_named_error() -> None:
    """Does a bad preset or override fail with a message naming it?"""
    with pytest.raises(InvalidInputError, match="unknown preset 'huge'"):
        config_for("huge")
    with pytest.raises(InvalidInputError, match="prevalence"):
        config_for("tiny", prevalence="rare")
    with pytest.raises(InvalidInputError, match="unknown devices"):
        config_for("tiny", device_weights={"scanner": 1.0})


def test_written_dataset_loads_back_identically(lesion_sim: Simulation, lesion_raw: Path) -> None:
    """Does the loader read back exactly the images and metadata the generator wrote?"""
    assert (lesion_raw / s.METADATA_FILE).is_file()
    assert len(list((lesion_raw / s.IMAGES_DIR).glob("*.jpg"))) == 500
    ds = load_dataset(lesion_raw)
    assert ds.images.dtype == np.uint8 and ds.images.shape == (500, 64, 64, 3)
    np.testing.assert_array_equal(ds.images, lesion_sim.images)
    pd.testing.assert_frame_equal(
        ds.metadata[list(s.COLUMNS)], lesion_sim.metadata, check_dtype=False
    )
    assert ds.groups[0] == lesion_sim.metadata[s.PATIENT_ID][0]
    assert read_manifest(lesion_raw)["n_images"] == 500


def test_raw_data_is_immutable(lesion_raw: Path, lesion_sim: Simulation) -> None:
    """Is writing over an existing dataset refused without force?"""
    with pytest.raises(DatasetExistsError, match="immutable"):
        write_dataset(lesion_sim, lesion_raw)


def _jpeg(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color=(180, 120, 90) if mode == "RGB" else 128).save(buf, "JPEG")
    return buf.getvalue()


def test_loader_reads_a_hand_made_ham10000_folder(tmp_path: Path) -> None:
    """Does a folder shaped like the real download (two image parts, 600x450, HAM columns only,
    no patients) load, with the lesion as the group and the label from dx?"""
    (tmp_path / "HAM10000_images_part_1").mkdir()
    (tmp_path / "HAM10000_images_part_2").mkdir()
    (tmp_path / "HAM10000_images_part_1" / "ISIC_0024306.jpg").write_bytes(_jpeg((600, 450)))
    (tmp_path / "HAM10000_images_part_2" / "ISIC_0024307.jpg").write_bytes(_jpeg((600, 450), "L"))
    (tmp_path / "HAM10000_metadata.csv").write_text(
        "lesion_id,image_id,dx,dx_type,age,sex,localization,dataset\n"
        "HAM_0000118,ISIC_0024306,bkl,histo,80.0,male,scalp,vidir_modern\n"
        "HAM_0000118,ISIC_0024307,mel,histo,,female,back,vidir_modern\n"
    )
    ds = load_dataset(tmp_path)
    assert ds.images.shape == (2, 64, 64, 3) and ds.images.dtype == np.uint8
    assert ds.images[0, 32, 32].astype(int).tolist() == pytest.approx([180, 120, 90], abs=3)
    assert list(ds.labels) == [0, 1]
    assert list(ds.groups) == ["HAM_0000118", "HAM_0000118"]
    assert ds.metadata[s.SKIN_TONE].tolist() == [s.UNKNOWN_TONE] * 2


def test_loader_names_what_is_missing(tmp_path: Path, lesion_raw: Path) -> None:
    """Does the loader say which file or column is missing, in one line?"""
    with pytest.raises(MissingInputError, match="no lesion dataset"):
        load_dataset(tmp_path / "nowhere")
    with pytest.raises(MissingInputError, match="HAM10000_metadata.csv"):
        load_dataset(tmp_path)
    (tmp_path / "HAM10000_metadata.csv").write_text("image_id,dx\nISIC_1,nv\n")
    with pytest.raises(InvalidInputError, match="lesion_id"):
        load_dataset(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(lesion_raw, copy)
    victim = sorted((copy / s.IMAGES_DIR).iterdir())[0]
    victim.unlink()
    with pytest.raises(InvalidInputError, match=f"1 image.*{victim.stem}"):
        load_dataset(copy)
