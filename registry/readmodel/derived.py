"""What is derived from one project and the catalogue, and what it adds to the totals.

Everything here is a function of (one project's sheet and revisions, the catalogue, the
day): a change to a project recomputes that project only, and the roadmap's totals move
by the difference of its old and new contributions, never by a pass over every project.
"""

from __future__ import annotations

import calendar
import functools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from registry.analysis.compliance import (
    Cell,
    ComplianceInputs,
    compliance_cells,
    compliance_inputs,
)
from registry.analysis.indicators import EXPLAINED, LAPSING_DAYS, TREND_MONTHS
from registry.analysis.roadmap import Project
from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import FileReport, Finding
from registry.projects import stored_findings
from registry.readmodel.sharing import SharedValues, interned

# A revision of a project as the monthly trend needs it: when it was written and the
# applicable mandatory cells of its sheet without expiry (standard, state, until), or
# None when the record was deleted at that revision. The standard is named so that a
# change to one standard replaces its entry alone (`standard_change.py`).
TrendEntry = tuple[str, str, date | None]
TrendRevision = tuple[datetime, tuple[TrendEntry, ...] | None]
# The same revision kept without the catalogue: when it was written and what its cells
# read of its sheet (None: deleted), so a catalogue change recomputes its trend cells
# without reading the revision back.
KeptRevision = tuple[datetime, ComplianceInputs | None]


def _until(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def kept_revision(created_at: datetime, sheet: Mapping[str, Any] | None,
                  previous: Sequence[KeptRevision] = ()) -> KeptRevision:
    """Return what is kept of one revision for the monthly trend.

    When its inputs equal those of the revision before (`previous[-1]`: most writes
    change neither capabilities nor declarations), that object is shared, so the
    trend computes its cells once (`derive`) and memory holds it once.
    """
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    if sheet is None:
        return created_at, None
    inputs = shared_inputs(compliance_inputs(sheet))
    if previous and previous[-1][1] == inputs:
        inputs = previous[-1][1]
    return created_at, inputs


def kept_revisions(changes: Iterable[Any],
                   previous: Sequence[KeptRevision] = ()) -> list[KeptRevision]:
    """Return the kept revisions of a project's changes (oldest first), after `previous`."""
    out = list(previous)
    for change in changes:
        out.append(kept_revision(change.created_at, change.data, out))
    return out[len(previous):]


_held = SharedValues(100_000)  # the inputs' capability tuples and declarations


def shared_inputs(inputs: ComplianceInputs) -> ComplianceInputs:
    """Return equal inputs whose strings, capability tuple and declarations are shared.

    Every project keeps the inputs of its last revision and of those the trend counts,
    each a tuple of capability ids and its declarations (dicts read from its sheet):
    at 10,000 projects 149,000 strings and 52,000 dicts (18 MB), of some 1,300
    distinct strings and 300 distinct declarations. The cells made from them share
    those strings too. Nothing holding them changes them (like a decoded sheet).
    """
    capabilities = tuple(map(interned, inputs.capabilities))
    declared: dict[str, Any] = {}
    for sid, item in inputs.declared.items():
        if type(item) is not dict:  # a caller's own mapping: kept as it is
            declared[interned(sid)] = item
            continue
        # Keys in their order, values with their type (1, 1.0 and True are equal keys).
        key = ("declared", *((k, type(v), v) for k, v in item.items()))
        try:
            declared[interned(sid)] = _held(
                key, {interned(k): interned(v) for k, v in item.items()})
        except TypeError:  # a list or a mapping inside: kept as it is
            declared[interned(sid)] = item
    return ComplianceInputs(interned(inputs.project),
                            _held(("capabilities", capabilities), capabilities), declared)


def trend_revision(kept: KeptRevision, catalogue: Catalogue) -> TrendRevision:
    """Return what the monthly trend counts of one kept revision under a catalogue."""
    created_at, inputs = kept
    if inputs is None:
        return created_at, None
    cells = compliance_cells(inputs, catalogue, date.min)
    return created_at, tuple(trend_entry(c) for c in cells
                             if c.status == "mandatory" and c.applies)


def trend_entry(cell: Cell) -> TrendEntry:
    """Return what the trend keeps of an applicable mandatory cell (as of `date.min`)."""
    return _KEYS.setdefault((cell.standard, cell.state, _until(cell.until)),
                            (cell.standard, cell.state, _until(cell.until)))


def trend(kept: Sequence[KeptRevision], catalogue: Catalogue) -> tuple[TrendRevision, ...]:
    """Return the trend revisions of kept ones, once per shared inputs object."""
    done: dict[int, TrendRevision] = {}
    out: list[TrendRevision] = []
    for revision in kept:
        inputs = revision[1]
        if inputs is None:
            out.append((revision[0], None))
            continue
        if id(inputs) not in done:
            done[id(inputs)] = trend_revision(revision, catalogue)
        out.append((revision[0], done[id(inputs)][1]))
    return tuple(out)


def in_force(revisions: Sequence[KeptRevision], day: date) -> tuple[KeptRevision, ...]:
    """Return the revisions (oldest first) the trend up to `day` can count.

    Those in force at a month end, and the last one (a revision written later the same
    day joins after it): a revision replaced before the next month end is never
    counted, so what is kept stays bounded by the months however often a project is
    written.
    """
    if len(revisions) < 2:
        return tuple(revisions)
    keep: set[int] = {len(revisions) - 1}
    index = -1
    for _, cutoff in _cutoffs(day):
        while index + 1 < len(revisions) and revisions[index + 1][0] <= cutoff:
            index += 1
        if index >= 0:
            keep.add(index)
    return tuple(revisions[i] for i in sorted(keep))


@functools.lru_cache(maxsize=8)
def month_ends(day: date, months: int = TREND_MONTHS) -> tuple[date, ...]:
    """Return the last `months` month ends up to `day` (the last one is `day` itself)."""
    ends: list[date] = []
    year, month = day.year, day.month
    while len(ends) < months:
        ends.append(min(date(year, month, calendar.monthrange(year, month)[1]), day))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return tuple(reversed(ends))


@functools.lru_cache(maxsize=8)
def _cutoffs(day: date) -> tuple[tuple[date, datetime], ...]:
    """Return each month end up to `day` with its last instant (computed once a day,
    not once per project: it was half the cost of a project's contribution)."""
    return tuple((end, datetime.combine(end, time.max, tzinfo=UTC))
                 for end in month_ends(day))


# Slots: one a project in every worker (with Cell's, 3.8 MB less at 10,000 projects).
@dataclass(frozen=True, slots=True)
class ProjectDerived:
    """One project's findings, compliance cells and contribution to the totals, at a day."""

    report: FileReport
    cells: tuple[Cell, ...]
    history: tuple[TrendRevision, ...]
    contribution: Contribution
    # (start, end) of the sheet's timeline, None when it lacks one: the roadmap's order.
    span: tuple[date, date] | None = None
    # The revisions behind `history`, kept without the catalogue (see `in_force`).
    revisions: tuple[KeptRevision, ...] = ()

    @property
    def valid(self) -> bool:
        """Return True when the stored sheet has no error now."""
        return self.report.valid


def derive(project: Project, revisions: Sequence[KeptRevision], catalogue: Catalogue,
           day: date, *, report: FileReport | None = None,
           cells: Sequence[Cell] | None = None,
           history: Sequence[TrendRevision] | None = None) -> ProjectDerived:
    """Return what is derived from one project (its revisions given for the trend).

    `report`, `cells` and `history`, when given, are those parts already computed under
    `catalogue` (a catalogue change that does not touch them passes the old ones).
    """
    kept = in_force(revisions, day)
    sheet = project.sheet  # decoded once here (a stored project keeps JSON bytes)
    if report is None:
        report = stored_findings(sheet, catalogue, day)
        report.findings[:] = [shared_finding(f) for f in report.findings]
    cells = tuple(compliance_cells(shared_inputs(compliance_inputs(sheet)), catalogue, day)
                  if cells is None else cells)
    history = trend(kept, catalogue) if history is None else tuple(history)
    return ProjectDerived(report, cells, history,
                          contribution(project, report, cells, history, day),
                          span(sheet), kept)


def shared_finding(found: Finding) -> Finding:
    """Return an equal finding already held, if any (findings never change once made).

    At 10,000 projects a worker holds some 70,000 findings of a thousand distinct
    messages (an unknown concept named by many sheets at the same place): one object
    each, shared by every report that has it, instead of 47 MB of equal copies.
    """
    try:
        params = tuple(sorted(found.params.items())) if found.params else None
        key = (found, found.template, found.hint_template, params)
        kept = _FINDINGS.get(key)
    except TypeError:  # a parameter that cannot be hashed: keep this one as it is
        return found
    if kept is not None:
        return kept
    if len(_FINDINGS) >= _FINDINGS_KEPT:
        _FINDINGS.clear()  # bounded: a long-lived worker sees new findings forever
    # Distinct findings still repeat their place and hint ("use an id of the vocabulary
    # `capabilities`" in 869 findings at 10,000 projects): 0.6 MB of equal strings.
    found = Finding(interned(found.severity), interned(found.code), interned(found.path),
                    found.message, found.line, found.column, interned(found.hint),
                    found.template, found.hint_template, found.params)
    # The table's key holds the finding kept, not the one it was made from.
    _FINDINGS[(found, *key[1:])] = found
    return found


_FINDINGS: dict[Any, Finding] = {}
_FINDINGS_KEPT = 100_000


def as_day(value: Any) -> date | None:
    """Return a date from a date or an ISO string, or None."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def span(sheet: Mapping[str, Any]) -> tuple[date, date] | None:
    """Return (start, end) of a sheet's timeline, or None when either is missing."""
    timeline = sheet.get("timeline")
    if not isinstance(timeline, Mapping):
        return None
    start, end = as_day(timeline.get("start")), as_day(timeline.get("end"))
    if start is None or end is None:
        return None
    # Projects share their starts and ends (a year's first day, a quarter's last): one
    # pair for equal ones (at 10,000 synthetic projects 1.1 MB of equal dates and pairs).
    return _held(("span", type(start), start, type(end), end), (start, end))  # type: ignore[no-any-return]


def contribution(project: Project, report: FileReport, cells: Iterable[Cell],
                 history: Sequence[TrendRevision], day: date) -> Contribution:
    """Return what one project adds to the roadmap's totals (tuple keys, see `Totals`)."""
    add: Counter[Any] = Counter()
    sheet = project.sheet
    add["projects"] += 1
    add["status", str(sheet.get("status"))] += 1
    for domain in dict.fromkeys(project.listed("domains")):
        add["domain", domain] += 1
    add["owner", project.owner or ""] += 1
    if report.valid:
        add["valid"] += 1
    for cell in cells:
        for key in cell_keys(cell):
            add[key] += 1
    reuses = dict.fromkeys(project.listed("components", "reuses"))
    for component in reuses:
        add["reuse", component] += 1
    if reuses:
        add["reusing"] += 1
    horizon = day + timedelta(days=LAPSING_DAYS)
    items = sheet.get("standards")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            until = item.get("until")
            until = until if isinstance(until, date) else _until(until) \
                if isinstance(until, str) else None
            if until is not None and until <= horizon:
                add["lapsed" if until < day else "lapsing"] += 1
    for index, end, at in in_force_at(history, day):
        mandatory = history[at][1]
        if mandatory is None:
            continue
        add["trend-projects", index] += 1
        for entry in mandatory:
            add[trend_key(index, end, entry)] += 1
    return Contribution(add)


class Contribution(Mapping[Any, int]):
    """What one project adds to the roadmap's totals: its keys and counts as two tuples.

    A Counter a project (a dict of some 20-60 entries) held 6.6 MB at 10,000 projects
    with the totals, two tuples 3.7 MB. (Not shared with equal ones: 9,718 of 10,000
    projects' keys differ, and a table of them would keep the ones a change replaced.)
    Read like a Counter: a key it lacks counts 0. Never changed once made (a standard's
    change makes a new one).
    """

    __slots__ = ("_counts", "_keys")

    def __init__(self, counts: Mapping[Any, int]) -> None:
        # Drop zero counts; share the keys: 10,000 projects name the same few hundred
        # (a tuple per project and key would hold tens of megabytes of equal tuples).
        kept = [(_KEYS.setdefault(k, k), n) for k, n in counts.items() if n > 0]
        self._keys: tuple[Any, ...] = tuple(k for k, _ in kept)
        self._counts: tuple[int, ...] = tuple(n for _, n in kept)

    def __getitem__(self, key: Any) -> int:
        try:
            return self._counts[self._keys.index(key)]
        except ValueError:
            return 0

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def get(self, key: Any, default: Any = None) -> Any:
        """Return a key's count, or `default` when it has none (as a Counter does)."""
        return self[key] if key in self._keys else default

    def __iter__(self) -> Iterator[Any]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def items(self) -> Any:
        """Return (key, count) pairs in order (without a lookup a key: Counter.update
        and subtract read these)."""
        return zip(self._keys, self._counts, strict=True)

    def __repr__(self) -> str:
        return f"Contribution({dict(self.items())!r})"


def cell_keys(cell: Cell) -> list[Any]:
    """Return the totals' keys one compliance cell counts under."""
    keys: list[Any] = [("cells", cell.state)]
    if cell.status == "mandatory" and cell.applies:
        keys.append(("mandatory", cell.state))
    if cell.status == "deprecated" and cell.state != "missing":
        keys.append("deprecated-declared")
    if cell.state != "missing":
        keys.append(("declared", cell.standard))
        if cell.state == "complies":
            keys.append(("complies", cell.standard))
    return keys


def in_force_at(history: Sequence[TrendRevision], day: date
                ) -> Iterable[tuple[int, date, int]]:
    """Yield (month index, month end, position in `history`) of each month end up to
    `day` that a revision of `history` is in force at."""
    at = -1
    for index, (end, cutoff) in enumerate(_cutoffs(day)):
        while at + 1 < len(history) and history[at + 1][0] <= cutoff:
            at += 1
        if at >= 0:
            yield index, end, at


def trend_key(index: int, end: date, entry: TrendEntry) -> tuple[str, int, str]:
    """Return the totals' key of one trend entry at the month end `end` (number `index`)."""
    _standard, state, until = entry
    if until is not None and state in EXPLAINED and until < end:
        state = "expired"
    return "trend", index, state


def shared_key(key: Any) -> Any:
    """Return the equal key of the totals already held (one object for every project)."""
    return _KEYS.setdefault(key, key)


def month_cutoffs(day: date) -> tuple[tuple[date, datetime], ...]:
    """Return each month end of the trend up to `day` with its last instant."""
    return _cutoffs(day)


_KEYS: dict[Any, Any] = {}
