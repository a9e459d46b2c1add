"""Uploaded photographs: a good one becomes the model's input as in training; each bad one is
refused with a 4xx status and a reason that names it (never an exception a server turns 5xx)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from reference_impl.lesion.data import read_image
from reference_impl.lesion.upload import UploadLimits, UploadRejected, decode_upload


def _encode(mode: str, size: tuple[int, int], fmt: str) -> bytes:
    rng = np.random.default_rng(0)
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    pixels = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    img = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A real 64×64 PNG whose header claims another size (CRC fixed): a decompression bomb."""
    data = bytearray(_encode("RGB", (64, 64), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


JPEG = _encode("RGB", (64, 64), "JPEG")


def test_a_good_photograph_becomes_the_models_input_as_in_training() -> None:
    """JPEG and PNG, 64×64 or larger: uint8 (64, 64, 3), the loader's exact pixels."""
    out = decode_upload(JPEG, "image/jpeg")
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, read_image(JPEG))
    big = _encode("RGB", (300, 200), "PNG")
    assert decode_upload(big, "image/png; charset=binary").shape == (64, 64, 3)


@pytest.mark.parametrize(
    ("data", "content_type", "status", "reason"),
    [
        (JPEG, "text/plain", 415, "content type 'text/plain'"),
        (JPEG, None, 415, "content type 'missing'"),
        (_encode("RGB", (64, 64), "PNG"), "image/jpeg", 415, "the bytes are PNG"),
        (b"GIF89a" + bytes(100), "image/jpeg", 415, "not a JPEG or PNG"),
        (b"", "image/jpeg", 422, "empty"),
        (b"\xff\xd8\xff" + b"garbage" * 20, "image/jpeg", 422, "corrupt JPEG"),
        (JPEG[: len(JPEG) // 2], "image/jpeg", 422, "corrupt JPEG"),
        (_png_declaring(30_000, 30_000), "image/png", 413, "decompression bomb"),
        (_png_declaring(5_000, 64), "image/png", 413, "limit is 4096 per side"),
        (_encode("RGB", (32, 32), "JPEG"), "image/jpeg", 422, "at least 64 per side"),
        (_encode("L", (64, 64), "JPEG"), "image/jpeg", 422, "colour mode L"),
        (_encode("RGBA", (64, 64), "PNG"), "image/png", 422, "colour mode RGBA"),
    ],
    ids=[
        "wrong-type",
        "no-type",
        "type-lies",
        "not-an-image",
        "empty",
        "corrupt-header",
        "truncated",
        "bomb",
        "too-wide",
        "too-small",
        "grey",
        "alpha",
    ],
)
def test_each_bad_upload_is_refused_with_a_4xx_naming_it(
    data: bytes, content_type: str | None, status: int, reason: str
) -> None:
    with pytest.raises(UploadRejected, match=reason) as info:
        decode_upload(data, content_type)
    assert info.value.status == status


def test_the_byte_limit_is_checked_before_decoding() -> None:
    """An upload over the byte limit is refused with 413 and both sizes."""
    with pytest.raises(UploadRejected, match=f"{len(JPEG):,} bytes: the limit is 1,000") as info:
        decode_upload(JPEG, "image/jpeg", limits=UploadLimits(max_bytes=1000))
    assert info.value.status == 413
