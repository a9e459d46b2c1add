"""The lesion model stages on the tiny preset: grouped splits (and the leak a random split has),
train → evaluate with the screening report, the sensitivity gate, and the runners."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from reference_impl.errors import GateFailed, InvalidInputError
from reference_impl.lesion.config import LesionSettings
from reference_impl.lesion.evaluate import evaluate
from reference_impl.lesion.model_params import EvaluateParams, TrainParams
from reference_impl.lesion.model_runner import load_features, run_evaluate, run_train
from reference_impl.lesion.params import parse_params
from reference_impl.lesion.train import Candidate, cross_validate, holdout, train

# Tiny preset: 500 images, ~54 malignant. Half the patients are held out so that subgroups have
# some cancers to judge; the enough-data rule is scaled down to match, and the floor is low: with
# about a dozen cancers per subgroup a good model reads anywhere from 0.7 to 1.0, while a model
# blind on a subgroup reads 0.
TRAIN = TrainParams(families=("logreg",), test_share=0.5, n_folds=4)
EVAL = EvaluateParams(n_boot=200, min_malignant=8, min_patients=5, sensitivity_floor=0.5)


@pytest.fixture(scope="module")
def features_dir(lesion_features_dir: Path) -> Path:
    """The tiny preset's feature table, written by the features stage (shared session fixture)."""
    return lesion_features_dir


@pytest.fixture(scope="module")
def table(features_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    frame, names, _ = load_features(features_dir)
    return frame, names


@pytest.fixture(scope="module")
def candidate(table: tuple[pd.DataFrame, list[str]]) -> Candidate:
    """A logistic regression trained on the tiny preset's development patients."""
    frame, names = table
    return train(frame, names, params=TRAIN)


def test_random_split_leaks_views_and_inflates_auc(table: tuple[pd.DataFrame, list[str]]) -> None:
    """Does a random split put photographs of one lesion on both sides and flatter the AUC?"""
    frame, names = table
    y, groups = frame["label"].to_numpy(), frame["patient_id"].to_numpy()
    lesion = frame["lesion_id"].to_numpy()
    knn = make_pipeline(
        StandardScaler(), KNeighborsClassifier(5, weights="distance", algorithm="brute")
    )
    grouped, rows = [], []
    for seed in range(6):
        grouped.append(cross_validate(knn, frame[names], y, groups, family="knn", seed=seed))
        rows.append(
            cross_validate(knn, frame[names], y, groups, family="knn", seed=seed, grouped=False)
        )
    gap = np.mean([r.oof_auc for r in rows]) - np.mean([g.oof_auc for g in grouped])
    assert gap > 0.01, f"random split AUC only {gap:+.3f} above the patient-grouped one"
    # The mechanism: under a random split most multi-view lesions have a view in training.
    multi = pd.Series(lesion).map(pd.Series(lesion).value_counts()).to_numpy() > 1
    seen = np.zeros(len(y), bool)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(frame, y):
        seen[te] = np.isin(lesion[te], lesion[tr])
    assert seen[multi].mean() > 0.5


def test_holdout_keeps_each_patient_on_one_side(table: tuple[pd.DataFrame, list[str]]) -> None:
    """No patient has images both in development and in the held-out set."""
    frame, _ = table
    y, groups = frame["label"].to_numpy(), frame["patient_id"].to_numpy()
    dev, test = holdout(y, groups, test_share=0.25, seed=0)
    assert not set(groups[dev]) & set(groups[test])
    assert len(dev) + len(test) == len(y)
    assert abs(y[test].mean() - y[dev].mean()) < 0.05


class BlindOn:
    """A planted defect: on one device's photographs the model sees nothing and calls every
    lesion benign (a constant, tiny probability), as when a camera's blur erases the pigment."""

    def __init__(self, model: Any, rows: pd.Index) -> None:
        self.model, self.rows = model, rows

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.model.predict_proba(X)[:, 1].copy()
        p[X.index.isin(self.rows)] = 1e-4
        return np.column_stack([1 - p, p])


def test_gate_fails_a_model_blind_on_one_device_and_passes_the_good_one(
    table: tuple[pd.DataFrame, list[str]],
    candidate: Candidate,
) -> None:
    """The sensitivity gate names the subgroup whose cancers the model misses."""
    frame, _ = table
    cand = candidate
    meta = cand.to_dict()
    good = evaluate(frame, cand.model, meta, train=TRAIN, params=EVAL)
    assert good.gate.passed, good.gate.reasons
    assert "device=phone" in good.gate.not_judged  # few cancers: reported, not gated
    judged = [s for s in good.audit.of("device") if s.enough_data]
    assert len(judged) >= 2
    target = max(judged, key=lambda s: s.n_malignant).group

    blind = BlindOn(cand.model, frame.index[frame["device"] == target])
    bad = evaluate(frame, blind, meta, train=TRAIN, params=EVAL)
    assert not bad.gate.passed
    missed = next(s for s in bad.audit.of("device") if s.group == target)
    assert missed.sensitivity == 0 and missed.enough_data
    assert any(r.startswith(f"device={target}: sensitivity 0.000") for r in bad.gate.reasons)
    others = {f"device={s.group}" for s in judged if s.group != target}
    assert not any(r.split(":")[0] in others for r in bad.gate.reasons)


def test_screening_report_shows_ppv_collapse_recalibration_and_abstention(
    table: tuple[pd.DataFrame, list[str]],
    candidate: Candidate,
) -> None:
    """At 1.8 % prevalence a referral means far less; referring the unsure lowers the error."""
    frame, _ = table
    cand = candidate
    report = evaluate(frame, cand.model, cand.to_dict(), train=TRAIN, params=EVAL).report
    shift = report["prevalence_shift"]
    assert shift["ppv_screening_prevalence"] < shift["ppv_train_prevalence"] / 3
    # The risk the model states for a referred lesion moves towards the PPV a screening service
    # will see once recalibrated to 1.8 % (exact recovery, for a calibrated model: test_metrics).
    ppv = shift["ppv_screening_prevalence"]
    raw, recalibrated = shift["mean_risk_referred"], shift["mean_risk_referred_recalibrated"]
    assert abs(recalibrated - ppv) < abs(raw - ppv) / 2
    curve = report["abstention"]
    assert curve[0]["coverage"] == 1.0 and curve[-1]["coverage"] == pytest.approx(0.5, abs=0.01)
    assert curve[-1]["error"] < curve[0]["error"]


def test_runners_write_the_candidate_and_the_report_and_the_gate_sets_the_exit(
    features_dir: Path, tmp_path: Path
) -> None:
    """train → evaluate through the runners; an unreachable floor raises GateFailed after the
    report is written."""
    settings = LesionSettings(root=tmp_path, features_path=features_dir, track=False)
    blocks = {"train": TRAIN.model_dump(), "evaluate": EVAL.model_dump()}
    trained = run_train(settings=settings, params=parse_params(blocks))
    assert (trained.candidate_dir / "train.json").is_file() and trained.family == "logreg"
    done = run_evaluate(settings=settings, params=parse_params(blocks))
    assert done.gate_passed and json.loads(json.dumps(done.to_dict()))["headline"]["roc_auc"] > 0.7
    pngs = sorted(p.name for p in done.out_dir.glob("*.png"))
    assert pngs == ["abstention.png", "reliability.png", "roc.png", "subgroup_sensitivity.png"]

    strict = parse_params({**blocks, "evaluate": {**blocks["evaluate"], "sensitivity_floor": 1.0}})
    (done.out_dir / "evaluation.json").unlink()
    with pytest.raises(GateFailed, match="sensitivity"):
        run_evaluate(settings=settings, params=strict)
    saved = json.loads((done.out_dir / "evaluation.json").read_text())
    assert saved["gate"]["passed"] is False


def test_evaluate_refuses_other_held_out_patients(
    table: tuple[pd.DataFrame, list[str]], candidate: Candidate
) -> None:
    """A candidate evaluated with another split would be scored on patients it trained on."""
    frame, _ = table
    cand = candidate
    other = TRAIN.model_copy(update={"random_state": 1})
    with pytest.raises(InvalidInputError, match="re-run `lesion train`"):
        evaluate(frame, cand.model, cand.to_dict(), train=other, params=EVAL)


def test_train_and_evaluate_are_tracked_in_the_lesion_experiment(
    table: tuple[pd.DataFrame, list[str]], tmp_path: Path
) -> None:
    """Can a reader find the lesion run in MLflow, apart from the fraud runs, with its folds,
    its held-out figures and the gate's verdict?"""
    import mlflow

    frame, names = table
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cand = train(frame, names, params=TRAIN, tracking_uri=uri)
    evaluate(frame, cand.model, cand.to_dict(), train=TRAIN, params=EVAL, tracking_uri=uri)
    mlflow.set_tracking_uri(uri)
    assert mlflow.get_experiment_by_name("fraud-reference") is None
    run = mlflow.get_run(cand.run_id)
    experiment = mlflow.get_experiment(run.info.experiment_id)
    assert experiment.name == "lesion-reference"
    assert run.data.tags["gate"] == "passed" and run.data.tags["system"] == "lesion"
    assert {"logreg.oof_auc", "test_roc_auc", "test_sensitivity"} <= set(run.data.metrics)
    children = mlflow.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert list(children["tags.family"]) == ["logreg"]
