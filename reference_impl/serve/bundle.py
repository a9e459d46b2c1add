"""A model bundle: the artifact, its metadata, and the checks that run before it may serve.

Loading is *load → verify → warm up*; only a bundle that passed all three is returned, so the
caller can swap it in atomically. Any failure raises `BundleError` with one readable line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import sklearn

from reference_impl.schemas import FEATURE_COLUMNS
from reference_impl.serve.guard import GuardedModel, NonFiniteError, RowProblem

ARTIFACT_NAMES = ("model.skops", "model.joblib")
# skops refuses unknown types; these module prefixes are the ones a registered model may use.
TRUSTED_MODULE_PREFIXES = ("sklearn.", "numpy", "builtins", "collections", "reference_impl.")
_OPENMP_MODULES = ("sklearn.ensemble._hist_gradient_boosting",)


class BundleError(RuntimeError):
    """A model bundle that cannot be served (missing, corrupt, incompatible)."""


class Classifier(Protocol):
    def predict_proba(self, X: Any) -> Any: ...  # noqa: N803 (scikit-learn convention)


@dataclass(frozen=True)
class ModelBundle:
    """A verified, warmed-up model ready to score."""

    version: str
    path: Path
    model: Classifier
    features: tuple[str, ...]
    sha256: str
    metadata: dict[str, Any] = field(repr=False)
    loaded_at: float = field(default_factory=time.time)

    @property
    def threshold(self) -> float | None:
        value = self.metadata.get("threshold")
        return float(value) if isinstance(value, int | float) else None

    guard: GuardedModel = field(init=False, repr=False, compare=False)
    openmp: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "guard", GuardedModel(self.model, self.features))
        object.__setattr__(self, "openmp", _uses_openmp(self.model))

    def score(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """Fraud probability for each row of a (n, 15) float array in `features` order.

        Raises:
            NonFiniteError: the model would compute a non-finite value for some rows.
        """
        scores, problems = self.score_rows(X)
        if problems:
            raise NonFiniteError(list(problems.values()))
        return scores

    def score_rows(self, X: np.ndarray) -> tuple[np.ndarray, dict[int, RowProblem]]:  # noqa: N803
        """Like `score`, but unscorable rows get NaN and a `RowProblem` instead of an error."""
        if not self.openmp:
            return self.guard.score_rows(X)
        with _openmp_controller().limit(limits=1, user_api="openmp"):
            return self.guard.score_rows(X)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_version(models_dir: Path, version: str, *, cli: str = "fraud") -> Path:
    """Folder of `version` under `models_dir`; 'latest' = the champion (the CHAMPION pointer the
    registry moves on promotion), never a challenger that is registered but not promoted.
    `cli` names the command that registers this system's models, in the errors."""
    if version != "latest":
        path = models_dir / version
        if not (path / "metadata.json").is_file():
            raise BundleError(f"model version {version!r} not found under {models_dir}")
        return path
    pointer = models_dir / "CHAMPION"  # written by the registry when a version is promoted
    if pointer.is_file():
        chosen = models_dir / pointer.read_text().strip()
        if not (chosen / "metadata.json").is_file():
            raise BundleError(f"CHAMPION names {chosen.name!r}, which is not under {models_dir}")
        return chosen
    if (models_dir / "history.jsonl").is_file():
        raise BundleError(
            f"no champion under {models_dir}: promote a registered version "
            f"(`{cli} promote vNNN --reason ...`)"
        )
    candidates = sorted(
        p
        for p in models_dir.glob("*")
        if not p.name.startswith(".") and (p / "metadata.json").is_file()  # skip temp exports
    )
    if not candidates:
        raise BundleError(f"no registered model under {models_dir} (run `{cli} register`)")
    return candidates[-1]


def _read_metadata(path: Path) -> dict[str, Any]:
    meta_path = path / "metadata.json"
    try:
        metadata = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{meta_path} is missing") from None
    except (OSError, ValueError) as exc:
        raise BundleError(f"{meta_path} is not valid JSON: {exc}") from None
    if not isinstance(metadata, dict):
        raise BundleError(f"{meta_path} must hold a JSON object")
    return metadata


def _artifact_path(path: Path, metadata: dict[str, Any]) -> Path:
    name = metadata.get("artifact")
    if isinstance(name, str):
        if Path(name).name != name:
            raise BundleError(f"artifact name {name!r} must be a plain file name")
        return path / name
    for candidate in ARTIFACT_NAMES:
        if (path / candidate).is_file():
            return path / candidate
    raise BundleError(f"no model artifact ({' or '.join(ARTIFACT_NAMES)}) in {path}")


def _check_versions(metadata: dict[str, Any]) -> None:
    versions = metadata.get("library_versions") or {}
    trained = versions.get("scikit-learn") or versions.get("sklearn")
    if not isinstance(trained, str):
        raise BundleError("metadata.json lacks library_versions['scikit-learn']")
    if trained.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise BundleError(
            f"model trained with scikit-learn {trained}, "
            f"this service runs {sklearn.__version__} (major.minor must match)"
        )


def _deserialize(artifact: Path) -> Classifier:
    if artifact.suffix == ".skops":
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=artifact)
        refused = [t for t in untrusted if not t.startswith(TRUSTED_MODULE_PREFIXES)]
        if refused:
            raise BundleError(f"{artifact.name} contains untrusted types: {', '.join(refused)}")
        model = sio.load(artifact, trusted=untrusted)
    elif artifact.suffix == ".joblib":
        import joblib

        model = joblib.load(artifact)
    else:
        raise BundleError(f"unknown artifact format {artifact.suffix!r}")
    if not callable(getattr(model, "predict_proba", None)):
        raise BundleError(
            f"{artifact.name} holds {type(model).__name__}, which has no predict_proba"
        )
    return model


def _check_feature_names(model: Classifier, features: tuple[str, ...]) -> None:
    """A model fitted on a DataFrame knows its column names; they must be the contract's."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None and tuple(names) != features:
        raise BundleError(f"model was fitted on columns {list(names)}, not {list(features)}")


def _single_threaded(model: Classifier) -> None:
    """Score on one thread: a forest fitted with n_jobs=-1 would start a thread pool on every
    call, which costs more than a small batch and fights the other requests for the cores.
    Predictions do not depend on n_jobs."""
    get_params = getattr(model, "get_params", None)
    if callable(get_params):
        keys = [k for k in get_params(deep=True) if k == "n_jobs" or k.endswith("__n_jobs")]
        if keys:
            model.set_params(**dict.fromkeys(keys, 1))  # type: ignore[attr-defined]


def _uses_openmp(model: Classifier) -> bool:
    """Does the model predict with OpenMP threads (histogram gradient boosting)?

    Like `_single_threaded` for joblib: OpenMP starts one thread per core for every call, and on
    a busy machine its spinning threads made an 8-row prediction 150 ms instead of 8 ms
    (measured on 2 shared cores). The micro-batcher, not the model, uses the cores.
    """
    get_params = getattr(model, "get_params", None)
    parts = [model, *(get_params(deep=True).values() if callable(get_params) else ())]
    return any(type(p).__module__.startswith(_OPENMP_MODULES) for p in parts)


@functools.cache
def _openmp_controller() -> Any:
    from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

    return ThreadpoolController()  # scans the loaded libraries once (~ms); limit() costs ~40 µs


def _warm_up(model: Classifier, n_features: int) -> None:
    """Score a few rows once: fails fast on a broken model and pays first-call costs now."""
    probe = np.zeros((4, n_features))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "X does not have valid feature names": checked above
        proba = np.asarray(model.predict_proba(probe))
    if proba.shape != (4, 2) or not np.all(np.isfinite(proba)):
        raise BundleError(f"warm-up returned shape {proba.shape} or non-finite probabilities")


def load_bundle(path: Path) -> ModelBundle:
    """Load, verify (hash, feature schema, library versions) and warm up the bundle at `path`."""
    metadata = _read_metadata(path)
    artifact = _artifact_path(path, metadata)
    if not artifact.is_file():
        raise BundleError(f"model artifact {artifact} is missing")
    expected = metadata.get("sha256")
    actual = file_sha256(artifact)
    if expected != actual:
        raise BundleError(f"{artifact.name}: sha256 {actual[:12]}… does not match metadata")
    features = tuple(metadata.get("features") or ())
    if features != FEATURE_COLUMNS:
        raise BundleError(
            f"feature schema mismatch: model expects {list(features)}, "
            f"service sends {list(FEATURE_COLUMNS)}"
        )
    _check_versions(metadata)
    try:
        model = _deserialize(artifact)
        _check_feature_names(model, features)
        _single_threaded(model)
        _warm_up(model, len(features))
    except BundleError:
        raise
    except Exception as exc:  # a corrupt pickle can raise nearly anything
        raise BundleError(
            f"{artifact.name} could not be loaded: {type(exc).__name__}: {exc}"
        ) from None
    version = str(metadata.get("version") or path.name)
    return ModelBundle(version, path, model, features, actual, metadata)
