"""Orders and postings the list pages read, kept up to date project by project.

`order` is the timeline's order of every project with both dates (start, end, id);
`postings` maps a filter value (owner, status, domain) to the projects that have it.
`Lists.apply` moves only the changed projects (a bisect in the order, a copy of the few
posting sets they are in), so a page after a write never sorts or scans the roadmap.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from registry.analysis.roadmap import Project

OrderKey = tuple[date, date, str]


def keys(project: Project) -> set[tuple[str, str]]:
    """Return the filter values a project is listed under."""
    out = {("owner", project.owner or ""), ("status", str(project.sheet.get("status")))}
    out.update(("domain", d) for d in project.listed("domains"))
    return out


@dataclass(frozen=True)
class Lists:
    """The timeline order and the filter postings of one snapshot (never mutated)."""

    order: list[OrderKey]
    postings: Mapping[tuple[str, str], frozenset[str]]

    @classmethod
    def build(cls, projects: Mapping[str, Project],
              spans: Mapping[str, tuple[date, date] | None]) -> Lists:
        """Return the lists of every project."""
        order = sorted((*span, pid) for pid, span in spans.items() if span is not None)
        postings: dict[tuple[str, str], set[str]] = {}
        for pid, project in projects.items():
            for key in keys(project):
                postings.setdefault(key, set()).add(pid)
        return cls(order, {k: frozenset(v) for k, v in postings.items()})

    def apply(self, changed: Iterable[str],
              old: tuple[Mapping[str, Project], Mapping[str, tuple[date, date] | None]],
              new: tuple[Mapping[str, Project], Mapping[str, tuple[date, date] | None]]
              ) -> Lists:
        """Return the lists after the `changed` projects moved from `old` to `new`."""
        order = list(self.order)
        postings = dict(self.postings)
        (old_projects, old_spans), (new_projects, new_spans) = old, new
        for pid in changed:
            span = old_spans.get(pid)
            if span is not None:
                at = bisect.bisect_left(order, (*span, pid))
                if at < len(order) and order[at] == (*span, pid):
                    del order[at]
            span = new_spans.get(pid)
            if span is not None:
                bisect.insort(order, (*span, pid))
            before = keys(old_projects[pid]) if pid in old_projects else set()
            after = keys(new_projects[pid]) if pid in new_projects else set()
            for key in before - after:
                left = postings.get(key, frozenset()) - {pid}
                if left:
                    postings[key] = left
                else:
                    postings.pop(key, None)
            for key in after - before:
                postings[key] = postings.get(key, frozenset()) | {pid}
        return Lists(order, postings)

    def ordered(self, filters: Mapping[str, str]) -> list[str]:
        """Return the ids in timeline order that match every filter (owner, status, domain)."""
        if not filters:
            return [pid for _start, _end, pid in self.order]
        sets = [self.postings.get((name, value), frozenset())
                for name, value in filters.items()]
        wanted = frozenset.intersection(*sets)
        return [pid for _start, _end, pid in self.order if pid in wanted]
