"""Small immutable value classes, without the dataclasses module.

`registry validate` runs on every commit of a project that uses the pre-commit hook.
Importing dataclasses (which imports inspect) and building the eleven classes of that
path with @dataclass cost about 15 ms of its start. A Value subclass names its fields
once, in `__slots__` (with their types as annotations), takes them in that order in its
`__init__`, and gets from here what @dataclass(frozen=True) gave it: == and hash over
the fields, a repr, no assignment after `__init__`, pickling (worker processes send
findings back) and copying.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Value:
    """Base of an immutable value class (see the module's docstring)."""

    __slots__ = ()
    # The fields that ==, hash and repr use, when not all of them (e.g. a template kept
    # for translation, never compared).
    _compared: ClassVar[tuple[str, ...]] = ()

    def _init(self, *values: Any) -> None:
        """Set the fields, in the order of `__slots__` (call once, from `__init__`)."""
        for name, value in zip(self._fields(), values, strict=True):
            object.__setattr__(self, name, value)

    def _fields(self) -> tuple[str, ...]:
        return self.__slots__

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._compared or self._fields())

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}"
                          for name in self._compared or self._fields())
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), tuple(getattr(self, name) for name in self._fields())
