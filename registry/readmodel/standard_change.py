"""A change to one standard, patched into the derived data of each project that reads it.

The standard is there before and after (its status, applies_to, title... changed). A
project's findings, cells, trend and totals read it in a few places only, so only
those are replaced, the rest of its derived data is kept as it is:

- its cell (`compliance.cell_of`), put in place among the project's sorted cells;
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

import bisect
import functools
from collections import Counter
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any

from registry.analysis.compliance import Cell, ComplianceInputs, cell_of
from registry.analysis.roadmap import Project
from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import FileReport, Finding, Listing
from registry.projects import finding_reads, hint_reads
from registry.readmodel.derived import (
    Contribution,
    ProjectDerived,
    TrendEntry,
    TrendRevision,
    cell_keys,
    month_cutoffs,
    shared_finding,
    shared_key,
    trend_entry,
    trend_key,
)
from registry.validation import linked_data, policy

_MISSING_CODES = frozenset(code for code, _ in policy.MISSING.values())


@functools.cache
def _hints_read_standards() -> frozenset[str]:
    """Return the finding codes whose hint reads other standards (the ids close to an
    unknown one)."""
    return frozenset(code for code in linked_data.code_targets()
                     if hint_reads(code) == "standard")
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
        # The capabilities that make it apply (as `standards_by_capability` says).
        self.applies_to = frozenset(self.record.get("applies_to") or ())
        self.same_reasons = set(old.get("applies_to") or ()) == self.applies_to
        self.mandatory = self.record.get("status") == "mandatory"
        self.cutoffs = month_cutoffs(day)
        self.instants = [cutoff for _, cutoff in self.cutoffs]
        self._keys: dict[tuple[TrendEntry, int, int], list[Any]] = {}
        # The old missing finding -> the new one (findings are shared by many sheets).
        self._findings: dict[int, tuple[Finding, Finding | None]] = {}
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
              ) -> tuple[ProjectDerived, dict[Any, int]] | None:
        """Return the project's derived data after the change and what its contribution
        to the totals moved by; None when it must be derived as before."""
        if not old.revisions or old.revisions[-1][1] is None:
            return None
        hinted = _hints_read_standards()
        for found in old.report.findings:
            if found.code in hinted or finding_reads(found.code) == "?":
                return None  # a hint read from other standards, or a check not known
        sid = self.sid
        inputs = old.revisions[-1][1]  # what the current sheet's cells read
        delta: dict[Any, int] = {}
        old_cell = None
        for cell in old.cells:
            if cell.standard == sid:
                old_cell = cell
                break
        new_cell = self._cell(inputs)
        cells = old.cells
        if new_cell != old_cell:
            kept = [c for c in old.cells if c.standard != sid]
            if new_cell is not None:
                kept.append(new_cell)
                kept.sort(key=_by_standard)
            cells = tuple(kept)
            for key in cell_keys(old_cell) if old_cell is not None else ():
                delta[key] = delta.get(key, 0) - 1
            for key in cell_keys(new_cell) if new_cell is not None else ():
                delta[key] = delta.get(key, 0) + 1
        report = self._report(project, old.report, inputs, new_cell)
        if report is not old.report and report.valid != old.report.valid:
            delta["valid"] = 1 if report.valid else -1
        history, moved = self._history(old)
        for position, (was, now) in moved.items():
            # The months the revision is in force at: from the first month end at or
            # after it was written to the first one at or after the next revision.
            first = bisect.bisect_left(self.instants, history[position][0])
            last = (bisect.bisect_left(self.instants, history[position + 1][0])
                    if position + 1 < len(history) else len(self.instants))
            if first >= last:
                continue
            for key in self._trend_keys(was, first, last):
                delta[key] = delta.get(key, 0) - 1
            for key in self._trend_keys(now, first, last):
                delta[key] = delta.get(key, 0) + 1
        contribution = old.contribution
        delta = {k: n for k, n in delta.items() if n}
        if delta:
            counts = Counter(dict(contribution.items()))
            for key, n in delta.items():
                total = counts[key] + n
                if total > 0:
                    counts[shared_key(key)] = total
                else:
                    del counts[key]
            contribution = Contribution(counts)
        return (ProjectDerived(report, cells, history, contribution, old.span,
                               old.revisions), delta)

    def _trend_keys(self, entry: TrendEntry | None, first: int, last: int
                    ) -> list[Any]:
        """Return the totals' keys of a trend entry in force from month `first` to before
        `last` (made once per entry and months: entries are shared)."""
        if entry is None:
            return []
        found = self._keys.get((entry, first, last))
        if found is None:
            found = self._keys[entry, first, last] = [
                trend_key(index, self.cutoffs[index][0], entry)
                for index in range(first, last)]
        return found

    def _cell(self, inputs: ComplianceInputs, as_of: date | None = None) -> Cell | None:
        """Return the standard's cell of a sheet's inputs (`standard_cell`, faster)."""
        capability = None
        for candidate in inputs.capabilities:  # sorted: the first one names why
            if candidate in self.applies_to:
                capability = candidate
                break
        if capability is None and self.sid not in inputs.declared:
            return None
        return cell_of(inputs, self.sid, capability, self.record,
                       self.day if as_of is None else as_of)

    def _report(self, project: Project, report: FileReport, inputs: ComplianceInputs,
                cell: Cell | None) -> FileReport:
        """Return the findings with the standard's "missing" finding replaced."""
        old = [f for f in report.findings if f.code in _MISSING_CODES
               and f.params is not None and f.params.get("id") == self.sid]
        found = None
        if cell is not None and cell.applies and self.sid not in inputs.declared:
            memo = self._findings.get(id(old[0])) if old and self.same_reasons else None
            if memo is not None and memo[0] is old[0]:
                found = memo[1]
            else:
                reasons: Any = None
                if old and self.same_reasons:
                    listing = old[0].params.get("why") if old[0].params else None
                    reasons = listing.items if isinstance(listing, Listing) else None
                if reasons is None:
                    reasons = policy.missing_reasons(project.sheet, self.after, self.sid)
                found = policy.missing_finding(self.sid, self.record, reasons)
                if found is not None:
                    found = shared_finding(found)
                if old and self.same_reasons:
                    self._findings[id(old[0])] = (old[0], found)
        if not old and found is None:
            return report
        gone = {id(f) for f in old}
        findings = [f for f in report.findings if id(f) not in gone]
        if found is not None:
            findings.append(found)
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

    def _history(self, old: ProjectDerived
                 ) -> tuple[tuple[TrendRevision, ...],
                            dict[int, tuple[TrendEntry | None, TrendEntry | None]]]:
        """Return the trend revisions with the standard's entry replaced in each, and
        (old entry, new entry) by position where they differ."""
        sid = self.sid
        done: dict[int, tuple[tuple[TrendEntry, ...], TrendEntry | None,
                              TrendEntry | None]] = {}
        out: list[TrendRevision] = []
        moved: dict[int, tuple[TrendEntry | None, TrendEntry | None]] = {}
        for position, ((_, inputs), (created_at, mandatory)) in enumerate(
                zip(old.revisions, old.history, strict=True)):
            if inputs is None or mandatory is None:
                out.append((created_at, mandatory))
                continue
            if id(inputs) not in done:
                was = None
                entries = []
                for entry in mandatory:
                    if entry[0] == sid:
                        was = entry
                    else:
                        entries.append(entry)
                now = None
                if self.mandatory and not self.applies_to.isdisjoint(inputs.capabilities):
                    cell = self._cell(inputs, date.min)
                    if cell is not None:
                        now = trend_entry(cell)
                        entries.append(now)
                        entries.sort(key=_first)
                done[id(inputs)] = ((mandatory, was, now) if was == now
                                    else (tuple(entries), was, now))
            entries_now, was, now = done[id(inputs)]
            if entries_now is not mandatory:
                moved[position] = (was, now)
            out.append((created_at, entries_now))
        return (tuple(out) if moved else old.history), moved
