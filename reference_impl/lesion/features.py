"""Hand-crafted ABCD features of a dermoscopy image, and the raw-pixel baseline (spec §4.2).

`segment` finds the lesion: hairs removed by a grey closing (DullRazor's idea), the dark
vignette of a dermoscope left out, Otsu's threshold on the smoothed grey image, the largest
component near the centre kept, holes filled. `ABCDFeatures` then measures what a dermatologist
scores: **A**symmetry (shape and colour, about the principal axes), **B**order (sharpness of the
edge, irregularity of the outline), **C**olours (how many of the rule's six, the blue-gray and
black shares, mean and spread), **D**iameter in mm and area, plus texture. Both transformers
take images as uint8 (N, 64, 64, 3) or flattened (N, 64*64*3), so they sit first in a sklearn
pipeline; neither learns anything in `fit`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from sklearn.base import BaseEstimator, TransformerMixin

from reference_impl.errors import InvalidInputError
from reference_impl.lesion.render import PALETTE
from reference_impl.lesion.schemas import IMAGE_SIZE, MM_PER_PX

FEATURE_NAMES = (
    "diameter_mm",
    "area_mm2",
    "compactness",
    "eccentricity",
    "asymmetry_shape",
    "asymmetry_colour",
    "border_sharpness",
    "border_irregularity",
    "n_colours",
    "blue_gray_share",
    "black_share",
    "white_share",
    "red_share",
    "mean_r",
    "mean_g",
    "mean_b",
    "std_r",
    "std_g",
    "std_b",
    "contrast",
    "laplacian_energy",
    "grey_std",
)
_N = IMAGE_SIZE
_YY, _XX = np.mgrid[0:_N, 0:_N].astype(np.float32)
_CENTRE_D = np.hypot(_XX - (_N - 1) / 2, _YY - (_N - 1) / 2)
_FALLBACK = _CENTRE_D < 5  # when nothing is found: a small central disc, never an empty mask
_CENTRAL = _CENTRE_D < 20
_CROSS = ndimage.generate_binary_structure(2, 1)


def as_images(X: Any) -> np.ndarray:
    """Images as float32 (N, 64, 64, 3) in [0, 1], from uint8 (N, 64, 64, 3) or flattened.

    Raises:
        InvalidInputError: any other shape.
    """
    arr = np.asarray(X)
    if arr.ndim == 2 and arr.shape[1] == _N * _N * 3:
        arr = arr.reshape(-1, _N, _N, 3)
    if arr.ndim != 4 or arr.shape[1:] != (_N, _N, 3):
        raise InvalidInputError(
            f"expected images of shape (N, {_N}, {_N}, 3) or (N, {_N * _N * 3}), got {arr.shape}"
        )
    return arr.astype(np.float32) / 255 if arr.dtype == np.uint8 else arr.astype(np.float32)


def segment(image: np.ndarray) -> np.ndarray:
    """Boolean lesion mask (64, 64) of one image (uint8 or float in [0, 1]); a small central
    disc when `find_lesion` finds none (so that every image has features)."""
    mask = find_lesion(image)
    return _FALLBACK.copy() if mask is None else mask


def find_lesion(image: np.ndarray) -> np.ndarray | None:
    """The lesion mask (64, 64) of one image, or None when no dark region stands out."""
    img = image.astype(np.float32) / 255 if image.dtype == np.uint8 else image
    grey = ndimage.grey_closing(img.mean(axis=2), size=(3, 3))  # thin dark hairs vanish
    grey = ndimage.gaussian_filter(grey, 1.0)
    view = grey > 0.12  # the dermoscope's dark vignette is not lesion
    if view.sum() < 100:
        return None
    t = threshold_otsu(grey[view])
    dark = view & (grey < t)
    labels, n = ndimage.label(dark, structure=_CROSS)
    if n == 0:
        return None
    area = np.bincount(labels.ravel(), minlength=n + 1).astype(float)
    area[0] = 0
    central = np.zeros(n + 1)
    central[labels[_CENTRAL]] = 1
    best = int(np.argmax(area * central + 1e-3 * area))  # the largest touching the centre
    mask = ndimage.binary_fill_holes(labels == best, structure=_CROSS)
    return mask if mask.sum() >= 4 else None


def _mirror_iou(mask: np.ndarray, ys: np.ndarray, xs: np.ndarray, axis: np.ndarray) -> float:
    """IoU of the mask with its mirror image about the line through its centroid along `axis`."""
    cy, cx = ys.mean(), xs.mean()
    d = np.stack([ys - cy, xs - cx])
    along = axis @ d
    mirrored = 2 * np.outer(axis, along) - d  # reflect each pixel about the axis
    my = np.clip(np.rint(mirrored[0] + cy).astype(int), 0, _N - 1)
    mx = np.clip(np.rint(mirrored[1] + cx).astype(int), 0, _N - 1)
    mirror = np.zeros_like(mask)
    mirror[my, mx] = True
    return float((mask & mirror).sum() / max((mask | mirror).sum(), 1))


def _features(img: np.ndarray) -> list[float]:
    mask = segment(img)
    ys, xs = np.nonzero(mask)
    area = float(mask.sum())
    cov = np.cov(np.stack([ys, xs]).astype(float)) if area > 2 else np.eye(2)
    evals, evecs = np.linalg.eigh(cov)
    ecc = float(np.sqrt(1 - evals[0] / evals[1])) if evals[1] > 0 else 0.0
    boundary = mask & ~ndimage.binary_erosion(mask, structure=_CROSS)
    perimeter = float(boundary.sum())
    asym = [1 - _mirror_iou(mask, ys, xs, evecs[:, k]) for k in (0, 1)]
    pix = img[mask]
    cy, cx = ys.mean(), xs.mean()
    colour_asym = 0.0
    for k in (0, 1):  # colour difference between the halves on either side of each axis
        side = (evecs[:, k] @ np.stack([ys - cy, xs - cx])) > 0
        if side.any() and (~side).any():
            gap = float(np.linalg.norm(pix[side].mean(0) - pix[~side].mean(0)))
            colour_asym = max(colour_asym, gap)
    grey = img.mean(axis=2)
    grad = np.hypot(ndimage.sobel(grey, 0), ndimage.sobel(grey, 1))
    ring = ndimage.binary_dilation(mask, structure=_CROSS, iterations=3) & ~mask
    skin = img[ring & (grey > 0.12)].mean(0) if (ring & (grey > 0.12)).any() else pix.mean(0)
    contrast = float(skin.mean() - pix.mean())
    by, bx = np.nonzero(boundary)
    radii = np.hypot(by - cy, bx - cx)
    nearest = np.argmin(((pix[:, None, :] - _REFERENCE[None]) ** 2).sum(-1), axis=1)
    share = np.bincount(nearest, minlength=len(_REFERENCE))[:6] / max(len(pix), 1)
    return [
        2 * np.sqrt(area / np.pi) * MM_PER_PX,
        area * MM_PER_PX**2,
        perimeter**2 / (4 * np.pi * max(area, 1.0)),
        ecc,
        float(np.mean(asym)),
        colour_asym,
        float(grad[boundary].mean() / max(abs(contrast), 0.02)) if perimeter else 0.0,
        float(radii.std() / max(radii.mean(), 1e-6)) if len(radii) else 0.0,
        float((share >= 0.05).sum()),
        float(share[3]),
        float(share[2]),
        float(share[4]),
        float(share[5]),
        *pix.mean(0).tolist(),
        *pix.std(0).tolist(),
        contrast,
        float(np.abs(ndimage.laplace(grey))[mask].mean()),
        float(grey[mask].std()),
    ]


# The six ABCD colours plus typical skin, so that skin-coloured pixels are not counted as one.
_REFERENCE = np.vstack([PALETTE, [[0.85, 0.68, 0.58], [0.6, 0.42, 0.3]]]).astype(np.float32)


class ABCDFeatures(TransformerMixin, BaseEstimator):
    """Images -> the 22 hand-crafted ABCD features (float64, no NaN). Stateless."""

    def fit(self, X: Any, y: Any = None) -> ABCDFeatures:
        """Check the input; nothing is learnt."""
        as_images(X[:1])
        self.n_features_in_ = _N * _N * 3
        return self

    def transform(self, X: Any) -> np.ndarray:
        """One row of features per image."""
        imgs = as_images(X)
        out = np.array([_features(img) for img in imgs], dtype=np.float64)
        return out.reshape(len(imgs), len(FEATURE_NAMES))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The feature names, in column order."""
        return np.array(FEATURE_NAMES, dtype=object)


class PixelFeatures(TransformerMixin, BaseEstimator):
    """The baseline: images block-averaged to size x size (RGB, or grey), in [0, 1]. Stateless.

    Args:
        size: pixels per side after downsampling (a divisor of 64).
        grey: average the channels.
    """

    def __init__(self, size: int = 16, grey: bool = False) -> None:
        self.size = size
        self.grey = grey

    def fit(self, X: Any, y: Any = None) -> PixelFeatures:
        """Check the parameters and the input; nothing is learnt."""
        if self.size < 1 or _N % self.size:
            raise InvalidInputError(f"size must divide {_N}, got {self.size}")
        self.n_features_in_ = _N * _N * 3
        as_images(X[:1])
        return self

    def transform(self, X: Any) -> np.ndarray:
        """One row of size*size*channels pixel values per image."""
        imgs = as_images(X)
        f = _N // self.size
        small = imgs.reshape(len(imgs), self.size, f, self.size, f, 3).mean(axis=(2, 4))
        if self.grey:
            small = small.mean(axis=3)
        return small.reshape(len(imgs), -1).astype(np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """`px_<row>_<col>[_<channel>]`."""
        cells = [f"px_{r}_{c}" for r in range(self.size) for c in range(self.size)]
        if not self.grey:
            cells = [f"{cell}_{ch}" for cell in cells for ch in "rgb"]
        return np.array(cells, dtype=object)
