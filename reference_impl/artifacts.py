"""Model files: saved with skops (loading executes no code) and loaded back only if trusted.

A model file is trusted when its sha256 matches the one recorded next to it and every type it
holds comes from scikit-learn, numpy or this package (our own transformers, e.g.
`reference_impl.features.AmountRatios`, are installed code, not file content).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from reference_impl.atomic import atomic_file
from reference_impl.errors import DomainError, MissingInputError

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "reference_impl.")


class UntrustedModelError(DomainError, ValueError):
    """A model file holds a type outside scikit-learn/numpy, or its hash does not match."""


def sha256_of(path: Path | str) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def untrusted_types_of(model: Any) -> list[str]:
    """Types skops would ask to trust when loading `model` (e.g. tree structures)."""
    import skops.io as sio

    return list(sio.get_untrusted_types(data=sio.dumps(model)))


def save_model(model: Any, path: Path | str) -> str:
    """Save with skops to `path` (atomically); return its sha256."""
    import skops.io as sio

    path = Path(path)
    with atomic_file(path) as tmp:
        sio.dump(model, tmp)
    return sha256_of(path)


def load_model(path: Path | str, *, sha256: str | None = None) -> Any:
    """Load a skops model, trusting only scikit-learn, numpy and reference_impl types.

    Raises:
        MissingInputError: no file at `path`.
        UntrustedModelError: the hash differs from `sha256`, or a type is not trusted.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"no model file at {path}")
    if sha256 is not None and sha256_of(path) != sha256:
        raise UntrustedModelError(f"{path} does not match its recorded sha256 (file altered?)")
    types = sio.get_untrusted_types(file=path)
    bad = [t for t in types if not t.startswith(TRUSTED_PREFIXES)]
    if bad:
        raise UntrustedModelError(f"{path} holds untrusted types: {', '.join(bad)}")
    return sio.load(path, trusted=types)
