"""The immutable, indexed catalogue snapshot that every hot path reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any

from registry.documents.typography import french
from registry.documents.values import Value

Record = Mapping[str, Any]
LANGUAGES = ("en", "fr", "nl", "de")


class Concept(Value):
    """A SKOS concept of one scheme, with its narrower concepts resolved."""

    __slots__ = ("scheme", "id", "label", "definition", "broader", "narrower",
                 "exact_match", "alt_labels", "layer", "deprecated", "replaced_by")
    scheme: str
    id: str
    label: Mapping[str, str]
    definition: Mapping[str, str]
    broader: tuple[str, ...]
    narrower: tuple[str, ...]
    exact_match: tuple[str, ...]
    alt_labels: Mapping[str, tuple[str, ...]]
    layer: str | None
    deprecated: bool
    replaced_by: str | None

    def __init__(self, scheme: str, id: str, label: Mapping[str, str],  # noqa: A002
                 definition: Mapping[str, str], broader: tuple[str, ...] = (),
                 narrower: tuple[str, ...] = (), exact_match: tuple[str, ...] = (),
                 alt_labels: Mapping[str, tuple[str, ...]] | None = None,
                 layer: str | None = None, deprecated: bool = False,
                 replaced_by: str | None = None) -> None:
        self._init(scheme, id, label, definition, broader, narrower, exact_match,
                   {} if alt_labels is None else alt_labels, layer, deprecated, replaced_by)


def _index(pairs: Iterable[tuple[str, str]]) -> Mapping[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, value in pairs:
        if value not in out[key]:
            out[key].append(value)
    return MappingProxyType({k: tuple(sorted(v)) for k, v in out.items()})


class Catalogue:
    """All catalogue records of one stored revision, with the indexes lookups need.

    Never mutated after construction: a change to the store builds a new one.
    """

    def __init__(
        self,
        standards: Iterable[Record] = (),
        principles: Iterable[Record] = (),
        components: Iterable[Record] = (),
        vocabularies: Iterable[Record] = (),
        version: str = "0",
        legal: Iterable[Record] = (),
    ) -> None:
        self.version = version
        self.standards: Mapping[str, Record] = MappingProxyType(
            {r["id"]: r for r in sorted(standards, key=lambda r: r["id"])})
        self.principles: Mapping[str, Record] = MappingProxyType(
            {r["id"]: r for r in sorted(principles, key=_principle_order)})
        self.components: Mapping[str, Record] = MappingProxyType(
            {r["id"]: r for r in sorted(components, key=lambda r: r["id"])})
        self.vocabularies: Mapping[str, Record] = MappingProxyType(
            {r["id"]: r for r in sorted(vocabularies, key=lambda r: r["id"])})
        self.legal: Mapping[str, Record] = MappingProxyType(
            {r["id"]: r for r in sorted(legal, key=_legal_order)})
        self.concepts: Mapping[str, Mapping[str, Concept]] = MappingProxyType(
            {scheme: _concepts(scheme, vocab) for scheme, vocab in self.vocabularies.items()})

        self.standards_by_capability = _index(
            (cap, s["id"]) for s in self.standards.values() for cap in s.get("applies_to", ()))
        self.standards_by_principle = _index(
            (p, s["id"]) for s in self.standards.values() for p in s.get("principles", ()))
        self.standards_by_category = _index(
            (s["category"], s["id"]) for s in self.standards.values())
        self.components_by_capability = _index(
            (cap, c["id"]) for c in self.components.values() for cap in c.get("provides", ()))
        self.components_by_standard = _index(
            (s, c["id"]) for c in self.components.values() for s in c.get("implements", ()))
        self.components_by_owner = _index(
            (c["owner"], c["id"]) for c in self.components.values())
        # Legal act -> the standards and principles it mandates or motivates.
        self.standards_by_legal = _index(
            (a, s["id"]) for s in self.standards.values() for a in s.get("mandated_by", ()))
        self.principles_by_legal = _index(
            (a, p["id"]) for p in self.principles.values() for a in p.get("mandated_by", ()))
        self.replacing = _index(
            (s["replaced_by"], s["id"]) for s in self.standards.values() if s.get("replaced_by"))

    @cached_property
    def search_text(self) -> Mapping[str, str]:
        """Lower-cased titles in every language, for the `q` full-text filter (made on
        first use: validating a sheet never searches)."""
        return MappingProxyType({
            **{f"standard:{k}": _haystack(r, "title", "acronym", "description")
               for k, r in self.standards.items()},
            **{f"principle:{k}": _haystack(r, "name", "statement")
               for k, r in self.principles.items()},
            **{f"component:{k}": _haystack(r, "name", "description")
               for k, r in self.components.items()},
            **{f"legal:{k}": _haystack(r, "title", "short_title", "description")
               for k, r in self.legal.items()},
        })

    def __repr__(self) -> str:
        return (f"<Catalogue v{self.version}: {len(self.standards)} standards, "
                f"{len(self.principles)} principles, {len(self.components)} components, "
                f"{len(self.vocabularies)} vocabularies, {len(self.legal)} legal acts>")

    @property
    def is_empty(self) -> bool:
        """Return True when the catalogue holds no record at all."""
        return not (self.standards or self.principles or self.components or self.vocabularies
                    or self.legal)

    def concept(self, scheme: str, concept_id: str) -> Concept | None:
        """Return a concept of a scheme, or None."""
        return self.concepts.get(scheme, {}).get(concept_id)

    def matches(self, kind: str, record_id: str, words: str) -> bool:
        """Return True when every word of a search query occurs in the record's text."""
        haystack = self.search_text.get(f"{kind}:{record_id}", "")
        return all(w in haystack for w in words.lower().split())

    def records(self, kind: str) -> Mapping[str, Record]:
        """Return the records of a kind by id."""
        return {
            "standard": self.standards, "principle": self.principles,
            "component": self.components, "vocabulary": self.vocabularies,
            "legal": self.legal,
        }[kind]


def _principle_order(record: Record) -> tuple[int, int, str]:
    return (0 if record.get("source") == "eif" else 1, record.get("number", 99), record["id"])


def _legal_order(record: Record) -> tuple[int, str, str]:
    # EU acts first, then federal, then regional; oldest first within each level.
    level = {"EU": 0, "BE": 1, "BE-BRU": 2}.get(record.get("jurisdiction", ""), 3)
    return (level, record.get("adopted", ""), record["id"])


def _haystack(record: Record, *fields: str) -> str:
    parts: list[str] = []
    for name in fields:
        value = record.get(name)
        if isinstance(value, Mapping):
            parts.extend(str(v) for v in value.values())
        elif value:
            parts.append(str(value))
    return " ".join(parts).lower()


def _concepts(scheme: str, vocabulary: Record) -> Mapping[str, Concept]:
    items = vocabulary.get("concepts", [])
    narrower = _index((b, c["id"]) for c in items for b in c.get("broader", ()))
    return MappingProxyType({
        c["id"]: Concept(
            scheme=scheme,
            id=c["id"],
            label=MappingProxyType(dict(c.get("label", {}))),
            definition=MappingProxyType(dict(c.get("definition", {}))),
            broader=tuple(c.get("broader", ())),
            narrower=narrower.get(c["id"], ()),
            exact_match=tuple(c.get("exact_match", ())),
            alt_labels=MappingProxyType(
                {k: tuple(v) for k, v in c.get("alt_labels", {}).items()}),
            layer=c.get("layer"),
            deprecated=bool(c.get("deprecated", False)),
            replaced_by=c.get("replaced_by"),
        )
        for c in items
    })


def localized(text: Mapping[str, str] | None, lang: str) -> tuple[str, str]:
    """Return (value, language used) for a multilingual text, falling back to en.

    A French text comes with French typography's no-break spaces (as the fr
    catalogue's templates do), whatever spaces its record was written with.
    """
    if not text:
        return "", lang
    for candidate in (lang, "en", *LANGUAGES):
        if text.get(candidate):
            value = text[candidate]
            return (french(value) if candidate == "fr" and isinstance(value, str)
                    else value), candidate
    first = next(iter(text))
    return text[first], first
