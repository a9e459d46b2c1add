"""Check an uploaded photograph before the model sees it: one named reason per refusal.

The serving route (`multipart/form-data`) hands the bytes and the declared content type to
`decode_upload`; every bad upload becomes an `UploadRejected` with the HTTP status to answer
(413 too large, 415 not a JPEG/PNG, 422 unusable), never a server error. Checks run cheapest
first, and the pixel count is read from the header *before* decoding, so a decompression bomb
(a small file declaring a huge picture) is refused without allocating it. An accepted image is
brought to the model's input exactly as the training data was: `lesion.data.read_image`
(centre square crop, resize to 64×64 RGB).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from reference_impl.errors import InvalidInputError
from reference_impl.lesion import schemas

# What the bytes must start with for each accepted type (the declared type is not trusted).
MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MODES = ("RGB",)  # colour photographs only: grey, palette, alpha and CMYK are refused


class UploadRejected(InvalidInputError):
    """An upload the service refuses; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may be."""

    max_bytes: int = 2_000_000  # a dermoscope's JPEG is a few hundred kB
    max_side: int = 4096  # pixels, either side, read from the header before decoding
    min_side: int = schemas.IMAGE_SIZE  # smaller than the model's input: nothing to see


def _sniff(data: bytes) -> str | None:
    for content_type, prefixes in MAGIC.items():
        if data.startswith(prefixes):
            return content_type
    return None


# --8<-- [start:decode_upload]
def decode_upload(
    data: bytes, content_type: str | None, *, limits: UploadLimits | None = None
) -> np.ndarray:
    """The upload as the model's input, uint8 (64, 64, 3), or `UploadRejected` saying why."""
    from reference_impl.lesion.data import read_image

    limits = limits or UploadLimits()
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in MAGIC:
        raise UploadRejected(
            415, f"content type {declared or 'missing'!r}: send image/jpeg or image/png"
        )
    if not data:
        raise UploadRejected(422, "the file is empty")
    if len(data) > limits.max_bytes:
        raise UploadRejected(413, f"{len(data):,} bytes: the limit is {limits.max_bytes:,}")
    actual = _sniff(data)
    if actual is None:
        raise UploadRejected(415, f"declared {declared}, but the bytes are not a JPEG or PNG")
    if actual != declared:
        raise UploadRejected(415, f"declared {declared}, but the bytes are {FORMATS[actual]}")
    try:
        with Image.open(io.BytesIO(data), formats=[FORMATS[actual]]) as img:
            width, height, mode = img.width, img.height, img.mode  # header only: no decoding
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UploadRejected(422, f"corrupt {FORMATS[actual]} header: {exc}") from None
    except Image.DecompressionBombError:
        raise UploadRejected(
            413, "decompression bomb: the header declares too many pixels"
        ) from None
    if max(width, height) > limits.max_side:
        raise UploadRejected(
            413, f"{width}×{height} pixels: the limit is {limits.max_side} per side"
        )
    if min(width, height) < limits.min_side:
        raise UploadRejected(
            422, f"{width}×{height} pixels: at least {limits.min_side} per side is needed"
        )
    if mode not in MODES:
        raise UploadRejected(422, f"colour mode {mode}: send an RGB photograph")
    try:
        return read_image(data)
    except InvalidInputError as exc:  # truncated or corrupt pixel data
        raise UploadRejected(422, f"corrupt {FORMATS[actual]}: {exc}") from None


# --8<-- [end:decode_upload]
