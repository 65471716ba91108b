"""What an answer read from its snapshot: a kept answer is reused while that is unchanged.

The response cache (registry.response_cache) keeps an answer with the `Reads` of the
snapshot it was computed from and serves it again while `holds(latest snapshot)`. By
default an answer read everything (`everything`: only that version and day hold), so a
project write anywhere made every worker compute every answer again, even a standard's,
which reads no project. A view that knows it read less says so:

* `catalogue_only`: the answer reads the catalogue (and the revisions of catalogue
  records, which move only with it) and nothing of the roadmap;
* `projects_read`: the answer reads the catalogue, the day, the set and order of the
  projects, some projects (their sheets and derived data) and some kept totals.

Each is checked by identity where the snapshot shares objects (a snapshot's catalogue,
project, derived data and member set are the same objects as the last one's unless a
change replaced them) and by value for totals, so `holds` is true only when the view
would compute the same answer from the newer snapshot: a write that touches what an
answer read makes the next read compute it anew; a write that does not leaves it kept.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable
from datetime import date
from typing import Any

from registry.readmodel.snapshot import Snapshot


class Reads:
    """An answer read everything of its snapshot: only that version (and day) holds."""

    __slots__ = ("version", "day")

    def __init__(self, snapshot: Snapshot) -> None:
        self.version: int = snapshot.version
        self.day: date = snapshot.day

    def holds(self, snapshot: Snapshot) -> bool:
        """Return True when an answer with these reads is the same at `snapshot`."""
        return snapshot.version == self.version and snapshot.day == self.day


class _CatalogueReads(Reads):
    __slots__ = ("catalogue",)

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__(snapshot)
        self.catalogue = snapshot.catalogue

    def holds(self, snapshot: Snapshot) -> bool:
        return snapshot.catalogue is self.catalogue and snapshot.day == self.day


class _ProjectReads(_CatalogueReads):
    __slots__ = ("members", "projects", "totals")

    def __init__(self, snapshot: Snapshot, ids: Iterable[str],
                 totals: Iterable[Hashable]) -> None:
        super().__init__(snapshot)
        self.members = snapshot.members
        projects, derived = snapshot.roadmap.projects, snapshot.derived
        self.projects = tuple((pid, projects.get(pid), derived.get(pid)) for pid in ids)
        self.totals = tuple((key, snapshot.totals[key]) for key in totals)

    def held_bytes(self) -> int:
        """Return the bytes of this object's own containers (not the snapshot's objects)."""
        return (sys.getsizeof(self) + sys.getsizeof(self.projects) + sys.getsizeof(self.totals)
                + sum(sys.getsizeof(entry) for entry in self.projects)
                + sum(sys.getsizeof(entry) for entry in self.totals))

    def holds(self, snapshot: Snapshot) -> bool:
        if (snapshot.members is not self.members or snapshot.catalogue is not self.catalogue
                or snapshot.day != self.day):
            return False
        projects, derived = snapshot.roadmap.projects, snapshot.derived
        for pid, project, found in self.projects:
            if projects.get(pid) is not project or derived.get(pid) is not found:
                return False
        kept = snapshot.totals
        return all(kept[key] == value for key, value in self.totals)


# Beyond this many projects a check would cost about what the answer does: read it all.
MAX_PROJECTS = 500


def everything(snapshot: Snapshot) -> Reads:
    """Return the reads of an answer that may depend on anything in the snapshot."""
    return Reads(snapshot)


def catalogue_only(snapshot: Snapshot) -> Reads:
    """Return the reads of an answer computed from the catalogue alone (and the day)."""
    return _CatalogueReads(snapshot)


def projects_read(snapshot: Snapshot, ids: Iterable[str] | None,
                  totals: Iterable[Hashable] = ()) -> Reads:
    """Return the reads of an answer computed from the projects `ids` (None: all of them).

    Besides those projects, the answer may read the catalogue, the day, the set and
    order of the projects (a page of a list, its length), and the kept `totals` named.
    """
    chosen: Any = None if ids is None else list(ids)
    if chosen is None or len(chosen) > MAX_PROJECTS:
        return Reads(snapshot)
    return _ProjectReads(snapshot, chosen, totals)
