"""How often does the lesion service refuse a genuine image as "not a lesion"? (lesion/scope.py)

Records the input range from the development patients of a generated dataset as `lesion train`
does (`scope.feature_range` on the dev rows of `train.holdout`), then counts the images the
service's check would refuse: the held-out patients of that dataset, and every image of a fresh
dataset (another seed, optionally another preset). Prints the counts; writes nothing.

    python benchmarks/lesion_refusals.py --preset tiny --fresh-preset small --fresh-seed 2
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from reference_impl.lesion import schemas
from reference_impl.lesion.data import read_image
from reference_impl.lesion.features import FEATURE_NAMES, ABCDFeatures
from reference_impl.lesion.scope import InputRange, feature_range, refusal
from reference_impl.lesion.simulate import config_for, simulate
from reference_impl.lesion.train import holdout


def generated(preset: str, seed: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Images as the service decodes them (JPEG bytes -> read_image), features, metadata."""
    sim = simulate(config_for(preset, seed=seed))
    images = np.stack([read_image(jpeg) for jpeg in sim.jpegs])
    return images, ABCDFeatures().transform(images), sim.metadata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-share", type=float, default=0.5)
    parser.add_argument("--fresh-preset", default=None, help="default: --preset")
    parser.add_argument("--fresh-seed", type=int, default=1)
    args = parser.parse_args()

    images, features, meta = generated(args.preset, args.seed)
    y = meta[schemas.LABEL].to_numpy().astype(int)
    dev, test = holdout(y, meta[schemas.PATIENT_ID].to_numpy(), test_share=args.test_share, seed=0)
    recorded = feature_range(pd.DataFrame(features[dev], columns=list(FEATURE_NAMES)))
    accepted = InputRange.from_metadata(recorded, FEATURE_NAMES)

    def refused(imgs: np.ndarray, rows: np.ndarray, idx: np.ndarray) -> list[int]:
        return [int(i) for i in idx if refusal(imgs[i], rows[i], accepted)]

    out = refused(images, features, test)
    print(
        f"{args.preset} seed {args.seed}, held-out patients: {len(out)}/{len(test)} refused "
        f"({len(out) / len(test):.2%}); malignant among them: {int(y[out].sum())}"
    )
    fresh = args.fresh_preset or args.preset
    images2, features2, meta2 = generated(fresh, args.fresh_seed)
    out2 = refused(images2, features2, np.arange(len(images2)))
    y2 = meta2[schemas.LABEL].to_numpy().astype(int)
    print(
        f"{fresh} seed {args.fresh_seed}, every image: {len(out2)}/{len(images2)} refused "
        f"({len(out2) / len(images2):.2%}); malignant among them: {int(y2[out2].sum())}"
    )


if __name__ == "__main__":
    main()
