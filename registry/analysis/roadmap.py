"""The roadmap snapshot: every stored project sheet, with the indexes the views filter on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Project:
    """A stored project: its current sheet and revision."""

    id: str
    sheet: Mapping[str, Any]
    revision: int
    digest: str
    updated_at: datetime
    updated_by: str

    @property
    def owner(self) -> str | None:
        """Return the owner organisation's concept id."""
        owner = self.sheet.get("owner")
        return owner.get("organisation") if isinstance(owner, Mapping) else None

    def listed(self, field: str, sub: str | None = None) -> list[str]:
        """Return the string items of a list field (`sub` for a nested one)."""
        value: Any = self.sheet.get(field)
        if sub is not None:
            value = value.get(sub) if isinstance(value, Mapping) else None
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def capabilities(self) -> list[str]:
        """Return the capabilities the project needs or builds."""
        return self.listed("capabilities", "needs") + self.listed("capabilities", "builds")

    def declared(self) -> list[str]:
        """Return the ids of the standards the sheet declares."""
        items = self.sheet.get("standards")
        if not isinstance(items, list):
            return []
        return [d["id"] for d in items if isinstance(d, Mapping) and isinstance(d.get("id"), str)]


class Roadmap:
    """All projects of one stored roadmap revision. Never mutated."""

    def __init__(self, projects: Iterable[Project]) -> None:
        self.projects: Mapping[str, Project] = MappingProxyType(
            {p.id: p for p in sorted(projects, key=lambda p: p.id)})

    @classmethod
    def from_records(cls, records: Iterable[Any]) -> Roadmap:
        """Build the roadmap from stored records of kind project."""
        return cls(Project(r.id, r.data, r.revision, r.digest, r.updated_at, r.updated_by)
                   for r in records)

    def sheets(self) -> list[Mapping[str, Any]]:
        """Return every project's sheet."""
        return [p.sheet for p in self.projects.values()]

    def __len__(self) -> int:
        return len(self.projects)
