"""Reuse, pooling, overlap, data-sharing and standard-divergence opportunities of a roadmap.

Reads project sheets (plain dicts, `spec/project-sheet.md`) and the catalogue snapshot;
never Flask, never the database. Deterministic: the same sheets in any order give the
same opportunities in the same order.

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

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from registry.analysis.similarity import Item, SimilarityIndex
from registry.analysis.text import words_by_language
from registry.catalogue.snapshot import Catalogue, localized

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
        "capabilities, data entities or title and summary words (domains do not count).")
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
        6, "Overlap blocking: index each project under pairs taken from its this-many "
        "rarest capabilities and data entities (and its rarest words); more finds more "
        "faint overlaps, and costs more.")
    block_prefix_words: int = _setting(
        4, "Overlap blocking: how many of its rarest title and summary words each project "
        "adds to the features it is indexed under.")
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

    def __hash__(self) -> int:
        return hash((self.type, self.projects, self.score, self.explanation))

    def to_dict(self) -> dict[str, Any]:
        """Return the opportunity as JSON-ready data (lists, not tuples)."""
        return {
            "type": self.type,
            "projects": list(self.projects),
            "organisations": list(self.organisations),
            "link": {k: list(v) if isinstance(v, tuple) else v for k, v in self.link.items()},
            "score": self.score,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Project:
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
    implied: frozenset[str]
    standards: Mapping[str, str]  # standard id -> conformance

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"

    @property
    def capabilities(self) -> frozenset[str]:
        return self.needs | self.builds

    @property
    def entities(self) -> frozenset[str]:
        return self.uses | self.produces


class _Malformed(Exception):
    """A sheet whose fields do not have the types of the project-sheet format."""


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Malformed(name)
    return value


def _ids(value: Any, name: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise _Malformed(name)
    return frozenset(value)


def _text(value: Any, name: str) -> Mapping[str, str]:
    text = _mapping(value, name)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in text.items()):
        raise _Malformed(name)
    return text


def _read(sheet: Any) -> Project | None:
    """Return the analysed fields of a sheet, or None when it is not well-formed."""
    try:
        if not isinstance(sheet, Mapping):
            raise _Malformed("sheet")
        pid, status = sheet.get("id"), sheet.get("status")
        owner = _mapping(sheet.get("owner"), "owner").get("organisation")
        if not (isinstance(pid, str) and pid and isinstance(owner, str) and owner
                and status in STATUSES):
            raise _Malformed("id, owner or status")
        caps = _mapping(sheet.get("capabilities"), "capabilities")
        comps = _mapping(sheet.get("components"), "components")
        data = _mapping(sheet.get("data"), "data")
        declared = sheet.get("standards")
        if declared is None:
            declared = []
        if not isinstance(declared, list | tuple):
            raise _Malformed("standards")
        standards: dict[str, str] = {}
        for item in declared:
            item = _mapping(item, "standards[]")
            sid, conformance = item.get("id"), item.get("conformance")
            if not isinstance(sid, str) or conformance not in CONFORMANCES:
                raise _Malformed("standards[]")
            standards.setdefault(sid, conformance)
        return Project(
            id=pid, owner=owner, status=status,
            title=_text(sheet.get("title"), "title"),
            summary=_text(sheet.get("summary"), "summary"),
            domains=_ids(sheet.get("domains"), "domains"),
            themes=_ids(sheet.get("data_themes"), "data_themes"),
            needs=_ids(caps.get("needs"), "needs"),
            builds=_ids(caps.get("builds"), "builds"),
            reuses=_ids(comps.get("reuses"), "reuses"),
            uses=_ids(data.get("uses"), "uses"),
            produces=_ids(data.get("produces"), "produces"),
            implied=frozenset(cap for flag, cap in IMPLIED_NEEDS.items()
                              if data.get(flag) is True),
            standards=MappingProxyType(standards),
        )
    except _Malformed:
        return None


def read_projects(sheets: Iterable[Any]) -> tuple[list[Project], list[int]]:
    """Return the well-formed, not stopped projects sorted by id, and the skipped positions.

    A malformed sheet is skipped, never raised on. When two sheets share an id (a store
    never holds that), the one with the smallest canonical JSON is kept, so that the
    result does not depend on the input order.
    """
    skipped: list[int] = []
    by_id: dict[str, list[tuple[Project, Any]]] = defaultdict(list)
    for position, sheet in enumerate(sheets):
        project = _read(sheet)
        if project is None:
            skipped.append(position)
        elif project.status != "stopped":
            by_id[project.id].append((project, sheet))
    projects = []
    for pid in sorted(by_id):
        versions = by_id[pid]
        if len(versions) > 1:
            versions = sorted(versions, key=lambda v: json.dumps(v[1], sort_keys=True,
                                                                  default=str))
        projects.append(versions[0][0])
    return projects, skipped


def find_opportunities(sheets: Iterable[Mapping[str, Any]], catalogue: Catalogue,
                       thresholds: Thresholds | None = None) -> list[Opportunity]:
    """Return the opportunities of a roadmap, sorted by type, score (highest first), projects."""
    thresholds = thresholds or Thresholds()
    projects, _ = read_projects(sheets)
    words = _Words(catalogue)
    found: list[Opportunity] = []
    found += _reuse(projects, catalogue, thresholds, words)
    found += _pooling(projects, catalogue, thresholds, words)
    found += _overlap(projects, thresholds, words)
    exchange = _Exchange(projects)
    found += _data_sharing(exchange, thresholds, words)
    found += _standard_divergence(exchange, catalogue, thresholds, words)
    order = {t: i for i, t in enumerate(OPPORTUNITY_TYPES)}
    return sorted(found, key=lambda o: (order[o.type], -o.score, o.projects,
                                        json.dumps(dict(o.link), sort_keys=True)))


# -- wording ----------------------------------------------------------------------------

class _Words:
    """Labels for explanations: English, falling back to the id."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.titles: dict[str, str] = {}

    def concept(self, scheme: str, cid: str) -> str:
        concept = self.catalogue.concept(scheme, cid)
        return localized(concept.label, "en")[0] or cid if concept else cid

    def capability(self, cid: str) -> str:
        return _mid_sentence(self.concept("capabilities", cid))

    def category(self, cid: str) -> str:
        return _mid_sentence(self.concept("standard-categories", cid))

    def entity(self, eid: str) -> str:
        return f"{self.concept('data-entities', eid)} data"

    def organisation(self, oid: str) -> str:
        return self.concept("organisations", oid)

    def component(self, cid: str) -> str:
        record = self.catalogue.components.get(cid)
        name = record.get("name") if record else None
        return (localized(name, "en")[0] if isinstance(name, Mapping) else None) or cid

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

    def project(self, project: Project) -> str:
        title = localized(project.title, "en")[0] or project.id
        return f"“{title}” ({self.organisation(project.owner)})"


def _mid_sentence(label: str) -> str:
    """Return a label as written inside a sentence: "Incident reporting" -> "incident ..."."""
    first = label.split(" ", 1)[0]
    return label if any(c.isupper() for c in first[1:]) else label[:1].lower() + label[1:]


def _join(items: Sequence[str], limit: int = 3) -> str:
    """Return 'a', 'a and b', 'a, b and c' or 'a, b, c and 4 more'."""
    items = list(items)
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _opportunity(kind: str, members: Iterable[Project], link: Mapping[str, Any],
                 score: float, explanation: str) -> Opportunity:
    members = list(members)
    return Opportunity(
        type=kind,
        projects=tuple(sorted({p.id for p in members})),
        organisations=tuple(sorted({p.owner for p in members})),
        link=MappingProxyType(dict(link)),
        score=round(min(1.0, max(0.0, score)), 3),
        explanation=explanation,
    )


# -- reuse -------------------------------------------------------------------------------

def _reuse(projects: Sequence[Project], catalogue: Catalogue, thresholds: Thresholds,
           words: _Words) -> list[Opportunity]:
    active: dict[str, list[str]] = defaultdict(list)
    for cid, component in catalogue.components.items():
        if component.get("status") == "active":
            for cap in component.get("provides", ()):
                active[cap].append(cid)
    # Among several active providers, name the one the roadmap already reuses most.
    popularity = Counter(c for p in projects for c in p.reuses)
    found = []
    for project in projects:
        if project.delivered:
            continue
        for cap in sorted(project.capabilities | project.implied):
            providers = active.get(cap)
            if not providers:
                continue
            if cap in project.builds:
                if project.reuses.intersection(providers):
                    continue  # builds on top of the component it reuses: the policy agrees
                score, building = thresholds.score_reuse_builds, True
            else:
                if project.reuses.intersection(catalogue.components_by_capability.get(cap, ())):
                    continue
                score, building = thresholds.score_reuse_needs, False
            ranked = sorted(providers, key=lambda c: (-popularity[c], c))
            link: dict[str, Any] = {"component": ranked[0], "capability": cap}
            if len(ranked) > 1:
                link["alternatives"] = tuple(ranked[1:])
            component = f"the active catalogue component {words.component(ranked[0])}"
            if building:
                text = (f"{words.project(project)} plans to build {words.capability(cap)}, "
                        f"which {component} already provides: reuse it rather than build "
                        "it again.")
            else:
                text = (f"{words.project(project)} needs {words.capability(cap)} and reuses "
                        f"no component that provides it, while {component} does: reuse it.")
            found.append(_opportunity("reuse", [project], link, score, text))
    return found


# -- pooling -----------------------------------------------------------------------------

def _pooling(projects: Sequence[Project], catalogue: Catalogue, thresholds: Thresholds,
             words: _Words) -> list[Opportunity]:
    # Delivered projects are members too (a running service that needs the capability can
    # be served by the one built together), but a group of delivered projects only is past
    # the point of deciding anything, so at least one member must still be open.
    provided = {cap for component in catalogue.components.values()
                if component.get("status") == "active"
                for cap in component.get("provides", ())}
    excluded = provided | set(thresholds.pooling_ignored_capabilities)
    members: dict[str, list[Project]] = defaultdict(list)
    for project in projects:
        for cap in project.capabilities - excluded:
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
        listed = sorted(group, key=lambda p: (cap not in p.builds, p.id))
        listed = listed[:thresholds.max_group_size]
        builders = sum(1 for p in group if cap in p.builds)
        who = _join([words.project(p) for p in listed])
        plan = ("none of which plans to build it yet" if not builders
                else f"{builders} of which {'plans' if builders == 1 else 'plan'} to build it")
        text = (f"{_plural(len(group), 'project')} of {_plural(len(owners), 'organisation')} "
                f"({who}) build or need {words.capability(cap)}, {plan}, and no active "
                "catalogue component provides it: build it once, together.")
        link = {"capability": cap, "project_count": len(group),
                "organisation_count": len(owners)}
        found.append(_opportunity("pooling", listed, link, score, text))
    return found


# -- overlap -----------------------------------------------------------------------------

def overlap_index(projects: Sequence[Project], thresholds: Thresholds) -> SimilarityIndex:
    """Return the similarity index of projects as the overlap analysis builds it."""
    items = []
    for p in projects:
        title, summary = words_by_language(p.title), words_by_language(p.summary)
        text = {lang: title.get(lang, frozenset()) | summary.get(lang, frozenset())
                for lang in title.keys() | summary.keys()}
        items.append(Item(
            features={"domains": p.domains, "themes": p.themes,
                      "capabilities": p.capabilities, "entities": p.entities},
            texts={"title": title, "text": text}))
    return SimilarityIndex(
        items,
        weights={"domains": thresholds.weight_domains, "themes": thresholds.weight_themes,
                 "capabilities": thresholds.weight_capabilities,
                 "entities": thresholds.weight_entities, "title": thresholds.weight_title,
                 "text": thresholds.weight_text},
        # The rarest capabilities and entities, and the rarest words, each get their own
        # places: otherwise rare summary words, which weigh little in the score, would fill
        # the prefix. Title words are also text words: one word must not make a key.
        blocking=((("capabilities", "entities"), thresholds.block_prefix_features),
                  (("text",), thresholds.block_prefix_words)),
        max_postings=thresholds.block_max_postings,
        key_size=min(2, thresholds.min_shared_features),
    )


def _overlap(projects: Sequence[Project], thresholds: Thresholds,
             words: _Words) -> list[Opportunity]:
    index = overlap_index(projects, thresholds)
    found = []
    for i, j in index.candidates():
        a, b = projects[i], projects[j]
        if a.owner == b.owner or (a.delivered and b.delivered):
            continue
        if index.shared_count(i, j) < thresholds.min_shared_features:
            continue
        match = index.score(i, j)
        if match.score < thresholds.overlap_min_score:
            continue
        shared = match.shared
        link = {kind: tuple(sorted(shared.get(kind, ())))
                for kind in ("domains", "capabilities", "entities")}
        # Title words say most about what a project is; then the rarest summary words.
        said = list(dict.fromkeys([*shared.get("title", ()), *shared.get("text", ())]))
        link["words"] = tuple(said[:10])
        reasons = []
        if shared.get("capabilities"):
            reasons.append("both build or need " + _join(
                [words.capability(c) for c in shared["capabilities"]]))
        if shared.get("entities"):
            reasons.append("both handle " + _join(
                [words.entity(e) for e in shared["entities"]]))
        # Explain in English when the sheet has English: "capteur" would puzzle the reader.
        english = words_by_language(a.title, a.summary).get("en", frozenset())
        said = [w for w in said if w in english] or said
        if said:
            reasons.append("their sheets share words such as " + _join(
                [f"“{w}”" for w in said[:3]], limit=3))
        text = (f"{words.project(a)} and {words.project(b)} look alike ("
                + "; ".join(reasons) + "): they should talk before both proceed.")
        found.append(_opportunity("overlap", [a, b], link, match.score, text))
    return found


# -- data-sharing and standard-divergence ---------------------------------------------------

class _Exchange:
    """Who produces and who uses each data entity."""

    def __init__(self, projects: Sequence[Project]) -> None:
        self.producers: dict[str, list[Project]] = defaultdict(list)
        self.users: dict[str, list[Project]] = defaultdict(list)
        for project in projects:  # sorted by id, so every list below is too
            for entity in project.produces:
                self.producers[entity].append(project)
            for entity in project.uses:
                self.users[entity].append(project)

    def consumers(self, entity: str) -> list[Project]:
        """Return the projects that use an entity without producing it themselves."""
        return [p for p in self.users.get(entity, ()) if entity not in p.produces]


def _data_sharing(exchange: _Exchange, thresholds: Thresholds,
                  words: _Words) -> list[Opportunity]:
    # One opportunity per entity, not per producer-consumer pair: at 100,000 projects a
    # popular entity has thousands of each, and the advice is the same for all of them.
    # Owners may be the same: the once-only principle holds inside an organisation too.
    found = []
    for entity in sorted(exchange.producers):
        producers, consumers = exchange.producers[entity], exchange.consumers(entity)
        if not consumers:
            continue
        listed = [*producers, *consumers][:thresholds.max_group_size]
        shown = {p.id for p in listed}
        link = {"entity": entity,
                "producers": tuple(p.id for p in producers if p.id in shown),
                "consumers": tuple(p.id for p in consumers if p.id in shown),
                "project_count": len(producers) + len(consumers)}
        verb = "uses" if len(consumers) == 1 else "use"
        others = (f"{_plural(len(consumers), 'other project')} "
                  f"({_join([words.project(p) for p in consumers])})")
        if len(producers) == 1:
            text = (f"{words.project(producers[0])} produces {words.entity(entity)}, which "
                    f"{others} also {verb}: get it from there rather than collect it again.")
        else:
            text = (f"{_plural(len(producers), 'project')} "
                    f"({_join([words.project(p) for p in producers])}) produce "
                    f"{words.entity(entity)}, which {others} also {verb}: agree on one "
                    "source and get it from there rather than collect it again.")
        # More consumers, more collection saved: 1 -> 0.5, 3 -> 0.75, 9 -> 0.9.
        score = len(consumers) / (len(consumers) + 1)
        found.append(_opportunity("data-sharing", listed, link, score, text))
    return found


def _standard_divergence(exchange: _Exchange, catalogue: Catalogue, thresholds: Thresholds,
                         words: _Words) -> list[Opportunity]:
    # Which pairs exchange an entity: a producer with every other producer or user of it
    # (users of two sources want them alike); when no project of the roadmap produces
    # it, its users take it from the same outside source, so all of them. Two users of
    # an entity that a third project produces each talk to the producer, not to each
    # other: comparing them would report standards that never meet.
    group_of: dict[str, str] = {c: c for c in thresholds.divergence_categories}
    for group in thresholds.divergence_category_groups:
        for category in group:
            group_of[category] = group[0]
    members_of: dict[str, list[str]] = defaultdict(list)
    for category, group in sorted(group_of.items()):
        members_of[group].append(category)
    counted = set(thresholds.divergence_conformance)
    found = []
    for entity in sorted(exchange.producers.keys() | exchange.users.keys()):
        producers = exchange.producers.get(entity, [])
        consumers = exchange.consumers(entity)
        if len(producers) + len(consumers) < 2:
            continue
        roles = [(p, True) for p in producers] + [(p, not producers) for p in consumers]
        # group -> (standard set, talks to all) -> projects declaring exactly that set.
        camps: dict[str, dict[tuple[frozenset[str], bool], list[Project]]] = defaultdict(
            lambda: defaultdict(list))
        for project, central in roles:
            by_group: dict[str, set[str]] = defaultdict(set)
            for sid, conformance in project.standards.items():
                category = (catalogue.standards.get(sid) or {}).get("category")
                if conformance in counted and category in group_of:
                    by_group[group_of[category]].add(sid)
            for group, sids in by_group.items():
                camps[group][(frozenset(sids), central)].append(project)
        for group in sorted(camps):
            opportunity = _divergence(entity, members_of[group], camps[group], thresholds,
                                      words)
            if opportunity:
                found.append(opportunity)
    return found


def _divergence(entity: str, categories: Sequence[str],
                camps: Mapping[tuple[frozenset[str], bool], list[Project]],
                thresholds: Thresholds, words: _Words) -> Opportunity | None:
    """Return the divergence of one category group for one entity, or None if all agree."""
    # Camps, not projects: at 100,000 projects an entity has thousands of declarers but
    # only a handful of distinct standard sets, so counting pairs stays cheap.
    keys = sorted(camps, key=lambda k: (-len(camps[k]), sorted(k[0]), not k[1]))
    pairs = disjoint = 0
    divergent: set[int] = set()
    for i, (set_a, central_a) in enumerate(keys):
        size_a = len(camps[keys[i]])
        for j in range(i, len(keys)):
            set_b, central_b = keys[j]
            if not (central_a or central_b):
                continue  # two users of one producer do not exchange with each other
            size_b = len(camps[keys[j]])
            count = size_a * (size_a - 1) // 2 if i == j else size_a * size_b
            pairs += count
            if count and not set_a & set_b:
                disjoint += count
                divergent.update((i, j))
    if not disjoint:
        return None
    involved = [keys[i] for i in sorted(divergent)]
    declaring: dict[str, list[Project]] = defaultdict(list)
    for key in involved:
        for sid in key[0]:
            declaring[sid].extend(camps[key])
    standards = sorted(declaring)
    # List one declarer of every standard first, so the disagreement stays visible when
    # the list is cut at max_group_size.
    first = {min(declaring[sid], key=lambda p: p.id).id for sid in standards}
    everyone = {p.id: p for key in involved for p in camps[key]}
    ordered = sorted(everyone.values(), key=lambda p: (p.id not in first, p.id))
    listed = ordered[:thresholds.max_group_size]
    sides = []
    merged: dict[frozenset[str], list[Project]] = defaultdict(list)
    for key in involved:
        merged[key[0]].extend(camps[key])
    camp_sets = sorted(merged, key=lambda s: (-len(merged[s]), sorted(s)))
    for sids in camp_sets[:3]:
        who = merged[sids]
        by = words.project(who[0]) if len(who) == 1 else _plural(len(who), "project")
        sides.append(f"{_join(sorted(words.standard(s) for s in sids))} by {by}")
    if len(camp_sets) > 3:
        sides.append(_plural(len(camp_sets) - 3, "other combination"))
    label = " or ".join(words.category(c) for c in categories)
    text = (f"The {_plural(len(everyone), 'project')} that exchange {words.entity(entity)} "
            f"declare different {label} standards ({'; '.join(sides)}): an "
            "interoperability risk, agree on one.")
    link: dict[str, Any] = {"entity": entity, "category": categories[0],
                            "standards": tuple(standards), "project_count": len(everyone)}
    if len(categories) > 1:
        link["categories"] = tuple(categories)
    return _opportunity("standard-divergence", listed, link, disjoint / pairs, text)
