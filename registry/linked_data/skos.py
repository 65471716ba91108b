"""Import a published SKOS concept scheme as a vocabulary of the catalogue.

`import_scheme` reads the triples of a file (see `rdf_input`), checks SKOS integrity
and maps the scheme to a vocabulary record, merged with the stored one:

- findings, errors first, before anything is stored (the caller stores only a record
  without error): a concept without prefLabel, two prefLabels in one language on one
  concept (S14), the same prefLabel on two concepts in one language, cycles of
  broader/narrower, concepts in no scheme, broader/narrower pointing outside the scheme;
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
from registry.linked_data.rdf_input import ParsedRdf, Term, locate

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCTERMS = "http://purl.org/dc/terms/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
CONCEPT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}\Z")
URL = re.compile(r"https?://\S+\Z")
LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*\Z")
NO_LANGUAGE = "und"
MAX_CONCEPTS = 50_000


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
        return locate(self.text, subject) if not subject.startswith("_:") else (None, None)


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


def _choose_scheme(graph: _Graph, scheme_iri: str | None, result: ImportResult) -> str | None:
    schemes = graph.typed(SKOS + "ConceptScheme")
    if scheme_iri is not None:
        if scheme_iri not in schemes:
            result.findings.append(Finding(ERROR, "skos.no-such-scheme", scheme_iri,
                                           f"the file has no concept scheme <{scheme_iri}>; "
                                           f"it has {', '.join(schemes) or 'none'}"))
            return None
        return scheme_iri
    if not schemes:
        result.findings.append(Finding(ERROR, "skos.no-scheme", "", "the file has no "
                                       "skos:ConceptScheme: nothing to import"))
        return None
    if len(schemes) > 1:
        result.findings.append(Finding(ERROR, "skos.several-schemes", "", f"the file has "
                                       f"{len(schemes)} concept schemes "
                                       f"({', '.join(schemes[:5])}): choose one with "
                                       "--scheme-iri"))
        return None
    return schemes[0]


def check_and_map(parsed: ParsedRdf, scheme_id: str, *, existing: Mapping[str, Any] | None,
                  used: Mapping[str, int] | None = None, scheme_iri: str | None = None,
                  file_name: str | None = None, fmt: str | None = None) -> ImportResult:
    """Check a parsed SKOS file and return the vocabulary record it makes (merged)."""
    result = ImportResult(findings=list(parsed.findings))
    if not parsed.ok:
        return result
    graph = _Graph(parsed)
    scheme = _choose_scheme(graph, scheme_iri, result)
    if scheme is None:
        return result

    # Members of the scheme: inScheme / topConceptOf it, or one of its top concepts.
    members: list[str] = []
    member_set: set[str] = set()
    top = set(graph.iris(scheme, SKOS + "hasTopConcept"))
    for subject in graph.subjects:
        schemes = set(graph.iris(subject, SKOS + "inScheme")) | set(
            graph.iris(subject, SKOS + "topConceptOf"))
        if scheme in schemes or subject in top:
            members.append(subject)
            member_set.add(subject)
    in_any_scheme = {s for s in graph.subjects
                     if graph.iris(s, SKOS + "inScheme") or graph.iris(s, SKOS + "topConceptOf")}
    for schemes_top in (graph.iris(s, SKOS + "hasTopConcept")
                        for s in graph.typed(SKOS + "ConceptScheme")):
        in_any_scheme.update(schemes_top)
    for concept in graph.typed(SKOS + "Concept"):
        if concept not in in_any_scheme:
            result.findings.append(_finding(
                graph, WARNING, "skos.outside-scheme", concept,
                f"the concept <{concept}> is in no concept scheme (no skos:inScheme): it "
                "is not imported"))
    if not members:
        result.findings.append(_finding(graph, ERROR, "skos.no-concepts", scheme,
                                        f"the scheme <{scheme}> has no concept"))
        return result
    if len(members) > MAX_CONCEPTS:
        result.findings.append(_finding(graph, ERROR, "skos.too-many-concepts", scheme,
                                        f"the scheme has {len(members):,} concepts, more "
                                        f"than the limit of {MAX_CONCEPTS:,}"))
        return result

    # Labels: missing, two in one language, one shared by two concepts.
    labels: dict[str, dict[str, str]] = {}
    by_label: dict[tuple[str, str], list[str]] = defaultdict(list)
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
            by_label[(lang, values[0].strip().casefold())].append(concept)
        labels[concept] = _first(texts)
    for (lang, text), concepts in sorted(by_label.items()):
        if len(concepts) > 1:
            for concept in concepts[1:]:
                result.findings.append(_finding(
                    graph, WARNING, "skos.ambiguous-preflabel", concept,
                    f"the concepts <{concepts[0]}> and <{concept}> have the same prefLabel "
                    f"{text!r} in {lang!r}: readers cannot tell them apart"))

    # Hierarchy: broader plus the inverse of narrower, inside the scheme only.
    broader: dict[str, set[str]] = defaultdict(set)
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
    if result.errors:
        return result

    result.record = _record(graph, scheme, scheme_id, members, labels, broader, existing,
                            used or {}, file_name, fmt, result)
    return result


def _record(graph: _Graph, scheme: str, scheme_id: str, members: list[str],
            labels: Mapping[str, dict[str, str]], broader: Mapping[str, set[str]],
            existing: Mapping[str, Any] | None, used: Mapping[str, int],
            file_name: str | None, fmt: str | None, result: ImportResult) -> dict[str, Any]:
    old_concepts: list[dict[str, Any]] = [dict(c) for c in (existing or {}).get("concepts", [])]
    by_iri: dict[str, dict[str, Any]] = {}
    for stored in old_concepts:
        for iri in [stored.get("iri"), *stored.get("exact_match", ())]:
            if isinstance(iri, str):
                by_iri.setdefault(iri, stored)
    taken = {c["id"] for c in old_concepts}
    ids: dict[str, str] = {}
    for concept in sorted(members):
        old = by_iri.get(concept)
        if old is not None:
            ids[concept] = old["id"]
            continue
        notations = [o.value for o in graph.objects(concept, SKOS + "notation")
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

    new: dict[str, dict[str, Any]] = {}
    for concept in members:
        item: dict[str, Any] = {"id": ids[concept]}
        if not concept.startswith("_:"):
            item["iri"] = concept
        item["label"] = labels[concept]
        alt = _texts(graph, concept, SKOS + "altLabel")
        if alt:
            item["alt_labels"] = {lang: sorted(values) for lang, values in sorted(alt.items())}
        definition = _first(_texts(graph, concept, SKOS + "definition"))
        if definition:
            item["definition"] = definition
        parents = sorted(ids[b] for b in broader.get(concept, ()))
        if parents:
            item["broader"] = parents
        matches = sorted({m for m in graph.iris(concept, SKOS + "exactMatch") if URL.match(m)})
        if matches:
            item["exact_match"] = matches
        if any(o.kind == "literal" and o.value.lower() in ("true", "1")
               for o in graph.objects(concept, OWL + "deprecated")):
            item["deprecated"] = True
            replacement = [ids[r] for r in graph.iris(concept, DCTERMS + "isReplacedBy")
                           if r in ids]
            if replacement:
                item["replaced_by"] = replacement[0]
        new[item["id"]] = item

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

    title = _first(_texts(graph, scheme, DCTERMS + "title", SKOS + "prefLabel",
                          RDFS + "label")) or dict((existing or {}).get("title") or {}) \
        or {"en": scheme_id}
    description = _first(_texts(graph, scheme, DCTERMS + "description", SKOS + "definition",
                                RDFS + "comment")) \
        or dict((existing or {}).get("description") or {}) or title
    record: dict[str, Any] = {"id": scheme_id, "title": title, "description": description}
    if URL.match(scheme):
        record["exact_match"] = scheme
    source: dict[str, Any] = {"iri": scheme}
    if file_name:
        source["file"] = file_name[-255:]
    if fmt:
        source["format"] = fmt
    version = [o.value for o in graph.objects(scheme, OWL + "versionInfo") if o.value.strip()]
    if version:
        source["version"] = version[0][:200]
    record["source"] = source
    record["concepts"] = concepts
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
