"""A change to one standard, patched into the derived data of each project that reads it.

The standard is there before and after (its status, applies_to, title... changed). A
project's findings, cells, trend and totals read it in a few places only, so only
those are replaced, the rest of its derived data is kept as it is:

- its cell (`standard_cell`), put in place among the project's sorted cells;
- its entry in the trend cells of each revision the trend keeps (entries name their
  standard; revisions with equal inputs share one result, as `derived.trend` does);
- the finding saying it is missing: its reasons are taken from the old finding when
  the standard's `applies_to` did not move, and read from the sheet otherwise;
- the totals: the keys of the old cell and trend entries out, the new ones in.

The linked-data findings on the standard's id are kept when what they say of it did not
move (`linked_data.verdicts`: a status that neither was nor is deprecated); otherwise,
or for a project whose findings carry a hint read from other standards (the ids close
to an unknown one), the project is derived as before (`Snapshot.apply`).

Measured at 10,000 projects by `bench.catalogue_change`; checked against
`Snapshot.build` by tests/readmodel/test_catalogue_change.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any

from registry.analysis.compliance import Cell, ComplianceInputs, standard_cell
from registry.analysis.roadmap import Project
from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import FileReport, Finding, Listing
from registry.projects import hint_reads
from registry.readmodel.derived import (
    _KEYS,
    ProjectDerived,
    TrendEntry,
    TrendRevision,
    cell_keys,
    in_force_at,
    shared_finding,
    trend_entry,
    trend_key,
)
from registry.validation import linked_data, policy

_MISSING_CODES = frozenset(code for code, _ in policy.MISSING.values())
_by_standard = attrgetter("standard")
_first = itemgetter(0)


class StandardChange:
    """One standard's record before and after; `patch` moves a project's derived data."""

    def __init__(self, standard_id: str, before: Catalogue, after: Catalogue,
                 day: date) -> None:
        self.sid = standard_id
        self.after = after
        self.record = after.standards[standard_id]
        self.day = day
        old = before.standards[standard_id]
        self.same_reasons = (set(old.get("applies_to") or ())
                             == set(self.record.get("applies_to") or ()))
        self.patchable = (linked_data.verdicts(before, "standard", standard_id)
                          == linked_data.verdicts(after, "standard", standard_id))

    @classmethod
    def of(cls, ids: set[str], before: Catalogue, after: Catalogue,
           day: date) -> StandardChange | None:
        """Return the change when it can be patched: one standard, updated, its
        linked-data findings unchanged; else None (projects are derived as before)."""
        if len(ids) != 1:
            return None
        (sid,) = ids
        if sid not in before.standards or sid not in after.standards:
            return None  # created or removed: the ids close to an unknown one move
        change = cls(sid, before, after, day)
        return change if change.patchable else None

    def patch(self, project: Project, old: ProjectDerived
              ) -> tuple[ProjectDerived, Counter[Any]] | None:
        """Return the project's derived data after the change and what its contribution
        to the totals moved by; None when it must be derived as before."""
        if not old.revisions or old.revisions[-1][1] is None:
            return None
        if any(hint_reads(f.code) == "standard" for f in old.report.findings):
            return None
        inputs = old.revisions[-1][1]  # what the current sheet's cells read
        delta: Counter[Any] = Counter()
        old_cell = next((c for c in old.cells if c.standard == self.sid), None)
        new_cell = standard_cell(inputs, self.sid, self.after, self.day)
        cells = old.cells
        if new_cell != old_cell:
            kept = [c for c in old.cells if c.standard != self.sid]
            if new_cell is not None:
                kept.append(new_cell)
            cells = tuple(sorted(kept, key=_by_standard))
            for key in cell_keys(old_cell) if old_cell is not None else ():
                delta[key] -= 1
            for key in cell_keys(new_cell) if new_cell is not None else ():
                delta[key] += 1
        report = self._report(project, old.report, inputs, new_cell)
        if report.valid != old.report.valid:
            delta["valid"] += 1 if report.valid else -1
        history = self._history(old)
        if history is not old.history:
            for index, end, at in in_force_at(old.history, self.day):
                before, after = old.history[at][1], history[at][1]
                if before is after or before is None or after is None:
                    continue
                for entry in before:
                    if entry[0] == self.sid:
                        delta[trend_key(index, end, entry)] -= 1
                for entry in after:
                    if entry[0] == self.sid:
                        delta[trend_key(index, end, entry)] += 1
        delta = Counter({k: n for k, n in delta.items() if n})
        contribution = old.contribution
        if delta:
            moved = Counter(old.contribution)
            moved.update(delta)
            contribution = Counter({_KEYS.setdefault(k, k): n for k, n in moved.items()
                                    if n > 0})
        return (ProjectDerived(report, cells, history, contribution, old.span,
                               old.revisions), delta)

    def _report(self, project: Project, report: FileReport, inputs: ComplianceInputs,
                cell: Cell | None) -> FileReport:
        """Return the findings with the standard's "missing" finding replaced."""
        old = [f for f in report.findings if f.code in _MISSING_CODES
               and f.params is not None and f.params.get("id") == self.sid]
        found = None
        if cell is not None and cell.applies and self.sid not in inputs.declared:
            reasons: Any = None
            if old and self.same_reasons:
                listing = old[0].params.get("why") if old[0].params else None
                reasons = listing.items if isinstance(listing, Listing) else None
            if reasons is None:
                reasons = policy.missing_reasons(project.sheet, self.after, self.sid)
            found = policy.missing_finding(self.sid, self.record, reasons)
        if not old and found is None:
            return report
        findings = [f for f in report.findings if not any(f is o for o in old)]
        if found is not None:
            findings.append(shared_finding(found))
        # The check says the missing standards in their ids' order: ties of the report's
        # order (same severity, place and code) are among them alone.
        findings.sort(key=self._order)
        return FileReport(report.path, findings)

    @staticmethod
    def _order(found: Finding) -> tuple[Any, ...]:
        tie = ""
        if found.code in _MISSING_CODES and found.params is not None:
            tie = str(found.params.get("id", ""))
        return (found.sort_key(), tie)

    def _history(self, old: ProjectDerived) -> tuple[TrendRevision, ...]:
        """Return the trend revisions with the standard's entry replaced in each."""
        done: dict[int, tuple[TrendEntry, ...]] = {}
        out: list[TrendRevision] = []
        moved = False
        for (_, inputs), (created_at, mandatory) in zip(old.revisions, old.history,
                                                        strict=True):
            if inputs is None or mandatory is None:
                out.append((created_at, mandatory))
                continue
            if id(inputs) not in done:
                cell = standard_cell(inputs, self.sid, self.after, date.min)
                entries = [e for e in mandatory if e[0] != self.sid]
                if cell is not None and cell.status == "mandatory" and cell.applies:
                    entries.append(trend_entry(cell))
                    entries.sort(key=_first)
                now = tuple(entries)
                done[id(inputs)] = mandatory if now == mandatory else now
            entry = done[id(inputs)]
            moved = moved or entry is not mandatory
            out.append((created_at, entry))
        return tuple(out) if moved else old.history
