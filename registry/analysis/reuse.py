"""Reuse, pooling, overlap, data-sharing and standard-divergence opportunities of a roadmap.

Reads project sheets (plain dicts, `spec/project-sheet.md`) and the catalogue snapshot;
never Flask, never the database. Deterministic: the same sheets in any order give the
same opportunities in the same order. Every threshold is a documented field of
`Thresholds` (`THRESHOLD_HELP`).

- reuse: per project and capability. A project that builds a capability an active
  component provides (unless it reuses that component, as the policy says), or needs
  one (`open_data`/`personal_data` count as needs, as in the policy) without reusing
  any provider. Names the active provider the roadmap already reuses most.
- pooling: per capability. Projects of at least two owners build or need it and no
  active component provides it; generic capabilities (web front end, API...) are left
  out. Scored by the share of organisations that plan to build it.
- overlap: per pair of projects of different owners, by a weighted Jaccard similarity
  of domains, data themes, capabilities, entities and title and summary words (each
  feature weighted by its rarity), found by blocking on rare features, never by
  comparing all pairs (`registry.analysis.similarity`).
- data-sharing: per entity. Its producers and the projects that use it without
  producing it, owners alike or not (the once-only principle holds inside an
  organisation too). Scored by the number of consumers.
- standard-divergence: per entity and category group. Projects that exchange the entity
  (a producer with every other producer or user; users with each other only when no
  project produces it) declare standards of the same category, and some pair of them
  shares none. Scored by the share of such pairs.
Large groups list `max_group_size` projects; the link and explanation give the count.

Which projects take part, by status (a decision, documented in `STATUS_RULES`):
- `stopped`: ignored everywhere.
- `delivered`: its data exists and its systems run, so it counts as a producer or user
  of data (data-sharing, standard-divergence), as the other side of an overlap, and as
  a member of a pooling group that also holds a project still open (the capability built
  together can serve it). It is past the point of choosing components, so it is never
  offered `reuse`; a pooling group or an overlap of delivered projects only is not
  reported.
- `proposed`, `selected`, `in-progress`: everything.
"""

from __future__ import annotations

import bisect
import functools
import gc
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from itertools import islice
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from registry.analysis.similarity import Item, SimilarityIndex
from registry.analysis.text import words
from registry.catalogue.snapshot import Catalogue, localized
from registry.documents.findings import M_, Listing, Term, Text

OPPORTUNITY_TYPES: tuple[str, ...] = (
    "reuse", "pooling", "overlap", "data-sharing", "standard-divergence")
STATUSES = ("proposed", "selected", "in-progress", "delivered", "stopped")
CONFORMANCES = ("complies", "partial", "planned", "explain")

STATUS_RULES: Mapping[str, str] = MappingProxyType({
    "stopped": "ignored by every analysis",
    "delivered": "a producer or user of data, the other side of an overlap and a pooling "
                 "member next to an open project; never offered reuse, and never reported "
                 "with delivered projects only",
    "proposed": "takes part in every analysis",
    "selected": "takes part in every analysis",
    "in-progress": "takes part in every analysis",
})

# The policy layer reads these flags as needs (spec: comply or explain); reuse does too,
# so a project publishing open data is pointed at the open-data portal. Pooling and
# overlap do not: they say how a project treats its data, not what it builds.
IMPLIED_NEEDS: Mapping[str, str] = MappingProxyType({
    "open_data": "open-data-publication",
    "personal_data": "personal-data-processing",
})

# Overlap reads at most this many characters of each summary (cut at a word): the opening
# says what a project is, and it bounds the cost of 4,000-character summaries on a large
# roadmap. A constant rather than a setting: it is about cost, not about what to report.
SUMMARY_MAX_CHARS = 1000

_DATA_CATEGORIES = (
    "api-description", "context-management", "data-models", "geospatial", "iot-sensors",
    "mobility")
# NGSI-LD (context management) and OGC SensorThings (IoT) are two APIs for the same live
# observations: a producer on one and a consumer on the other cannot talk.
_CATEGORY_GROUPS = (("context-management", "iot-sensors"),)
# Every digital project has a front end, an API or personal data; each builds its own, so
# a shared need for them is not something to build once.
_GENERIC_CAPABILITIES = (
    "mobile-app", "personal-data-processing", "public-api", "web-user-interface")


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Thresholds:
    """The documented settings of the analysis; `THRESHOLD_HELP` says what each one does."""

    overlap_min_score: float = _setting(
        0.35, "Report two projects as overlapping when their similarity reaches this score "
        "(0 to 1): a weighted Jaccard of their domains, capabilities, data entities and "
        "title and summary words, each feature weighted by its rarity in the roadmap.")
    min_shared_features: int = _setting(
        2, "Pair two projects for overlap only when they share at least this many "
        "capabilities, data entities or title and summary words (domains do not count; "
        "below 2 acts as 2, since blocking only compares projects sharing two).")
    weight_domains: float = _setting(
        0.05, "Weight of the shared smart-city domains in the overlap score; low, because "
        "there are only six domains.")
    weight_themes: float = _setting(
        0.05, "Weight of the shared EU data themes in the overlap score; low, because there "
        "are only thirteen themes.")
    weight_capabilities: float = _setting(
        0.3, "Weight of the shared capabilities (needed or built) in the overlap score.")
    weight_entities: float = _setting(
        0.3, "Weight of the shared data entities (used or produced) in the overlap score.")
    weight_title: float = _setting(
        0.15, "Weight of the shared title words in the overlap score, in the language the "
        "two sheets have in common that matches best.")
    weight_text: float = _setting(
        0.15, "Weight of the shared words of title and summary together in the overlap "
        "score, in the language the two sheets have in common that matches best.")
    block_prefix_features: int = _setting(
        6, "Overlap blocking: each project is indexed under its this-many rarest "
        "capabilities and data entities, and its rarest words (next setting), taking "
        "block_prefix of those; more finds fainter overlaps and costs more.")
    block_prefix_words: int = _setting(
        4, "Overlap blocking: how many of its rarest title and summary words each project "
        "adds to the features it may be indexed under.")
    block_prefix: int = _setting(
        5, "Overlap blocking: each pair of a project's this-many rarest features (of those "
        "taken above) is an index key; projects are compared only when they share a key.")
    block_key_budget: int = _setting(
        20_000, "Overlap blocking: while the roadmap has fewer keys than this in all, each "
        "project takes more of its rare features than block_prefix (up to all of them), so "
        "a regional roadmap is compared more thoroughly at no noticeable cost.")
    block_max_postings: int = _setting(
        50, "Overlap blocking: ignore an index key that more than this many projects share; "
        "it is too common to tell projects apart and would make the work grow quadratically.")
    max_group_size: int = _setting(
        50, "List at most this many projects in one pooling, data-sharing or "
        "standard-divergence opportunity; the explanation still gives the full count.")
    pooling_min_organisations: int = _setting(
        2, "Report pooling when at least this many different owner organisations build or "
        "need a capability that no active catalogue component provides.")
    pooling_ignored_capabilities: tuple[str, ...] = _setting(
        _GENERIC_CAPABILITIES, "Capabilities never reported for pooling: those every "
        "digital project has (a web front end, an app, an API, personal data), which each "
        "project builds for itself.")
    divergence_categories: tuple[str, ...] = _setting(
        _DATA_CATEGORIES, "Standard categories compared for standard-divergence: those "
        "whose standards are alternative ways to exchange a data entity (formats, "
        "accessibility or security standards are complementary, not alternatives).")
    divergence_category_groups: tuple[tuple[str, ...], ...] = _setting(
        _CATEGORY_GROUPS, "Standard categories compared as one for standard-divergence, "
        "because their standards are alternatives for the same exchange (NGSI-LD in "
        "context management, OGC SensorThings in IoT and sensors).")
    divergence_conformance: tuple[str, ...] = _setting(
        ("complies", "partial", "planned"), "Declarations that count as using a standard "
        "for standard-divergence; an `explain` declaration says the project does not.")
    score_reuse_builds: float = _setting(
        1.0, "Score of a reuse opportunity where the project plans to build what an active "
        "component provides (the policy warns about it too).")
    score_reuse_needs: float = _setting(
        0.7, "Score of a reuse opportunity where the project needs a capability, does not "
        "build it and reuses no component that provides it.")

    def __post_init__(self) -> None:
        for name in ("overlap_min_score", "weight_domains", "weight_themes",
                     "weight_capabilities", "weight_entities", "weight_title", "weight_text",
                     "score_reuse_builds", "score_reuse_needs"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number from 0 to 1, not {value!r}")
        for name, least in (("min_shared_features", 1), ("block_prefix_features", 0),
                            ("block_prefix_words", 0), ("block_max_postings", 2),
                            ("block_prefix", 2), ("block_key_budget", 0),
                            ("max_group_size", 1), ("pooling_min_organisations", 2)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be a whole number of {least} or more, "
                                 f"not {value!r}")


THRESHOLD_HELP: Mapping[str, str] = MappingProxyType(
    {f.name: f.metadata["help"] for f in fields(Thresholds)})


@dataclass(frozen=True)
class Opportunity:
    """One opportunity: who is involved, what links them, how strong, and why."""

    type: str
    projects: tuple[str, ...]
    organisations: tuple[str, ...]
    link: Mapping[str, Any]
    score: float
    explanation: str
    # Every project of the group, when `projects` lists only max_group_size of them: a
    # project must find the opportunities it is in whatever the group's size.
    members: tuple[str, ...] = ()
    # `explanation` as a message template with its parameters (catalogue labels in every
    # language), to be said in a page's language; never compared, not in the JSON.
    text: Text | None = field(default=None, compare=False, repr=False)

    @property
    def everyone(self) -> tuple[str, ...]:
        """Return every project of the opportunity, listed or not."""
        return self.members or self.projects

    def __hash__(self) -> int:
        return hash((self.type, self.projects, self.score, self.explanation))

    @functools.cached_property
    def as_dict(self) -> dict[str, Any]:
        """Return `to_dict()` made once (shared: callers must not change it)."""
        return self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """Return the opportunity as JSON-ready data (lists, not tuples)."""
        return {
            "type": self.type,
            "projects": list(self.projects),
            "organisations": list(self.organisations),
            "link": {k: list(v) if isinstance(v, tuple) else v for k, v in self.link.items()},
            "score": self.score,
            "explanation": self.explanation,
            # How many projects of the group the list leaves out (0: it lists them all).
            "omitted": len(self.everyone) - len(self.projects),
        }


class Project(NamedTuple):
    """What the analysis reads of one sheet, checked and normalised (`read_projects`)."""

    id: str
    owner: str
    status: str
    title: Mapping[str, str]
    summary: Mapping[str, str]
    domains: frozenset[str]
    themes: frozenset[str]
    needs: frozenset[str]
    builds: frozenset[str]
    reuses: frozenset[str]
    uses: frozenset[str]
    produces: frozenset[str]
    implied: frozenset[str]  # needs implied by data.open_data and data.personal_data
    standards: Mapping[str, str]  # standard id -> conformance
    capabilities: frozenset[str]  # needs | builds
    entities: frozenset[str]  # uses | produces

    @property
    def delivered(self) -> bool:
        """Return True when the project is delivered (see `STATUS_RULES`)."""
        return self.status == "delivered"


class _Malformed(Exception):
    """A sheet whose fields do not have the types of the project-sheet format."""


_EMPTY: frozenset[str] = frozenset()
_CONFORMANCE_SET = frozenset(CONFORMANCES)
_is_str = str.__instancecheck__  # isinstance(x, str), callable from C through map()


def _mapping(value: Any) -> Mapping[str, Any]:
    # `type(...) is dict` first: checking against the Mapping ABC is ten times slower, and
    # stored sheets are plain dicts.
    if type(value) is dict:
        return value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Malformed
    return value


def _ids(value: Any) -> frozenset[str]:
    if type(value) is list or isinstance(value, tuple):  # the usual case first
        try:
            ids = frozenset(value)
        except TypeError:  # an unhashable item (a mapping where an id belongs)
            raise _Malformed from None
        if "" in ids or not all(map(_is_str, ids)):
            raise _Malformed
        return ids
    if value is None:
        return _EMPTY
    raise _Malformed


def _text(value: Any) -> Mapping[str, str]:
    text = _mapping(value)
    if not (all(map(_is_str, text)) and all(map(_is_str, text.values()))):
        raise _Malformed
    return text


def _read(sheet: Any) -> Project | None:
    """Return the analysed fields of a sheet, or None when it is not well-formed."""
    try:
        sheet = _mapping(sheet)
        pid, status = sheet.get("id"), sheet.get("status")
        owner = _mapping(sheet.get("owner")).get("organisation")
        if not (isinstance(pid, str) and pid and isinstance(owner, str) and owner
                and isinstance(status, str) and status in STATUSES):
            raise _Malformed
        caps = _mapping(sheet.get("capabilities"))
        comps = _mapping(sheet.get("components"))
        data = _mapping(sheet.get("data"))
        declared = sheet.get("standards")
        if declared is None:
            declared = ()
        if not isinstance(declared, list | tuple):
            raise _Malformed
        try:  # one comprehension, not a loop of checks: 700,000 declarations at 100,000
            # reversed: the first declaration of a standard wins, as in validation.
            standards = {d["id"]: d["conformance"] for d in reversed(declared)}
        except (TypeError, KeyError):  # not a mapping, no id or conformance, or a list id
            raise _Malformed from None
        if not (all(map(_is_str, standards)) and all(map(_is_str, standards.values()))
                and _CONFORMANCE_SET.issuperset(standards.values())):
            raise _Malformed
        needs, builds = _ids(caps.get("needs")), _ids(caps.get("builds"))
        uses, produces = _ids(data.get("uses")), _ids(data.get("produces"))
        implied = frozenset(cap for flag, cap in IMPLIED_NEEDS.items()
                            if data.get(flag) is True)
        return Project(  # positional: a NamedTuple is built faster so, 100,000 times
            pid, owner, status, _text(sheet.get("title")), _text(sheet.get("summary")),
            _ids(sheet.get("domains")), _ids(sheet.get("data_themes")), needs, builds,
            _ids(comps.get("reuses")), uses, produces, implied, standards,
            needs | builds, uses | produces)
    except _Malformed:
        return None


def read_projects(sheets: Iterable[Any]) -> tuple[list[Project], list[int]]:
    """Return the well-formed, not stopped projects by id, and the malformed sheets' positions.

    A malformed sheet (a field of the wrong type) is skipped, never raised on. When two
    sheets share an id (a store never holds that), the one with the smallest canonical
    JSON is kept, so that the result does not depend on the input order.
    """
    skipped: list[int] = []
    by_id: dict[str, list[tuple[Project, Any]]] = defaultdict(list)
    for position, sheet in enumerate(sheets):
        project = _read(sheet)
        if project is None:
            skipped.append(position)
        elif project.status != "stopped":
            # The sheet is read again only if another has the same id: kept as compact
            # JSON meanwhile (a pass over a roadmap then never holds every sheet decoded).
            by_id[project.id].append((project, _compact(sheet)))
    projects = []
    for pid in sorted(by_id):
        versions = by_id[pid]
        if len(versions) > 1:
            versions = sorted(versions, key=lambda v: _canonical(_expand(v[1])))
        projects.append(versions[0][0])
    return projects, skipped


def _compact(sheet: Any) -> Any:
    try:
        # Dates go to `default`, which refuses them: such a sheet is kept as it is, so
        # the order of duplicates stays exactly that of `_canonical` on the sheet.
        return _Blob(orjson.dumps(sheet, option=orjson.OPT_PASSTHROUGH_DATETIME))
    except TypeError:  # not plain JSON (dates of a YAML file): keep the sheet itself
        return sheet


def _expand(kept: Any) -> Any:
    return orjson.loads(kept.json) if isinstance(kept, _Blob) else kept


class _Blob(NamedTuple):
    """A sheet kept as JSON bytes by `read_projects`."""

    json: bytes


def _canonical(sheet: Any) -> str:
    try:
        return json.dumps(sheet, sort_keys=True, default=str)
    except (TypeError, ValueError):  # keys that do not sort (a malformed extension field)
        return repr(sheet)


def find_opportunities(sheets: Iterable[Mapping[str, Any]], catalogue: Catalogue,
                       thresholds: Thresholds | None = None, *,
                       own_process: bool = False) -> list[Opportunity]:
    """Return the opportunities of a roadmap, sorted by type, score (highest first), projects.

    own_process: the caller's process does nothing else meanwhile (the command line, a
    benchmark), so the cyclic garbage collector may be paused during the analysis. A web
    worker never says so: pausing is process-wide, it would stop collection for every
    other request of the worker (bench/reuse_gc.py measures what the pause saves).
    """
    if not own_process:
        return _find(sheets, catalogue, thresholds or Thresholds())
    with collector_paused():
        # The work happens in a function of its own, so that everything it built but the
        # result is freed before the collector runs again: else its first pass would
        # walk the millions of objects of the analysis, a second at 100,000 projects.
        return _find(sheets, catalogue, thresholds or Thresholds())


def _find(sheets: Iterable[Mapping[str, Any]], catalogue: Catalogue,
          thresholds: Thresholds) -> list[Opportunity]:
    projects, _ = read_projects(sheets)
    words = _Words(catalogue)
    found: list[Opportunity] = []
    found += _reuse(projects, catalogue, thresholds, words)
    found += _pooling(projects, catalogue, thresholds, words)
    found += _overlap(projects, thresholds, words)
    exchange = _Exchange(projects)
    found += _data_sharing(exchange, thresholds, words)
    found += _standard_divergence(exchange, catalogue, thresholds, words)
    return sorted(found, key=order_key)


_TYPE_ORDER = {t: i for i, t in enumerate(OPPORTUNITY_TYPES)}


def order_key(o: Opportunity) -> tuple[Any, ...]:
    """Return where an opportunity sorts: type, score (highest first), projects, link.

    Type, score, projects and link identify an opportunity: a total, stable order.
    """
    return (_TYPE_ORDER[o.type], -o.score, o.projects, tuple(sorted(o.link.items())))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the analysis allocates.

    The analysis makes millions of small objects and no reference cycles; the collector
    would rescan them again and again (a third of the time at 100,000 projects) to free
    nothing. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- wording ----------------------------------------------------------------------------

class _Words:
    """Labels for explanations: English, falling back to the id."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        # Memos: 100,000 projects make tens of thousands of sentences with the same names.
        self._concepts: dict[tuple[str, str, bool], Term] = {}
        self._projects: dict[str, Text] = {}
        self._entities: dict[str, Text] = {}
        self._providers: dict[tuple[str, str, bool], Text] = {}

    def concept(self, scheme: str, cid: str, mid: bool = False) -> Term:
        key = (scheme, cid, mid)
        if key not in self._concepts:
            concept = self.catalogue.concept(scheme, cid)
            self._concepts[key] = _term(concept.label if concept else None, cid, mid)
        return self._concepts[key]

    def capability(self, cid: str) -> Term:
        return self.concept("capabilities", cid, True)

    def category(self, cid: str) -> Term:
        return self.concept("standard-categories", cid, True)

    def entity(self, eid: str) -> Text:
        if eid not in self._entities:
            self._entities[eid] = Text(M_("{entity} data"),
                                       entity=self.concept("data-entities", eid))
        return self._entities[eid]

    def organisation(self, oid: str) -> Term:
        return self.concept("organisations", oid)

    def provider(self, cid: str) -> Text:
        # One for every reuse opportunity naming the component (4,686 at 10,000 projects).
        key = ("provider", cid, False)
        if key not in self._providers:
            self._providers[key] = Text(M_("the active catalogue component {component}"),
                                        component=self.component(cid))
        return self._providers[key]

    def component(self, cid: str) -> Term:
        key = ("component", cid, False)
        if key not in self._concepts:
            record = self.catalogue.components.get(cid)
            self._concepts[key] = _term(record.get("name") if record else None, cid, False)
        return self._concepts[key]

    def standard(self, sid: str) -> str:
        record = self.catalogue.standards.get(sid) or {}
        acronym = str(record.get("acronym") or "")
        title = record.get("title")
        title = localized(title, "en")[0] if isinstance(title, Mapping) else ""
        # "NGSI-LD" and "GTFS" are how people say them; "STA" or "SDM" are not, and their
        # titles are: use the acronym only when the title itself spells it.
        if acronym and (acronym in title or not title):
            return acronym
        return title.split(":")[0].strip() or sid

    def project(self, project: Project) -> Text:
        return self.named(project.id, project.owner, project.title)

    def named(self, pid: str, owner: str, title: Mapping[str, str]) -> Text:
        if pid not in self._projects:
            self._projects[pid] = Text("\u201c{title}\u201d ({organisation})",
                                       title=_term(title, pid, False),
                                       organisation=self.organisation(owner))
        return self._projects[pid]


def _term(label: Any, fallback: str, mid: bool) -> Term:
    """Return a label map as a Term: its English (or the id) and its other languages."""
    texts = {k: v for k, v in label.items() if isinstance(v, str) and v} \
        if isinstance(label, Mapping) else {}
    if not mid and type(label) is dict and len(texts) == len(label):
        # Equal to the label: that one (never changed, like every sheet and record the
        # analysis reads), not a copy for each of the thousands of projects named.
        texts = label
    english = (localized(label, "en")[0] if texts else None) or fallback
    if mid:
        english = _mid_sentence(english)
        texts = {k: _mid_sentence(v) for k, v in texts.items()}
    return Term(texts, english)


def _mid_sentence(label: str) -> str:
    """Return a label as written inside a sentence: "Incident reporting" -> "incident ..."."""
    first = label.split(" ", 1)[0]
    return label if any(c.isupper() for c in first[1:]) else label[:1].lower() + label[1:]


def _join(items: Sequence[Any], limit: int = 3) -> Listing:
    """Return 'a', 'a and b', 'a, b and c' or 'a, b, c and 4 more'."""
    items = list(items)
    if len(items) > limit:
        items = [*items[:limit], Text(M_("{count} more"), count=len(items) - limit)]
    return Listing(items)


def _who(projects: Sequence[Project], words: _Words, count: int | None = None) -> Listing:
    """Return 'a', 'a and b', 'a, b, c and 4 more' for projects, naming only the first three."""
    count = len(projects) if count is None else count
    names: list[Any] = [words.project(p) for p in projects[:3]]
    if count > 3:
        names.append(Text(M_("{count} more"), count=count - 3))
    return _join(names, limit=4)


# Counted nouns, singular and plural: English, French and Dutch all take the singular
# for 1 and the plural from 2 (0 never occurs in an explanation).
_NOUNS = {
    "project": (M_("{count} project"), M_("{count} projects")),
    "organisation": (M_("{count} organisation"), M_("{count} organisations")),
    "other project": (M_("{count} other project"), M_("{count} other projects")),
    "other combination": (M_("{count} other combination"), M_("{count} other combinations")),
}


def _plural(count: int, noun: str) -> Text:
    return Text(_NOUNS[noun][count != 1], count=count)


def _joined(parts: Sequence[Any], separator: str) -> Text:
    """Return parts joined by punctuation (no words: nothing to translate)."""
    return Text(separator.join(f"{{p{i}}}" for i in range(len(parts))),
                **{f"p{i}": part for i, part in enumerate(parts)})


def _opportunity(kind: str, members: Iterable[Project], link: Mapping[str, Any],
                 score: float, explanation: Text,
                 everyone: Iterable[Project] | None = None) -> Opportunity:
    members = list(members)
    listed = tuple(sorted({p.id for p in members}))
    whole = tuple(sorted({p.id for p in everyone})) if everyone is not None else listed
    return Opportunity(
        type=kind,
        projects=listed,
        organisations=tuple(sorted({p.owner for p in members})),
        link=MappingProxyType(dict(link)),
        score=round(min(1.0, max(0.0, score)), 3),
        explanation=str(explanation),
        members=whole if len(whole) > len(listed) else (),
        text=explanation,
    )


# -- reuse -------------------------------------------------------------------------------

def active_providers(catalogue: Catalogue) -> dict[str, list[str]]:
    """Return capability -> the active components that provide it, in catalogue order."""
    active: dict[str, list[str]] = defaultdict(list)
    for cid, component in catalogue.components.items():
        if component.get("status") == "active":
            for cap in component.get("provides", ()):
                active[cap].append(cid)
    return active


def _reuse(projects: Sequence[Project], catalogue: Catalogue, thresholds: Thresholds,
           words: _Words, popularity: Mapping[str, int] | None = None) -> list[Opportunity]:
    """Return the reuse opportunities of `projects`; `popularity`: reuses per component
    over the whole roadmap (counted from `projects` when not given)."""
    active = active_providers(catalogue)
    # Among several active providers, name the one the roadmap already reuses most.
    if popularity is None:
        popularity = Counter(c for p in projects for c in p.reuses)
    provided = frozenset(active)
    found = []
    for project in projects:
        if project.delivered:
            continue
        # Only the capabilities an active component provides: a few of each project's.
        for cap in sorted((project.capabilities | project.implied) & provided):
            providers = active[cap]
            if cap in project.builds:
                if project.reuses.intersection(providers):
                    continue  # builds on top of the component it reuses: the policy agrees
                score, building = thresholds.score_reuse_builds, True
            else:
                if project.reuses.intersection(catalogue.components_by_capability.get(cap, ())):
                    continue
                score, building = thresholds.score_reuse_needs, False
            ranked = sorted(providers, key=lambda c: (-popularity.get(c, 0), c))
            link: dict[str, Any] = {"component": ranked[0], "capability": cap}
            if len(ranked) > 1:
                link["alternatives"] = tuple(ranked[1:])
            provider = words.provider(ranked[0])
            if building:
                text = Text(M_("{project} plans to build {capability}, which {provider} "
                               "already provides: reuse it rather than build it again."),
                            project=words.project(project), capability=words.capability(cap),
                            provider=provider)
            else:
                text = Text(M_("{project} needs {capability} and reuses no component that "
                               "provides it, while {provider} does: reuse it."),
                            project=words.project(project), capability=words.capability(cap),
                            provider=provider)
            found.append(_opportunity("reuse", [project], link, score, text))
    return found


# -- pooling -----------------------------------------------------------------------------

def pooling_excluded(catalogue: Catalogue, thresholds: Thresholds) -> frozenset[str]:
    """Return the capabilities never pooled: provided by an active component, or generic."""
    return frozenset({cap for component in catalogue.components.values()
                      if component.get("status") == "active"
                      for cap in component.get("provides", ())}
                     | set(thresholds.pooling_ignored_capabilities))


def _pooling(projects: Sequence[Project], catalogue: Catalogue, thresholds: Thresholds,
             words: _Words, only: frozenset[str] | None = None) -> list[Opportunity]:
    """Return the pooling opportunities (of the capabilities `only`, when given: then
    `projects` must hold every project that builds or needs them)."""
    # Delivered projects are members too (a running service that needs the capability can
    # be served by the one built together), but a group of delivered projects only is past
    # the point of deciding anything, so at least one member must still be open.
    provided = {cap for component in catalogue.components.values()
                if component.get("status") == "active"
                for cap in component.get("provides", ())}
    excluded = provided | set(thresholds.pooling_ignored_capabilities)
    members: dict[str, list[Project]] = defaultdict(list)
    for project in projects:
        # Iterated, not a set difference: no new set a project (the read model passes
        # the thousands of members of a group, their capabilities held as tuples).
        for cap in project.capabilities:
            if cap not in excluded and (only is None or cap in only):
                members[cap].append(project)
    found = []
    for cap in sorted(members):
        group = members[cap]
        owners = {p.owner for p in group}
        if (len(owners) < thresholds.pooling_min_organisations
                or all(p.delivered for p in group)):
            continue
        building_owners = {p.owner for p in group if cap in p.builds}
        # Strongest when every organisation plans to build it (the work would be done
        # several times); a group that only needs it still has nobody building it.
        score = 0.4 + 0.6 * len(building_owners) / len(owners)
        # Builders first (they would do the work twice), then the others, by id; the group
        # is already in id order.
        building = [p for p in group if cap in p.builds]
        builders = len(building)
        listed = building[:thresholds.max_group_size]
        if len(listed) < thresholds.max_group_size:
            listed += islice((p for p in group if cap not in p.builds),
                             thresholds.max_group_size - len(listed))
        who = _who(listed, words, len(group))
        plan = (Text(M_("none of which plans to build it yet")) if not builders
                else Text(M_("{count} of which plans to build it")
                          if builders == 1 else M_("{count} of which plan to build it"),
                          count=builders))
        text = Text(M_("{projects} of {organisations} ({who}) build or need {capability}, "
                       "{plan}, and no active catalogue component provides it: build it "
                       "once, together."),
                    projects=_plural(len(group), "project"),
                    organisations=_plural(len(owners), "organisation"), who=who,
                    capability=words.capability(cap), plan=plan)
        link = {"capability": cap, "project_count": len(group),
                "organisation_count": len(owners)}
        found.append(_opportunity("pooling", listed, link, score, text, group))
    return found


# -- overlap -----------------------------------------------------------------------------

def overlap_index(projects: Sequence[Project], thresholds: Thresholds,
                  pause: Callable[[], None] | None = None) -> SimilarityIndex:
    """Return the similarity index of projects as the overlap analysis builds it
    (`pause`, when given, is called every few projects: see `_overlap`)."""

    def items() -> Iterator[Item]:
        # A generator: the words of 100,000 sheets are turned into ids one sheet at a
        # time, never all held as strings at once.
        empty: frozenset[str] = frozenset()
        most = SUMMARY_MAX_CHARS
        for number, p in enumerate(projects):
            if pause is not None and not number % 64:
                pause()
            # read_projects checked that titles and summaries map strings to strings.
            title = {lang: words(text) for lang, text in p.title.items()}
            texts = {lang: (words(_opening(text, most)) | title.get(lang, empty),
                            title.get(lang, empty))
                     for lang, text in p.summary.items()}
            for lang, found in title.items():
                texts.setdefault(lang, (found, found))
            yield Item((p.domains, p.themes, p.capabilities, p.entities), texts)

    return SimilarityIndex(
        items(),
        set_kinds={"domains": thresholds.weight_domains, "themes": thresholds.weight_themes,
                   "capabilities": thresholds.weight_capabilities,
                   "entities": thresholds.weight_entities},
        # Title and summary together first: the fullest text picks the language.
        text_kinds={"text": thresholds.weight_text, "title": thresholds.weight_title},
        # The rarest capabilities and entities, and the rarest words, each get their own
        # places: otherwise rare summary words, which weigh little in the score, would fill
        # the prefix. Title words are also text words: one word must not make a key.
        blocking=((("capabilities", "entities"), thresholds.block_prefix_features),
                  (("text",), thresholds.block_prefix_words)),
        prefix=thresholds.block_prefix,
        max_postings=thresholds.block_max_postings,
        key_budget=thresholds.block_key_budget,
    )


def _opening(text: str, most: int) -> str:
    """Return at most `most` characters of a text, cut before a word it would split."""
    if len(text) <= most:
        return text
    head = text[:most]
    if text[most].isspace():
        return head
    cut = head.rsplit(None, 1)  # drop the word the limit falls in
    return cut[0] if len(cut) > 1 else head


class OverlapPair(NamedTuple):
    """Two overlapping projects as plain data: what an overlap opportunity is made of
    besides the catalogue's words (`overlap_opportunity` says it in them). Computed once,
    outside the web workers, and stored (`registry.readmodel.overlap_job`)."""

    a: tuple[str, str, Mapping[str, str]]  # the first project: id, owner, title
    b: tuple[str, str, Mapping[str, str]]
    score: float  # the similarity, unrounded
    domains: tuple[str, ...]  # shared, sorted
    capabilities: tuple[str, ...]  # shared, in the order the explanation names them
    entities: tuple[str, ...]  # shared, in the order the explanation names them
    words: tuple[str, ...]  # shared title words, then the rarest summary words (10)


def overlap_pairs(projects: Sequence[Project], thresholds: Thresholds,
                  pause: Callable[[], None] | None = None) -> list[OverlapPair]:
    """Return the overlapping pairs of a roadmap (no catalogue: only the words need one)."""
    # `pause`: called every few projects and pairs, for a caller computing this in the
    # background to let other work through (registry.readmodel.inflight).
    index = overlap_index(projects, thresholds, pause)
    found = []
    minimum = thresholds.overlap_min_score
    shared_at_least = thresholds.min_shared_features
    owner = [p.owner for p in projects]
    delivered = [p.delivered for p in projects]
    score = index.score
    # Sorted: consecutive pairs then share their first item, which keeps it in the CPU
    # cache (a quarter faster on 100,000 projects than the order of a set).
    for number, (i, j) in enumerate(sorted(index.candidates())):
        if pause is not None and not number % 256:
            pause()
        if owner[i] == owner[j] or (delivered[i] and delivered[j]):
            continue
        if score(i, j, minimum) < minimum:
            continue
        if index.shared_count(i, j, ("capabilities", "entities")) < shared_at_least:
            continue
        a, b = projects[i], projects[j]
        # English words for an English explanation, when the two share some.
        match = index.match(i, j, language="en")
        shared = match.shared
        # Title words say most about what a project is; then the rarest summary words.
        said = list(dict.fromkeys([*shared.get("title", ()), *shared.get("text", ())]))
        found.append(OverlapPair(
            (a.id, a.owner, a.title), (b.id, b.owner, b.title), match.score,
            tuple(sorted(shared.get("domains", ()))), tuple(shared.get("capabilities", ())),
            tuple(shared.get("entities", ())), tuple(said[:10])))
    return found


def overlap_opportunity(pair: OverlapPair, words: _Words) -> Opportunity:
    """Return the overlap opportunity of a pair, its explanation in the catalogue's words."""
    link = {"domains": pair.domains, "capabilities": tuple(sorted(pair.capabilities)),
            "entities": tuple(sorted(pair.entities)), "words": pair.words}
    reasons = []
    if pair.capabilities:
        reasons.append(Text(M_("both build or need {capabilities}"), capabilities=_join(
            [words.capability(c) for c in pair.capabilities])))
    if pair.entities:
        reasons.append(Text(M_("both handle {entities}"), entities=_join(
            [words.entity(e) for e in pair.entities])))
    if pair.words:
        reasons.append(Text(M_("their sheets share words such as {words}"), words=_join(
            [Text("\u201c{w}\u201d", w=w) for w in pair.words[:3]], limit=3)))
    text = Text(M_("{project} and {other} look alike ({reasons}): they should talk "
                   "before both proceed."),
                project=words.named(*pair.a), other=words.named(*pair.b),
                reasons=_joined(reasons, "; "))
    ids = tuple(sorted({pair.a[0], pair.b[0]}))
    return Opportunity(
        type="overlap", projects=ids, organisations=tuple(sorted({pair.a[1], pair.b[1]})),
        link=MappingProxyType(link), score=round(min(1.0, max(0.0, pair.score)), 3),
        explanation=str(text), text=text)


def _overlap(projects: Sequence[Project], thresholds: Thresholds,
             words: _Words, pause: Callable[[], None] | None = None) -> list[Opportunity]:
    return [overlap_opportunity(pair, words)
            for pair in overlap_pairs(projects, thresholds, pause)]


# -- data-sharing and standard-divergence ---------------------------------------------------

class _Exchange:
    """Who produces and who uses each data entity."""

    def __init__(self, projects: Sequence[Project]) -> None:
        self.projects = projects
        self.producers: dict[str, list[Project]] = defaultdict(list)
        self.users: dict[str, list[Project]] = defaultdict(list)
        self._consumers: dict[str, list[Project]] = defaultdict(list)
        for project in projects:  # sorted by id, so every list below is too
            for entity in project.produces:
                self.producers[entity].append(project)
            for entity in project.uses:
                self.users[entity].append(project)
                if entity not in project.produces:
                    self._consumers[entity].append(project)

    def consumers(self, entity: str) -> list[Project]:
        """Return the projects that use an entity without producing it themselves."""
        return self._consumers.get(entity, [])


def _data_sharing(exchange: _Exchange, thresholds: Thresholds,
                  words: _Words, only: frozenset[str] | None = None) -> list[Opportunity]:
    # One opportunity per entity, not per producer-consumer pair: at 100,000 projects a
    # popular entity has thousands of each, and the advice is the same for all of them.
    # Owners may be the same: the once-only principle holds inside an organisation too.
    found = []
    for entity in sorted(exchange.producers):
        if only is not None and entity not in only:
            continue
        opportunity = _sharing(entity, exchange.producers[entity],
                               exchange.consumers(entity), thresholds, words)
        if opportunity:
            found.append(opportunity)
    return found


def _sharing(entity: str, producers: Sequence[Project], consumers: Sequence[Project],
             thresholds: Thresholds, words: _Words) -> Opportunity | None:
    """Return the data-sharing opportunity of one entity (members by id), or None."""
    if not producers or not consumers:
        return None
    listed = [*producers, *consumers][:thresholds.max_group_size]
    shown = {p.id for p in listed}
    link = {"entity": entity,
            "producers": tuple(p.id for p in producers if p.id in shown),
            "consumers": tuple(p.id for p in consumers if p.id in shown),
            "project_count": len(producers) + len(consumers)}
    others = Text("{count} ({who})", count=_plural(len(consumers), "other project"),
                  who=_who(consumers, words))
    one = len(consumers) == 1
    if len(producers) == 1:
        text = Text(M_("{producer} produces {entity}, which {others} also uses: get it "
                       "from there rather than collect it again.") if one else
                    M_("{producer} produces {entity}, which {others} also use: get it "
                       "from there rather than collect it again."),
                    producer=words.project(producers[0]), entity=words.entity(entity),
                    others=others)
    else:
        text = Text(M_("{producers} ({who}) produce {entity}, which {others} also uses: "
                       "agree on one source and get it from there rather than collect "
                       "it again.") if one else
                    M_("{producers} ({who}) produce {entity}, which {others} also use: "
                       "agree on one source and get it from there rather than collect "
                       "it again."),
                    producers=_plural(len(producers), "project"),
                    who=_who(producers, words), entity=words.entity(entity),
                    others=others)
    # More consumers, more collection saved: 1 -> 0.5, 3 -> 0.75, 9 -> 0.9.
    score = len(consumers) / (len(consumers) + 1)
    return _opportunity("data-sharing", listed, link, score, text,
                        [*producers, *consumers])


Camps = dict[tuple[frozenset[str], bool], list[Project]]


class _Categories:
    """The category groups divergence compares, and which of them a project declares in."""

    def __init__(self, catalogue: Catalogue, thresholds: Thresholds) -> None:
        self.group_of: dict[str, str] = {c: c for c in thresholds.divergence_categories}
        for members in thresholds.divergence_category_groups:
            for name in members:
                self.group_of[name] = members[0]
        self.members_of: dict[str, list[str]] = defaultdict(list)
        for name, group_name in sorted(self.group_of.items()):
            self.members_of[group_name].append(name)
        self.counted = set(thresholds.divergence_conformance)
        self.category_of = {sid: str(record.get("category") or "")
                            for sid, record in catalogue.standards.items()}

    def declared(self, project: Project) -> tuple[tuple[str, frozenset[str]], ...]:
        """Return (group, standards declared in it) of each group the project declares in."""
        by_group: dict[str, set[str]] = {}
        for sid, conformance in project.standards.items():
            group = self.group_of.get(self.category_of.get(sid, ""))
            if group and conformance in self.counted:
                by_group.setdefault(group, set()).add(sid)
        return tuple((g, frozenset(sids)) for g, sids in by_group.items())


def _standard_divergence(exchange: _Exchange, catalogue: Catalogue, thresholds: Thresholds,
                         words: _Words, only: frozenset[str] | None = None
                         ) -> list[Opportunity]:
    # Which pairs exchange an entity: a producer with every other producer or user of it
    # (users of two sources want them alike); when no project of the roadmap produces
    # it, its users take it from the same outside source, so all of them. Two users of
    # an entity that a third project produces each talk to the producer, not to each
    # other: comparing them would report standards that never meet.
    categories = _Categories(catalogue, thresholds)
    # entity -> group -> (standard set, talks to all) -> projects declaring exactly that
    # set ("camps"). Built project by project, skipping the many that declare nothing
    # in these categories, rather than entity by entity over every user.
    by_entity: dict[str, dict[str, Camps]] = {}
    for project in exchange.projects:
        declared = categories.declared(project)
        if not declared:
            continue
        for entity in project.entities:
            if only is not None and entity not in only:
                continue
            # A producer talks to every user; a user to the producers, or, when the
            # roadmap has none, to the other users (they share an outside source).
            central = entity in project.produces or entity not in exchange.producers
            camps_of = by_entity.setdefault(entity, {})
            for group, sids in declared:
                camps_of.setdefault(group, {}).setdefault((sids, central), []).append(project)

    found = []
    for entity in sorted(by_entity):
        found += _entity_divergence(
            entity, len(exchange.producers.get(entity, ())) + len(exchange.consumers(entity)),
            by_entity[entity], categories, thresholds, words)
    return found


def _entity_divergence(entity: str, exchanging: int, camps: Mapping[str, Camps],
                       categories: _Categories, thresholds: Thresholds, words: _Words
                       ) -> list[Opportunity]:
    """Return the divergences of one entity: `exchanging` producers and consumers, and
    the camps of each category group (projects by id)."""
    if exchanging < 2:
        return []
    found = []
    for group in sorted(camps):
        opportunity = _divergence(entity, categories.members_of[group], camps[group],
                                  thresholds, words)
        if opportunity:
            found.append(opportunity)
    return found


def _divergence(entity: str, categories: Sequence[str],
                camps: Camps,
                thresholds: Thresholds, words: _Words) -> Opportunity | None:
    """Return the divergence of one category group for one entity, or None if all agree."""
    # Camps, not projects: at 100,000 projects an entity has thousands of declarers but
    # only a handful of distinct standard sets, so counting pairs stays cheap.
    keys = sorted(camps, key=lambda k: (-len(camps[k]), sorted(k[0]), not k[1]))
    pairs = disjoint = 0
    divergent: set[int] = set()
    camp_size = [len(camps[key]) for key in keys]
    # Two users of one producer do not exchange with each other: a camp of users is
    # paired with the central camps only (found by bisection: the pairs are K squared
    # for K camps, the loop that costs most when a write recomputes a large entity).
    central = [j for j, key in enumerate(keys) if key[1]]
    for i, (set_a, central_a) in enumerate(keys):
        size_a = camp_size[i]
        if central_a:  # the camp with itself
            count = size_a * (size_a - 1) // 2
            pairs += count
            if count and not set_a:
                disjoint += count
                divergent.add(i)
        others = range(i + 1, len(keys)) if central_a else \
            central[bisect.bisect_right(central, i):]
        for j in others:
            count = size_a * camp_size[j]
            pairs += count
            if count and set_a.isdisjoint(keys[j][0]):
                disjoint += count
                divergent.update((i, j))
    if not disjoint:
        return None
    involved = [keys[i] for i in sorted(divergent)]
    standards = sorted({sid for key in involved for sid in key[0]})
    total = sum(len(camps[key]) for key in involved)
    # List one declarer of every standard first, so that the disagreement stays visible
    # when the list is cut at max_group_size, then the others camp by camp (no sorting of
    # the thousands of projects of a popular entity: the camps are in a stable order).
    chosen: dict[str, Project] = {}
    for sid in standards:
        key = next(key for key in involved if sid in key[0])
        chosen.setdefault(camps[key][0].id, camps[key][0])
    for key in involved:
        for project in islice(camps[key], thresholds.max_group_size):
            chosen.setdefault(project.id, project)
    listed = list(chosen.values())[:thresholds.max_group_size]
    # Say who declares what, by standard set (whatever their role), largest first.
    merged: dict[frozenset[str], list[Project]] = defaultdict(list)
    for key in involved:
        merged[key[0]].append(camps[key][0])
    sizes = Counter({sids: 0 for sids in merged})
    for key in involved:
        sizes[key[0]] += len(camps[key])
    sides = []
    camp_sets = sorted(merged, key=lambda s: (-sizes[s], sorted(s)))
    for sids in camp_sets[:3]:
        by = (words.project(merged[sids][0]) if sizes[sids] == 1
              else _plural(sizes[sids], "project"))
        sides.append(Text(M_("{standards} by {by}"),
                          standards=_join(sorted(words.standard(s) for s in sids)), by=by))
    if len(camp_sets) > 3:
        sides.append(_plural(len(camp_sets) - 3, "other combination"))
    label = Listing([words.category(c) for c in categories], "or", commas=False)
    text = Text(M_("The {projects} that exchange {entity} declare different {categories} "
                   "standards ({sides}): an interoperability risk, agree on one."),
                projects=_plural(total, "project"), entity=words.entity(entity),
                categories=label, sides=_joined(sides, "; "))
    link: dict[str, Any] = {"entity": entity, "category": categories[0],
                            "standards": tuple(standards), "project_count": total}
    if len(categories) > 1:
        link["categories"] = tuple(categories)
    return _opportunity("standard-divergence", listed, link, disjoint / pairs, text,
                        (p for key in involved for p in camps[key]))


# The analysis kind by kind, for the read model (`registry.readmodel.reuse`), which
# recomputes only the groups a write touches with these same functions.
Words = _Words
Exchange = _Exchange
# One sheet's analysed fields (None when malformed; stopped ones included), as
# `read_projects` reads each.
read_project = _read
reuse_opportunities = _reuse
pooling_opportunities = _pooling
overlap_opportunities = _overlap
data_sharing_opportunities = _data_sharing
divergence_opportunities = _standard_divergence
# One entity's groups, from its members alone (the read model keeps who they are).
Categories = _Categories
entity_sharing = _sharing
entity_divergence = _entity_divergence
