"""Is an image one the lesion model may judge? Refuse what it was not trained on, by name.

A classifier answers every input: random noise scores a probability like any photograph, and a
screening service would turn it into "biopsy". Before the model sees an image, three checks run on
what the ABCD featurizer already computes:

1. **A lesion is found**: `features.find_lesion` segments a dark region that stands out from the
   skin. A flat colour, a black or a white frame has none ("no lesion found in the image").
2. **The features are in the training range**: each continuous feature lies within the
   development images' quantiles `[q_low, q_high]`, widened by `margin` times their span on
   each side. The colour shares and the colour count are not checked: they are bounded, and a
   rare lesion type (a vascular lesion's red, a carcinoma's blue-grey) reaches shares that few
   training images had, which would refuse exactly the lesions that matter. `feature_range`
   records the quantiles from the training table when the model is trained (`lesion train`);
   registration copies them into metadata.json as `input_range`, so they travel with the model
   and the service reads them at load. Noise, a colour gradient or a checkerboard falls
   outside ("image unlike the training images: <feature> <value> outside [<low>, <high>]").

3. **The features together resemble the training images'**: each feature can be in range while
   their combination is one no lesion has (noise uploaded at another size is blurred by the
   resize into a texture whose features are each plausible). The Mahalanobis distance of the
   robustly scaled features (median, interquartile range; Ledoit-Wolf covariance of the
   development images) must stay below `DISTANCE_FACTOR` times the largest distance of a
   development image; the refusal names the feature contributing most.

The refusal is an `UploadRejected` with status 422: the route answers it like any unusable
upload, never a 5xx, never the image back. The margin trades false refusals of genuine images
for refusals of foreign ones; tests/reference_impl/serve/test_serve_lesion.py measures the false
refusals on the held-out generated images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reference_impl.errors import InvalidInputError
from reference_impl.lesion.features import find_lesion
from reference_impl.lesion.upload import UploadRejected

QUANTILES = (0.001, 0.999)
MARGIN = 0.5  # of each feature's training span, added on both sides
DISTANCE_FACTOR = 1.25  # times the largest Mahalanobis distance among the development images
# Bounded class signals, not scope signals (see above).
UNCHECKED = frozenset({"n_colours", "blue_gray_share", "black_share", "white_share", "red_share"})


class OutOfScope(UploadRejected):
    """An image the lesion model was not trained to judge (HTTP 422)."""

    def __init__(self, message: str) -> None:
        super().__init__(422, message)


def feature_range(
    features: pd.DataFrame,
    *,
    quantiles: tuple[float, float] = QUANTILES,
    margin: float = MARGIN,
    distance_factor: float = DISTANCE_FACTOR,
) -> dict[str, Any]:
    """The training features' quantiles and distance model, as recorded in metadata.json
    (`input_range`)."""
    checked = features[[c for c in features.columns if c not in UNCHECKED]]
    low, high = checked.quantile(quantiles[0]), checked.quantile(quantiles[1])
    return {
        "quantiles": list(quantiles),
        "margin": margin,
        "features": {c: [float(low[c]), float(high[c])] for c in checked.columns},
        "distance": _distance_model(features, distance_factor),
    }


def _distance_model(features: pd.DataFrame, factor: float) -> dict[str, Any]:
    from sklearn.covariance import LedoitWolf

    X = features.to_numpy(dtype=float)
    centre = np.median(X, axis=0)
    scale = np.subtract(*np.quantile(X, [0.75, 0.25], axis=0))
    scale[scale <= 0] = 1.0
    fit = LedoitWolf().fit((X - centre) / scale)
    model = Distance(
        centre=centre, scale=scale, location=fit.location_, precision=fit.precision_, limit=0.0
    )
    largest = max(model.of(x)[0] for x in X)
    return {
        "features": list(features.columns),
        "centre": centre.tolist(),
        "scale": scale.tolist(),
        "location": fit.location_.tolist(),
        "precision": fit.precision_.tolist(),
        "limit": factor * largest,
        "factor": factor,
    }


@dataclass(frozen=True)
class Distance:
    """Mahalanobis distance of a feature row from the development images."""

    centre: np.ndarray
    scale: np.ndarray
    location: np.ndarray
    precision: np.ndarray
    limit: float

    def of(self, row: np.ndarray) -> tuple[float, int]:
        """The distance, and the position of the feature contributing most to it."""
        z = (row - self.centre) / self.scale - self.location
        terms = z * (self.precision @ z)
        return float(np.sqrt(max(terms.sum(), 0.0))), int(np.argmax(terms))


@dataclass(frozen=True)
class InputRange:
    """The accepted interval of each checked feature: the training quantiles widened by the
    margin; `columns` are their positions in the model's feature row."""

    names: tuple[str, ...]
    columns: np.ndarray
    low: np.ndarray
    high: np.ndarray
    distance: Distance | None = None
    model_features: tuple[str, ...] = ()

    @classmethod
    def from_metadata(cls, recorded: Mapping[str, Any], names: Sequence[str]) -> InputRange:
        """Read `input_range` for a model whose feature row is `names`.

        Raises:
            InvalidInputError: a recorded feature is not the model's, or its bounds are not two
                ordered finite numbers.
        """
        try:
            margin = float(recorded["margin"])
            checked = tuple(recorded["features"])
            bounds = np.array([recorded["features"][n] for n in checked], dtype=float)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(
                f"input_range: unreadable ({type(exc).__name__}: {exc})"
            ) from None
        unknown = [n for n in checked if n not in names]
        if unknown:
            raise InvalidInputError(f"input_range: {unknown} are not the model's features")
        if bounds.shape != (len(checked), 2) or not np.isfinite(bounds).all() or margin < 0:
            raise InvalidInputError(
                "input_range: each feature needs two finite bounds, margin >= 0"
            )
        if (bounds[:, 0] > bounds[:, 1]).any():
            raise InvalidInputError("input_range: a feature's low bound is above its high bound")
        span = bounds[:, 1] - bounds[:, 0]
        columns = np.array([list(names).index(n) for n in checked], dtype=int)
        return cls(
            checked,
            columns,
            bounds[:, 0] - margin * span,
            bounds[:, 1] + margin * span,
            _read_distance(recorded.get("distance"), names),
            tuple(names),
        )

    def outside(self, row: np.ndarray) -> list[tuple[str, float, float, float]]:
        """(feature, value, low, high) of every feature outside its interval, farthest first."""
        values = row[self.columns]
        span = np.maximum(self.high - self.low, 1e-12)
        excess = np.maximum(self.low - values, values - self.high) / span
        order = np.argsort(-excess, kind="stable")
        return [
            (self.names[i], float(values[i]), float(self.low[i]), float(self.high[i]))
            for i in order
            if excess[i] > 0 or not np.isfinite(values[i])
        ]


def _read_distance(recorded: Any, names: Sequence[str]) -> Distance | None:
    if recorded is None:  # recorded before the distance check existed: ranges only
        return None
    try:
        if list(recorded["features"]) != list(names):
            raise InvalidInputError("input_range.distance: not the model's features")
        n = len(names)
        arrays = [np.asarray(recorded[k], dtype=float) for k in ("centre", "scale", "location")]
        precision = np.asarray(recorded["precision"], dtype=float)
        limit = float(recorded["limit"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"input_range.distance: unreadable ({type(exc).__name__}: {exc})"
        ) from None
    if any(a.shape != (n,) for a in arrays) or precision.shape != (n, n):
        raise InvalidInputError("input_range.distance: wrong shapes")
    if not all(np.isfinite(a).all() for a in (*arrays, precision)) or not limit > 0:
        raise InvalidInputError("input_range.distance: needs finite values and a limit > 0")
    return Distance(arrays[0], arrays[1], arrays[2], precision, limit)


def refusal(image: np.ndarray, row: np.ndarray, accepted: InputRange | None) -> str | None:
    """Why the service would refuse this image (`check_in_scope`), or None."""
    try:
        check_in_scope(image, row, accepted)
    except OutOfScope as exc:
        return str(exc)
    return None


def check_in_scope(image: np.ndarray, row: np.ndarray, accepted: InputRange | None) -> None:
    """Refuse an image with no lesion, or whose features lie outside the training range.

    Args:
        image: uint8 (64, 64, 3), as `upload.decode_upload` returns it.
        row: its ABCD features, in the model's feature order.
        accepted: the model's recorded range; None (a model registered before ranges were
            recorded) checks only that a lesion is found.

    Raises:
        OutOfScope: the reason, naming the feature, its value and its accepted interval.
    """
    if find_lesion(image) is None:
        raise OutOfScope("no lesion found in the image: no dark region stands out from the skin")
    if accepted is None:
        return
    out = accepted.outside(row)
    if out:
        name, value, low, high = out[0]
        more = f" (and {len(out) - 1} more feature(s))" if len(out) > 1 else ""
        raise OutOfScope(
            f"image unlike the training images: {name} {value:.3g} outside "
            f"[{low:.3g}, {high:.3g}]{more}"
        )
    if accepted.distance is not None:
        distance, worst = accepted.distance.of(row)
        if not distance <= accepted.distance.limit:  # NaN refused too
            raise OutOfScope(
                f"image unlike the training images: {accepted.model_features[worst]} and the "
                f"other features together lie {distance:.3g} from theirs (limit "
                f"{accepted.distance.limit:.3g})"
            )
