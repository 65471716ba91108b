"""The few project sheets recently asked for, decoded from their compact JSON form.

Kept by the JSON bytes themselves (equal bytes, equal sheet), so an entry can never be
given for another project's sheet, and it holds as many sheets as a page shows many
times over: a view that reads every sheet decodes them (orjson: about 20 us a sheet)
instead of every worker holding every sheet decoded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson


class SheetCache:
    """A least-recently-used map from a sheet's JSON bytes to the decoded sheet."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._decoded: OrderedDict[bytes, Mapping[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, blob: bytes) -> Mapping[str, Any]:
        """Return the sheet of `blob` (the same object while it stays cached)."""
        with self._lock:
            found = self._decoded.get(blob)
            if found is not None:
                self._decoded.move_to_end(blob)
                return found
        sheet: Mapping[str, Any] = orjson.loads(blob)
        with self._lock:
            # Another thread may have decoded it meanwhile: answer the kept one.
            sheet = self._decoded.setdefault(blob, sheet)
            while len(self._decoded) > self.size:
                self._decoded.popitem(last=False)
        return sheet
