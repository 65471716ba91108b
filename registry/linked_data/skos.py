"""Import a published SKOS concept scheme as a vocabulary of the catalogue.

`import_scheme` reads the triples of a file (see `rdf_input`), checks SKOS integrity
and maps the scheme to a vocabulary record, merged with the stored one:

- the schemes of the file are those declared and those only named by skos:inScheme,
  skos:topConceptOf or skos:hasTopConcept (publishers often skip the declaration); with
  several, the caller names one (all are listed otherwise);
- findings, errors first, before anything is stored (the caller stores only a record
  without error): a concept without prefLabel, two prefLabels in one language on one
  concept (S14), the same prefLabel on two concepts in one language (across every scheme
  of the file), cycles of broader/narrower, concepts in no scheme, broader/narrower
  pointing outside the scheme, and every property the vocabulary does not keep (once per
  property: nothing is dropped silently). A finding points at the line where the concept
  is described and quotes labels as written;
- broader/narrower, skos:related and the mapping properties (exact, close, broad, narrow,
  related match) are kept;
- IRIs are kept: the scheme's in `source.iri` (and `exact_match`), each concept's in
  `iri` (the graph states it as skos:exactMatch); concept ids are re-used across
  imports by IRI, else taken from skos:notation, else from the IRI's last segment;
- every language of prefLabel, altLabel and definition is kept;
- a concept of the stored scheme that the file no longer has is kept, marked
  deprecated: concepts are never deleted, so no project or record loses its link.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.documents.findings import ERROR, WARNING, Finding
from registry.linked_data.rdf_input import ParsedRdf, Term, describe_at

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCTERMS = "http://purl.org/dc/terms/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
CONCEPT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}\Z")
URL = re.compile(r"https?://\S+\Z")
LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*\Z")
NO_LANGUAGE = "und"
# The catalogue schema's `iri` (common.schema.json): what a kept link may be.
IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+\Z')
MAX_CONCEPTS = 50_000
# SKOS mapping properties kept on a concept, and the record field each goes to.
MATCHES = {"exactMatch": "exact_match", "closeMatch": "close_match",
           "broadMatch": "broad_match", "narrowMatch": "narrow_match",
           "relatedMatch": "related_match"}
# What the import keeps of a concept and of the scheme; any other property is reported.
CONCEPT_KEPT = {RDF_TYPE, *(SKOS + p for p in (
    "prefLabel", "altLabel", "definition", "notation", "broader", "narrower", "related",
    "inScheme", "topConceptOf", *MATCHES)), OWL + "deprecated", DCTERMS + "isReplacedBy"}
SCHEME_KEPT = {RDF_TYPE, SKOS + "hasTopConcept", SKOS + "prefLabel", SKOS + "definition",
               DCTERMS + "title", DCTERMS + "description", RDFS + "label", RDFS + "comment",
               OWL + "versionInfo"}


@dataclass
class ImportResult:
    """What importing a file would do: findings, the record, and what changed."""

    findings: list[Finding] = field(default_factory=list)
    record: dict[str, Any] | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deprecated: list[str] = field(default_factory=list)  # vanished from the file
    used_deprecated: list[str] = field(default_factory=list)  # of those, still referred to

    @property
    def errors(self) -> int:
        """Return the number of error findings."""
        return sum(1 for f in self.findings if f.severity == ERROR)


class _Graph:
    """The triples of a file indexed by subject and predicate."""

    def __init__(self, parsed: ParsedRdf) -> None:
        self.text = parsed.text
        self.out: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        self.subjects: list[str] = []
        for s, p, o in parsed.triples:
            if s.key not in self.out:
                self.subjects.append(s.key)
            self.out[s.key][p.value].append(o)

    def objects(self, subject: str, predicate: str) -> list[Term]:
        return self.out.get(subject, {}).get(predicate, [])

    def iris(self, subject: str, predicate: str) -> list[str]:
        return [o.key for o in self.objects(subject, predicate) if o.kind != "literal"]

    def typed(self, cls: str) -> list[str]:
        return [s for s in self.subjects if any(o.value == cls for o in
                                                self.objects(s, RDF_TYPE))]

    def where(self, subject: str) -> tuple[int | None, int | None]:
        return describe_at(self.text, subject) if not subject.startswith("_:") else (None, None)


def _finding(graph: _Graph, severity: str, code: str, subject: str, message: str,
             at: str | None = None) -> Finding:
    line, column = graph.where(at or subject)
    return Finding(severity, code, subject, message, line, column)


def _texts(graph: _Graph, subject: str, *predicates: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for predicate in predicates:
        for o in graph.objects(subject, predicate):
            if o.kind == "literal" and o.value.strip():
                lang = o.language if o.language and LANGUAGE.match(o.language) else NO_LANGUAGE
                if o.value not in out[lang]:
                    out[lang].append(o.value)
    return out


def _first(texts: Mapping[str, list[str]]) -> dict[str, str]:
    return {lang: values[0] for lang, values in sorted(texts.items()) if values}


def _label(subject: str, labels: Mapping[str, str]) -> str:
    return labels.get("en") or next(iter(labels.values()), subject)


def _slug(iri: str) -> str:
    local = re.split(r"[#/:]", iri.rstrip("/#"))[-1]
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", local).strip("-_")[:80]
    return slug if slug and CONCEPT_ID.match(slug) else "concept"


def _cycles(members: Iterable[str], broader: Mapping[str, set[str]]) -> list[list[str]]:
    """Return the broader cycles among members (each once, as a path)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in sorted(members):
        if start in state:
            continue
        path: list[str] = []
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(broader.get(start, ()))))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)  # type: ignore[call-overload]
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            if state.get(child) == 1:
                cycle = path[path.index(child):]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    found.append(cycle)
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(broader.get(child, ())))))
    return found


def _schemes(graph: _Graph) -> list[str]:
    """Return every concept scheme of the file: declared, or only referred to.

    Publishers often declare no `skos:ConceptScheme` and let `skos:inScheme` or
    `skos:topConceptOf` name it (BELGIF's EIF3 file does): such a scheme exists all the same.
    """
    found = dict.fromkeys(graph.typed(SKOS + "ConceptScheme"))
    for subject in graph.subjects:
        if graph.iris(subject, SKOS + "hasTopConcept"):
            found.setdefault(subject)
        for predicate in ("inScheme", "topConceptOf"):
            for scheme in graph.iris(subject, SKOS + predicate):
                found.setdefault(scheme)
    return list(found)


def _choose_scheme(graph: _Graph, schemes: list[str], scheme_iri: str | None,
                   result: ImportResult) -> str | None:
    listed = ", ".join(f"<{s}>" for s in schemes) or "none"
    if scheme_iri is not None:
        if scheme_iri not in schemes:
            result.findings.append(Finding(ERROR, "skos.no-such-scheme", scheme_iri,
                                           f"the file has no concept scheme <{scheme_iri}>; "
                                           f"it has {listed}"))
            return None
        return scheme_iri
    if not schemes:
        result.findings.append(Finding(ERROR, "skos.no-scheme", "", "the file has no concept "
                                       "scheme (no skos:ConceptScheme, skos:inScheme or "
                                       "skos:topConceptOf): nothing to import"))
        return None
    if len(schemes) > 1:
        result.findings.append(Finding(ERROR, "skos.several-schemes", "", f"the file has "
                                       f"{len(schemes)} concept schemes ({listed}): choose "
                                       "one with --scheme-iri"))
        return None
    return schemes[0]


def _members_of(graph: _Graph, scheme: str) -> list[str]:
    """Return the concepts of a scheme: inScheme or topConceptOf it, or its top concepts."""
    top = set(graph.iris(scheme, SKOS + "hasTopConcept"))
    return [s for s in graph.subjects
            if s in top or scheme in graph.iris(s, SKOS + "inScheme")
            or scheme in graph.iris(s, SKOS + "topConceptOf")]


def _outside_schemes(graph: _Graph, schemes: list[str], result: ImportResult) -> None:
    in_any: set[str] = set()
    for scheme in schemes:
        in_any.update(_members_of(graph, scheme))
    for concept in graph.typed(SKOS + "Concept"):
        if concept not in in_any:
            result.findings.append(_finding(
                graph, WARNING, "skos.outside-scheme", concept,
                f"the concept <{concept}> is in no concept scheme (no skos:inScheme): it "
                "is not imported"))


def _check_labels(graph: _Graph, members: list[str],
                  result: ImportResult) -> dict[str, dict[str, str]]:
    """Check the prefLabels of the scheme's concepts and return the first per language."""
    labels: dict[str, dict[str, str]] = {}
    for concept in members:
        texts = _texts(graph, concept, SKOS + "prefLabel")
        if not texts:
            result.findings.append(_finding(graph, ERROR, "skos.no-preflabel", concept,
                                            f"the concept <{concept}> has no skos:prefLabel"))
        for lang, values in texts.items():
            if len(values) > 1:
                result.findings.append(_finding(
                    graph, ERROR, "skos.duplicate-preflabel", concept,
                    f"the concept <{concept}> has {len(values)} prefLabels in "
                    f"{lang!r} ({', '.join(repr(v) for v in values)}): keep one, make the "
                    "others altLabels"))
            if lang == NO_LANGUAGE:
                result.findings.append(_finding(
                    graph, WARNING, "skos.label-without-language", concept,
                    f"the concept <{concept}> has a prefLabel without language tag "
                    f"({values[0]!r}): stored as {NO_LANGUAGE!r}"))
        labels[concept] = _first(texts)
    return labels


def _ambiguous_labels(graph: _Graph, schemes: list[str], result: ImportResult) -> None:
    """Warn about one prefLabel on two concepts, across every scheme of the file."""
    scheme_of: dict[str, str] = {}
    for scheme in schemes:
        for concept in _members_of(graph, scheme):
            scheme_of.setdefault(concept, scheme)
    by_label: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for concept in scheme_of:
        for lang, values in _texts(graph, concept, SKOS + "prefLabel").items():
            by_label[(lang, values[0].strip().casefold())].append((concept, values[0]))
    # One finding per pair of concepts, naming every language they share a label in.
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (lang, _), concepts in sorted(by_label.items()):
        first, first_label = concepts[0]
        for concept, label in concepts[1:]:
            same = repr(label) if label == first_label else f"{first_label!r} / {label!r}"
            pairs[(first, concept)].append(f"{same} in {lang!r}")
    for (first, concept), shared in pairs.items():
        where = "" if scheme_of[first] == scheme_of[concept] else \
            f" (schemes <{scheme_of[first]}> and <{scheme_of[concept]}>)"
        result.findings.append(_finding(
            graph, WARNING, "skos.ambiguous-preflabel", concept,
            f"the concepts <{first}> and <{concept}>{where} have the same prefLabel: "
            f"{', '.join(shared)}: readers cannot tell them apart"))


def _hierarchy(graph: _Graph, scheme: str, members: list[str],
               result: ImportResult) -> dict[str, set[str]]:
    """Return broader (plus the inverse of narrower) inside the scheme; report the rest."""
    broader: dict[str, set[str]] = defaultdict(set)
    member_set = set(members)
    described = set(graph.subjects)
    for concept in members:
        for predicate, inverse in ((SKOS + "broader", False), (SKOS + "narrower", True)):
            for target in graph.iris(concept, predicate):
                if target not in member_set:
                    where = "described nowhere in the file" if target not in described else \
                        f"not a concept of <{scheme}>"
                    result.findings.append(_finding(
                        graph, WARNING, "skos.dangling-relation", concept,
                        f"<{concept}> skos:{predicate[len(SKOS):]} <{target}>, which is "
                        f"{where}: the link is not imported"))
                elif inverse:
                    broader[target].add(concept)
                else:
                    broader[concept].add(target)
    for cycle in _cycles(member_set, broader):
        loop = " → ".join(f"<{c}>" for c in [*cycle, cycle[0]])
        result.findings.append(_finding(graph, ERROR, "skos.broader-cycle", cycle[0],
                                        f"skos:broader goes round in a cycle: {loop}"))
    return broader


def _short(iri: str) -> str:
    for prefix, name in ((SKOS, "skos"), (DCTERMS, "dcterms"), (RDFS, "rdfs"), (OWL, "owl")):
        if iri.startswith(prefix):
            return f"{name}:{iri[len(prefix):]}"
    return f"<{iri}>"


def _dropped_values(graph: _Graph, members: list[str], result: ImportResult) -> None:
    """Report values of kept properties that the vocabulary cannot hold, once per kind."""
    extra_definitions: list[str] = []
    not_links: dict[str, list[str]] = defaultdict(list)
    for concept in members:
        if any(len(v) > 1 for v in _texts(graph, concept, SKOS + "definition").values()):
            extra_definitions.append(concept)
        for predicate in ("broader", "narrower", "related", *MATCHES):
            for o in graph.objects(concept, SKOS + predicate):
                if o.kind == "literal" or (o.kind == "iri" and not IRI.match(o.value)) or \
                        (o.kind == "bnode" and predicate not in ("broader", "narrower")):
                    not_links[predicate].append(concept)
    if extra_definitions:
        result.findings.append(_finding(
            graph, WARNING, "skos.not-imported", extra_definitions[0],
            f"{len(extra_definitions)} concept(s) have several skos:definition in one "
            f"language (first <{extra_definitions[0]}>): only the first is imported"))
    for predicate, concepts in not_links.items():
        result.findings.append(_finding(
            graph, WARNING, "skos.not-imported", concepts[0],
            f"skos:{predicate} values that are not IRIs (on {len(concepts)} concept(s), first "
            f"<{concepts[0]}>) are not imported"))


def _other_resources(graph: _Graph, schemes: list[str], result: ImportResult) -> None:
    """Report, once, the resources of the file that belong to no scheme (not imported)."""
    known = set(schemes) | set(graph.typed(SKOS + "Concept"))
    for scheme in schemes:
        known.update(_members_of(graph, scheme))
    others = [s for s in graph.subjects if s not in known]
    if others:
        result.findings.append(_finding(
            graph, WARNING, "skos.not-imported", others[0],
            f"{len(others)} resource(s) of the file are neither a concept scheme nor a "
            f"concept (first <{others[0]}>): not imported"))


def _not_imported(graph: _Graph, scheme: str, members: list[str],
                  result: ImportResult) -> None:
    """Report, once per property, what the file says that the vocabulary does not keep."""
    for subjects, kept, what in ((members, CONCEPT_KEPT, "concept"),
                                 ([scheme], SCHEME_KEPT, "scheme")):
        counts: dict[str, list[str]] = {}
        for subject in subjects:
            for predicate in graph.out.get(subject, {}):
                if predicate not in kept:
                    counts.setdefault(predicate, []).append(subject)
        for predicate, where in counts.items():
            many = f"on {len(where)} concepts" if what == "concept" and len(where) > 1 \
                else f"on <{where[0]}>"
            result.findings.append(_finding(
                graph, WARNING, "skos.not-imported", where[0],
                f"{_short(predicate)} ({many}) is not imported: the registry's "
                f"vocabularies do not keep it"))


def check_and_map(parsed: ParsedRdf, scheme_id: str, *, existing: Mapping[str, Any] | None,
                  used: Mapping[str, int] | None = None, scheme_iri: str | None = None,
                  file_name: str | None = None, fmt: str | None = None) -> ImportResult:
    """Check a parsed SKOS file and return the vocabulary record it makes (merged)."""
    result = ImportResult(findings=list(parsed.findings))
    if not parsed.ok:
        return result
    graph = _Graph(parsed)
    schemes = _schemes(graph)
    scheme = _choose_scheme(graph, schemes, scheme_iri, result)
    if scheme is None:
        return result
    members = _members_of(graph, scheme)
    _outside_schemes(graph, schemes, result)
    if not members:
        result.findings.append(_finding(graph, ERROR, "skos.no-concepts", scheme,
                                        f"the scheme <{scheme}> has no concept"))
        return result
    if len(members) > MAX_CONCEPTS:
        result.findings.append(_finding(graph, ERROR, "skos.too-many-concepts", scheme,
                                        f"the scheme has {len(members):,} concepts, more "
                                        f"than the limit of {MAX_CONCEPTS:,}"))
        return result
    labels = _check_labels(graph, members, result)
    _ambiguous_labels(graph, schemes, result)
    broader = _hierarchy(graph, scheme, members, result)
    _not_imported(graph, scheme, members, result)
    _other_resources(graph, schemes, result)
    _dropped_values(graph, members, result)
    if result.errors:
        return result
    source = _Source(graph, scheme, members, labels, broader, file_name, fmt)
    result.record = _record(source, scheme_id, existing, used or {}, result)
    return result


@dataclass
class _Source:
    """What the file says about the scheme being imported, once checked."""

    graph: _Graph
    scheme: str
    members: list[str]
    labels: Mapping[str, dict[str, str]]
    broader: Mapping[str, set[str]]
    file_name: str | None = None
    fmt: str | None = None


def _concept_ids(source: _Source, old_concepts: list[dict[str, Any]]) -> dict[str, str]:
    """Return the registry id of each concept: kept by IRI, else notation, else IRI."""
    by_iri: dict[str, dict[str, Any]] = {}
    for stored in old_concepts:
        for iri in [stored.get("iri"), *stored.get("exact_match", ())]:
            if isinstance(iri, str):
                by_iri.setdefault(iri, stored)
    taken = {c["id"] for c in old_concepts}
    ids: dict[str, str] = {}
    for concept in sorted(source.members):
        old = by_iri.get(concept)
        if old is not None:
            ids[concept] = old["id"]
            continue
        notations = [o.value for o in source.graph.objects(concept, SKOS + "notation")
                     if o.kind == "literal" and CONCEPT_ID.match(o.value)]
        candidate = notations[0] if notations else _slug(concept)
        old_same_id = next((c for c in old_concepts if c["id"] == candidate), None)
        if old_same_id is not None and not old_same_id.get("iri"):
            ids[concept] = candidate  # a concept of ours that the file now describes
            continue
        unique, n = candidate, 1
        while unique in taken or unique in ids.values():
            n += 1
            unique = f"{candidate[:76]}-{n}"
        ids[concept] = unique
        taken.add(unique)
    return ids


def _links(source: _Source, concept: str, ids: Mapping[str, str]) -> dict[str, Any]:
    """Return the concept's links: broader, related, and the mapping properties."""
    graph = source.graph
    item: dict[str, Any] = {}
    parents = sorted(ids[b] for b in source.broader.get(concept, ()))
    if parents:
        item["broader"] = parents
    related = graph.iris(concept, SKOS + "related")
    inside = sorted({ids[r] for r in related if r in ids})
    if inside:
        item["related"] = inside
    outside = sorted({r for r in related if r not in ids and IRI.match(r)})
    if outside:
        item["related_iris"] = outside  # concepts of another scheme, by their IRI
    for predicate, name in MATCHES.items():
        matches = sorted({m for m in graph.iris(concept, SKOS + predicate) if IRI.match(m)})
        if matches:
            item[name] = matches
    return item


def _concept_item(source: _Source, concept: str, ids: Mapping[str, str]) -> dict[str, Any]:
    graph = source.graph
    item: dict[str, Any] = {"id": ids[concept]}
    if not concept.startswith("_:"):
        item["iri"] = concept
    item["label"] = source.labels[concept]
    alt = _texts(graph, concept, SKOS + "altLabel")
    if alt:
        item["alt_labels"] = {lang: sorted(values) for lang, values in sorted(alt.items())}
    definition = _first(_texts(graph, concept, SKOS + "definition"))
    if definition:
        item["definition"] = definition
    item.update(_links(source, concept, ids))
    if any(o.kind == "literal" and o.value.lower() in ("true", "1")
           for o in graph.objects(concept, OWL + "deprecated")):
        item["deprecated"] = True
        replacement = [ids[r] for r in graph.iris(concept, DCTERMS + "isReplacedBy")
                       if r in ids]
        if replacement:
            item["replaced_by"] = replacement[0]
    return item


def _merge(old_concepts: list[dict[str, Any]], new: dict[str, dict[str, Any]],
           used: Mapping[str, int], result: ImportResult) -> list[dict[str, Any]]:
    """Return the stored concepts updated by the file's; those gone stay, deprecated."""
    concepts: list[dict[str, Any]] = []
    for old in old_concepts:
        found = new.pop(old["id"], None)
        if found is None:
            # Gone from the file: kept, deprecated (never deleted).
            kept = dict(old)
            if not kept.get("deprecated"):
                kept["deprecated"] = True
                result.deprecated.append(old["id"])
                if used.get(old["id"]):
                    result.used_deprecated.append(old["id"])
            concepts.append(kept)
            continue
        if "layer" in old and "layer" not in found:
            found["layer"] = old["layer"]  # the registry's own annotation of a capability
        if found != old:
            result.updated.append(found["id"])
        concepts.append(found)
    for item in sorted(new.values(), key=lambda c: c["id"]):
        result.added.append(item["id"])
        concepts.append(item)
    return concepts


def _scheme_record(source: _Source, scheme_id: str,
                   existing: Mapping[str, Any] | None) -> dict[str, Any]:
    graph, scheme = source.graph, source.scheme
    title = _first(_texts(graph, scheme, DCTERMS + "title", SKOS + "prefLabel",
                          RDFS + "label")) or dict((existing or {}).get("title") or {}) \
        or {"en": scheme_id}
    description = _first(_texts(graph, scheme, DCTERMS + "description", SKOS + "definition",
                                RDFS + "comment")) \
        or dict((existing or {}).get("description") or {}) or title
    record: dict[str, Any] = {"id": scheme_id, "title": title, "description": description}
    if URL.match(scheme):
        record["exact_match"] = scheme
    origin: dict[str, Any] = {"iri": scheme}
    if source.file_name:
        origin["file"] = source.file_name[-255:]
    if source.fmt:
        origin["format"] = source.fmt
    version = [o.value for o in graph.objects(scheme, OWL + "versionInfo") if o.value.strip()]
    if version:
        origin["version"] = version[0][:200]
    record["source"] = origin
    return record


def _record(source: _Source, scheme_id: str, existing: Mapping[str, Any] | None,
            used: Mapping[str, int], result: ImportResult) -> dict[str, Any]:
    """Return the vocabulary record: the file's concepts merged into the stored ones."""
    old_concepts: list[dict[str, Any]] = [dict(c) for c in (existing or {}).get("concepts", [])]
    ids = _concept_ids(source, old_concepts)
    new = {ids[c]: _concept_item(source, c, ids) for c in source.members}
    record = _scheme_record(source, scheme_id, existing)
    record["concepts"] = _merge(old_concepts, new, used, result)
    return record


def used_concepts(scheme_id: str, catalogue: Any, roadmap: Any) -> dict[str, int]:
    """Return how many records and projects refer to each concept of a scheme."""
    from registry.linked_data.context import sheet_layout

    counts: dict[str, int] = defaultdict(int)
    fields = {"capabilities": ("applies_to", "provides"), "organisations": ("owner",),
              "standard-categories": ("category",)}.get(scheme_id, ())
    for records in (catalogue.standards, catalogue.components):
        for record in records.values():
            for name in fields:
                field_value = record.get(name)
                for item in field_value if isinstance(field_value, list) else [field_value]:
                    if isinstance(item, str):
                        counts[item] += 1
    namespace = f"vocabularies/{scheme_id}/"
    layout = sheet_layout()
    keys = [(keys, f) for keys, f in layout.members()
            if f.kind == "vocab" and (f.vocab or "").endswith(namespace)]
    for project in roadmap.projects.values() if roadmap is not None else ():
        for path, _ in keys:
            value: Any = project.sheet
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    counts[item] += 1
    return dict(counts)


@dataclass
class StoreOutcome:
    """What `import_vocabulary` did: the check's result and the store action."""

    result: ImportResult
    action: str  # created, updated, unchanged, refused, checked (dry run)
    revision: int | None = None


def import_vocabulary(data: bytes, fmt: str, scheme_id: str, *, store: Any, catalogue: Any,
                      roadmap: Any = None, scheme_iri: str | None = None,
                      file_name: str | None = None, author: str = "registry vocab import",
                      max_bytes: int = 20 * 1024 * 1024, dry_run: bool = False
                      ) -> StoreOutcome:
    """Check a SKOS file and store it as a new revision of a vocabulary (all or nothing)."""
    from registry.catalogue.files import check_change
    from registry.linked_data.rdf_input import parse_rdf
    from registry.storage.store import digest

    parsed = parse_rdf(data, fmt, max_bytes=max_bytes)
    existing = catalogue.vocabularies.get(scheme_id)
    result = check_and_map(parsed, scheme_id, existing=existing,
                           used=used_concepts(scheme_id, catalogue, roadmap),
                           scheme_iri=scheme_iri, file_name=file_name, fmt=fmt)
    if result.record is None:
        return StoreOutcome(result, "refused")
    for error in check_change("vocabulary", result.record, catalogue):
        result.findings.append(Finding(ERROR, "schema", error.path, error.message))
    if result.errors:
        result.record = None
        return StoreOutcome(result, "refused")
    if dry_run:
        return StoreOutcome(result, "checked")
    if existing is not None and digest(dict(existing)) == digest(result.record):
        return StoreOutcome(result, "unchanged")
    current = store.get("vocabulary", scheme_id) if existing is not None else None
    stored = store.put("vocabulary", scheme_id, result.record, author=author,
                       if_match=current.revision if current else None,
                       create_only=current is None,
                       message=f"imported from {file_name or 'a SKOS file'}")
    return StoreOutcome(result, "updated" if current else "created", stored.revision)
