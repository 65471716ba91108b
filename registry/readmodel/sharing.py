"""One object for equal values a worker holds many times over.

At 10,000 projects the snapshot holds the same few hundred ids, statuses, capability
tuples and declarations tens of thousands of times; sharing them is most of what a
worker's memory lost this way. A table maps a value's key to the one object kept for it;
it only grows with the distinct values a roadmap has, and is emptied past a bound
(sharing is then rebuilt as projects are derived or read again). Nothing holding a
shared value changes it.
"""

from __future__ import annotations

import sys
from typing import Any


def interned(value: Any) -> Any:
    """Return a string interned (one object for equal ones); anything else as it is."""
    return sys.intern(value) if type(value) is str else value


class SharedValues:
    """A bounded table of the one object kept for each key."""

    def __init__(self, bound: int) -> None:
        self._held: dict[Any, Any] = {}
        self._bound = bound

    def __call__(self, key: Any, value: Any) -> Any:
        """Return the value held under `key`, holding `value` there first if none is."""
        found = self._held.get(key)
        if found is None:
            if len(self._held) >= self._bound:
                self._held.clear()
            found = self._held[key] = value
        return found
