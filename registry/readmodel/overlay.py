"""A read-only mapping that shares its keys with the last snapshot and replaces a few values.

A project write changes one project of ten thousand. Copying the roadmap's and the
derived data's dicts to replace that one value cost every worker about 4 ms of CPU per
write at 10,000 projects (four O(n) copies and a set comparison), and every worker of
every server applies every write. An `Overlay` keeps the previous mapping as its base
and holds only the replaced values: a write costs a copy of the few values replaced
since the last full copy, which is made once the overlay holds `COLLAPSE` of them.

Only values of keys the base already has are replaced, so keys, their order and the
length are the base's: a write that adds or removes a project builds a new dict.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from types import MappingProxyType
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")
COLLAPSE = 256  # replaced values held before one full copy (amortised: n/256 per write)


class Overlay(Mapping[K, V]):
    """The base mapping with the values of some of its keys replaced (never mutated)."""

    __slots__ = ("_base", "_changes")

    def __init__(self, base: Mapping[K, V], changes: dict[K, V]) -> None:
        self._base = base
        self._changes = changes

    def __getitem__(self, key: K) -> V:
        try:
            return self._changes[key]
        except KeyError:
            return self._base[key]

    def get(self, key: K, default: Any = None) -> Any:
        """Return the value of `key`, or `default` when the base has no such key."""
        found = self._changes.get(key, _MISSING)
        return self._base.get(key, default) if found is _MISSING else found

    def __contains__(self, key: object) -> bool:
        return key in self._base

    def __iter__(self) -> Iterator[K]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)

    def items(self) -> ItemsView[K, V]:
        """Return the (key, value) pairs in the base's order."""
        return _Items(self)

    def values(self) -> ValuesView[V]:
        """Return the values in the base's order."""
        return _Values(self)

    def _pairs(self) -> Iterator[tuple[K, V]]:
        changes = self._changes
        for key, value in self._base.items():
            found = changes.get(key, _MISSING)
            yield key, value if found is _MISSING else found


class _Items(ItemsView[K, V]):
    def __iter__(self) -> Iterator[tuple[K, V]]:
        return self._mapping._pairs()  # type: ignore[attr-defined, no-any-return]


class _Values(ValuesView[V]):
    def __iter__(self) -> Iterator[V]:
        return (value for _key, value in self._mapping._pairs())  # type: ignore[attr-defined]


_MISSING: Any = object()


def flattened(mapping: Mapping[K, V]) -> dict[K, V]:
    """Return a new dict of `mapping`, in its order: the base copied whole (a dict's or a
    read-only proxy's `copy`, at C speed) and the replaced values put in, never a pass
    pair by pair (`_pairs`, or `{**proxy}`, which asks the proxy key by key)."""
    base, changes = (mapping._base, mapping._changes) if isinstance(mapping, Overlay) \
        else (mapping, {})
    out: dict[K, V] = base.copy() if isinstance(base, (dict, MappingProxyType)) \
        else dict(base)
    out.update(changes)
    return out


def replaced(mapping: Mapping[K, V], changes: Mapping[K, V]) -> Mapping[K, V]:
    """Return `mapping` with the values of `changes` (keys it has) replaced, unmutated."""
    assert all(key in mapping for key in changes), "an overlay only replaces values"
    if isinstance(mapping, Overlay):
        base, merged = mapping._base, {**mapping._changes, **changes}
    else:
        base, merged = mapping, dict(changes)
    if len(merged) < COLLAPSE:
        return Overlay(base, merged)
    # The keys of `merged` are the base's: the order stays the base's.
    return MappingProxyType({**base, **merged})
