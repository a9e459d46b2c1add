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


# Attributes a test may read from a student object (introspection), returned as data or proxies.
READABLE_DUNDERS = frozenset(
    {"__dict__", "__name__", "__qualname__", "__doc__", "__module__", "__annotations__"}
)


class RemoteObject:
    """A student object living in the sandbox, known by a handle."""

    __slots__ = ("_client", "_handle", "_type", "_repr", "_mro", "_ref", "_class_mro")
    _grader_proxy = True  # read on the class by `encode`, never forwarded to the sandbox

    def __init__(
        self,
        client: KernelClient,
        handle: int,
        type_name: str,
        text: str,
        mro: tuple[str, ...] = (),
        ref: str | None = None,
        class_mro: tuple[str, ...] = (),
    ) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_repr", text)
        object.__setattr__(self, "_mro", mro)
        # For a class: its qualified name (and its bases'), so the proxy works as the second
        # argument of isinstance / issubclass.
        object.__setattr__(self, "_ref", ref or (class_mro[0] if class_mro else None))
        object.__setattr__(self, "_class_mro", class_mro)

    def __instancecheck__(self, obj: Any) -> bool:
        if self._ref is None:
            raise TypeError("isinstance() arg 2 must be a type (this student object is not one)")
        names = object.__getattribute__(obj, "_mro") if isinstance(obj, RemoteObject) else None
        return self._ref in (names if names is not None else qualified_names(type(obj)))

    def __subclasscheck__(self, cls: Any) -> bool:
        if self._ref is None:
            raise TypeError("issubclass() arg 2 must be a class")
        if isinstance(cls, RemoteObject):
            return self._ref in object.__getattribute__(cls, "_class_mro")
        return isinstance(cls, type) and self._ref in qualified_names(cls)

    def __dir__(self) -> list[str]:
        names = self._remote("dir")
        return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def _remote(self, op: str, **fields: Any) -> Any:
        return self._client.remote(op, self._handle, **fields)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name not in READABLE_DUNDERS:
            raise AttributeError(name)  # protocols (__array__, __eq__, ...) are never forwarded
        return self._remote("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("student objects are read-only from the tests")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._client.before_call is not None:
            self._client.before_call(args, kwargs)
        enc = self._client.encode_arg
        return self._client.remote(
            "call",
            self._handle,
            args=[enc(a) for a in args],
            kwargs=[[k, enc(v)] for k, v in kwargs.items()],
            passed=args,
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

    __slots__ = ()


def make_proxy(client: KernelClient, handle: dict[str, Any]) -> RemoteObject:
    """The proxy for a handle from the sandbox: never the real object it may name."""
    mro = handle.get("mro")
    names = tuple(str(n) for n in mro[:64]) if isinstance(mro, list) else ()
    fields = (int(handle["id"]), str(handle.get("type", "object")), str(handle.get("repr", "")))
    bases = handle.get("class_mro")
    class_mro = tuple(str(n) for n in bases[:64]) if isinstance(bases, list) else ()
    ref = handle.get("ref")
    if isinstance(ref, dict) and isinstance(ref.get("module"), str):
        named = f"{ref['module']}.{ref.get('qualname')}"
        return LibraryRef(client, *fields, names, named, class_mro)
    cls = RemoteFunction if handle.get("callable") is True else RemoteObject
    return cls(client, *fields, names, None, class_mro)
