"""Orders and postings the list pages read, kept up to date project by project.

`order` is the timeline's order of every project with both dates (start, end, id);
`postings` maps a filter value (owner, status, domain) to the projects that have it, and
a few marks to the projects that bear them: `("todo", kind)` the projects with a line
in the dashboard's "needs action" list of that kind, `("kpis", "")` those with KPIs,
`("example", "")` the example projects still loaded.
`Lists.apply` moves only the changed projects (a bisect in the order, a copy of the few
posting sets they are in), so a page after a write never sorts or scans the roadmap.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from registry.analysis.roadmap import Project
from registry.projects import is_example

OrderKey = tuple[date, date, str]


class Derived(Protocol):
    """What the lists read of a project's derived data (`ProjectDerived`)."""

    @property
    def span(self) -> tuple[date, date] | None: ...

    @property
    def contribution(self) -> Mapping[Any, int]: ...


def keys(project: Project, derived: Derived | None = None) -> set[tuple[str, str]]:
    """Return the filter values and marks a project is listed under."""
    out = {("owner", project.owner or ""), ("status", str(project.sheet.get("status")))}
    out.update(("domain", d) for d in project.listed("domains"))
    kpis = project.sheet.get("kpis")
    if isinstance(kpis, list) and kpis:
        out.add(("kpis", ""))
    if is_example(project):
        out.add(("example", ""))
    if derived is not None:
        out |= todo(derived)
    return out


def todo(derived: Derived) -> set[tuple[str, str]]:
    """Return the marks of the dashboard's "needs action" lists (read from derived data)."""
    out = set()
    counts = derived.contribution
    if counts["lapsing"] or counts["lapsed"]:
        out.add(("todo", "lapsing"))
    if counts["mandatory", "missing"]:
        out.add(("todo", "missing"))
    if counts["deprecated-declared"]:
        out.add(("todo", "deprecated"))
    return out


@dataclass(frozen=True)
class Lists:
    """The timeline order and the filter postings of one snapshot (never mutated)."""

    order: list[OrderKey]
    postings: Mapping[tuple[str, str], frozenset[str]]

    @classmethod
    def build(cls, projects: Mapping[str, Project], derived: Mapping[str, Derived]) -> Lists:
        """Return the lists of every project."""
        order = sorted((*item.span, pid) for pid, item in derived.items()
                       if item.span is not None)
        postings: dict[tuple[str, str], set[str]] = {}
        for pid, project in projects.items():
            for key in keys(project, derived.get(pid)):
                postings.setdefault(key, set()).add(pid)
        return cls(order, {k: frozenset(v) for k, v in postings.items()})

    def apply(self, changed: Iterable[str],
              old: tuple[Mapping[str, Project], Mapping[str, Derived]],
              new: tuple[Mapping[str, Project], Mapping[str, Derived]],
              same_sheet: frozenset[str] = frozenset()) -> Lists:
        """Return the lists after the `changed` projects moved from `old` to `new`.

        `same_sheet`: changed projects whose sheet is the same object in both (a
        catalogue change): only their marks read from derived data can move.
        """
        order = self.order
        (old_projects, old_derived), (new_projects, new_derived) = old, new
        out: dict[tuple[str, str], set[str]] = {}
        into: dict[tuple[str, str], set[str]] = {}
        for pid in changed:
            was, now = old_derived.get(pid), new_derived.get(pid)
            if pid in same_sheet and was is not None and now is not None:
                before, after = todo(was), todo(now)
            else:
                if order is self.order:
                    order = list(order)
                span = was.span if was is not None else None
                if span is not None:
                    at = bisect.bisect_left(order, (*span, pid))
                    if at < len(order) and order[at] == (*span, pid):
                        del order[at]
                span = now.span if now is not None else None
                if span is not None:
                    bisect.insort(order, (*span, pid))
                before = keys(old_projects[pid], was) if pid in old_projects else set()
                after = keys(new_projects[pid], now) if pid in new_projects else set()
            for key in before - after:
                out.setdefault(key, set()).add(pid)
            for key in after - before:
                into.setdefault(key, set()).add(pid)
        if not out and not into and order is self.order:
            return self
        # One new set per posting that moved (adding a project at a time copied a
        # posting of thousands once per project).
        postings = dict(self.postings)
        for key in {*out, *into}:
            members = (postings.get(key, frozenset()) - out.get(key, set())) | into.get(
                key, set())
            if members:
                postings[key] = frozenset(members)
            else:
                postings.pop(key, None)
        return Lists(order, postings)

    def ordered(self, filters: Mapping[str, str]) -> list[str]:
        """Return the ids in timeline order that match every filter (owner, status, domain)."""
        if not filters:
            return [pid for _start, _end, pid in self.order]
        sets = [self.postings.get((name, value), frozenset())
                for name, value in filters.items()]
        wanted = frozenset.intersection(*sets)
        return [pid for _start, _end, pid in self.order if pid in wanted]

    def marked(self, name: str, value: str = "") -> frozenset[str]:
        """Return the projects bearing a mark (see the module's docstring)."""
        return self.postings.get((name, value), frozenset())
