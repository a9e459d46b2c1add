"""Draw one lesion and its views: the rendering half of the generator (spec §4.2, steps 3–4).

A lesion is drawn once from its own random stream (`draw_lesion`, `render_lesion`): its outline
r(θ), its colour patches and its dermoscopic structures. Each *view* of it (`render_view`) is
that lesion turned by a multiple of 90°, mirrored and shifted a little, laid on the patient's
skin and photographed by a device: illumination gradient, hairs, vignette, colour cast, blur,
sensor noise and JPEG compression. Everything is float32 RGB in [0, 1] until the JPEG, held
channel-first (3, 64, 64) so that a per-pixel weight multiplies whole rows at once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from reference_impl.lesion.exact import choice_without_replacement, gaussian_blur_2d, quantile
from reference_impl.lesion.schemas import IMAGE_SIZE, MM_PER_PX

N = IMAGE_SIZE
_YY, _XX = np.mgrid[0:N, 0:N].astype(np.float32)
_RHO_C = np.hypot(_XX - (N - 1) / 2, _YY - (N - 1) / 2)  # distance from the image centre
_XC, _YC = _XX - N / 2, _YY - N / 2  # offsets for the illumination gradient
# The outline's angles and harmonics, and the hairs' Bézier weights: the same for every lesion.
_ANG = np.linspace(-np.pi, np.pi, 256, endpoint=False)
_ANG2 = 2 * _ANG
_HARMONICS = np.arange(5, 12)[:, None] * _ANG  # rows k·θ, k = 5..11
_T = np.linspace(0, 1, 90)[:, None]
_BEZIER = ((1 - _T) ** 2, 2 * (1 - _T) * _T, _T**2)

# The six colours of the ABCD rule (RGB in [0, 1]).
PALETTE = np.array(
    [
        (0.62, 0.42, 0.27),  # light brown
        (0.36, 0.22, 0.13),  # dark brown
        (0.10, 0.08, 0.08),  # black
        (0.45, 0.52, 0.62),  # blue-gray
        (0.92, 0.90, 0.88),  # white
        (0.78, 0.28, 0.28),  # red
    ],
    dtype=np.float32,
)
_EXTRA_COLOUR_P = {  # which further colours a lesion shows, by label
    1: np.array([0.18, 0.24, 0.22, 0.22, 0.09, 0.05]),
    0: np.array([0.32, 0.40, 0.10, 0.05, 0.05, 0.08]),
}
STRUCTURES = ("network", "dots", "streaks", "veil", "regression")
_STRUCTURE_P = {1: np.array([0.8, 0.7, 0.5, 0.5, 0.4]), 0: np.array([0.9, 0.6, 0.1, 0.05, 0.1])}


def _without(p: np.ndarray, base: int) -> tuple[float, ...]:
    q = p.copy()
    q[base] = 0
    return tuple((q / q.sum()).tolist())


# The normalised choice weights, once: further colours by (looks, base colour); structures.
_COLOUR_CHOICE = {
    (looks, base): _without(_EXTRA_COLOUR_P[looks], base) for looks in (0, 1) for base in (0, 1)
}
_STRUCTURE_CHOICE = {looks: tuple((p / p.sum()).tolist()) for looks, p in _STRUCTURE_P.items()}


def _col(r: float, g: float, b: float) -> np.ndarray:
    """A colour as a float32 (3, 1, 1) column, to broadcast over a (3, 64, 64) image."""
    return np.array([r, g, b], np.float32)[:, None, None]


_PAL = PALETTE[:, :, None, None]  # the palette as columns
_VEIL = _col(0.55, 0.62, 0.75)  # blue-white veil
# 7-class mode: colours of the other diagnoses, and the structures each never shows.
_LACUNA, _RED_VESSEL = _col(0.38, 0.04, 0.16), _col(0.80, 0.15, 0.15)
_PEARL, _STRAWBERRY, _SCALE = _col(0.86, 0.62, 0.60), _col(0.85, 0.42, 0.42), _col(0.95, 0.92, 0.80)
_ABSENT = {  # indices into STRUCTURES
    "vasc": {0, 1, 2, 3, 4},
    "bcc": {0, 2},
    "akiec": {0, 2, 3},
    "bkl": {0, 2},
    "df": {2, 3},
}
# Fitzpatrick-like anchors I..VI of dermoscopic skin (RGB).
SKIN = np.array(
    [
        (0.93, 0.79, 0.71),
        (0.88, 0.70, 0.60),
        (0.78, 0.58, 0.45),
        (0.64, 0.45, 0.31),
        (0.47, 0.31, 0.21),
        (0.31, 0.21, 0.15),
    ],
    dtype=np.float32,
)


@dataclass(frozen=True)
class Device:
    """An acquisition device: what it does to every picture it takes."""

    cast: tuple[float, float, float]
    vignette_p: float
    blur: float
    noise: float
    quality: tuple[int, int]


DEVICES = {
    "dermlite": Device((1.0, 1.0, 1.0), 0.5, 0.5, 0.015, (85, 95)),
    "molemax": Device((1.03, 0.98, 0.92), 0.9, 0.8, 0.010, (75, 90)),
    "phone": Device((1.07, 1.0, 0.88), 0.2, 0.9, 0.030, (70, 85)),
}


@dataclass(frozen=True)
class LesionSpec:
    """The latent lesion: label, class and ABCD attributes drawn by the simulator."""

    label: int
    dx: str
    A: int
    B: int
    C: int
    D: int
    diameter_mm: float
    variant: str = "typical"


def _bilinear(cells: int) -> np.ndarray:
    """(64, cells) matrix that zooms a cells x cells grid to 64 x 64 bilinearly."""
    pos = np.clip((np.arange(N) + 0.5) * cells / N - 0.5, 0, cells - 1)
    lo = np.minimum(pos.astype(int), cells - 2)
    m = np.zeros((N, cells), np.float32)
    m[np.arange(N), lo] = 1 - (pos - lo)
    m[np.arange(N), lo + 1] = pos - lo
    return m


_ZOOM = {c: _bilinear(c) for c in (4, 8)}


def _upsampled_noise(rng: np.random.Generator, k: int, cells: int = 8) -> np.ndarray:
    """k smooth random fields (k, 64, 64) in about [-1, 1]: coarse noise, bilinear zoom."""
    coarse = rng.standard_normal((k, cells, cells), dtype=np.float32)
    z = _ZOOM[cells]
    return z @ coarse @ z.T


def _patch(field: np.ndarray, inside: np.ndarray, cover: float) -> np.ndarray:
    """Soft patch where `field` is in its top `cover` share inside the lesion."""
    t = quantile(field[inside], 1 - cover) if inside.any() else 0.0
    return np.clip((field - t) / 0.15 + 0.5, 0.0, 1.0)


def _blend(colour: np.ndarray, weight: np.ndarray, target: np.ndarray) -> None:
    """colour += weight · (target − colour), in place (colour (3, 64, 64), target (3, 1, 1),
    weight (64, 64) in [0, 1])."""
    step = target - colour
    step *= weight
    colour += step


def render_lesion(spec: LesionSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """The lesion layer: colour (3, 64, 64), opacity (64, 64) and its 7-point score."""
    cx, cy = ((N - 1) / 2 + np.clip(rng.normal(0, 5.0, 2), -10, 10)).tolist()
    dx, dy = _XX - cx, _YY - cy
    rho, theta = np.hypot(dx, dy), np.arctan2(dy, dx)
    radius = spec.diameter_mm / 2 / MM_PER_PX
    e = (0.0, 0.12, 0.25)[spec.A]
    r = 1 + e * np.cos(_ANG + rng.uniform(0, 6.3)) + 0.5 * e * np.cos(_ANG2 + rng.uniform(0, 6.3))
    amp, phase = np.empty(7), np.empty(7)
    for i in range(7):  # drawn in this order: amplitude, phase, amplitude, ...
        amp[i], phase[i] = rng.normal(0, 0.012 * spec.B), rng.uniform(0, 6.3)
    terms = amp[:, None] * np.cos(_HARMONICS + phase[:, None])
    for term in terms:  # summed one harmonic after the other, as drawn
        r += term
    table = (radius * np.clip(r, 0.5, 1.6)).astype(np.float32)
    r_theta = table[((theta + np.pi) * (255.99 / (2 * np.pi))).astype(np.intp)]
    width = max(0.35, 2.2 - 0.22 * spec.B)
    if spec.dx == "bkl":  # 7-class mode: a seborrheic keratosis looks stuck on (sharp edge)
        width = 0.35
    alpha = 1 / (1 + np.exp(np.clip((rho - r_theta) / width, -30, 30)))
    inside = alpha > 0.5
    rel = rho / np.maximum(r_theta, 1e-3)

    amelanotic = spec.variant == "amelanotic"
    # Which profile draws colours and structures: an atypical nevus half the time looks malignant.
    looks = 1 if spec.label or (spec.variant == "atypical" and rng.random() < 0.5) else 0
    fields = _upsampled_noise(rng, 8)
    base = 0 if rng.random() < (0.4 if looks else 0.7) else 1
    colour = np.empty((3, N, N), np.float32)
    colour[:] = _PAL[base]
    if amelanotic:
        colour[:] = _col(0.85, 0.50, 0.50)
    colour *= 0.9 + 0.1 * rel.clip(0, 1)  # a little darker in the centre
    extra = choice_without_replacement(rng, _COLOUR_CHOICE[looks, base], spec.C - 1)
    half = np.cos(theta - rng.uniform(0, 6.3)) > 0 if spec.A == 2 else None
    for j, c in enumerate(extra):
        patch = _patch(fields[j], inside, rng.uniform(0.12, 0.3))
        if half is not None:
            patch = patch * half
        _blend(colour, patch, _PAL[c])

    chosen = set(choice_without_replacement(rng, _STRUCTURE_CHOICE[looks], spec.D))
    chosen -= _ABSENT.get(spec.dx, set())  # 7-class mode: what a diagnosis never shows
    seven = 0
    dark = np.zeros((N, N), np.float32)
    if 0 in chosen:  # pigment network: a sinusoidal mesh, warped and heavier when atypical
        atypical = rng.random() < (0.7 if looks else 0.15)
        f = rng.uniform(1.3, 1.8)
        warp = 2.5 * fields[6] if atypical else 0.0
        net = 0.5 * (np.cos(f * (_XX + warp)) + np.cos(f * (_YY - warp)))
        fade = 1.0 if atypical else np.clip(1.3 - rel, 0, 1)
        dark += (0.45 if atypical else 0.25) * np.clip(net, 0, 1) ** 3 * fade
        seven += 2 * atypical
    if 1 in chosen:  # dots and globules; irregular = peripheral and of varied size
        irregular = rng.random() < (0.7 if looks else 0.2)
        n = rng.integers(3, 13)
        where = rng.uniform(0.5, 0.95, n) if irregular else rng.uniform(0, 0.55, n)
        phi = rng.uniform(-np.pi, np.pi, n)
        size = rng.uniform(0.6, 1.8 if irregular else 1.0, n)
        px = (cx + where * radius * np.cos(phi)).astype(np.float32)
        py = (cy + where * radius * np.sin(phi)).astype(np.float32)
        size = size.astype(np.float32)
        d2 = (_XX[None] - px[:, None, None]) ** 2 + (_YY[None] - py[:, None, None]) ** 2
        dark += 0.7 * np.exp(-d2 / (2 * size[:, None, None] ** 2)).max(axis=0)
        seven += int(irregular)
    if 2 in chosen:  # radial streaks at the periphery, past the border
        phi = rng.uniform(-np.pi, np.pi, rng.integers(6, 15)).astype(np.float32)
        band = np.nonzero((rel > 0.7) & (rel < 1.25))  # only the periphery is computed
        diff = np.abs((theta[band][None] - phi[:, None] + np.pi) % (2 * np.pi) - np.pi)
        streak = np.zeros((N, N), np.float32)
        streak[band] = np.exp(-((diff * (rho[band] / 0.7)) ** 2)).max(axis=0)
        dark += 0.6 * streak
        alpha = np.maximum(alpha, 0.9 * streak)
        seven += 1
    veil = 3 in chosen
    if veil:  # blue-white veil: a blue-gray/white blotch
        blotch = _patch(fields[7], inside, rng.uniform(0.2, 0.4))
        _blend(colour, 0.7 * blotch, _VEIL)
        seven += 2
    if 4 in chosen:  # regression: white areas with fine grey peppering
        area = _patch(-fields[7], inside, rng.uniform(0.1, 0.25))
        _blend(colour, 0.6 * area, _PAL[4])
        dark += 0.4 * area * (rng.random((N, N)) < 0.12)
        seven += 1
    colour = _class_marks(spec, colour, cx, cy, radius, inside, rng)
    colour *= 1 - np.clip(dark, 0, 0.85)
    return colour, alpha.astype(np.float32), seven


def _spots(
    cx: float,
    cy: float,
    radius: float,
    rng: np.random.Generator,
    k: int,
    spread: float,
    size: float,
) -> np.ndarray:
    """k Gaussian spots of `size` px at uniform offsets within ±spread·radius of the centre:
    the brightest of them at each pixel (64, 64), in [0, 1]."""
    px = (cx + rng.uniform(-spread, spread, k) * radius).astype(np.float32)
    py = (cy + rng.uniform(-spread, spread, k) * radius).astype(np.float32)
    d2 = (_XX[None] - px[:, None, None]) ** 2 + (_YY[None] - py[:, None, None]) ** 2
    return np.exp(-d2 / np.float32(2 * size**2)).max(axis=0)


def _vessels(
    colour: np.ndarray, cx: float, cy: float, n: int, rng: np.random.Generator, width: int
) -> None:
    """n red vessels branching out from the centre (random walks), `width` px wide, in place."""
    for _ in range(n):
        steps = np.cumsum(rng.normal(0, 1.2, (40, 2)), axis=0) + (cx, cy)
        ix, iy = np.clip(steps.astype(int), 0, N - 1).T
        for w in range(width):
            colour[:, iy, np.minimum(ix + w, N - 1)] = _RED_VESSEL[..., 0]


def _class_marks(
    spec: LesionSpec,
    colour: np.ndarray,
    cx: float,
    cy: float,
    radius: float,
    inside: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """What the 7-class mode adds to a lesion of each diagnosis (mel and nv: nothing; their
    difference is the binary one). Spec §4.2: vasc red/purple and homogeneous, bkl milia-like
    dots, bcc arborizing red lines and no network; plus akiec's "strawberry" pattern and df's
    central white scar."""
    if spec.dx == "vasc":  # red-purple lacunae on a homogeneous red base (no structures)
        colour[:] = _col(0.62, 0.16, 0.30)
        _blend(
            colour, 0.8 * _spots(cx, cy, radius, rng, int(rng.integers(4, 10)), 0.6, 2.0), _LACUNA
        )
    elif spec.dx == "bcc":  # pearly pink, blue-gray ovoid nests, arborizing red vessels
        colour += 0.6 * (_PEARL - colour)
        nests = _spots(cx, cy, radius, rng, int(rng.integers(2, 6)), 0.6, 0.15 * radius + 0.8)
        _blend(colour, 0.9 * nests, _PAL[3])
        _vessels(colour, cx, cy, int(rng.integers(3, 7)), rng, width=2)
    elif spec.dx == "akiec":  # "strawberry": pink-red, white-yellow scale, dotted vessels
        colour += 0.7 * (_STRAWBERRY - colour)
        scale = _patch(_upsampled_noise(rng, 1)[0], inside, rng.uniform(0.2, 0.35))
        _blend(colour, 0.85 * scale, _SCALE)
        dots = _spots(cx, cy, radius, rng, int(rng.integers(10, 25)), 0.7, 0.6)
        _blend(colour, 0.9 * dots, _RED_VESSEL)
    elif spec.dx == "bkl":  # milia-like cysts (white) and comedo-like openings (dark)
        milia = _spots(cx, cy, radius, rng, int(rng.integers(8, 19)), 0.7, rng.uniform(1.0, 1.6))
        _blend(colour, 0.9 * milia, _PAL[4])
        comedo = _spots(cx, cy, radius, rng, int(rng.integers(4, 11)), 0.7, 0.8)
        _blend(colour, 0.8 * comedo, _PAL[1])
    elif spec.dx == "df":  # a central white scar-like patch
        scar = _spots(cx, cy, radius, rng, 1, 0.15, 0.45 * radius)
        _blend(colour, 0.95 * scar, _PAL[4])
    return colour


def _move(a: np.ndarray, k: int, flip: bool, s0: int, s1: int) -> np.ndarray:
    """Each (64, 64) plane of `a` turned k·90°, mirrored if `flip`, and rolled by (s0, s1):
    `np.roll(np.rot90(plane, k)[:, ::-1 if flip], (s0, s1), axis=(0, 1))` in four copies."""
    a = np.rot90(a, k, axes=(1, 2))
    a = a[:, :, ::-1] if flip else a
    out = np.empty(a.shape, a.dtype)
    s0, s1 = s0 % N, s1 % N
    rows = ((slice(s0, None), slice(None, N - s0)), (slice(None, s0), slice(N - s0, None)))
    cols = ((slice(s1, None), slice(None, N - s1)), (slice(None, s1), slice(N - s1, None)))
    for r_out, r_in in rows:
        for c_out, c_in in cols:
            out[:, r_out, c_out] = a[:, r_in, c_in]
    return out


def _hairs(img: np.ndarray, n: int, rng: np.random.Generator) -> None:
    """Draw n dark curved hairs (quadratic Bézier curves) across the image, in place."""
    b0, b1, b2 = _BEZIER
    for _ in range(n):
        p0, p1, p2 = rng.uniform(-8, N + 8, (3, 2))
        pts = b0 * p0 + b1 * p1 + b2 * p2
        ix, iy = pts.astype(int).T
        ok = (ix >= 0) & (ix < N) & (iy >= 0) & (iy < N)
        img[:, iy[ok], ix[ok]] = img[:, iy[ok], ix[ok]] * 0.25 + 0.02


def render_view(
    colour: np.ndarray,
    alpha: np.ndarray,
    *,
    skin: np.ndarray,
    device: Device,
    n_hairs: int,
    rng: np.random.Generator,
) -> tuple[bytes, np.ndarray]:
    """One photograph of a lesion: JPEG bytes and the lesion mask in the picture's frame."""
    k, flip = int(rng.integers(4)), bool(rng.integers(2))
    s0, s1 = rng.integers(-4, 5, 2).tolist()
    moved = _move(np.concatenate((colour, alpha[None])), k, flip, s0, s1)
    colour, alpha = moved[:3], moved[3]
    texture = 1 + 0.04 * _upsampled_noise(rng, 1, 4)[0]
    background = skin[:, None, None] * texture
    # Pigment absorbs: a lesion's colour scales with the skin under it (darker on dark skin).
    lesion = background / SKIN[1][:, None, None]
    lesion *= colour
    np.clip(lesion, 0, 1, out=lesion)
    lesion -= background
    lesion *= alpha
    img = lesion
    img += background
    g, a = rng.uniform(0, 0.12), rng.uniform(0, 2 * np.pi)
    img *= 1 + g * (np.cos(a) * _XC + np.sin(a) * _YC) / (N / 2)
    _hairs(img, n_hairs, rng)
    if rng.random() < device.vignette_p:
        img *= np.clip((rng.uniform(29, 34) - _RHO_C) / 3, 0, 1)
    # The device's colour cast, times this picture's exposure and white balance.
    balance = rng.uniform(0.8, 1.2) * (1 + rng.normal(0, 0.05, 3))
    img *= (np.asarray(device.cast) * balance).astype(np.float32)[:, None, None]
    img = gaussian_blur_2d(img, device.blur)  # now (64, 64, 3), the order of the noise and JPEG
    noise = rng.standard_normal(img.shape, dtype=np.float32)
    noise *= device.noise
    img += noise
    np.clip(img, 0, 1, out=img)
    img *= 255
    img += 0.5
    pixels = img.astype(np.uint8)
    buf = io.BytesIO()
    quality = int(rng.integers(device.quality[0], device.quality[1] + 1))
    Image.frombuffer("RGB", (N, N), pixels, "raw", "RGB", 0, 1).save(buf, "JPEG", quality=quality)
    return buf.getvalue(), alpha > 0.5
