"""The lesion model as the service serves it: a verified bundle that scores one uploaded image.

An upload goes through `lesion.upload.decode_upload` only (type sniffed, size and pixel count
read from the header before decoding, the training loader's crop and resize), then through the
registered version's featurizer (`ABCDFeatures`, named in its metadata.json and checked against
its feature schema at load) and model: the same steps, in the same order, as the offline
pipeline's `lesion features` → `model.predict_proba`, so an image scores the same both ways.

The decision is the registered operating point's: `biopsy` at or above the threshold,
`routine` below it, and `refer_to_dermatologist` inside the refer band (the evaluation's
abstention band recorded at registration), where the model should not decide alone.

Before the model, `lesion.scope.check_in_scope` refuses (422) an image it was not trained to
judge: no lesion found, or a feature far outside the training images' quantiles (metadata.json
`input_range`, recorded at training) — noise, a flat colour or a gradient is not "biopsy".
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reference_impl.errors import InvalidInputError
from reference_impl.lesion import schemas as lesion_schemas
from reference_impl.lesion.scope import InputRange, check_in_scope
from reference_impl.lesion.upload import UploadLimits, UploadRejected, decode_upload
from reference_impl.serve.bundle import (
    BundleError,
    Classifier,
    _artifact_path,
    _check_versions,
    _deserialize,
    _openmp_controller,
    _read_metadata,
    _single_threaded,
    _uses_openmp,
    file_sha256,
)
from reference_impl.serve.logs import get_logger

FEATURIZERS = ("ABCDFeatures",)


@dataclass(frozen=True)
class LesionScore:
    """One image's probability and the decision at the registered operating point."""

    probability: float
    decision: str


@dataclass(frozen=True)
class LesionBundle:
    """A verified, warmed-up lesion model with its featurizer and operating point."""

    version: str
    path: Path
    model: Classifier
    features: tuple[str, ...]
    sha256: str
    threshold: float
    refer_band: tuple[float, float] | None
    metadata: dict[str, Any] = field(repr=False)
    input_range: InputRange | None = field(default=None, repr=False)
    loaded_at: float = field(default_factory=time.time)

    def decide(self, probability: float) -> str:
        """`refer_to_dermatologist` inside the band, else `biopsy` at or above the threshold."""
        if self.refer_band is not None and self.refer_band[0] <= probability <= self.refer_band[1]:
            return "refer_to_dermatologist"
        return "biopsy" if probability >= self.threshold else "routine"

    def probability(self, image: np.ndarray) -> float:
        """Malignancy probability of one uint8 (64, 64, 3) image (featurizer, then model)."""
        return self.predict(featurize(image))

    def predict(self, row: np.ndarray) -> float:
        """Malignancy probability of one row of ABCD features."""
        frame = pd.DataFrame(row[None], columns=list(self.features))
        if _uses_openmp(self.model):
            with _openmp_controller().limit(limits=1, user_api="openmp"):
                return float(self.model.predict_proba(frame)[0, 1])
        return float(self.model.predict_proba(frame)[0, 1])

    def score_upload(
        self, data: bytes, content_type: str | None, limits: UploadLimits
    ) -> LesionScore:
        """Decode, featurize and score an upload.

        Raises:
            UploadRejected: the upload is refused (status and reason), it is not an image the
                model was trained to judge (`lesion.scope`: no lesion found, or features far
                outside the training range; 422), or no finite probability can be computed
                from its pixels (422).
        """
        image = decode_upload(data, content_type, limits=limits)
        try:
            row = featurize(image)
            check_in_scope(image, row, self.input_range)
            p = self.predict(row)
        except UploadRejected:
            raise
        except Exception as exc:  # an image the featurizer cannot measure is the client's 422
            get_logger().error(
                "lesion features failed", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            raise UploadRejected(422, "no lesion could be measured in this image") from None
        if not math.isfinite(p):
            raise UploadRejected(422, "no lesion could be measured in this image")
        return LesionScore(probability=p, decision=self.decide(p))


def featurize(image: np.ndarray) -> np.ndarray:
    """The 22 ABCD features of one uint8 (64, 64, 3) image (the offline pipeline's step)."""
    from reference_impl.lesion.features import ABCDFeatures

    row: np.ndarray = ABCDFeatures().transform(image[None])[0]
    return row


def _input_range(metadata: dict[str, Any], features: tuple[str, ...]) -> InputRange | None:
    recorded = metadata.get("input_range")
    if recorded is None:  # registered before ranges were recorded: only "a lesion is found"
        return None
    try:
        return InputRange.from_metadata(recorded, features)
    except InvalidInputError as exc:
        raise BundleError(f"metadata.json: {exc}") from None


def _band(metadata: dict[str, Any]) -> tuple[float, float] | None:
    band = metadata.get("refer_band")
    if band is None:
        return None
    try:
        low, high = float(band["low"]), float(band["high"])
    except (TypeError, KeyError, ValueError):
        raise BundleError("metadata.json: refer_band needs numbers low and high") from None
    if not 0 <= low <= high <= 1:
        raise BundleError(f"metadata.json: refer band [{low}, {high}] is not within [0, 1]")
    return low, high


def _check_lesion_metadata(metadata: dict[str, Any]) -> tuple[tuple[str, ...], float]:
    from reference_impl.lesion.features import ABCDFeatures

    if metadata.get("system") != "lesion":
        raise BundleError(f"not a lesion model (system {metadata.get('system')!r})")
    if metadata.get("featurizer") not in FEATURIZERS:
        raise BundleError(f"unknown featurizer {metadata.get('featurizer')!r}")
    features = tuple(metadata.get("features") or ())
    expected = tuple(ABCDFeatures().get_feature_names_out())
    if features != expected:
        raise BundleError(
            f"feature schema mismatch: model expects {list(features)}, "
            f"the featurizer computes {list(expected)}"
        )
    threshold = metadata.get("threshold")
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise BundleError(f"metadata.json: threshold {threshold!r} is not in (0, 1)")
    return features, float(threshold)


def load_lesion_bundle(path: Path) -> LesionBundle:
    """Load, verify (hash, featurizer and feature schema, library versions) and warm up."""
    metadata = _read_metadata(path)
    artifact = _artifact_path(path, metadata)
    if not artifact.is_file():
        raise BundleError(f"model artifact {artifact} is missing")
    actual = file_sha256(artifact)
    if metadata.get("sha256") != actual:
        raise BundleError(f"{artifact.name}: sha256 {actual[:12]}… does not match metadata")
    features, threshold = _check_lesion_metadata(metadata)
    band = _band(metadata)
    _check_versions(metadata)
    try:
        model = _deserialize(artifact)
        _single_threaded(model)
    except BundleError:
        raise
    except Exception as exc:  # a corrupt artifact can raise nearly anything
        raise BundleError(
            f"{artifact.name} could not be loaded: {type(exc).__name__}: {exc}"
        ) from None
    bundle = LesionBundle(
        version=str(metadata.get("version") or path.name),
        path=path,
        model=model,
        features=features,
        sha256=actual,
        threshold=threshold,
        refer_band=band,
        metadata=metadata,
        input_range=_input_range(metadata, features),
    )
    _warm_up(bundle)
    return bundle


def _warm_up(bundle: LesionBundle) -> None:
    """Score a plain skin-coloured image once: fails fast on a broken model, pays first calls."""
    size = lesion_schemas.IMAGE_SIZE
    image = np.full((size, size, 3), (200, 160, 140), dtype=np.uint8)
    image[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = (90, 60, 40)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = bundle.probability(image)
    except Exception as exc:
        raise BundleError(f"warm-up failed: {type(exc).__name__}: {exc}") from None
    if not 0 <= p <= 1:
        raise BundleError(f"warm-up returned probability {p}")
