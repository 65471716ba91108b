"""The JSON-LD context of project-sheet/v1, the sheet layout it implies, and sheet -> RDF.

`schemas/project-sheet/v1.context.jsonld` is the one mapping between the JSON shape of
a sheet and its RDF. Besides rebasing it and handing it to rdflib, this module reads
it as a *layout*: which key sits where (top level, nested under `owner`/`data`/...
through `@nest`, or inside the objects of `standards`/`kpis`/...), which predicate
it maps to, and what type its values must have. Two consumers share that layout, so
they cannot drift apart:

- `sheet_to_graph` keeps only the well-typed part of a sheet before JSON-LD
  processing (wrong types are the schema layer's business, and would otherwise turn
  into odd RDF such as blank nodes where concepts are expected);
- the fast linked-data check (`registry.validation.linked_data`) finds the values
  that a SHACL property path reaches, without building any RDF.

Decisions (documented here because JSON cannot hold comments):

- The project node is `<base>projects/<id>`, typed `reg:Project` and `foaf:Project`
  (`reg:` is `<base>def/`). It is not a `dcat:Resource`: a project is not a dataset.
- Concept-valued fields are `"@type": "@vocab"` with a scoped context
  `[null, {"@vocab": <scheme namespace>}]`: the `null` first clears every other term,
  so a value such as `title` or `dcterms` can never be read as a term or a prefix.
- There is no top-level `@vocab`, so unmapped keys (`x-*`, typos) produce no triples.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from registry.documents.values import Value
from registry.linked_data.iris import DEFAULT_BASE, FOAF, XSD, project_iri
from registry.paths import schemas_dir

if TYPE_CHECKING:
    from rdflib import Graph

SCHEMA_DIR = schemas_dir() / "project-sheet"
CONTEXT_FILE = SCHEMA_DIR / "v1.context.jsonld"

PROJECT_TYPES = ("Project", FOAF + "Project")  # "Project" is the context's term for reg:Project

_DATE_LENGTH = len("2026-03-01")
# What rdflib accepts as a language tag (BCP 47 in its simple form); ASCII only.
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*\Z", re.ASCII)


class Field(Value):
    """One key of the sheet layout: where it sits, its predicate and its value type."""

    __slots__ = ("key", "iri", "kind", "many", "datatype", "vocab", "level")
    key: str
    iri: str
    kind: str  # "vocab" | "id" | "lang" | "typed" | "plain" | "object"
    many: bool  # "@container": "@set": the JSON value is a list of items
    datatype: str | None  # kind "typed": the expanded xsd datatype
    vocab: str | None  # kind "vocab": the namespace that values are appended to
    level: Level | None  # kind "object": the layout of the nested objects

    def __init__(self, key: str, iri: str, kind: str, many: bool = False,
                 datatype: str | None = None, vocab: str | None = None,
                 level: Level | None = None) -> None:
        self._init(key, iri, kind, many, datatype, vocab, level)


class Level(Value):
    """The keys of one JSON object: its own fields and those grouped under `@nest` keys."""

    __slots__ = ("fields", "nests")
    fields: Mapping[str, Field]
    nests: Mapping[str, Mapping[str, Field]]

    def __init__(self, fields: Mapping[str, Field],
                 nests: Mapping[str, Mapping[str, Field]] | None = None) -> None:
        self._init(fields, {} if nests is None else nests)

    def members(self) -> Iterator[tuple[tuple[str, ...], Field]]:
        """Yield (JSON keys from this object, field) for every field of the level."""
        for key, f in self.fields.items():
            yield (key,), f
        for nest, fields in self.nests.items():
            for key, f in fields.items():
                yield (nest, key), f


# --- the context file -------------------------------------------------------------

@cache
def _context_text() -> str:
    return CONTEXT_FILE.read_text(encoding="utf-8")


def _rebase(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return base + value[len(DEFAULT_BASE):] if value.startswith(DEFAULT_BASE) else value
    if isinstance(value, list):
        return [_rebase(v, base) for v in value]
    if isinstance(value, dict):
        return {k: _rebase(v, base) for k, v in value.items()}
    return value


@cache
def _context(base: str) -> Mapping[str, Any]:
    # Cached per base; callers that hand it out get a deep copy.
    data = json.loads(_context_text())
    return _rebase(data["@context"], base)  # type: ignore[no-any-return]


def sheet_context(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """Return the JSON-LD context of project-sheet/v1 (the `@context` value) for a base."""
    return copy.deepcopy(dict(_context(base)))


def context_document(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """Return the context as the JSON-LD document served at /schemas/project-sheet/v1.context.jsonld."""
    return {"@context": sheet_context(base)}


# --- the layout ---------------------------------------------------------------------

def _expand(term: str, prefixes: Mapping[str, str]) -> str:
    prefix, sep, local = term.partition(":")
    if sep and not local.startswith("//") and prefix in prefixes:
        return prefixes[prefix] + local
    return term


def _parse_level(ctx: Mapping[str, Any], inherited: Mapping[str, str]) -> Level:
    prefixes = dict(inherited)
    for key, value in ctx.items():
        if isinstance(value, str) and value.endswith(("/", "#", ":")):
            prefixes[key] = value
    fields: dict[str, Field] = {}
    nests: dict[str, dict[str, Field]] = {k: {} for k, v in ctx.items() if v == "@nest"}
    for key, dfn in ctx.items():
        if key.startswith("@") or not isinstance(dfn, dict):
            continue  # keywords, prefixes, nest aliases, class names
        f = _parse_field(key, dfn, prefixes)
        nest = dfn.get("@nest")
        if nest is None:
            fields[key] = f
        else:
            nests[nest][key] = f
    return Level(fields, nests)


def _parse_field(key: str, dfn: Mapping[str, Any], prefixes: Mapping[str, str]) -> Field:
    iri = _expand(dfn["@id"], prefixes)
    container = dfn.get("@container")
    containers = set(container) if isinstance(container, list) else {container}
    many = "@set" in containers
    coercion = dfn.get("@type")
    scoped = dfn.get("@context")
    if coercion == "@vocab":
        # The scoped context is [null, {"@vocab": namespace}] (see the module docstring).
        last = scoped[-1] if isinstance(scoped, list) else scoped
        if not isinstance(last, Mapping) or not isinstance(last.get("@vocab"), str):
            raise ValueError(f"{key}: a @vocab-typed term needs a scoped @vocab")
        return Field(key, iri, "vocab", many, vocab=last["@vocab"])
    if coercion == "@id":
        return Field(key, iri, "id", many)
    if "@language" in containers:
        return Field(key, iri, "lang", many)
    if isinstance(coercion, str):
        return Field(key, iri, "typed", many, datatype=_expand(coercion, prefixes))
    if isinstance(scoped, dict):
        return Field(key, iri, "object", many, level=_parse_level(scoped, prefixes))
    return Field(key, iri, "plain", many)


@cache
def sheet_layout() -> Level:
    """Return the layout of a sheet's top-level object, read from the context file."""
    # Derived from the file as written (DEFAULT_BASE); the layout does not depend on it.
    return _parse_level(_context(DEFAULT_BASE), {})


def resolve_path(predicates: tuple[str, ...], layout: Level | None = None
                 ) -> tuple[tuple[tuple[str, ...], Field], ...]:
    """Return the layout steps (JSON keys, field) that a sequence of predicates follows."""
    # Predicates are given for DEFAULT_BASE (how the shapes file is written).
    level: Level | None = layout or sheet_layout()
    steps: list[tuple[tuple[str, ...], Field]] = []
    for i, predicate in enumerate(predicates):
        if level is None:
            raise LookupError(f"{predicates[i - 1]} does not lead to an object")
        matches = [(keys, f) for keys, f in level.members() if f.iri == predicate]
        if len(matches) != 1:
            raise LookupError(f"{predicate} maps to {len(matches)} keys of the sheet, not one")
        steps.append(matches[0])
        level = matches[0][1].level
    return tuple(steps)


def _pointer_part(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _valid_date(value: Any) -> str | None:
    if isinstance(value, datetime):
        return None  # a timestamp is not a date (the schema layer says so)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) == _DATE_LENGTH:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def accepts(f: Field, value: Any) -> bool:
    """Return True when a single item has the JSON type that its field requires."""
    if f.kind in ("vocab", "plain"):
        return isinstance(value, str)
    if f.kind == "id":
        return (isinstance(value, str) and value.startswith(("http://", "https://"))
                and not any(c in value for c in ' <>"{}|\\^`\t\r\n'))
    if f.kind in ("lang", "object"):
        return isinstance(value, Mapping)
    if f.datatype == XSD + "date":
        return _valid_date(value) is not None
    if f.datatype == XSD + "boolean":
        return isinstance(value, bool)
    if f.datatype in (XSD + "decimal", XSD + "integer", XSD + "double"):
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))
    return isinstance(value, str)


def items(f: Field, value: Any) -> Iterator[tuple[tuple[int, ...], Any]]:
    """Yield (index suffix, item) for the well-typed items of a field's JSON value."""
    if f.many:
        if isinstance(value, list):
            for i, item in enumerate(value):
                if accepts(f, item):
                    yield (i,), item
    elif accepts(f, value):
        yield (), value


def values_at(sheet: Any, steps: tuple[tuple[tuple[str, ...], Field], ...]
              ) -> Iterator[tuple[str, Any]]:
    """Yield (JSON pointer, value) for every well-typed value that a resolved path reaches."""
    yield from _values_at(sheet, steps, "")


def _values_at(node: Any, steps: tuple[tuple[tuple[str, ...], Field], ...], prefix: str
               ) -> Iterator[tuple[str, Any]]:
    if not steps or not isinstance(node, Mapping):
        return
    (keys, f), rest = steps[0], steps[1:]
    value: Any = node
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return
        value = value[key]
    base = prefix + "".join("/" + _pointer_part(k) for k in keys)
    for suffix, item in items(f, value):
        pointer = base + "".join(f"/{i}" for i in suffix)
        if rest:
            yield from _values_at(item, rest, pointer)
        else:
            yield pointer, item


# --- sheet -> RDF -------------------------------------------------------------------

def vocab_token(value: str) -> str:
    """Return a concept-field value as the token that the context appends to its namespace."""
    # Percent-encode everything that is not a plain id character, so that a value can
    # never leave its namespace ("/", ":", "#") nor look like a keyword ("@..."); ids of
    # the catalogue ([A-Za-z0-9_-]) are unchanged. "@" stays readable in mailto: IRIs.
    token = quote(value, safe="@")
    return "%40" + token[1:] if token.startswith("@") else token


def _clean_item(f: Field, value: Any) -> Any:
    if f.kind == "vocab":
        return vocab_token(value)
    if f.kind == "lang":
        return {k: v for k, v in value.items()
                if isinstance(k, str) and _LANGUAGE_TAG.match(k) and isinstance(v, str)}
    if f.kind == "object":
        assert f.level is not None
        return _clean_level(f.level, value)
    if f.kind == "typed" and f.datatype == XSD + "date":
        return _valid_date(value)
    return value


def _clean_field(f: Field, value: Any) -> Any:
    cleaned = [_clean_item(f, item) for _, item in items(f, value)]
    if f.many:
        return cleaned if isinstance(value, list) else None
    return cleaned[0] if cleaned else None


def _clean_level(level: Level, obj: Mapping[str, Any]) -> dict[str, Any]:
    # Only keys of the layout survive: "@context", "@id", "@graph" ... and x-* keys of
    # the input are dropped here, so the input cannot steer the JSON-LD processor.
    out: dict[str, Any] = {}
    for key, f in level.fields.items():
        if key in obj and (cleaned := _clean_field(f, obj[key])) is not None:
            out[key] = cleaned
    for nest, fields in level.nests.items():
        inner = obj.get(nest)
        if not isinstance(inner, Mapping):
            continue
        nested = {key: c for key, f in fields.items()
                  if key in inner and (c := _clean_field(f, inner[key])) is not None}
        if nested:
            out[nest] = nested
    return out


def clean_sheet(sheet: Any, base: str = DEFAULT_BASE) -> dict[str, Any]:
    """Return the well-typed part of a sheet as a JSON-LD node object (no @context)."""
    if not isinstance(sheet, Mapping):
        return {}
    node = _clean_level(sheet_layout(), sheet)
    sheet_id = sheet.get("id")
    if isinstance(sheet_id, str) and sheet_id:
        node["@id"] = project_iri(base, sheet_id)
    node["@type"] = list(PROJECT_TYPES)
    return node


def sheet_to_graph(sheet: Any, base: str = DEFAULT_BASE) -> Graph:
    """Return the RDF graph of a sheet, read as JSON-LD through the registry's context."""
    from rdflib import Graph
    from rdflib.plugins.parsers.jsonld import to_rdf

    graph = Graph()
    # The context is handed over as a dict and the node carries no "@context" of its
    # own (clean_sheet drops it), so the JSON-LD processor has no URL to load.
    to_rdf(clean_sheet(sheet, base), graph, base=None, context_data=sheet_context(base))
    return graph
