"""Is an image one the lesion model may judge? Refuse what it was not trained on, by name.

A classifier answers every input: random noise scores a probability like any photograph, and a
screening service would turn it into "biopsy". Before the model sees an image, two checks run on
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
) -> dict[str, Any]:
    """The training features' quantiles, as recorded in metadata.json (`input_range`)."""
    features = features[[c for c in features.columns if c not in UNCHECKED]]
    low, high = features.quantile(quantiles[0]), features.quantile(quantiles[1])
    return {
        "quantiles": list(quantiles),
        "margin": margin,
        "features": {c: [float(low[c]), float(high[c])] for c in features.columns},
    }


@dataclass(frozen=True)
class InputRange:
    """The accepted interval of each checked feature: the training quantiles widened by the
    margin; `columns` are their positions in the model's feature row."""

    names: tuple[str, ...]
    columns: np.ndarray
    low: np.ndarray
    high: np.ndarray

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
        return cls(checked, columns, bounds[:, 0] - margin * span, bounds[:, 1] + margin * span)

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
