"""Subgroup audit with patient-bootstrap intervals, and the sensitivity gate, on planted data."""

from __future__ import annotations

import numpy as np
import pytest

from reference_impl.lesion.audit import EnoughData, sensitivity_gate, subgroup_audit


def _cohort(n_patients: int, lesions: int, seed: int) -> dict[str, np.ndarray]:
    """Patients with `lesions` lesions each, one skin tone per patient (1-6, few dark)."""
    rng = np.random.default_rng(seed)
    tone = rng.choice([1, 2, 3, 4, 5, 6], size=n_patients, p=[0.2, 0.3, 0.25, 0.15, 0.07, 0.03])
    patient = np.repeat(np.arange(n_patients), lesions)
    return {
        "patient": patient,
        "tone": tone[patient],
        "device": rng.choice(["dermlite", "phone"], size=len(patient)),
        "y": (rng.random(len(patient)) < 0.3).astype(int),
    }


def test_intervals_resample_patients_so_correlated_lesions_widen_them() -> None:
    """If a patient's lesions are all found or all missed, the interval must reflect patients."""
    c = _cohort(300, lesions=8, seed=0)
    rng = np.random.default_rng(1)
    found = rng.random(300) < 0.8  # one coin per patient: lesions of a patient share the miss
    referred = np.where(c["y"] == 1, found[c["patient"]], False)
    by_patient = subgroup_audit(c["y"], referred, c["patient"], {"all": np.zeros(len(c["y"]))})
    as_rows = subgroup_audit(
        c["y"], referred, np.arange(len(c["y"])), {"all": np.zeros(len(c["y"]))}
    )
    wide, narrow = by_patient.subgroups[0], as_rows.subgroups[0]
    assert wide.sensitivity == narrow.sensitivity
    assert wide.sensitivity_low < wide.sensitivity < wide.sensitivity_high
    width = wide.sensitivity_high - wide.sensitivity_low
    # Design effect: ~2.4 malignant lesions per patient, fully correlated → about √2.4 wider.
    assert width > 1.4 * (narrow.sensitivity_high - narrow.sensitivity_low)
    assert wide.sensitivity_low < 0.8 < wide.sensitivity_high


def test_every_subgroup_is_reported_with_sizes_and_the_small_ones_are_flagged() -> None:
    """Each skin tone and device appears; tones with few cancers say why they are not judged."""
    c = _cohort(400, lesions=3, seed=2)
    referred = c["y"] == 1
    audit = subgroup_audit(
        c["y"], referred, c["patient"], {"skin_tone": c["tone"], "device": c["device"]}, n_boot=200
    )
    assert [s.group for s in audit.of("skin_tone")] == ["1", "2", "3", "4", "5", "6"]
    assert [s.group for s in audit.of("device")] == ["dermlite", "phone"]
    assert sum(s.n_lesions for s in audit.of("device")) == len(c["y"])
    dark = audit.of("skin_tone")[-1]
    assert not dark.enough_data and "malignant lesions <" in dark.note
    assert all(s.enough_data for s in audit.of("device"))
    assert audit.to_dict()["method"].startswith("patient")


def _scores_blind_on(c: dict[str, np.ndarray], tone: int | None, seed: int) -> np.ndarray:
    """A good score (cancers high), pure noise for the patients of one skin tone."""
    rng = np.random.default_rng(seed)
    score = rng.normal(2.5 * c["y"], 1.0)
    if tone is not None:
        blind = c["tone"] == tone
        score[blind] = rng.normal(0.0, 1.0, blind.sum())
    return score


@pytest.mark.parametrize(("blind_tone", "passes"), [(None, True), (3, False), (6, True)])
def test_gate_fails_a_model_blind_on_one_judged_skin_tone(
    blind_tone: int | None, passes: bool
) -> None:
    """Blind on tone 3 (enough data) fails, naming it; blind on tone 6 (too few) is not judged."""
    c = _cohort(600, lesions=3, seed=3)
    score = _scores_blind_on(c, blind_tone, seed=4)
    threshold = np.quantile(score[c["y"] == 1], 0.05)  # 95 % sensitivity overall
    referred = score >= threshold
    audit = subgroup_audit(
        c["y"],
        referred,
        c["patient"],
        {"skin_tone": c["tone"]},
        n_boot=200,
        rule=EnoughData(min_malignant=20, min_patients=10),
    )
    gate = sensitivity_gate(audit, floor=0.85, overall_sensitivity=0.95)
    assert gate.passed is passes, gate.reasons
    if blind_tone == 3:
        assert len(gate.reasons) == 1 and gate.reasons[0].startswith("skin_tone=3: sensitivity")
    assert "skin_tone=6" in gate.not_judged and "skin_tone=6" not in gate.judged


def test_gate_on_the_lower_bound_is_stricter_than_on_the_estimate() -> None:
    """A subgroup just above the floor passes on its estimate, fails on its interval's low end."""
    c = _cohort(300, lesions=2, seed=5)
    rng = np.random.default_rng(6)
    referred = (c["y"] == 1) & (rng.random(len(c["y"])) < 0.92)
    audit = subgroup_audit(c["y"], referred, c["patient"], {"all": np.zeros(len(c["y"]))})
    overall = audit.subgroups[0].sensitivity
    assert sensitivity_gate(audit, floor=0.88, overall_sensitivity=overall).passed
    strict = sensitivity_gate(audit, floor=0.88, overall_sensitivity=overall, use_lower_bound=True)
    assert not strict.passed and "lower bound" in strict.reasons[0]


def test_bad_input_is_refused() -> None:
    """Labels outside 0/1 and too few replicates are named."""
    with pytest.raises(ValueError, match="0 \\(benign\\) or 1"):
        subgroup_audit([0, 2], [0, 1], [1, 2], {"a": [1, 1]})
    with pytest.raises(ValueError, match="n_boot"):
        subgroup_audit([0, 1], [0, 1], [1, 2], {"a": [1, 1]}, n_boot=1)


def test_a_subgroup_with_every_cancer_found_still_gets_an_interval() -> None:
    """21 cancers of 21 found: the interval must not collapse to [1, 1] (exact bound by patient)."""
    patient = np.repeat(np.arange(40), 2)
    y = np.tile([1, 0], 40)
    y[42:] = 0  # 21 patients with a cancer
    audit = subgroup_audit(y, y == 1, patient, {"all": np.zeros(80)}, n_boot=200)
    s = audit.subgroups[0]
    assert s.sensitivity == 1.0 and s.sensitivity_high == 1.0
    assert s.sensitivity_low == pytest.approx(0.025 ** (1 / 21))
    assert 0.8 < s.sensitivity_low < 0.9
