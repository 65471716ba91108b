"""The reuse analysis of a snapshot, maintained from the last one project by project.

`registry.analysis.reuse` finds five kinds of opportunity. Four of them are groups keyed
by something a project names, so a changed project changes only its own groups:

- reuse: one project's own (plus, when the reuse count of a component moved, the
  projects that need a capability it provides among several: the named provider is the
  most reused one);
- pooling: the groups of the capabilities the project builds or needs (old and new);
- data-sharing and standard-divergence: the groups of the data entities it uses or
  produces (old and new).

`ReuseState.apply` keeps postings (capability -> projects, entity -> projects, reuse
counts per component) and recomputes exactly those groups with the analysis' own
functions, so the result equals a full recomputation (tests/readmodel/test_reuse_state.py
checks it after random writes). A catalogue change recomputes only the groups that read
the changed records (`with_catalogue`); a vocabulary change (labels everywhere)
recomputes everything.

Overlap is the exception: its score weighs each feature by its rarity in the whole
roadmap, so one write may move any pair. It is recomputed in full, off the request path:
by the overlap job, once for every worker (`overlaps.py`, `overlap_job.py`; the worker
installs its result with `install_overlaps`), or, without the job (the development
server, tests), by a background thread of the worker (`refresh_overlap`). Until then a
snapshot shows the overlaps of the last version they were computed for
(`overlap_version`), saying so.
"""

from __future__ import annotations

import bisect
import contextlib
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from registry.analysis import reuse as analysis
from registry.analysis.reuse import Opportunity, Project, Thresholds, order_key
from registry.catalogue.snapshot import Catalogue
from registry.readmodel.inflight import InFlight
from registry.readmodel.memory import give_back
from registry.readmodel.sharing import SharedValues, interned


def _parse(sheet: Mapping[str, Any] | None, summary: bool = True) -> Project | None:
    """Return the analysed fields of a sheet; None when absent, malformed or stopped."""
    if sheet is None:
        return None
    project = analysis.read_project(sheet)
    if project is None or project.status == "stopped":
        return None
    return _shared(project, summary)


def _read_all(sheets: Iterable[Mapping[str, Any]], summary: bool) -> list[Project]:
    """Return the projects of `sheets` as `analysis.read_projects` does, shared.

    Each sheet is read and shared as it comes: the roadmap's projects are never held
    twice (read, then shared), nor beside each sheet's JSON kept in case another has
    its id (at 10,000 projects those made the build's peak, 87 MB traced against 27
    for what it keeps). Two sheets of one id (a store never has that) are left to
    `read_projects`' rule, reading the sheets again.
    """
    if not isinstance(sheets, Sequence):
        sheets = list(sheets)
    sets: dict[frozenset[str], frozenset[str]] = {}  # equal sets one, for the build only
    by_id: dict[str, Project] = {}
    for sheet in sheets:
        project = analysis.read_project(sheet)
        if project is None or project.status == "stopped":
            continue
        if project.id in by_id:
            by_id.clear()
            read, _skipped = analysis.read_projects(sheets)
            return [_shared(p, summary, sets) for p in read]
        by_id[project.id] = _shared(project, summary, sets)
    return [by_id[pid] for pid in sorted(by_id)]


# The analysed fields held by every ReuseState of a worker: equal sets of concept ids
# (a domain, a theme, the same needs) are one object, whatever the number of projects
# naming them. The table only grows with the distinct values a roadmap has, and is
# emptied past a bound (sharing is then rebuilt as projects are read again).
_kept = SharedValues(200_000)
_SET_FIELDS = ("domains", "themes", "needs", "builds", "reuses", "uses", "produces",
               "implied", "capabilities", "entities")
# The sets a held project keeps (`_packed`), the unions made again when unpacked.
_PACKED = _SET_FIELDS[:9]


def _text(text: Mapping[str, str]) -> Mapping[str, str]:
    """Return a title or summary with its language codes shared (its words are its own)."""
    return {interned(lang): words for lang, words in text.items()}


# The summary of a project held without it (see `ReuseState.sheet_of`).
_NO_SUMMARY: Mapping[str, str] = MappingProxyType({})


def _shared(project: Project, summary: bool = True,
            sets: dict[frozenset[str], frozenset[str]] | None = None) -> Project:
    """Return the project with its sets of ids shared with equal ones already held.

    Its owner, status, standards' ids and conformances and its texts' language codes
    are interned (at 10,000 projects some 100,000 strings of a few hundred values, 5
    MB), and its standards map shared with equal ones. Without `summary`, its summary
    is left out (only the overlaps read it, from the roadmap: `ReuseState.sheet_of`).
    `sets`: where equal sets are made one while a build works on every project.
    """
    standards = project.standards
    if standards:  # never mutated, like every field of an analysed project
        items = tuple((interned(k), interned(v)) for k, v in standards.items())
        standards = _kept(("standards", *sorted(items)), dict(items))
    fields: dict[str, Any] = {}
    for name in _SET_FIELDS:
        ids = frozenset(map(sys.intern, getattr(project, name)))
        fields[name] = sets.setdefault(ids, ids) if sets is not None else ids
    return project._replace(owner=interned(project.owner), status=interned(project.status),
                            title=_text(project.title),
                            summary=_text(project.summary) if summary else _NO_SUMMARY,
                            standards=standards, **fields)


def _packed(project: Project) -> Project:
    """Return a project as a state holds it: its sets of ids as sorted tuples (shared
    with equal ones; its capabilities, needed and built, the same tuple as its needs
    when it builds nothing), without its entities (its uses and produces).

    A frozenset of a few ids takes 216 bytes, a tuple 40 and 8 an id: at 10,000
    projects 6.6 MB of sets (shared) held as 0.8 MB of tuples. What the analysis
    reads is made again from them (`_unpacked`, a few microseconds a project).
    """
    fields: dict[str, Any] = {"entities": ()}
    for name in _PACKED:
        ids = tuple(sorted(getattr(project, name)))
        fields[name] = _kept(("ids", ids), ids)
    return project._replace(**fields)


def _unpacked(p: Project) -> Project:
    """Return a held project as the analysis reads it (sets, and their unions)."""
    needs, builds = frozenset(p.needs), frozenset(p.builds)
    uses, produces = frozenset(p.uses), frozenset(p.produces)
    return Project(p.id, p.owner, p.status, p.title, p.summary, frozenset(p.domains),
                   frozenset(p.themes), needs, builds, frozenset(p.reuses), uses, produces,
                   frozenset(p.implied), p.standards, needs | builds, uses | produces)


# What the analysis reads of each kind of record (besides vocabularies' labels).
_READ_FIELDS = {"standard": ("category", "title", "acronym"),
                "component": ("status", "provides", "name")}


def _read(record: Mapping[str, Any] | None, fields: Sequence[str]) -> tuple[Any, ...] | None:
    return None if record is None else tuple(record.get(f) for f in fields)


def _group(o: Opportunity) -> tuple[str, str]:
    """Return the key of the group an opportunity belongs to."""
    if o.type == "reuse":
        return "reuse", o.projects[0]
    if o.type == "pooling":
        return "pooling", str(o.link["capability"])
    if o.type == "overlap":
        return "overlap", ""
    return "entity", str(o.link["entity"])  # data-sharing and standard-divergence


class ReuseState:
    """The opportunities of one roadmap and catalogue, and the postings that update them."""

    def __init__(self, catalogue: Catalogue, thresholds: Thresholds,
                 projects: dict[str, Project], opportunities: Iterable[Opportunity],
                 overlap_version: int,
                 sheet_of: Callable[[str], Mapping[str, Any] | None] | None = None) -> None:
        self.catalogue = catalogue
        self.thresholds = thresholds
        self.active = analysis.active_providers(catalogue)
        self.provided = frozenset(self.active)
        self.excluded = analysis.pooling_excluded(catalogue, thresholds)
        self.categories = analysis.Categories(catalogue, thresholds)
        # Each project's standards by divergence category group (only those declaring
        # in one): an entity's divergence is then recomputed from its members alone.
        self.declared: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
        for project in projects.values():
            self._declare(self.declared, project)
        self.popularity: Counter[str] = Counter(
            c for p in projects.values() for c in p.reuses)
        # Who is in each group, as sorted tuples of ids (the projects' own strings): a
        # set held a hash table of 3-4 slots an id (3.7 MB at 10,000 projects).
        members: dict[tuple[str, str], list[str]] = {}
        for project in projects.values():
            for key in self._keys(project):
                members.setdefault(key, []).append(project.id)
        self.postings: dict[tuple[str, str], tuple[str, ...]] = {
            key: tuple(sorted(ids)) for key, ids in members.items()}
        del members
        # Held packed (`_packed`); `project` gives one as the analysis reads it.
        self.projects = {pid: _packed(p) for pid, p in projects.items()}
        self.groups: dict[tuple[str, str], list[Opportunity]] = {}
        ordered = sorted(opportunities, key=order_key)
        for o in ordered:
            self.groups.setdefault(_group(o), []).append(o)
        # In `order_key` order, found by bisection on that key (not kept beside them:
        # 1.6 MB of tuples at 10,000 projects, for some 15 keys made again a lookup).
        self.items = ordered
        # Where the overlaps read the projects' summaries, when not held (None: held).
        self.sheet_of = sheet_of
        self.overlap_version = overlap_version
        self.overlap_fresh = True
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- building ---------------------------------------------------------------------

    @classmethod
    def build(cls, sheets: Iterable[Mapping[str, Any]], catalogue: Catalogue,
              thresholds: Thresholds, version: int,
              stored: tuple[int, Sequence[analysis.OverlapPair]] | None = None,
              sheet_of: Callable[[str], Mapping[str, Any] | None] | None = None
              ) -> ReuseState:
        """Return the state of a whole roadmap (the full analysis, once).

        `stored`: the overlaps as the overlap job computed them (the version of their
        roadmap, their pairs), said in this catalogue's words instead of computed here.
        `sheet_of`: a project's sheet in this roadmap by id; when given, the projects
        are held without their summaries, which only the overlaps read (6 MB at 10,000
        projects), and a refresh of the overlaps reads them back through it.
        """
        words = analysis.Words(catalogue)
        if stored is None:
            projects = _read_all(sheets, True)
            found = analysis.overlap_opportunities(projects, thresholds, words)
            if sheet_of is not None:
                projects = [p._replace(summary=_NO_SUMMARY) for p in projects]
        else:
            projects = _read_all(sheets, sheet_of is None)
            found = [analysis.overlap_opportunity(p, words) for p in stored[1]]
        found += analysis.reuse_opportunities(projects, catalogue, thresholds, words)
        found += analysis.pooling_opportunities(projects, catalogue, thresholds, words)
        exchange = analysis.Exchange(projects)
        found += analysis.data_sharing_opportunities(exchange, thresholds, words)
        found += analysis.divergence_opportunities(exchange, catalogue, thresholds, words)
        del exchange  # lists of every project by entity: gone before the state is made
        state = cls(catalogue, thresholds, {p.id: p for p in projects}, found,
                    version if stored is None else stored[0], sheet_of)
        state.overlap_fresh = stored is None or stored[0] >= version
        del projects, found, words
        # The whole roadmap's working sets (exchange, similarity index, every group as
        # it was found) were built and freed: give the C heap's share back (a few ms,
        # once a full build, which takes seconds at 10,000 projects).
        give_back()
        return state

    def _keys(self, project: Project) -> set[tuple[str, str]]:
        keys = {("pool", c) for c in project.capabilities - self.excluded}
        keys.update(("need", c) for c in (project.capabilities | project.implied)
                    & self.provided)
        keys.update(("entity", e) for e in project.entities)
        return keys

    def _declare(self, declared: dict[str, Any], project: Project) -> None:
        found = self.categories.declared(project)
        if found:  # shared with equal ones (6 MB of tuples and sets at 10,000 projects)
            found = tuple((interned(g), _kept(sids, sids)) for g, sids in found)
            declared[project.id] = _kept(("declared", *found), found)

    def _entity_groups(self, entity: str, words: analysis.Words) -> list[Opportunity]:
        """Return the data-sharing and divergence opportunities of one entity."""
        members = self._members("entity", (entity,))
        producers = [p for p in members if entity in p.produces]
        consumers = [p for p in members if entity in p.uses and entity not in p.produces]
        found = []
        sharing = analysis.entity_sharing(entity, producers, consumers, self.thresholds, words)
        if sharing:
            found.append(sharing)
        # The camps the full analysis builds, from the entity's members only.
        camps: dict[str, analysis.Camps] = {}
        for project in members:
            declared = self.declared.get(project.id)
            if not declared:
                continue
            central = entity in project.produces or not producers
            for group, sids in declared:
                camps.setdefault(group, {}).setdefault((sids, central), []).append(project)
        found += analysis.entity_divergence(entity, len(producers) + len(consumers), camps,
                                            self.categories, self.thresholds, words)
        return found

    def _members(self, kind: str, names: Iterable[str]) -> list[Project]:
        """Return the projects of some groups as held: what the analysis reads of a
        data entity's or a pooling group's members (their uses, produces, capabilities
        and builds iterated or asked `in`, owner, status, title) a held project answers
        as it is. Groups have thousands of members, recomputed a write: unpacking them
        made a write's patch some ten times slower (allocations and the collections
        they set off)."""
        ids: set[str] = set()
        for name in names:
            ids.update(self.postings.get((kind, name), ()))
        held = self.projects
        return [held[pid] for pid in sorted(ids)]

    def project(self, pid: str) -> Project | None:
        """Return a project as the analysis reads it (None: not in the roadmap)."""
        held = self.projects.get(pid)
        return None if held is None else _unpacked(held)

    def _post(self, key: tuple[str, str], pid: str, present: bool) -> None:
        """Put a project in a posting or take it out (a new tuple: states share them)."""
        members = self.postings.get(key, ())
        at = bisect.bisect_left(members, pid)
        there = at < len(members) and members[at] == pid
        if present and not there:
            self.postings[key] = (*members[:at], pid, *members[at:])
        elif there and not present:
            members = (*members[:at], *members[at + 1:])
            if members:
                self.postings[key] = members
            else:
                del self.postings[key]

    def apply(self, sheets: Mapping[str, Mapping[str, Any] | None], version: int,
              sheet_of: Callable[[str], Mapping[str, Any] | None] | None = None
              ) -> ReuseState:
        """Return the state after the projects of `sheets` changed (None: deleted).

        `sheet_of`: as for `build`, the sheets of the roadmap after the change; required
        when this state holds no summaries (its lookup answers for the old roadmap).
        """
        if self.sheet_of is not None and sheet_of is None:
            raise ValueError("a state holding no summaries needs the new roadmap's sheets")
        new = self._copy()
        new.sheet_of = sheet_of
        new.overlap_fresh = False
        caps: set[str] = set()
        entities: set[str] = set()
        reusers: set[str] = set(sheets)
        moved: set[str] = set()  # components whose reuse count moved
        for pid, sheet in sheets.items():
            old, project = new.projects.pop(pid, None), _parse(sheet, sheet_of is None)
            old = None if old is None else _unpacked(old)
            new.declared.pop(pid, None)
            for before, after, sign in ((old, None, -1), (None, project, 1)):
                changed = before or after
                if changed is None:
                    continue
                for key in new._keys(changed):
                    new._post(key, pid, sign > 0)
                    if key[0] == "pool":
                        caps.add(key[1])
                    elif key[0] == "entity":
                        entities.add(key[1])
                for component in changed.reuses:
                    new.popularity[component] += sign
                    moved.add(component)
            if project is not None:
                new.projects[pid] = _packed(project)
                new._declare(new.declared, project)
        new.popularity = +new.popularity
        # A moved count can change which provider every needing project is pointed at
        # (the most reused first): those projects are recomputed when the order moved.
        for cap, providers in new.active.items():
            if len(providers) > 1 and moved.intersection(providers):
                was = sorted(providers, key=lambda c: (-self.popularity.get(c, 0), c))
                now = sorted(providers, key=lambda c: (-new.popularity.get(c, 0), c))
                if was != now:
                    reusers.update(new.postings.get(("need", cap), ()))
        words = analysis.Words(new.catalogue)
        th, catalogue = new.thresholds, new.catalogue
        replaced: dict[tuple[str, str], list[Opportunity]] = {}
        for pid in reusers:
            replaced[("reuse", pid)] = []
        present = [_unpacked(new.projects[pid]) for pid in sorted(reusers)
                   if pid in new.projects]
        for o in analysis.reuse_opportunities(present, catalogue, th, words, new.popularity):
            replaced[_group(o)].append(o)
        for cap in caps:
            replaced[("pooling", cap)] = []
        for o in analysis.pooling_opportunities(new._members("pool", caps), catalogue, th, words,
                                   frozenset(caps)):
            replaced[_group(o)].append(o)
        for entity in entities:
            replaced[("entity", entity)] = new._entity_groups(entity, words)
        new._replace(replaced)
        return new

    def _copy(self) -> ReuseState:
        """Return a copy whose mappings and lists may be changed (the values are shared)."""
        new = ReuseState.__new__(ReuseState)
        new.__dict__.update(self.__dict__)
        new._lock = threading.Lock()
        new._starting = threading.Lock()
        new._thread = None
        new.projects = dict(self.projects)
        new.postings = dict(self.postings)
        new.popularity = Counter(self.popularity)
        new.declared = dict(self.declared)
        new.groups = dict(self.groups)
        new.items = list(self.items)
        return new

    def _replace(self, replaced: Mapping[tuple[str, str], list[Opportunity]]) -> None:
        """Put the opportunities of each group of `replaced` in place of its old ones."""
        for key, items in replaced.items():
            for o in self.groups.get(key, ()):
                del self.items[bisect.bisect_left(self.items, order_key(o), key=order_key)]
            for o in items:
                at = bisect.bisect_left(self.items, order_key(o), key=order_key)
                self.items.insert(at, o)
            if items:
                self.groups[key] = items
            else:
                self.groups.pop(key, None)

    # -- a catalogue change -----------------------------------------------------------

    def with_catalogue(self, catalogue: Catalogue, changed: Mapping[str, Iterable[str]],
                       version: int) -> ReuseState | None:
        """Return the state at `version` under a new catalogue, `changed` naming the
        records (by kind) that differ from this state's; None when only a full
        recomputation will do.

        The analysis reads few records, so few groups move:
        - a standard: the divergence groups of the data entities of the projects that
          declare it (its category decides in which group they declare; its title and
          acronym are in those groups' explanations); its status is read by none;
        - a component: the reuse opportunities of the projects that need or build a
          capability it provides (before or after), and the pooling groups of those
          capabilities (an active provider takes a capability out of pooling); only
          its status, capabilities and name are read;
        - a principle or a legal act: nothing;
        - a vocabulary: every label of every explanation (overlaps included), so this
          returns None.
        Overlaps read no catalogue record but labels, and are kept as they are.
        """
        kinds = {kind: set(ids) for kind, ids in changed.items() if ids}
        if "vocabulary" in kinds:
            return None
        for kind, fields in _READ_FIELDS.items():
            # A record whose read fields are unchanged (a standard's status) moves nothing.
            old, now = self.catalogue.records(kind), catalogue.records(kind)
            kinds[kind] = {rid for rid in kinds.get(kind, ())
                           if _read(old.get(rid), fields) != _read(now.get(rid), fields)}
        new = self._copy()
        new.catalogue = catalogue
        if new.overlap_fresh:  # the roadmap is the same: its overlaps still hold
            new.overlap_version = version
        words = analysis.Words(catalogue)
        replaced: dict[tuple[str, str], list[Opportunity]] = {}
        standards = kinds.get("standard", set())
        if standards:
            new.categories = analysis.Categories(catalogue, new.thresholds)
            entities: set[str] = set()
            for held in new.projects.values():
                if standards.isdisjoint(held.standards):
                    continue
                # Its declarations read its standards, its entities are its uses and
                # produces: no unpacking (thousands of projects declare a standard).
                new.declared.pop(held.id, None)
                new._declare(new.declared, held)
                entities.update(held.uses, held.produces)
            for entity in entities:
                replaced[("entity", entity)] = new._entity_groups(entity, words)
        components = kinds.get("component", set())
        if components:
            caps: set[str] = set()
            for cid in components:
                for records in (self.catalogue.components, catalogue.components):
                    caps.update((records.get(cid) or {}).get("provides", ()))
            new.active = analysis.active_providers(catalogue)
            new.provided = frozenset(new.active)
            new.excluded = analysis.pooling_excluded(catalogue, new.thresholds)
            # The postings of these capabilities depend on what is provided or excluded.
            for cap in caps:
                new.postings.pop(("pool", cap), None)
                new.postings.pop(("need", cap), None)
            reusers: set[str] = set()
            posted: dict[tuple[str, str], list[str]] = {}
            for held in new.projects.values():
                if all(caps.isdisjoint(getattr(held, name))
                       for name in ("needs", "builds", "implied")):
                    continue
                project = _unpacked(held)
                reusers.add(project.id)
                for key in new._keys(project):
                    if key[1] in caps and key[0] in ("pool", "need"):
                        posted.setdefault(key, []).append(project.id)
            new.postings.update((key, tuple(sorted(ids))) for key, ids in posted.items())
            for pid in reusers:
                replaced[("reuse", pid)] = []
            present = [_unpacked(new.projects[pid]) for pid in sorted(reusers)]
            for o in analysis.reuse_opportunities(present, catalogue, new.thresholds, words,
                                                  new.popularity):
                replaced[_group(o)].append(o)
            for cap in caps:
                replaced[("pooling", cap)] = []
            for o in analysis.pooling_opportunities(new._members("pool", caps), catalogue,
                                                    new.thresholds, words, frozenset(caps)):
                replaced[_group(o)].append(o)
        new._replace(replaced)
        return new

    # -- overlap ----------------------------------------------------------------------

    def refresh_overlap(self, version: int, pause: Callable[[], None] | None = None) -> None:
        """Recompute the overlaps of this state's roadmap (the whole roadmap: see above);
        `pause` is called every few projects and pairs (to give way to requests)."""
        with self._lock:
            if self.overlap_fresh:
                return
            unpacked: list[Project] = []
            for number, pid in enumerate(sorted(self.projects)):
                # Requests go first, as in the analysis itself: unpacked in one go,
                # the first request after a write waited some 35 ms for the 10,000
                # held projects (bench.readmodel_scale, /dashboard 28 -> 64 ms wall).
                if pause is not None and not number % 64:
                    pause()
                unpacked.append(_unpacked(self.projects[pid]))
            projects: Sequence[Project] = unpacked
            if self.sheet_of is not None:
                projects = _WithSummaries(projects, self.sheet_of)
            found = analysis.overlap_opportunities(projects, self.thresholds,
                                                   analysis.Words(self.catalogue), pause)
            self._install(found, version)
        give_back()  # the whole roadmap's similarity index was built and freed

    def install_overlaps(self, pairs: Sequence[analysis.OverlapPair], version: int,
                         current: int) -> None:
        """Show the overlaps the job computed for the roadmap of `version` (said in this
        state's catalogue), when newer than those shown; `current`: this state's version."""
        with self._lock:
            if version > self.overlap_version:
                words = analysis.Words(self.catalogue)
                self._install([analysis.overlap_opportunity(p, words) for p in pairs],
                              version)
            self.overlap_fresh = self.overlap_version >= current

    def _install(self, found: list[Opportunity], version: int) -> None:
        """Replace the overlaps shown (under `_lock`)."""
        items = list(self.items)
        for o in self.groups.get(("overlap", ""), ()):
            del items[bisect.bisect_left(items, order_key(o), key=order_key)]
        for o in found:
            items.insert(bisect.bisect_left(items, order_key(o), key=order_key), o)
        groups = dict(self.groups)
        if found:
            groups[("overlap", "")] = sorted(found, key=order_key)
        else:
            groups.pop(("overlap", ""), None)
        # Readers take `items` once per request: swapping whole lists keeps each
        # answer whole (the old overlaps or the new ones, never half of each).
        self.items, self.groups = items, groups
        self.overlap_version = version
        self.overlap_fresh = True

    def refresh_overlap_within(self, version: int, wait: float,
                               requests: InFlight | None = None) -> None:
        """Start the overlap recomputation in a thread (once); wait up to `wait` seconds.

        With `requests`, the thread gives way to the requests being answered (see
        inflight.py), except to the one waiting for it here.
        """
        if self.overlap_fresh:
            return
        with self._starting:
            if self._thread is None:
                pause = requests.give_way if requests is not None else None
                self._thread = threading.Thread(target=self.refresh_overlap,
                                                args=(version, pause),
                                                name="registry-overlap", daemon=True)
                self._thread.start()
            thread = self._thread
        if wait > 0:
            with requests.aside() if requests is not None else contextlib.nullcontext():
                thread.join(wait)

    def opportunities(self) -> Sequence[Opportunity]:
        """Return every opportunity, in the analysis' order."""
        return self.items

    def of_project(self, pid: str) -> list[Opportunity]:
        """Return the opportunities a project is in (listed or not), in the analysis' order.

        Read from the groups its postings name, whatever their size: a project of a
        3,000-member data-sharing group finds it although the listed members stop at 50.
        """
        project = self.project(pid)
        groups = self.groups  # one read: refresh_overlap swaps it whole
        keys = [("reuse", pid), ("overlap", "")]
        if project is not None:
            keys += [("pooling", c) for c in project.capabilities - self.excluded]
            keys += [("entity", e) for e in project.entities]
        found = [o for key in keys for o in groups.get(key, ()) if pid in o.everyone]
        return sorted(found, key=order_key)


class _WithSummaries(Sequence[Project]):
    """Projects held without summaries, each with its summary read back from its sheet
    when read (a pass over them holds one summary at a time)."""

    def __init__(self, projects: Sequence[Project],
                 sheet_of: Callable[[str], Mapping[str, Any] | None]) -> None:
        self._projects = projects
        self._sheet_of = sheet_of

    def _whole(self, project: Project) -> Project:
        read = analysis.read_project(self._sheet_of(project.id))
        if read is None or read.id != project.id:
            raise LookupError(f"the roadmap has no sheet of {project.id} as analysed")
        return project._replace(summary=read.summary)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return _WithSummaries(self._projects[index], self._sheet_of)
        return self._whole(self._projects[index])

    def __iter__(self) -> Iterator[Project]:
        return (self._whole(p) for p in self._projects)

    def __len__(self) -> int:
        return len(self._projects)
