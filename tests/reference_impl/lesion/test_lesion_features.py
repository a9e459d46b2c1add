"""Hand-crafted ABCD features and the pixel baseline: shapes, no NaN, and they see lesions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

from reference_impl.errors import InvalidInputError
from reference_impl.lesion.features import FEATURE_NAMES, ABCDFeatures, PixelFeatures, segment
from reference_impl.lesion.simulate import Simulation

SKIN = np.array([225, 180, 155], np.uint8)
YY, XX = np.mgrid[0:64, 0:64]


def _disc(radius: float) -> np.ndarray:
    """A small, round, one-colour (light brown) lesion on light skin."""
    img = np.broadcast_to(SKIN, (64, 64, 3)).copy()
    img[np.hypot(YY - 32, XX - 32) < radius] = (150, 100, 65)
    return img


def _irregular() -> np.ndarray:
    """A big, elongated lesion: one half black, the other blue-gray, a dark-brown centre."""
    img = np.broadcast_to(SKIN, (64, 64, 3)).copy()
    inside = ((YY - 32) / 14) ** 2 + ((XX - 32) / 24) ** 2 < 1
    img[inside & (XX < 32)] = (25, 20, 20)
    img[inside & (XX >= 32)] = (115, 130, 158)
    img[np.hypot(YY - 32, XX - 32) < 6] = (92, 56, 33)
    return img


@pytest.fixture(scope="module")
def features(lesion_sim: Simulation) -> np.ndarray:
    """ABCD features of the first 200 tiny-preset images (computed once)."""
    return ABCDFeatures().fit_transform(lesion_sim.images[:200])


def test_features_have_names_and_no_nan(lesion_sim: Simulation, features: np.ndarray) -> None:
    """One finite row per image, named columns, the same from flattened input?"""
    assert features.shape == (200, len(FEATURE_NAMES)) and np.isfinite(features).all()
    assert list(ABCDFeatures().get_feature_names_out()) == list(FEATURE_NAMES)
    flat = lesion_sim.images[:20].reshape(20, -1)
    np.testing.assert_array_equal(ABCDFeatures().fit_transform(flat), features[:20])


def test_features_separate_obviously_different_lesions() -> None:
    """Is a big two-colour asymmetric lesion bigger, more asymmetric and more colourful than a
    small round disc, and is the disc's diameter measured in mm?"""
    X = ABCDFeatures().fit_transform(np.stack([_disc(8), _irregular()]))
    f = dict(zip(FEATURE_NAMES, X.T, strict=True))
    assert f["diameter_mm"][0] == pytest.approx(16 * 15 / 64, abs=0.5)
    assert f["diameter_mm"][1] > 2 * f["diameter_mm"][0]
    assert f["asymmetry_colour"][1] > f["asymmetry_colour"][0] + 0.2
    assert f["n_colours"][1] >= f["n_colours"][0] + 1
    assert f["black_share"][1] > 0.2 and f["blue_gray_share"][1] > 0.2
    assert f["black_share"][0] == 0 and f["blue_gray_share"][0] == 0
    assert f["eccentricity"][1] > f["eccentricity"][0] + 0.5


def test_segmentation_finds_the_generated_lesions(lesion_sim: Simulation) -> None:
    """Does the mask overlap the generator's ground truth on most images (hairs, vignettes)?"""
    ious = []
    for img, truth in zip(lesion_sim.images[:80], lesion_sim.masks[:80], strict=True):
        mask = segment(img)
        ious.append((mask & truth).sum() / (mask | truth).sum())
    assert np.median(ious) > 0.6


def test_diameter_feature_tracks_the_label(lesion_sim: Simulation, features: np.ndarray) -> None:
    """Are malignant lesions measured larger (spec: median 7.5 vs 4.5 mm)?"""
    y = lesion_sim.metadata["label_true"].to_numpy()[:200]
    assert roc_auc_score(y, features[:, FEATURE_NAMES.index("diameter_mm")]) > 0.65


def test_pixel_baseline_and_pipeline(lesion_sim: Simulation) -> None:
    """Block-averaged pixels in [0, 1], and both transformers work inside a sklearn pipeline."""
    imgs = lesion_sim.images[:24]
    P = PixelFeatures(size=16).fit_transform(imgs)
    assert P.shape == (24, 16 * 16 * 3) and P.min() >= 0 and P.max() <= 1
    assert PixelFeatures(size=8, grey=True).fit_transform(imgs).shape == (24, 64)
    assert len(PixelFeatures(size=8).get_feature_names_out()) == 8 * 8 * 3
    y = np.r_[np.ones(6, int), np.zeros(18, int)]
    model = make_pipeline(ABCDFeatures(), LogisticRegression(max_iter=500)).fit(imgs, y)
    assert model.predict_proba(imgs[:4]).shape == (4, 2)


def test_bad_input_is_named() -> None:
    """Wrong shapes and sizes fail with one line naming the problem."""
    with pytest.raises(InvalidInputError, match=r"expected images of shape"):
        ABCDFeatures().fit_transform(np.zeros((2, 32, 32, 3), np.uint8))
    with pytest.raises(InvalidInputError, match="size must divide 64"):
        PixelFeatures(size=10).fit(np.zeros((1, 64, 64, 3), np.uint8))
