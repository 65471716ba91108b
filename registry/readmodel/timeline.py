"""The roadmap's timeline a page at a time: projects by start, end and id, filtered.

The order and the filter postings are kept by the read model (`registry.readmodel.lists`,
moved project by project on each write): a page costs one pass over the kept order and
then only its own rows, never a sort or a read of every project's sheet.
"""

from __future__ import annotations

from collections.abc import Mapping

from registry.readmodel.queries import Page
from registry.readmodel.snapshot import Snapshot

TIMELINE_FILTERS = ("domain", "owner", "status")


def ordered(snapshot: Snapshot, filters: Mapping[str, str]) -> list[str]:
    """Return the ids of the matching projects with a timeline, by start, end and id."""
    wanted = {k: v for k, v in filters.items() if k in TIMELINE_FILTERS}
    return snapshot.memo(("timeline", tuple(sorted(wanted.items()))),  # type: ignore[no-any-return]
                         lambda: snapshot.lists.ordered(wanted))


def timeline_page(snapshot: Snapshot, filters: Mapping[str, str], page: int,
                  per_page: int) -> Page:
    """Return one page of the timeline's projects and how many projects match."""
    ids = ordered(snapshot, filters)
    start = (page - 1) * per_page
    projects = snapshot.roadmap.projects
    return Page(len(ids), [projects[pid] for pid in ids[start:start + per_page]])
