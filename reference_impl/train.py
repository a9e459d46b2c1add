"""Train: compare model families with prequential validation, fit the chosen one, track it.

1. For each family (logistic regression, random forest, histogram gradient boosting), a grid
   search over the *validation* folds (time-ordered, never random K-fold), scored by average
   precision, the handbook's best proxy for test performance; AUC and CP@100 are recorded too.
2. The family and parameters with the best mean validation score are refit on the training block
   of the latest test fold: the release candidate. Its decision threshold is set from the alert
   budget on the following (delay) days, which needs scores only, never labels.
3. Everything goes to MLflow: one parent run, a nested run per family with per-fold metrics and
   the search results, the data hash, the feature list and the library versions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from reference_impl import artifacts, metrics, schemas, splits, tracking
from reference_impl.errors import InvalidInputError
from reference_impl.features import AMOUNT_NEVER_LOWERS, AmountRatios
from reference_impl.params import Params, SplitParams

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _regularised_boosting(random_state: int) -> HistGradientBoostingClassifier:
    # Chosen on the validation folds of the full preset (seeds 0 and 1): small trees, slow
    # learning and large leaves; the defaults overfit a week of ~500 frauds (AP 0.65 vs 0.68).
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=15,
        min_samples_leaf=50,
        l2_regularization=1.0,
        random_state=random_state,
        monotonic_cst=AMOUNT_NEVER_LOWERS,
    )


def make_model(family: str, *, random_state: int = 0, n_jobs: int = -1) -> Pipeline:
    """An unfitted pipeline: amount ratios (tree models), standard scaling, the classifier.

    Fitted on a DataFrame of `schemas.FEATURE_COLUMNS` (in that order), so the model records
    the names (`feature_names_in_`); the serving API may pass a plain (n, 15) array in that order.
    `blend` averages the probabilities of a depth-20 forest and a regularised boosting model
    (both monotone in the amount, so their average is too).
    """

    def forest(**kw: Any) -> RandomForestClassifier:
        return RandomForestClassifier(
            n_estimators=100,
            random_state=random_state,
            n_jobs=n_jobs,
            monotonic_cst=AMOUNT_NEVER_LOWERS,
            **kw,
        )

    models: dict[str, Callable[[], ClassifierMixin]] = {
        "logreg": lambda: LogisticRegression(max_iter=1000),
        "random_forest": forest,
        "hist_gb": lambda: HistGradientBoostingClassifier(
            random_state=random_state, monotonic_cst=AMOUNT_NEVER_LOWERS
        ),
        "blend": lambda: VotingClassifier(
            [("forest", forest(max_depth=20)), ("boosting", _regularised_boosting(random_state))],
            voting="soft",
        ),
    }
    if family not in models:
        raise InvalidInputError(f"unknown model family {family!r}; choose from {sorted(models)}")
    # Ratios only for trees: for a linear model they are collinear with the amount, and their
    # weights can make a larger amount *lower* the score (the directional test caught it).
    ratios = [] if family == "logreg" else [("ratios", AmountRatios())]
    return Pipeline([*ratios, ("scale", StandardScaler()), ("model", models[family]())])


def fraud_score(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """Predicted fraud probability for each row of `frame` (which holds the feature columns)."""
    return np.asarray(model.predict_proba(frame[list(schemas.FEATURE_COLUMNS)])[:, 1])


def scorers(meta: pd.DataFrame) -> dict[str, Any]:
    """Search scorers: AP, AUC and CP@100; CP@100 looks days and cards up by row label in `meta`."""

    def card_precision_100(estimator: Any, X: pd.DataFrame, y: Any) -> float:
        rows = meta.loc[X.index]
        return metrics.card_precision_top_k(
            rows[schemas.TX_TIME_DAYS], rows[schemas.CUSTOMER_ID], y, fraud_score(estimator, X)
        )[0]

    return {
        "average_precision": "average_precision",
        "roc_auc": "roc_auc",
        "card_precision_100": card_precision_100,
    }


@dataclass(frozen=True)
class FamilyResult:
    """Model selection of one family: best parameters and their validation scores per fold."""

    family: str
    best_params: dict[str, Any]
    folds: dict[str, list[float]]  # metric -> one value per validation fold
    n_candidates: int
    seconds: float

    def mean(self, metric: str) -> float:
        """Mean of a metric over the validation folds."""
        return float(np.mean(self.folds[metric]))

    def std(self, metric: str) -> float:
        """Standard deviation of a metric over the validation folds."""
        return float(np.std(self.folds[metric]))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON, with means and standard deviations."""
        out = asdict(self)
        out["mean"] = {m: self.mean(m) for m in self.folds}
        out["std"] = {m: self.std(m) for m in self.folds}
        return out


@dataclass
class Candidate:
    """The release candidate and how it was chosen."""

    model: Pipeline
    family: str
    params: dict[str, Any]
    selection: list[FamilyResult]
    scoring: str
    train_days: tuple[int, int]  # first and last training day of the candidate
    threshold: float
    threshold_policy: str
    data_hash: str
    run_id: str | None
    model_uri: str | None = None
    split: dict[str, Any] = field(default_factory=dict)
    feature_columns: list[str] = field(default_factory=lambda: list(schemas.FEATURE_COLUMNS))
    n_train: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Everything but the model, for `train.json`."""
        out = {k: v for k, v in self.__dict__.items() if k not in {"model", "selection"}}
        out["selection"] = [r.to_dict() for r in self.selection]
        return json.loads(json.dumps(out, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | np.ndarray):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def spec_of(split: SplitParams) -> splits.SplitSpec:
    """The split lengths of the parameters."""
    return splits.SplitSpec(split.train_days, split.delay_days, split.test_days, split.n_folds)


def anchor_of(frame: pd.DataFrame, split: SplitParams) -> int:
    """Anchor day of the test folds: from the parameters, else the latest that fits the data."""
    if split.anchor_day is not None:
        return split.anchor_day
    days = frame[schemas.TX_TIME_DAYS]
    return int(days.min()) + splits.default_anchor(int(days.max() - days.min()) + 1, spec_of(split))


def _check_features(frame: pd.DataFrame) -> None:
    needed = [*schemas.FEATURE_COLUMNS, schemas.TX_TIME_DAYS, schemas.CUSTOMER_ID, schemas.LABEL]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"feature table lacks column(s) {', '.join(missing)} (run `fraud features`)"
        )


def select_family(
    frame: pd.DataFrame,
    family: str,
    folds: list[splits.Fold],
    params: Params,
) -> FamilyResult:
    """Grid search of one family over the validation folds; best by `params.train.scoring`."""
    start = time.perf_counter()
    grid = params.train.grids.get(family, {})
    search = GridSearchCV(
        make_model(family, random_state=params.train.random_state, n_jobs=params.train.n_jobs),
        grid,
        scoring=scorers(frame[[schemas.TX_TIME_DAYS, schemas.CUSTOMER_ID]]),
        refit=False,
        cv=splits.as_cv(folds),
        error_score="raise",
    )
    search.fit(frame[list(schemas.FEATURE_COLUMNS)], frame[schemas.LABEL])
    res = search.cv_results_
    best = int(np.argmax(res[f"mean_test_{params.train.scoring}"]))
    per_fold = {
        m: [float(res[f"split{i}_test_{m}"][best]) for i in range(len(folds))]
        for m in ("average_precision", "roc_auc", "card_precision_100")
    }
    return FamilyResult(
        family=family,
        best_params=dict(res["params"][best]),
        folds=per_fold,
        n_candidates=len(res["params"]),
        seconds=round(time.perf_counter() - start, 2),
    )


def decision_threshold(
    model: Any, frame: pd.DataFrame, fold: splits.Fold, params: Params
) -> tuple[float, str]:
    """Threshold of the candidate: budget-based on the delay block's scores, or cost-based."""
    ev = params.evaluate
    if ev.threshold_policy == "cost":
        return metrics.cost_threshold(c_fp=ev.c_fp, c_fn=ev.c_fn), "cost"
    days, cards, fraud = splits.split_arrays(frame)
    # The delay days follow the training block: recent traffic whose labels are not known yet.
    # Without a delay, the training block itself is the most recent traffic.
    has_delay = fold.spec.delay_days > 0
    delay = splits.block_without_known_cards(
        days,
        cards,
        fraud,
        labels_from=fold.train_start,
        start=fold.train_end if has_delay else fold.train_start,
        n_days=fold.spec.delay_days if has_delay else fold.spec.train_days,
        delay_days=fold.spec.delay_days,
    )
    rows = frame.iloc[delay]
    score = fraud_score(model, rows)
    t = metrics.budget_threshold(
        rows[schemas.TX_TIME_DAYS], score, alerts_per_day=ev.alerts_per_day
    )
    return t, "budget"


def train(
    frame: pd.DataFrame,
    *,
    params: Params | None = None,
    data_hash: str = "unknown",
    tracking_uri: str | None = None,
    progress: Progress = _quiet,
) -> Candidate:
    """Select a model family and its parameters prequentially, fit the release candidate.

    Args:
        frame: feature table (transactions + the 15 features), sorted by time.
        params: model-stage parameters (defaults when None).
        data_hash: hash of the raw dataset the features come from (recorded everywhere).
        tracking_uri: MLflow tracking URI; None = no tracking (tests).
        progress: called with one line per step.

    Raises:
        ValueError: missing columns, or not enough days for the folds.
    """
    params = params or Params()
    _check_features(frame)
    start = time.perf_counter()
    spec, anchor = spec_of(params.split), anchor_of(frame, params.split)
    valid = splits.prequential_folds(frame, anchor_day=anchor, spec=spec, kind="validation")
    test = splits.prequential_folds(frame, anchor_day=anchor, spec=spec, kind="test")
    progress(f"validation folds: {'; '.join(f.describe() for f in valid)}")
    results = []
    for family in params.train.families:
        progress(f"selecting {family} over {len(valid)} validation folds …")
        res = select_family(frame, family, valid, params)
        results.append(res)
        progress(
            f"  {family}: AP {res.mean('average_precision'):.3f} ± "
            f"{res.std('average_precision'):.3f}, AUC {res.mean('roc_auc'):.3f}, "
            f"CP@100 {res.mean('card_precision_100'):.3f} ({res.seconds:.1f} s)"
        )
    best = max(results, key=lambda r: r.mean(params.train.scoring))
    release = test[-1]
    progress(
        f"fitting {best.family} {best.best_params} on days {release.train_start}-"
        f"{release.train_end - 1} …"
    )
    model = make_model(
        best.family, random_state=params.train.random_state, n_jobs=params.train.n_jobs
    ).set_params(**best.best_params)
    rows = frame.iloc[release.train_idx]
    model.fit(rows[list(schemas.FEATURE_COLUMNS)], rows[schemas.LABEL])
    threshold, policy = decision_threshold(model, frame, release, params)
    result = Candidate(
        model=model,
        family=best.family,
        params=best.best_params,
        selection=results,
        scoring=params.train.scoring,
        train_days=(release.train_start, release.train_end - 1),
        threshold=threshold,
        threshold_policy=policy,
        data_hash=data_hash,
        run_id=None,
        split=params.split.model_dump(),
        n_train=len(release.train_idx),
        seconds=round(time.perf_counter() - start, 2),
    )
    if tracking_uri:
        result.run_id, result.model_uri = _track(result, params, tracking_uri, rows.iloc[:200])
        progress(f"tracked as MLflow run {result.run_id}")
    return result


def _track(
    result: Candidate, params: Params, tracking_uri: str, sample: pd.DataFrame
) -> tuple[str, str | None]:
    """One parent run (split, choice, threshold, the model) and a nested run per family."""
    # Float columns: the API may send an integer feature as 2.0, which an int schema rejects.
    x = sample[result.feature_columns].astype("float64")
    return tracking.log_run(
        tracking_uri,
        run_name=f"train-{result.family}",
        tags={"stage": "train", "data_hash": result.data_hash},
        params={
            **{f"split.{k}": v for k, v in params.split.model_dump().items()},
            "family": result.family,
            "scoring": result.scoring,
            "threshold_policy": result.threshold_policy,
            "train_days": f"{result.train_days[0]}-{result.train_days[1]}",
            **{f"best.{k}": v for k, v in result.params.items()},
        },
        metrics={
            "threshold": result.threshold,
            "n_train": result.n_train,
            **{
                f"{r.family}.valid_average_precision": r.mean("average_precision")
                for r in result.selection
            },
        },
        dicts={
            "feature_schema.json": {"features": result.feature_columns},
            "train.json": result.to_dict(),
        },
        children=[
            tracking.ChildRun(
                name=f"select-{r.family}",
                tags={"stage": "select", "family": r.family},
                params={"family": r.family, **r.best_params},
                per_fold={f"valid_{m}": v for m, v in r.folds.items()},
                metrics={
                    **{f"valid_{m}_mean": r.mean(m) for m in r.folds},
                    **{f"valid_{m}_std": r.std(m) for m in r.folds},
                },
            )
            for r in result.selection
        ],
        model=tracking.LoggedModel(
            result.model,
            x,
            fraud_score(result.model, x),
            artifacts.untrusted_types_of(result.model),
        ),
    )
