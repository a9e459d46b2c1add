"""Strict decoding of what the sandbox sends (and, in the sandbox, of what the tests pass in).

Only the tagged shapes of `graders.kernel.encode` are accepted; arrays are read with
``np.load(allow_pickle=False)``; anything else is a `ProtocolError`.

On the trusted side a student value is **data or a proxy, never code**: every handle becomes a
proxy through ``make_proxy`` (calling it runs in the sandbox), whatever library object the student
says it is. A student who binds ``standardize = os.system`` gives the tests a proxy whose calls
run ``os.system`` as the sandbox's uid, inside its walls, never here. Only the sandbox's own
decoder (``resolve_refs=True``) imports the library objects a test passes *into* student code.

What decoding costs here is bounded: the set and dict keys of student data are checked for
crafted hash collisions before they are hashed into a table (`check_hashes`), and `wire_cost`
estimates what a response will cost in memory before it is parsed.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

MAX_DEPTH = 50
# Keys of one set or dict that may share a hash value. Distinct plain keys practically never
# share a 61-bit hash; thousands that do were crafted to make each insertion scan all the others.
MAX_SAME_HASH = 16
# What one response may cost in this process once parsed, estimated from its text (`wire_cost`).
MAX_DECODE_COST = 768 << 20
# Packages the trusted side may import because a student value names them (besides modules it
# has imported already). Importing is code execution: arbitrary names (`antigravity`) are refused.
SAFE_PACKAGES = frozenset(
    [
        "numpy",
        "pandas",
        "sklearn",
        "scipy",
        "math",
        "cmath",
        "statistics",
        "random",
        "decimal",
        "fractions",
        "numbers",
        "operator",
        "functools",
        "itertools",
        "collections",
        "re",
        "string",
        "json",
        "datetime",
        "time",
        "typing",
        "dataclasses",
        "enum",
        "heapq",
        "bisect",
        "copy",
        "pprint",
        "textwrap",
        "traceback",  # `traceback.print_exc()` in a test prints the test's own exception
        "unicodedata",
        "matplotlib",
        "seaborn",
        "torch",
    ]
)


class ProtocolError(Exception):
    """The sandbox sent something that is not a well-formed response."""


def wire_cost(line: bytes) -> int:
    """A cautious estimate of the memory (bytes) a JSON line costs once parsed and decoded.

    Text is cheap per byte, but ``[],`` is three bytes on the wire and about 64 bytes as a Python
    list plus its slot; ``{...}`` a few hundred. Counting brackets and commas (C speed) bounds the
    cost before ``json.loads`` builds anything.
    """
    return 2 * len(line) + 96 * line.count(b"[") + 320 * line.count(b"{") + 64 * line.count(b",")


def check_hashes(keys: Iterable[Any]) -> None:
    """Refuse keys crafted to collide: hashing them into one table would take quadratic time.

    Hash values of distinct ints are distinct ints, so counting them in a `Counter` cannot be
    attacked the same way.
    """
    try:
        counts = Counter(hash(k) for k in keys)
    except TypeError as exc:
        raise ProtocolError("unhashable set member or dict key") from exc
    if counts and max(counts.values()) > MAX_SAME_HASH:
        raise ProtocolError("set or dict keys crafted to share one hash value")


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ProtocolError("expected base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("bad base64") from exc


def _npy(value: Any) -> Any:
    import numpy as np

    try:
        arr = np.load(io.BytesIO(_b64(value)), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ProtocolError(f"bad .npy payload: {exc}") from exc
    if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
        raise ProtocolError("array payload is not a plain array")
    return arr


def trusted_import(module: str, qualname: str | None = None) -> Any:
    """Import ``module`` (and walk ``qualname``) in the trusted process, or raise ImportError."""
    if not isinstance(module, str) or not module.replace(".", "").replace("_", "").isalnum():
        raise ImportError(f"not a module name: {module!r}")
    if module not in sys.modules and module.split(".")[0] not in SAFE_PACKAGES:
        raise ImportError(f"{module} is not on the trusted import list")
    target: Any = importlib.import_module(module)
    for part in (qualname or "").split(".") if qualname else []:
        if part.startswith("<"):
            raise ImportError(f"{module}.{qualname} is not importable")
        target = getattr(target, part)
    return target


class Decoder:
    """Turns plain data into Python values.

    Args:
        make_proxy: Called with a handle (a ``{"$": "handle", ...}`` dict); returns what stands
            for it (a proxy on the trusted side, the registered object in the sandbox).
        resolve_refs: Import the library objects and modules that handles name. Only the
            sandbox's decoder does this (for values the tests pass in); on the trusted side a
            name a student value carries is never turned into a real object.
    """

    def __init__(
        self, make_proxy: Callable[[dict[str, Any]], Any], *, resolve_refs: bool = False
    ) -> None:
        self.make_proxy = make_proxy
        self.resolve_refs = resolve_refs
        # Values already decoded in this response, by the key the encoder's memo gave them
        # (``{"$": "shared"}`` defines one, ``{"$": "ref"}`` reaches it again). `fresh` empties
        # it between responses.
        self.shared: dict[int, Any] = {}
        # The raw arrays that followed the request being decoded (sandbox side only: the trusted
        # side never accepts a blob, so what the student's process sends stays JSON it checks).
        self.blobs: list[bytearray] | None = None

    def fresh(self) -> Decoder:
        """Start a new response: its keys are its own."""
        self.shared = {}
        return self

    def decode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("value nested too deeply")
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ProtocolError("non-finite float outside its tag")
            return value
        if isinstance(value, list):
            return [self.decode(v, depth + 1) for v in value]
        if not isinstance(value, dict) or not isinstance(value.get("$"), str):
            raise ProtocolError(f"unexpected value of type {type(value).__name__}")
        handler = getattr(self, "_tag_" + value["$"], None)
        if handler is None:
            raise ProtocolError(f"unknown tag {value['$']!r}")
        return handler(value, depth + 1)

    def _items(self, value: dict[str, Any], depth: int) -> list[Any]:
        items = value.get("v")
        if not isinstance(items, list):
            raise ProtocolError("tagged container without a list")
        return [self.decode(v, depth) for v in items]

    def _tag_shared(self, value: dict[str, Any], depth: int) -> Any:
        key = value.get("k")
        if not isinstance(key, int) or isinstance(key, bool) or key in self.shared:
            raise ProtocolError("bad shared value")
        out = self.decode(value.get("v"), depth)
        self.shared[key] = out
        return out

    def _tag_ref(self, value: dict[str, Any], depth: int) -> Any:
        key = value.get("k")
        if not isinstance(key, int) or isinstance(key, bool) or key not in self.shared:
            raise ProtocolError("reference to a value not sent before it")
        return self.shared[key]

    def _tag_float(self, value: dict[str, Any], depth: int) -> float:
        if value.get("v") not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float tag")
        return float(value["v"])

    def _tag_complex(self, value: dict[str, Any], depth: int) -> complex:
        re_, im = self.decode(value.get("re"), depth), self.decode(value.get("im"), depth)
        if not all(isinstance(x, float | int) and not isinstance(x, bool) for x in (re_, im)):
            raise ProtocolError("bad complex")
        return complex(re_, im)

    def _tag_bytes(self, value: dict[str, Any], depth: int) -> bytes:
        return _b64(value.get("b64"))

    def _tag_tuple(self, value: dict[str, Any], depth: int) -> tuple[Any, ...]:
        return tuple(self._items(value, depth))

    def _tag_list(self, value: dict[str, Any], depth: int) -> list[Any]:
        return self._items(value, depth)

    def _tag_set(self, value: dict[str, Any], depth: int) -> set[Any]:
        items = self._items(value, depth)
        check_hashes(items)
        return set(items)

    def _tag_frozenset(self, value: dict[str, Any], depth: int) -> frozenset[Any]:
        return frozenset(self._tag_set(value, depth))

    def _tag_dict(self, value: dict[str, Any], depth: int) -> dict[Any, Any]:
        pairs = value.get("v")
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in pairs
        ):
            raise ProtocolError("bad dict")
        keys = [self.decode(k, depth) for k, _ in pairs]
        check_hashes(keys)
        return dict(zip(keys, (self.decode(v, depth) for _, v in pairs), strict=True))

    def _tag_ndarray(self, value: dict[str, Any], depth: int) -> Any:
        if "blob" in value:
            return self._blob(value)
        return _npy(value.get("npy"))

    def _blob(self, value: dict[str, Any]) -> Any:
        import numpy as np

        index, shape = value.get("blob"), value.get("shape")
        if self.blobs is None or not isinstance(index, int) or not 0 <= index < len(self.blobs):
            raise ProtocolError("binary payload not accepted here")
        if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ProtocolError("bad array shape")
        try:
            dtype = np.dtype(str(value.get("dtype")))
        except TypeError as exc:
            raise ProtocolError(f"bad dtype: {exc}") from exc
        data = self.blobs[index]
        if (
            dtype.hasobject
            or dtype.fields is not None
            or dtype.itemsize * math.prod(shape) != len(data)
        ):
            raise ProtocolError("array payload does not match its dtype and shape")
        return np.frombuffer(data, dtype=dtype).reshape(shape)

    def _tag_npscalar(self, value: dict[str, Any], depth: int) -> Any:
        arr = _npy(value.get("npy"))
        if arr.shape != ():
            raise ProtocolError("numpy scalar with a shape")
        return arr[()]

    def _tag_objarray(self, value: dict[str, Any], depth: int) -> Any:
        import numpy as np

        shape = value.get("shape")
        if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ProtocolError("bad object array shape")
        items = self._items(value, depth)
        if math.prod(shape) != len(items):
            raise ProtocolError("object array size mismatch")
        arr = np.empty(len(items), dtype=object)
        arr[:] = items if items else arr
        return arr.reshape(shape)

    def _column(self, value: Any, depth: int) -> Any:
        if not isinstance(value, dict) or value.get("$") not in ("ndarray", "list"):
            raise ProtocolError("bad column")
        return self.decode(value, depth)

    def _tag_dataframe(self, value: dict[str, Any], depth: int) -> Any:
        import pandas as pd

        columns, data = value.get("columns"), value.get("data")
        if not isinstance(columns, list) or not isinstance(data, list) or len(columns) != len(data):
            raise ProtocolError("bad dataframe")
        # In the encoder's order (labels, columns, index): a reference follows what it names.
        names = [self.decode(c, depth) for c in columns]
        cols = [self._column(d, depth) for d in data]
        index = pd.Index(self._column(value.get("index"), depth))
        if any(len(c) != len(index) for c in cols):
            raise ProtocolError("dataframe column length mismatch")
        frame = pd.DataFrame(dict(enumerate(cols)), index=index)
        frame.columns = pd.Index(names) if names else frame.columns
        return frame

    def _tag_series(self, value: dict[str, Any], depth: int) -> Any:
        import pandas as pd

        name = self.decode(value.get("name"), depth)  # the encoder's order: name, data, index
        data = self._column(value.get("data"), depth)
        index = pd.Index(self._column(value.get("index"), depth))
        if len(data) != len(index):
            raise ProtocolError("series length mismatch")
        return pd.Series(data, index=index, name=name)

    def _tag_index(self, value: dict[str, Any], depth: int) -> Any:
        import pandas as pd

        return pd.Index(self._column(value.get("data"), depth))

    def _tag_module(self, value: dict[str, Any], depth: int) -> Any:
        if self.resolve_refs:
            try:
                return trusted_import(value.get("name"))  # type: ignore[arg-type]
            except (ImportError, AttributeError, ValueError):
                pass
        return self._tag_handle(value.get("handle"), depth)  # type: ignore[arg-type]

    def _tag_handle(self, value: dict[str, Any], depth: int) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("id"), int):
            raise ProtocolError("bad handle")
        ref = value.get("ref")
        if self.resolve_refs and isinstance(ref, dict):
            try:
                return trusted_import(ref.get("module"), ref.get("qualname"))  # type: ignore[arg-type]
            except (ImportError, AttributeError, ValueError):
                pass  # not importable here (e.g. the student's own module): keep the handle
        return self.make_proxy(value)
