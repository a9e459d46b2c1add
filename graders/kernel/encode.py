"""Reduce student values to plain data (runs inside the sandbox; standard library + numpy/pandas).

Every value becomes JSON made of plain types and tagged objects (``{"$": tag, ...}``):
floats that are not finite, tuples, sets, dicts with any keys, bytes, complex, numpy arrays and
scalars (``.npy`` bytes written with ``allow_pickle=False``), pandas frames and series (columns
of arrays), modules and importable library objects (by name), and opaque handles for the rest.
Subclasses are reduced with their base type's own methods (``float.__repr__``, ``list.__len__``,
...), so a float subclass with a lying ``__eq__`` arrives on the trusted side as a real float.
"""

from __future__ import annotations

import base64
import io
import math
import sys
import types
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 40
MAX_ITEMS = 10_000_000  # elements; ~80 MB of float64, under the trusted side's 256 MB cap


class Budget:
    """Counts items so a huge or cyclic value is refused instead of exhausting memory.

    ``shared``: when given, one memo for a whole response (several names, one call's result):
    a list, dict, set, array or frame met a second time is sent as a reference to the first, so
    the trusted side gets one object reached two ways, as the student built it (``lst = [1, arr]``
    then ``lst == [1, arr]`` compares an array with itself, which list equality answers by
    identity). The memo keeps the objects alive, so their ids cannot be reused while encoding.
    """

    def __init__(
        self, shared: dict[int, Any] | None = None, blobs: list[Any] | None = None
    ) -> None:
        self.items = 0
        self.shared = shared
        # Trusted side only (values a test passes in): large arrays travel as raw bytes after the
        # JSON line instead of base64 inside it (`blob_payload`), ~20× cheaper to send and read.
        self.blobs = blobs

    def take(self, n: int = 1) -> None:
        self.items += n
        if self.items > MAX_ITEMS:
            raise ValueError("value too large to send")


def _npy(arr: Any) -> str:
    import numpy as np

    if arr.dtype.hasobject:
        raise TypeError("object arrays are not plain data")
    buf = io.BytesIO()
    np.save(buf, np.ndarray.view(arr, np.ndarray), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


BLOB_MIN_BYTES = 1 << 16
BLOB_KINDS = frozenset("biufcmMSU")


def _array(arr: Any, budget: Budget) -> dict[str, Any]:
    """The tagged form of a plain array: ``.npy`` text, or a blob when the budget carries them."""
    import numpy as np

    plain = np.ndarray.view(arr, np.ndarray)
    if (
        budget.blobs is not None
        and plain.nbytes >= BLOB_MIN_BYTES
        and plain.dtype.kind in BLOB_KINDS
        and plain.dtype.fields is None
    ):
        data = np.ascontiguousarray(plain)
        budget.blobs.append(data.reshape(-1).view(np.uint8))
        shape = [int(n) for n in data.shape]
        return {
            "$": "ndarray",
            "blob": len(budget.blobs) - 1,
            "dtype": data.dtype.str,
            "shape": shape,
        }
    return {"$": "ndarray", "npy": _npy(arr)}


def _column(
    values: Any, budget: Budget, depth: int, register: Callable[[Any], int] | None = None
) -> Any:
    import numpy as np

    arr = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if arr.dtype.hasobject:
        # Objects in an object column get real handles too (a -1 handle answers nothing).
        return {"$": "list", "v": [encode(v, budget, depth + 1, register) for v in arr.tolist()]}
    return _array(arr, budget)


def _pandas(obj: Any, budget: Budget, depth: int, register: Callable[[Any], int]) -> Any:
    import pandas as pd

    if _is(obj, pd.DataFrame):
        budget.take(int(obj.size))
        cols = [obj.iloc[:, i] for i in range(obj.shape[1])]
        return {
            "$": "dataframe",
            "columns": [encode(c, budget, depth + 1, register) for c in obj.columns.tolist()],
            "data": [_column(c, budget, depth, register) for c in cols],
            "index": _column(obj.index, budget, depth, register),
        }
    budget.take(int(obj.size))
    return {
        "$": "series",
        "name": encode(obj.name, budget, depth + 1, register),
        "data": _column(obj, budget, depth, register),
        "index": _column(obj.index, budget, depth, register),
    }


def _library_ref(obj: Any) -> dict[str, str] | None:
    """Name an object that a library module exports under its own name (not student code)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or module == "__main__":
        return None
    target: Any = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return {"module": module, "qualname": qualname} if target is obj else None


def _handle(obj: Any, register: Callable[[Any], int]) -> dict[str, Any]:
    try:
        text = object.__repr__(obj)
        text = repr(obj)[:200]
    except Exception:  # a student's __repr__ may raise; the handle is still usable
        pass
    out: dict[str, Any] = {
        "$": "handle",
        "id": register(obj),
        "type": type.__getattribute__(type(obj), "__name__"),
        "repr": text,
        "callable": callable(obj),
        "mro": _mro_names(type(obj)),
    }
    if _is(obj, type):  # a class: what `isinstance(x, ThisClass)` compares on the trusted side
        out["class_mro"] = _mro_names(obj)
    # A proxy (trusted side) names no library object, and asking it would call the sandbox.
    proxy = getattr(type(obj), "_grader_proxy", False) is True
    ref = None if proxy else (_library_ref(obj) if callable(obj) else None) or _ufunc_ref(obj)
    if ref:
        out["ref"] = ref
    return out


def _mro_names(cls: type) -> list[str]:
    """``module.qualname`` of a class and its bases: what ``isinstance`` compares on the trusted
    side (a student's own lie there only changes the answer about the student's own object)."""
    names = []
    try:
        for c in type.__getattribute__(cls, "__mro__")[:64]:
            module = type.__getattribute__(c, "__module__")
            names.append(f"{module}.{type.__getattribute__(c, '__qualname__')}")
    except Exception:  # a metaclass with odd attributes: no type answers isinstance
        return []
    return [n for n in names if isinstance(n, str)]


def _ufunc_ref(obj: Any) -> dict[str, str] | None:
    np: Any = sys.modules.get("numpy")
    if np is None or not _is(obj, np.ufunc):
        return None
    name = str(obj.__name__)
    return {"module": "numpy", "qualname": name} if getattr(np, name, None) is obj else None


class Shared:
    """A value the memo has seen: sent plain, or tagged with its key once something refers to it
    (decided when the response is written, by `json_default`)."""

    __slots__ = ("key", "node", "used")

    def __init__(self, key: int, node: Any) -> None:
        self.key, self.node, self.used = key, node, False

    def to_json(self) -> Any:
        return {"$": "shared", "k": self.key, "v": self.node} if self.used else self.node


def json_default(obj: Any) -> Any:
    """``json.dumps(..., default=json_default)`` for responses built with a shared memo."""
    if isinstance(obj, Shared):
        return obj.to_json()
    raise TypeError(f"{type(obj).__name__} is not plain data")


def _memoizable(obj: Any) -> bool:
    if _is(obj, list) or _is(obj, dict) or _is(obj, set):
        return True
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")
    if np is not None and _is(obj, np.ndarray):
        return True
    return pd is not None and (_is(obj, pd.DataFrame) or _is(obj, pd.Series))


def encode(
    obj: Any, budget: Budget, depth: int = 0, register: Callable[[Any], int] | None = None
) -> Any:
    """Plain-data form of ``obj``; unknown objects become handles via ``register``."""
    memo = budget.shared
    if memo is None or not _memoizable(obj):
        return _encode(obj, budget, depth, register)
    seen = memo.get(id(obj))
    if seen is not None:  # keyed only once complete: a cycle still ends at MAX_DEPTH
        budget.take()
        seen[1].used = True
        return {"$": "ref", "k": seen[1].key}
    node = Shared(0, _encode(obj, budget, depth, register))
    node.key = len(memo)
    memo[id(obj)] = (obj, node)
    return node


def _encode(obj: Any, budget: Budget, depth: int, register: Callable[[Any], int] | None) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    budget.take()
    reg = register or (lambda o: -1)
    if obj is None or obj is True or obj is False:
        return obj
    if _is(obj, int) and not _is(obj, bool) and not _is_np(obj):
        return int(int.__repr__(obj))
    if _is(obj, float) and not _is_np(obj):
        value = float(float.__repr__(obj))
        return value if math.isfinite(value) else {"$": "float", "v": float.__repr__(obj)}
    if _is(obj, str):
        return str(str.__str__(obj))
    if _is(obj, complex):
        return {
            "$": "complex",
            "re": encode(complex.__getattribute__(obj, "real"), budget, depth + 1),
            "im": encode(complex.__getattribute__(obj, "imag"), budget, depth + 1),
        }
    if _is(obj, bytes):
        return {"$": "bytes", "b64": base64.b64encode(bytes(memoryview(obj))).decode("ascii")}
    if _is(obj, list):
        n = list.__len__(obj)
        return [encode(list.__getitem__(obj, i), budget, depth + 1, reg) for i in range(n)]
    if _is(obj, tuple):
        n = tuple.__len__(obj)
        return {
            "$": "tuple",
            "v": [encode(tuple.__getitem__(obj, i), budget, depth + 1, reg) for i in range(n)],
        }
    if _is(obj, set) or _is(obj, frozenset):
        tag = "frozenset" if _is(obj, frozenset) else "set"
        items = list(frozenset.__iter__(obj)) if tag == "frozenset" else list(set.__iter__(obj))
        return {"$": tag, "v": [encode(v, budget, depth + 1, reg) for v in items]}
    if _is(obj, dict):
        pairs = list(dict.items(obj))
        return {
            "$": "dict",
            "v": [
                [encode(k, budget, depth + 1, reg), encode(v, budget, depth + 1, reg)]
                for k, v in pairs
            ],
        }
    if _is(obj, types.ModuleType):
        return {"$": "module", "name": str(str.__str__(obj.__name__)), "handle": _handle(obj, reg)}
    special = _numpy_or_pandas(obj, budget, depth, reg)
    if special is not None:
        return special
    return _handle(obj, reg)


def _is(obj: Any, cls: type) -> bool:
    """``isinstance`` that a ``__class__`` property cannot fool."""
    return issubclass(type(obj), cls)


def _is_np(obj: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and _is(obj, np.generic)


def _numpy_or_pandas(obj: Any, budget: Budget, depth: int, reg: Callable[[Any], int]) -> Any:
    np = sys.modules.get("numpy")
    if np is not None:
        if _is(obj, np.ndarray) and not obj.dtype.hasobject:
            budget.take(int(obj.size))
            return _array(obj, budget)
        if _is(obj, np.ndarray):
            budget.take(int(obj.size))
            return {
                "$": "objarray",
                "shape": list(obj.shape),
                "v": [
                    encode(v, budget, depth + 1, reg)
                    for v in np.ndarray.view(obj, np.ndarray).ravel().tolist()
                ],
            }
        if _is(obj, np.generic) and not _is(obj, np.object_):
            return {"$": "npscalar", "npy": _npy(np.asarray(obj))}
    pd = sys.modules.get("pandas")
    if pd is not None and (_is(obj, pd.DataFrame) or _is(obj, pd.Series)):
        return _pandas(obj, budget, depth, reg)
    if pd is not None and _is(obj, pd.Index):
        return {"$": "index", "data": _column(obj, budget, depth, reg)}
    return None
