"""Train the lesion classifier: patient-grouped splits, family selection, operating threshold.

1. A share of *patients* is held out for `evaluate` (StratifiedGroupKFold: every lesion and view
   of a patient on one side, malignant share balanced). A random split would put views of the
   same lesion on both sides and reward memorising them (`tests/.../test_train.py` measures it).
2. Each family is cross-validated on the remaining patients (StratifiedGroupKFold again); its
   out-of-fold probabilities give the pooled AUC and the specificity at the target sensitivity.
3. The best family is refit on all development patients. Its threshold is the most specific one
   that reaches the target sensitivity on the out-of-fold probabilities: chosen without the
   test patients, as a screening service must choose it before it sees its population.
4. The run is tracked in MLflow (the lesion system's own experiment).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from reference_impl.errors import InvalidInputError
from reference_impl.lesion import metrics as sm
from reference_impl.lesion.model_params import TrainParams
from reference_impl.metrics import auc_roc

Progress = Callable[[str], None]
EXPERIMENT = "lesion-reference"
LABEL, PATIENT = "label", "patient_id"


def _quiet(_: str) -> None:
    return None


def make_model(family: str, *, random_state: int = 0, n_jobs: int = 1) -> Pipeline:
    """An unfitted pipeline of one family.

    `logreg`, `random_forest`, `hist_gb` take the ABCD feature columns; `pixels` (the baseline)
    takes images, uint8 (N, 64, 64, 3) or flattened, and downsamples them to 16×16.
    """
    if family == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if family == "random_forest":
        return make_pipeline(
            RandomForestClassifier(
                n_estimators=300, min_samples_leaf=3, random_state=random_state, n_jobs=n_jobs
            )
        )
    if family == "hist_gb":
        # Small trees, slow learning: a few hundred malignant lesions overfit the defaults.
        return make_pipeline(
            HistGradientBoostingClassifier(
                learning_rate=0.05,
                max_iter=200,
                max_leaf_nodes=15,
                min_samples_leaf=20,
                l2_regularization=1.0,
                random_state=random_state,
            )
        )
    if family == "pixels":
        from reference_impl.lesion.features import PixelFeatures

        return make_pipeline(
            PixelFeatures(size=16), StandardScaler(), LogisticRegression(C=0.01, max_iter=2000)
        )
    raise InvalidInputError(
        f"unknown model family {family!r}; choose from logreg, random_forest, hist_gb, pixels"
    )


def holdout(
    y: np.ndarray, groups: np.ndarray, *, test_share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Development and test row indices: whole patients on each side, malignant share balanced."""
    n_splits = max(2, round(1 / test_share))
    if len(np.unique(groups)) < n_splits:
        raise InvalidInputError(f"{len(np.unique(groups))} patients: too few to hold any out")
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    dev, test = next(cv.split(np.zeros(len(y)), y, groups))
    return dev, test


def patients_digest(groups: np.ndarray) -> str:
    """Short hash of a set of patient ids (evaluate checks it sees the patients train held out)."""
    ids = "\n".join(sorted(map(str, np.unique(groups))))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CVResult:
    """Cross-validation of one family: out-of-fold probabilities and their screening figures."""

    family: str
    grouped: bool
    fold_auc: list[float]
    oof_auc: float
    specificity_at_sensitivity: float
    threshold: float
    oof: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (without the out-of-fold array)."""
        out = asdict(self)
        out.pop("oof")
        out["mean_fold_auc"] = float(np.mean(self.fold_auc))
        out["std_fold_auc"] = float(np.std(self.fold_auc))
        return out


def cross_validate(
    model: Any,
    X: Any,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    family: str,
    n_folds: int = 5,
    seed: int = 0,
    grouped: bool = True,
    target_sensitivity: float = 0.95,
    n_jobs: int = 1,
) -> CVResult:
    """Out-of-fold probabilities of `model` by patient-grouped (or, to show the leak, row) folds.

    `n_jobs` caps the native threads (OpenMP, BLAS) of the fits: on a shared machine, boosting's
    default of one thread per core spins against the other processes (10× slower measured).
    """
    cv: Any
    if grouped:
        cv = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    else:
        cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    oof = np.full(len(y), np.nan)
    fold_auc = []
    with cores(n_jobs):
        for train_idx, test_idx in cv.split(np.zeros(len(y)), y, groups if grouped else None):
            fitted = clone(model).fit(_take(X, train_idx), y[train_idx])
            oof[test_idx] = fitted.predict_proba(_take(X, test_idx))[:, 1]
            fold_auc.append(auc_roc(y[test_idx], oof[test_idx]))
    op = sm.specificity_at_sensitivity(y, oof, target_sensitivity)
    return CVResult(
        family=family,
        grouped=grouped,
        fold_auc=fold_auc,
        oof_auc=auc_roc(y, oof),
        specificity_at_sensitivity=op.specificity,
        threshold=op.threshold,
        oof=oof,
    )


def cores(n_jobs: int) -> threadpool_limits:
    """Cap native thread pools at `n_jobs` (-1 or 0: no cap)."""
    return threadpool_limits(limits=n_jobs if n_jobs > 0 else None)


def _take(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


@dataclass
class Candidate:
    """The release candidate and how it was chosen."""

    model: Any
    family: str
    feature_columns: list[str]
    threshold: float
    target_sensitivity: float
    train_prevalence: float
    selection: list[CVResult]
    selection_metric: str
    n_dev: int
    n_test: int
    dev_patients: int
    test_patients: str  # digest of the held-out patient ids
    data_hash: str
    run_id: str | None = None
    model_uri: str | None = None
    seconds: float = 0.0
    # The development images' feature quantiles (`lesion.scope.feature_range`): the service
    # refuses an image whose features fall far outside them.
    input_range: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Everything but the model, for `train.json`."""
        out = {k: v for k, v in self.__dict__.items() if k not in {"model", "selection"}}
        out["selection"] = [r.to_dict() for r in self.selection]
        return json.loads(json.dumps(out, default=float))


def check_frame(frame: pd.DataFrame, feature_columns: list[str]) -> None:
    """Refuse a table without labels, patients or the feature columns, or with NaN features."""
    missing = [c for c in (LABEL, PATIENT, *feature_columns) if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"feature table lacks column(s) {', '.join(missing)}")
    if frame[feature_columns].isna().any().any():
        raise InvalidInputError("feature table has missing values (re-run `lesion features`)")
    if frame[LABEL].nunique() < 2:
        raise InvalidInputError("feature table holds a single class: nothing to learn")


def train(
    frame: pd.DataFrame,
    feature_columns: list[str],
    *,
    params: TrainParams | None = None,
    data_hash: str = "unknown",
    tracking_uri: str | None = None,
    progress: Progress = _quiet,
) -> Candidate:
    """Hold out patients, cross-validate the families, refit the best, set its threshold.

    Raises:
        InvalidInputError: missing columns, NaN features, one class, too few patients.
    """
    from reference_impl.lesion.scope import feature_range

    params = params or TrainParams()
    start = time.perf_counter()
    check_frame(frame, feature_columns)
    y, groups = frame[LABEL].to_numpy().astype(int), frame[PATIENT].to_numpy()
    dev, test = holdout(y, groups, test_share=params.test_share, seed=params.random_state)
    X = frame[feature_columns].iloc[dev]
    progress(
        f"{len(np.unique(groups[dev]))} development patients ({len(dev)} images), "
        f"{len(np.unique(groups[test]))} held out ({len(test)} images)"
    )
    results = []
    for family in params.families:
        model = make_model(family, random_state=params.random_state, n_jobs=params.n_jobs)
        res = cross_validate(
            model,
            X,
            y[dev],
            groups[dev],
            family=family,
            n_folds=params.n_folds,
            seed=params.random_state,
            target_sensitivity=params.target_sensitivity,
            n_jobs=params.n_jobs,
        )
        progress(
            f"  {family}: AUC {res.oof_auc:.3f} (folds {np.mean(res.fold_auc):.3f} ± "
            f"{np.std(res.fold_auc):.3f}), specificity {res.specificity_at_sensitivity:.3f} "
            f"at {params.target_sensitivity:.0%} sensitivity"
        )
        results.append(res)
    key = "oof_auc" if params.selection == "roc_auc" else "specificity_at_sensitivity"
    best = max(results, key=lambda r: getattr(r, key))
    model = make_model(best.family, random_state=params.random_state, n_jobs=params.n_jobs)
    with cores(params.n_jobs):
        model.fit(X, y[dev])
    cand = Candidate(
        model=model,
        family=best.family,
        feature_columns=list(feature_columns),
        threshold=best.threshold,
        target_sensitivity=params.target_sensitivity,
        train_prevalence=float(y[dev].mean()),
        selection=results,
        selection_metric=params.selection,
        n_dev=len(dev),
        n_test=len(test),
        dev_patients=len(np.unique(groups[dev])),
        test_patients=patients_digest(groups[test]),
        data_hash=data_hash,
        seconds=round(time.perf_counter() - start, 2),
        input_range=feature_range(X),
    )
    progress(f"candidate: {best.family}, threshold {best.threshold:.4f}")
    if tracking_uri:
        cand.run_id, cand.model_uri = _track(cand, params, tracking_uri, X.iloc[:100])
        progress(f"tracked as MLflow run {cand.run_id}")
    return cand


def _track(
    cand: Candidate, params: TrainParams, tracking_uri: str, sample: pd.DataFrame
) -> tuple[str, str | None]:
    from reference_impl import artifacts, tracking

    x = sample.astype("float64")
    return tracking.log_run(
        tracking_uri,
        experiment=EXPERIMENT,
        run_name=f"lesion-train-{cand.family}",
        tags={"stage": "train", "system": "lesion", "data_hash": cand.data_hash},
        params={**params.model_dump(mode="json"), "chosen_family": cand.family},
        metrics={
            "threshold": cand.threshold,
            "train_prevalence": cand.train_prevalence,
            **{f"{r.family}.oof_auc": r.oof_auc for r in cand.selection},
            **{
                f"{r.family}.specificity_at_sensitivity": r.specificity_at_sensitivity
                for r in cand.selection
            },
        },
        dicts={
            "feature_schema.json": {"features": cand.feature_columns},
            "train.json": cand.to_dict(),
        },
        children=[
            tracking.ChildRun(
                name=f"cv-{r.family}",
                tags={"stage": "select", "family": r.family},
                params={"family": r.family, "grouped": r.grouped},
                per_fold={"fold_auc": r.fold_auc},
                metrics={"oof_auc": r.oof_auc, "spec_at_sens": r.specificity_at_sensitivity},
            )
            for r in cand.selection
        ],
        model=tracking.LoggedModel(
            cand.model,
            x,
            cand.model.predict_proba(x)[:, 1],
            artifacts.untrusted_types_of(cand.model),
        ),
    )
