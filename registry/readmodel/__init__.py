"""The read model: the change feed and what is derived per project (see README.md)."""

from registry.readmodel.model import Behind, ReadModel
from registry.readmodel.snapshot import Snapshot

__all__ = ["Behind", "ReadModel", "Snapshot"]
