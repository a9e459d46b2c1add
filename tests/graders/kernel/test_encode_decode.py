"""encode (sandbox side) and decode (trusted side): student values arrive as plain, real data."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

from graders.kernel.decode import Decoder, ProtocolError, wire_cost
from graders.kernel.encode import Budget, encode, json_default


def roundtrip(value: Any) -> Any:
    handles: list[Any] = []
    wire = json.dumps(encode(value, Budget(), 0, lambda o: handles.append(o) or len(handles)))
    return Decoder(lambda h: ("proxy", h["type"])).decode(json.loads(wire))


@pytest.mark.parametrize(
    "value",
    [None, True, 3, 2**100, -1.5, "héllo", b"\x00\xff", 1 + 2j, (1, "a"), {1, 2}, frozenset({3}),
     {1: "a", (2, 3): [4.0]}, [[1], {"k": None}]],
)  # fmt: skip
def test_plain_values_roundtrip_exactly(value: Any) -> None:
    """Does every plain type come back equal and of the same type?"""
    out = roundtrip(value)
    assert out == value and type(out) is type(value)


def test_non_finite_floats_roundtrip() -> None:
    """Do nan and infinities survive (JSON has no literal for them)?"""
    out = roundtrip([math.nan, math.inf, -math.inf])
    assert math.isnan(out[0]) and out[1:] == [math.inf, -math.inf]


def test_numpy_and_pandas_roundtrip() -> None:
    """Do arrays, numpy scalars, frames (with text columns) and series come back intact?"""
    frame = pd.DataFrame({"x": [1.5, 2.5], "name": ["a", "b"]}, index=[10, 20])
    out = roundtrip(
        {"a": np.arange(6).reshape(2, 3), "s": np.float32(1.5), "df": frame, "ser": frame["x"]}
    )
    assert np.array_equal(out["a"], np.arange(6).reshape(2, 3)) and out["a"].dtype == np.int64
    assert out["s"] == np.float32(1.5) and isinstance(out["s"], np.float32)
    pd.testing.assert_frame_equal(out["df"], frame)
    pd.testing.assert_series_equal(out["ser"], frame["x"])


def test_lying_float_subclass_arrives_as_a_real_float() -> None:
    """Does a float subclass whose __eq__ always says True arrive as a plain float?"""

    class Liar(float):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = float.__hash__

        def __repr__(self) -> str:
            return "3.14"

    out = roundtrip(Liar(0.0))
    assert type(out) is float and out == 0.0 and out != 3.14


def test_list_subclass_cannot_rewrite_its_items() -> None:
    """Does a list subclass with a lying __iter__/__len__ arrive with its real items?"""

    class Sneaky(list):
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter([42])

        def __len__(self) -> int:
            return 1

    out = roundtrip(Sneaky([1, 2, 3]))
    assert out == [1, 2, 3] and type(out) is list


def test_class_property_cannot_impersonate_a_float() -> None:
    """Does an object claiming `__class__ = float` become an opaque handle, not a number?"""

    class Pretender:
        @property
        def __class__(self) -> type:  # type: ignore[override]
            return float

    assert roundtrip(Pretender()) == ("proxy", "Pretender")


def test_other_objects_become_handles() -> None:
    """Does an arbitrary object arrive as a proxy, never as a pickled copy?"""

    class Model:
        pass

    assert roundtrip(Model()) == ("proxy", "Model")


def _wire(value: Any) -> Any:
    return json.loads(json.dumps(encode(value, Budget(), 0, lambda o: 1)))


@pytest.mark.parametrize("value", [np.mean, np.sqrt, os.system, eval, pd.read_pickle, np.fromfile])
def test_library_callables_stay_proxies_on_the_trusted_side(value: Any) -> None:
    """Does a library function a student value names stay a proxy (never the real callable)?

    `standardize = os.system` would otherwise run a shell command in the grader when a test
    calls `standardize(X_train)`.
    """
    out = Decoder(lambda h: ("proxy", h.get("ref"))).decode(_wire(value))
    assert out[0] == "proxy" and out is not value


def test_the_sandbox_decoder_resolves_what_tests_pass_in() -> None:
    """Does a library function a test passes into student code arrive there as itself?"""
    assert Decoder(lambda h: h, resolve_refs=True).decode(_wire(np.mean)) is np.mean


@pytest.mark.parametrize("module", ["numpy", "os", "pandas"])
def test_modules_named_by_the_student_are_proxies(module: str) -> None:
    """Is a module a student value names kept as a proxy by the trusted decoder?"""
    payload = {"$": "module", "name": module, "handle": {"$": "handle", "id": 1}}
    assert Decoder(lambda h: "proxy").decode(payload) == "proxy"


def test_crafted_hash_collisions_are_refused_quickly() -> None:
    """Is a set of integers that all share one hash value refused before it is hashed?"""
    p = (1 << 61) - 1  # ints n and n + k*p share a hash
    # Hashed, 200k such ints take about ten minutes (20k: 3-6 s); refused, well under a second.
    # The bound is generous for a loaded CI machine and still far below the quadratic time.
    payload = {"$": "set", "v": [7 + k * p for k in range(200_000)]}
    started = time.perf_counter()
    with pytest.raises(ProtocolError, match="share one hash"):
        Decoder(lambda h: h).decode(payload)
    assert time.perf_counter() - started < 10.0
    keys = {"$": "dict", "v": [[7 + k * p, 0] for k in range(100)]}
    with pytest.raises(ProtocolError):
        Decoder(lambda h: h).decode(keys)


def test_wire_cost_counts_what_parsing_builds() -> None:
    """Does the estimate charge empty lists far more than their three bytes on the wire?"""
    lists = b"[" + b"[]," * 1000 + b"[]]"
    text = json.dumps("x" * 3000).encode()
    assert wire_cost(lists) > 100 * len(lists) / 3
    assert wire_cost(text) < 3 * len(text)


def _npy(arr: np.ndarray, allow_pickle: bool = False) -> str:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize(
    "payload",
    [
        {"$": "ndarray", "npy": _npy(np.array([object()], dtype=object), allow_pickle=True)},
        {"$": "ndarray", "npy": "not base64!"},
        {"$": "mystery"},
        {"$": "float", "v": "1e400"},
        {"$": "dict", "v": [[[1], 2]]},
        {"$": "handle"},
        object(),
        {"$": "ref", "k": 0},
        [{"$": "shared", "k": 0, "v": [1]}, {"$": "shared", "k": 0, "v": [2]}],
        [{"$": "ref", "k": 0}, {"$": "shared", "k": 0, "v": [1]}],
        {"$": "shared", "k": True, "v": [1]},
        {"$": "ndarray", "blob": 0, "dtype": "<f8", "shape": [1]},
    ],
    ids=[
        "pickled-array",
        "bad-base64",
        "unknown-tag",
        "bad-float",
        "unhashable-key",
        "handle-no-id",
        "object",
        "ref-to-nothing",
        "key-defined-twice",
        "ref-before-its-value",
        "bool-key",
        "blob-on-the-trusted-side",
    ],
)
def test_decoder_rejects_anything_else(payload: Any) -> None:
    """Is every malformed or pickled payload refused rather than loaded?"""
    with pytest.raises(ProtocolError):
        Decoder(lambda h: h).decode(payload)


def test_module_names_outside_the_trusted_list_are_not_imported() -> None:
    """Is a module the student names (e.g. `antigravity`) kept as a proxy instead of imported?"""
    out = Decoder(lambda h: "proxy").decode(
        {"$": "module", "name": "antigravity", "handle": {"$": "handle", "id": 1}}
    )
    assert out == "proxy"


def _shared_roundtrip(values: dict[str, Any]) -> dict[str, Any]:
    """Encode several names as one `get` response does (one memo), decode them as the client."""
    memo: dict[int, Any] = {}
    wire = json.dumps(
        {n: encode(v, Budget(memo), 0, lambda o: 0) for n, v in values.items()},
        default=json_default,
    )
    decoder = Decoder(lambda h: h).fresh()
    return {n: decoder.decode(v) for n, v in json.loads(wire).items()}


def test_an_object_reached_two_ways_arrives_as_one_object() -> None:
    """`arr = np.arange(3); lst = [1, arr]`: does the trusted side get one array, so that
    `lst == [1, arr]` holds (list equality checks identity first), as in one kernel?"""
    arr = np.arange(3)
    frame = pd.DataFrame({"x": [1.0]})
    out = _shared_roundtrip({"lst": [1, arr, arr], "arr": arr, "d": {"f": frame}, "f": frame})
    assert out["lst"][1] is out["arr"] and out["lst"][2] is out["arr"]
    assert out["lst"] == [1, out["arr"], out["arr"]]
    assert out["d"]["f"] is out["f"]


def test_equal_but_distinct_objects_stay_distinct() -> None:
    """Two equal lists the student built separately must not become one (mutating one would
    change the other)."""
    out = _shared_roundtrip({"a": [1, 2], "b": [1, 2]})
    assert out["a"] == out["b"] and out["a"] is not out["b"]


def test_without_a_memo_nothing_is_shared() -> None:
    """The trusted side's own encoder (values a test passes in) sends plain copies."""
    arr = [1]
    wire = json.dumps(encode([arr, arr], Budget(), 0, lambda o: 0))
    assert "shared" not in wire and "ref" not in wire


def test_a_cycle_is_still_refused() -> None:
    """A list that holds itself ends at the depth limit, as before (never a reference loop)."""
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="too deeply"):
        encode(loop, Budget({}), 0, lambda o: 0)


def test_large_test_arrays_travel_as_raw_bytes_and_arrive_writable() -> None:
    """A test's 1 MB array goes as raw bytes after the JSON (not base64 inside it) and the
    student's process gets a writable array equal to it; a blob that does not match its shape is
    refused."""
    blobs: list[Any] = []
    arr = np.arange(131_072, dtype=np.float64).reshape(2, -1)
    wire = json.dumps({"a": encode(arr, Budget(blobs=blobs), 0, lambda o: 0)})
    assert len(wire) < 200 and len(blobs) == 1
    decoder = Decoder(lambda h: h)
    decoder.blobs = [bytearray(b.tobytes()) for b in blobs]
    out = decoder.decode(json.loads(wire)["a"])
    assert np.array_equal(out, arr) and out.flags.writeable
    out[0, 0] = 7.0  # the student's function may change it in place (written back after)
    decoder.blobs = [bytearray(8)]
    with pytest.raises(ProtocolError):
        decoder.decode(json.loads(wire)["a"])
