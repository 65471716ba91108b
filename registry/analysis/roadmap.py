"""The roadmap snapshot: every stored project sheet, with the indexes the views filter on."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, overload

import orjson

from registry.analysis.sheet_cache import SheetCache, pack


class Project:
    """A stored project: its current sheet and revision.

    A project read from the store (`Project.stored`) keeps its sheet as compact JSON
    bytes, deflated (`sheet_cache.pack`), and decodes it when asked (a few recently
    asked sheets are kept decoded): at 10,000 projects the decoded sheets would take 70
    MB of every worker, the JSON 12.5, deflated 4.8.
    """

    __slots__ = ("_blob", "_sheet", "digest", "id", "revision", "updated_at", "updated_by")

    def __init__(self, id: str, sheet: Mapping[str, Any], revision: int, digest: str,
                 updated_at: datetime, updated_by: str) -> None:
        self.id = id
        self._sheet: Mapping[str, Any] | None = sheet
        self._blob: bytes | None = None
        self.revision = revision
        self.digest = digest
        self.updated_at = updated_at
        self.updated_by = updated_by

    @classmethod
    def stored(cls, id: str, sheet: Mapping[str, Any], revision: int, digest: str,
               updated_at: datetime, updated_by: str) -> Project:
        """Return a project whose sheet came from the store (JSON values only), kept compact."""
        # A few authors write every project: one string each, not one a project (0.5 MB
        # at 10,000 projects, each row read from the store bringing its own).
        project = cls(id, sheet, revision, digest, updated_at,
                      sys.intern(updated_by) if type(updated_by) is str else updated_by)
        try:
            # Dates go to `default`, which refuses them: a sheet that is not plain JSON
            # (a YAML file's dates) is kept as given, never answered back as strings.
            blob = orjson.dumps(sheet, option=orjson.OPT_PASSTHROUGH_DATETIME)
        except TypeError:
            return project
        object.__setattr__(project, "_blob", pack(blob))
        object.__setattr__(project, "_sheet", None)
        return project

    @property
    def sheet(self) -> Mapping[str, Any]:
        """Return the project's sheet (decoded from its compact form when kept so)."""
        if self._sheet is not None:
            return self._sheet
        return _DECODED.get(self._blob)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and (
            self.id, self.revision, self.digest, self.updated_at, self.updated_by,
            self.sheet) == (other.id, other.revision, other.digest, other.updated_at,
                            other.updated_by, other.sheet)

    __hash__ = None  # type: ignore[assignment]  # a sheet is a mapping: never hashable

    def __repr__(self) -> str:
        return (f"Project(id={self.id!r}, revision={self.revision!r}, "
                f"digest={self.digest!r}, updated_by={self.updated_by!r})")

    def __setattr__(self, name: str, value: Any) -> None:
        # Shared by every snapshot that did not change it: never mutated once made.
        if hasattr(self, "updated_by"):
            raise AttributeError(f"a Project is immutable (setting {name})")
        object.__setattr__(self, name, value)

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


# Every view reads a sheet's fields together (a page's row, a project's derivation),
# never a page of sheets twice over: a few dozen decoded sheets serve them, each decoded
# once a request (at 10,000 projects a page of 500 decoded its 500 sheets with 64 kept
# as with 512). Kept longer, they are memory (some 18 KB a decoded sheet: 512 held 9.4
# MB) that only a repeated page outside the response cache would read again (a page of
# 500 asked again: 7 ms with 512 kept, 12 ms with 64), and passes over the whole
# roadmap only churn through.
_DECODED = SheetCache(64)


class _Sheets(Sequence[Mapping[str, Any]]):
    """The sheets of some projects, each decoded when read."""

    def __init__(self, projects: tuple[Project, ...]) -> None:
        self._projects = projects

    @overload
    def __getitem__(self, index: int) -> Mapping[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return _Sheets(self._projects[index])
        return self._projects[index].sheet

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return (p.sheet for p in self._projects)

    def __len__(self) -> int:
        return len(self._projects)


class Roadmap:
    """All projects of one stored roadmap revision. Never mutated."""

    def __init__(self, projects: Iterable[Project]) -> None:
        self.projects: Mapping[str, Project] = MappingProxyType(
            {p.id: p for p in sorted(projects, key=lambda p: p.id)})

    @classmethod
    def from_records(cls, records: Iterable[Any]) -> Roadmap:
        """Build the roadmap from stored records of kind project."""
        return cls(Project.stored(r.id, r.data, r.revision, r.digest, r.updated_at, r.updated_by)
                   for r in records)

    def sheets(self) -> Sequence[Mapping[str, Any]]:
        """Return every project's sheet, decoded one at a time as it is read.

        A pass over the roadmap then holds one decoded sheet at a time, not all of them.
        """
        return _Sheets(tuple(self.projects.values()))

    def __len__(self) -> int:
        return len(self.projects)
