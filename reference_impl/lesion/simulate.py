"""The lesion generator (spec §4.2): patients, lesions, labels and ABCD attributes from a seed.

`simulate(config_for("small"))` draws every patient and lesion from one random stream, then
renders each lesion from its own stream (`render.py`), so the bytes depend on the seed alone,
never on how many processes render. `write_dataset` writes the result in the HAM10000 layout.

Drift knobs (monitoring lab): `device_weights` (acquisition shift), `skin_tone_weights` (subgroup
mix), `prevalence` (prior shift: 11 % → 1.8 %), `amelanotic_rate` (a new presentation of
melanoma: red-pink, few structures), `hair_rate`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reference_impl.errors import InvalidInputError
from reference_impl.lesion import schemas as s
from reference_impl.lesion.render import DEVICES, SKIN, LesionSpec, render_lesion, render_view

PRESETS = {"tiny": 500, "small": 4_000, "full": 20_000}
PREVALENCES = {"ham": 0.11, "ham_binary": 0.195, "screening": 0.018}
# Dermoscopy collections are mostly light skin (ISIC: types I-III); few V-VI, as in practice.
SKIN_TONE_WEIGHTS = (0.22, 0.36, 0.24, 0.11, 0.045, 0.025)
LOCALIZATIONS = {
    "back": 0.22,
    "lower extremity": 0.21,
    "trunk": 0.14,
    "upper extremity": 0.11,
    "abdomen": 0.10,
    "face": 0.07,
    "chest": 0.04,
    "foot": 0.03,
    "neck": 0.02,
    "scalp": 0.02,
    "hand": 0.01,
    "ear": 0.01,
    "unknown": 0.02,
}


class LesionConfig(BaseModel):
    """Everything that decides a generated dataset (the manifest stores it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_images: int = Field(default=4_000, ge=1, le=1_000_000, description="Images to generate.")
    seed: int = Field(default=0, ge=0, description="Random seed (same seed, same bytes).")
    prevalence: float = Field(default=0.11, gt=0, lt=1, description="Share of malignant lesions.")
    seven_class: bool = Field(default=False, description="Draw the 7 HAM10000 diagnoses.")
    # Small, and smaller from benign to malignant: every benign lesion labelled malignant is a
    # positive no model can find, and caps the specificity reachable at 95 % sensitivity.
    flip_pos: float = Field(default=0.02, ge=0, le=0.5, description="Label noise p(1 -> 0).")
    flip_neg: float = Field(default=0.005, ge=0, le=0.5, description="Label noise p(0 -> 1).")
    skin_tone_weights: tuple[float, float, float, float, float, float] = Field(
        default=SKIN_TONE_WEIGHTS, description="Weights of skin tones I..VI."
    )
    device_weights: dict[str, float] = Field(
        default_factory=lambda: {"dermlite": 0.5, "molemax": 0.35, "phone": 0.15},
        description=f"Weights of the acquisition devices ({', '.join(DEVICES)}).",
    )
    lesions_per_patient: float = Field(
        default=3.0, ge=1, le=20, description="Mean lesions per patient (1-20)."
    )
    patient_risk_sd: float = Field(
        default=1.0, ge=0, description="Spread of a patient's risk (logit scale)."
    )
    hair_rate: float = Field(default=1.5, ge=0, description="Mean hairs per image (Poisson).")
    atypical_rate: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of benign lesions that are atypical nevi (malignant-looking).",
    )
    amelanotic_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of melanomas drawn amelanotic (new class)."
    )

    @model_validator(mode="after")
    def _known(self) -> LesionConfig:
        unknown = sorted(set(self.device_weights) - set(DEVICES))
        if unknown or not self.device_weights:
            raise ValueError(f"unknown devices {unknown}; choose from {sorted(DEVICES)}")
        if min(self.device_weights.values()) < 0 or sum(self.device_weights.values()) <= 0:
            raise ValueError("device weights must be >= 0 with a positive sum")
        if min(self.skin_tone_weights) < 0 or sum(self.skin_tone_weights) <= 0:
            raise ValueError("skin tone weights must be >= 0 with a positive sum")
        return self


def config_for(
    preset: Literal["tiny", "small", "full"] | str = "small",
    prevalence: str = "ham",
    **overrides: Any,
) -> LesionConfig:
    """The config of a size preset and a prevalence preset, with overrides.

    Raises:
        InvalidInputError: unknown preset or an invalid override (named).
    """
    if preset not in PRESETS:
        raise InvalidInputError(f"unknown preset {preset!r} (choose one of {', '.join(PRESETS)})")
    if prevalence not in PREVALENCES:
        raise InvalidInputError(
            f"unknown prevalence preset {prevalence!r} (choose one of {', '.join(PREVALENCES)})"
        )
    values = {"n_images": PRESETS[preset], "prevalence": PREVALENCES[prevalence], **overrides}
    try:
        return LesionConfig.model_validate(values)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInputError(f"invalid generator config: {errors}") from None


@dataclass(frozen=True)
class Simulation:
    """A generated dataset in memory: metadata rows, their JPEG bytes and lesion masks."""

    config: LesionConfig
    metadata: pd.DataFrame
    jpegs: list[bytes]
    masks: np.ndarray  # bool (N, 64, 64): the free segmentation ground truth

    @property
    def images(self) -> np.ndarray:
        """Decoded images, uint8 (N, 64, 64, 3), as the loader reads them back."""
        return np.stack([np.asarray(Image.open(io.BytesIO(b)).convert("RGB")) for b in self.jpegs])


def _logit_offset(prevalence: float, sd: float) -> float:
    """The offset b with E[sigmoid(b + sd * z)] = prevalence, z ~ N(0, 1) (Gauss–Hermite)."""
    z, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(w @ (1 / (1 + np.exp(-(mid + sd * z))))) < prevalence:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _attributes(rng: np.random.Generator, label: np.ndarray, variant: np.ndarray) -> pd.DataFrame:
    """Class-conditional, overlapping A, B, C, D and diameter (spec §4.2 step 2)."""
    n, m, atyp = len(label), label == 1, variant == "atypical"
    # Atypical (dysplastic) nevi sit between the two profiles: the hard benign lesions.
    a = np.select(
        [m, atyp],
        [rng.choice(3, n, p=[0.15, 0.35, 0.50]), rng.choice(3, n, p=[0.30, 0.40, 0.30])],
        rng.choice(3, n, p=[0.60, 0.30, 0.10]),
    )
    b = np.select([m, atyp], [rng.integers(2, 9, n), rng.integers(1, 7, n)], rng.integers(0, 5, n))
    colours = np.arange(1, 7)
    c = np.select(
        [m, atyp],
        [
            rng.choice(colours, n, p=[0.05, 0.15, 0.30, 0.30, 0.15, 0.05]),
            rng.choice(colours, n, p=[0.10, 0.25, 0.30, 0.25, 0.08, 0.02]),
        ],
        rng.choice(colours, n, p=[0.35, 0.35, 0.18, 0.08, 0.03, 0.01]),
    )
    d = np.select([m, atyp], [rng.integers(2, 6, n), rng.integers(2, 5, n)], rng.integers(1, 4, n))
    amel = variant == "amelanotic"
    c, d = np.where(amel, np.minimum(c, 2), c), np.where(amel, np.minimum(d, 2), d)
    median = np.select([m, atyp], [7.5, 6.0], 4.5)
    diam = np.exp(np.log(median) + 0.35 * rng.standard_normal(n))
    diam = np.clip(diam, 1.5, 13.0)
    tds = 1.3 * a + 0.1 * b + 0.5 * c + 0.5 * d
    return pd.DataFrame({"A": a, "B": b, "C": c, "D": d, "diameter_mm": diam, "tds": tds})


def _diagnoses(rng: np.random.Generator, label: np.ndarray, seven_class: bool) -> np.ndarray:
    """A diagnosis per lesion: mel / nv, or one of the 7 classes at HAM10000's priors."""
    if not seven_class:
        return np.where(label == 1, "mel", "nv")
    mal, ben = ["mel", "bcc", "akiec"], ["nv", "bkl", "df", "vasc"]
    pm = np.array([s.HAM_PRIORS[c] for c in mal])
    pb = np.array([s.HAM_PRIORS[c] for c in ben])
    return np.where(
        label == 1,
        np.array(mal)[rng.choice(3, len(label), p=pm / pm.sum())],
        np.array(ben)[rng.choice(4, len(label), p=pb / pb.sum())],
    )


def _draw_lesions(cfg: LesionConfig) -> pd.DataFrame:
    """One row per lesion: patient, label, class, attributes and how many views it gets."""
    rng = np.random.default_rng(cfg.seed)
    n_pat = cfg.n_images  # more than enough: every patient has at least one image
    per_patient = 1 + np.minimum(rng.geometric(1 / cfg.lesions_per_patient, n_pat) - 1, 19)
    views = rng.choice([1, 2, 3], per_patient.sum(), p=[0.75, 0.17, 0.08])
    n_les = int(np.searchsorted(np.cumsum(views), cfg.n_images) + 1)
    views = views[:n_les]
    views[-1] -= int(views.sum() - cfg.n_images)  # exactly n_images images
    patient = np.repeat(np.arange(n_pat), per_patient)[:n_les]
    devices = list(cfg.device_weights)
    dev_p = np.array([cfg.device_weights[d] for d in devices])
    tone_p = np.array(cfg.skin_tone_weights)
    pat = pd.DataFrame(
        {
            "skin_tone": rng.choice(s.SKIN_TONES, n_pat, p=tone_p / tone_p.sum()),
            "device": np.array(devices)[rng.choice(len(devices), n_pat, p=dev_p / dev_p.sum())],
            "sex": rng.choice(["male", "female"], n_pat, p=[0.54, 0.46]),
            "age": np.clip(rng.normal(50, 15, n_pat), 5, 85),
            "risk": rng.normal(0, cfg.patient_risk_sd, n_pat),
        }
    ).iloc[patient]
    offset = _logit_offset(cfg.prevalence, cfg.patient_risk_sd)
    label = (rng.random(n_les) < 1 / (1 + np.exp(-(offset + pat["risk"].to_numpy())))).astype(int)
    flip = rng.random(n_les) < np.where(label == 1, cfg.flip_pos, cfg.flip_neg)
    observed = np.where(flip, 1 - label, label)
    dx_true, dx = (
        _diagnoses(rng, label, cfg.seven_class),
        _diagnoses(rng, observed, cfg.seven_class),
    )
    dx = np.where(flip, dx, dx_true)  # the recorded diagnosis follows the (noisy) label
    u = rng.random(n_les)
    variant = np.select(
        [(dx_true == "mel") & (u < cfg.amelanotic_rate), (label == 0) & (u < cfg.atypical_rate)],
        ["amelanotic", "atypical"],
        "typical",
    )
    attrs = _attributes(rng, label, variant)
    dx_type = np.where(
        label == 1,
        rng.choice(["histo", "consensus"], n_les, p=[0.9, 0.1]),
        rng.choice(list(s.DX_TYPES), n_les, p=[0.3, 0.45, 0.2, 0.05]),
    )
    loc_p = np.array(list(LOCALIZATIONS.values()))
    return pd.DataFrame(
        {
            "lesion": np.arange(n_les),
            "patient": patient,
            "views": views,
            "label_true": label,
            "label": observed,
            "dx": dx,
            "dx_true": dx_true,
            "dx_type": dx_type,
            "variant": variant,
            "age": (np.round((pat["age"].to_numpy() + 6 * label) / 5) * 5).clip(5, 85),
            "sex": pat["sex"].to_numpy(),
            "localization": rng.choice(list(LOCALIZATIONS), n_les, p=loc_p / loc_p.sum()),
            "skin_tone": pat["skin_tone"].to_numpy(),
            "device": pat["device"].to_numpy(),
            **{k: v.to_numpy() for k, v in attrs.items()},
        }
    )


def _lesion_id(i: int) -> str:
    return f"SYNL_{i:07d}"


def latent_lesions(cfg: LesionConfig) -> pd.DataFrame:
    """What the generator drew for each lesion before label noise, indexed by `lesion_id`:
    `dx_true`, `label_true`, `variant` and the attributes (the oracles' view; no rendering)."""
    lesions = _draw_lesions(cfg)
    return lesions.set_index(pd.Index([_lesion_id(i) for i in lesions["lesion"]], name=s.LESION_ID))


def _rng(*key: int) -> np.random.Generator:
    """`np.random.default_rng(list(key))`, the same stream, without its dispatch (3x faster)."""
    return np.random.Generator(np.random.PCG64(list(key)))


def _render_chunk(args: tuple[int, int, list[dict[str, Any]]]) -> list[tuple[int, list[Any]]]:
    """Render the lesions of one chunk: per lesion its 7-point score and its views, each
    (jpeg, mask packed 8 pixels a byte — an eighth of the pickling back from a worker, hairs)."""
    seed, hair_rate_x1000, rows = args
    out = []
    skins: dict[int, np.ndarray] = {}
    for row in rows:
        spec = LesionSpec(
            label=int(row["label_true"]),
            dx=str(row["dx_true"]),
            A=int(row["A"]),
            B=int(row["B"]),
            C=int(row["C"]),
            D=int(row["D"]),
            diameter_mm=float(row["diameter_mm"]),
            variant=str(row["variant"]),
        )
        colour, alpha, seven = render_lesion(spec, _rng(seed, int(row["lesion"])))
        patient = int(row["patient"])
        if patient not in skins:  # the patient's skin, the same under each of their lesions
            skin_rng = _rng(seed, 1_000_000_000 + patient)
            tone = SKIN[int(row["skin_tone"]) - 1]
            skin = np.clip(tone * (1 + skin_rng.normal(0, 0.04, 3)), 0, 1).astype(np.float32)
            skins = {patient: skin}  # a patient's lesions are neighbours: keep the last one
        skin = skins[patient]
        views = []
        for v in range(int(row["views"])):
            rng = _rng(seed, int(row["lesion"]), v + 1)
            n_hairs = int(rng.poisson(hair_rate_x1000 / 1000))
            jpeg, mask = render_view(
                colour,
                alpha,
                skin=skin,
                device=DEVICES[str(row["device"])],
                n_hairs=n_hairs,
                rng=rng,
            )
            views.append((jpeg, np.packbits(mask), n_hairs))
        out.append((seven, views))
    return out


def simulate(
    cfg: LesionConfig, *, n_jobs: int = 1, progress: Callable[[int], None] | None = None
) -> Simulation:
    """Generate the dataset of `cfg`: the same config gives the same bytes for any `n_jobs`.

    Args:
        cfg: what to generate.
        n_jobs: processes that render (the result does not depend on it).
        progress: called with the number of images rendered after each chunk.
    """
    lesions = _draw_lesions(cfg)
    rows = lesions.to_dict("records")
    size = max(8, min(100, -(-len(rows) // (4 * n_jobs))))  # chunking never changes the bytes
    chunks = [
        (cfg.seed, round(cfg.hair_rate * 1000), rows[i : i + size])
        for i in range(0, len(rows), size)
    ]
    results: list[tuple[int, list[Any]]] = []
    if n_jobs > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            for chunk, res in zip(chunks, pool.map(_render_chunk, chunks), strict=True):
                results += res
                if progress is not None:
                    progress(sum(int(r["views"]) for r in chunk[2]))
    else:
        for chunk in chunks:
            results += _render_chunk(chunk)
            if progress is not None:
                progress(sum(int(r["views"]) for r in chunk[2]))
    return _assemble(cfg, lesions, results)


def _assemble(
    cfg: LesionConfig, lesions: pd.DataFrame, results: list[tuple[int, list[Any]]]
) -> Simulation:
    """One metadata row per image, shuffled (views of a lesion are not neighbours), with ids."""
    lesions = lesions.assign(seven_point=[seven for seven, _ in results])
    idx = np.repeat(np.arange(len(lesions)), lesions["views"].to_numpy())
    views = [v for _, vs in results for v in vs]
    order = np.random.default_rng([cfg.seed, 2]).permutation(len(views))
    meta = lesions.iloc[idx[order]].reset_index(drop=True)
    meta["n_hairs"] = [views[i][2] for i in order]
    meta[s.IMAGE_ID] = [f"SYN_{i:07d}" for i in range(len(meta))]
    meta[s.LESION_ID] = [_lesion_id(i) for i in meta["lesion"]]
    meta[s.PATIENT_ID] = [f"SYNP_{i:06d}" for i in meta["patient"]]
    meta = meta[list(s.COLUMNS)].astype({"diameter_mm": float, "tds": float, "age": float})
    meta["diameter_mm"] = meta["diameter_mm"].round(2)
    meta["tds"] = meta["tds"].round(2)
    side = s.IMAGE_SIZE
    masks = (
        np.unpackbits(np.stack([views[i][1] for i in order]), axis=1, count=side * side)
        .reshape(-1, side, side)
        .astype(bool)
        if views
        else np.zeros((0, s.IMAGE_SIZE, s.IMAGE_SIZE), bool)
    )
    return Simulation(cfg, meta, [views[i][0] for i in order], masks)
