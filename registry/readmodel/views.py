"""The catalogue or the roadmap alone, read from the read model's current snapshot.

For callers that need only one of them (validation needs the catalogue, the CLI's reuse
the roadmap): both come from the snapshot pinned to the request, so two calls within
one request never see two versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.analysis.roadmap import Roadmap
from registry.catalogue.snapshot import Catalogue
from registry.readmodel.model import ReadModel


class _View:
    def __init__(self, model: ReadModel) -> None:
        self.model = model

    @property
    def version(self) -> int:
        """Return the feed version of the current snapshot."""
        return self.model.current().version

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return a value derived from the current snapshot, computed once for it."""
        return self.model.current().memo(key, compute)

    def invalidate(self) -> None:
        """Catch up with the feed now (after a write made by this process)."""
        self.model.catch_up()


class CatalogueView(_View):
    """The catalogue of the current snapshot."""

    def get(self) -> Catalogue:
        """Return the current catalogue."""
        return self.model.current().catalogue


class RoadmapView(_View):
    """The roadmap (every project) of the current snapshot."""

    def get(self) -> Roadmap:
        """Return the current roadmap."""
        return self.model.current().roadmap
