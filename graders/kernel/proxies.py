"""Proxies for student objects that are not plain data: every use is a call into the sandbox.

`RemoteFunction` (callable) and `RemoteObject` forward calls, attribute reads, indexing, ``len``
and iteration; what comes back is plain data (or another proxy). Comparisons stay here: equality
and hashing are local identity (an "always equal" object compares unequal to everything but
itself), and membership is tested on the items fetched as plain data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graders.kernel.client import KernelClient


class RemoteObject:
    """A student object living in the sandbox, known by a handle."""

    __slots__ = ("_client", "_handle", "_type", "_repr", "_mro")

    def __init__(
        self,
        client: KernelClient,
        handle: int,
        type_name: str,
        text: str,
        mro: tuple[str, ...] = (),
    ) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_repr", text)
        object.__setattr__(self, "_mro", mro)

    def _remote(self, op: str, **fields: Any) -> Any:
        return self._client.remote(op, self._handle, **fields)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # protocols (__array__, __eq__, ...) are never forwarded
        return self._remote("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("student objects are read-only from the tests")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        enc = self._client.encode_arg
        return self._remote(
            "call", args=[enc(a) for a in args], kwargs=[[k, enc(v)] for k, v in kwargs.items()]
        )

    def __getitem__(self, key: Any) -> Any:
        return self._remote("getitem", key=self._client.encode_arg(key))

    def __len__(self) -> int:
        value = self._remote("len")
        if type(value) is not int:
            raise TypeError("len() of a student object did not return an int")
        return value

    def __iter__(self) -> Any:
        return iter(self._remote("iter"))

    def __contains__(self, item: Any) -> bool:
        # Membership is a comparison: decided here on the items as plain data, never by the
        # student's own __contains__ (which could answer True to everything).
        items = self._remote("iter")
        return item in items if isinstance(items, list) else False

    def __bool__(self) -> bool:
        return self._remote("bool") is True

    def __repr__(self) -> str:
        return f"<student {self._type}: {self._repr}>"

    def __eq__(self, other: object) -> bool:
        # Two of the student's own objects: their own __eq__ decides (Point(1, 2) == Point(1, 2)),
        # as in Jupyter. Against a trusted value, identity: an "always equal" object never
        # passes a comparison with the test's expected value.
        if isinstance(other, RemoteObject) and other._client is self._client:
            return self._remote("eq", other=object.__getattribute__(other, "_handle")) is True
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = object.__hash__


class RemoteFunction(RemoteObject):
    """A student function, class or other callable."""

    __slots__ = ()


def qualified_names(cls: type) -> tuple[str, ...]:
    """``module.qualname`` of a trusted class and its bases, as the sandbox reports them."""
    return tuple(f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__)


class LibraryRef(RemoteFunction):
    """A library class or function reached through a student's name (``LogisticRegression``).

    Still a proxy: calling it runs in the sandbox. It is never swapped for the real object here
    (the student chose what the name holds), but a test may use it as a type: ``isinstance`` and
    ``issubclass`` compare qualified names, for proxies and trusted values alike.
    """

    __slots__ = ("_ref",)

    def __init__(self, client: KernelClient, handle: dict[str, Any], ref: str) -> None:
        super().__init__(client, *_fields(handle))
        object.__setattr__(self, "_ref", ref)

    def __instancecheck__(self, obj: Any) -> bool:
        names = object.__getattribute__(obj, "_mro") if isinstance(obj, RemoteObject) else None
        return self._ref in (names if names is not None else qualified_names(type(obj)))

    def __subclasscheck__(self, cls: Any) -> bool:
        if isinstance(cls, LibraryRef):
            return self._ref == object.__getattribute__(cls, "_ref")
        return isinstance(cls, type) and self._ref in qualified_names(cls)


def _fields(handle: dict[str, Any]) -> tuple[int, str, str, tuple[str, ...]]:
    mro = handle.get("mro")
    names = tuple(str(n) for n in mro[:64]) if isinstance(mro, list) else ()
    return int(handle["id"]), str(handle.get("type", "object")), str(handle.get("repr", "")), names


def make_proxy(client: KernelClient, handle: dict[str, Any]) -> RemoteObject:
    """The proxy for a handle from the sandbox: never the real object it may name."""
    ref = handle.get("ref")
    if isinstance(ref, dict) and isinstance(ref.get("module"), str):
        return LibraryRef(client, handle, f"{ref['module']}.{ref.get('qualname')}")
    cls = RemoteFunction if handle.get("callable") is True else RemoteObject
    return cls(client, *_fields(handle))
