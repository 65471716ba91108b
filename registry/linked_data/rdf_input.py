"""Read an RDF file given by a user: local bytes only, with limits, never the network.

What is refused, and why:

- more than `max_bytes` bytes, or more than `max_triples` triples (memory);
- RDF/XML with a DOCTYPE (or any entity declaration), before parsing: XML entities
  are how "billion laughs" and external-entity (XXE) attacks work;
- JSON-LD with a remote `@context` (a string or a list holding one) or an `@import`:
  the processor would fetch it. Oxigraph has no document loader set, so it could not
  fetch one anyway; the check gives the clear message (and the line) first.
- `owl:imports` is never followed (the parser does not even know it): a warning says so.

Parsing is Oxigraph's (fast, strict, with line and column in its errors); the result is
plain Python: triples of `Term`s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.documents.findings import ERROR, WARNING, Finding

FORMATS = ("turtle", "rdfxml", "jsonld", "ntriples")
SUFFIXES = {".ttl": "turtle", ".turtle": "turtle", ".rdf": "rdfxml", ".xml": "rdfxml",
            ".owl": "rdfxml", ".jsonld": "jsonld", ".json": "jsonld", ".nt": "ntriples"}
MAX_TRIPLES = 1_000_000
OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"


@dataclass(frozen=True, slots=True)
class Term:
    """An RDF term as plain data: kind (iri, bnode, literal), value, language, datatype."""

    kind: str
    value: str
    language: str | None = None
    datatype: str | None = None

    @property
    def key(self) -> str:
        """Return a string naming the node (IRI, or _:label for a blank node)."""
        return self.value if self.kind == "iri" else f"_:{self.value}"


Triple = tuple[Term, Term, Term]


@dataclass
class ParsedRdf:
    """A parsed RDF file: its triples and text (to locate things), or findings."""

    triples: list[Triple] = field(default_factory=list)
    text: str = ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when the file was read (warnings allowed)."""
        return not any(f.severity == ERROR for f in self.findings)


def format_for(path: Path | str, explicit: str | None = None) -> str | None:
    """Return the RDF format of a file: the explicit one, else by suffix, else None."""
    if explicit:
        return explicit
    return SUFFIXES.get(Path(path).suffix.lower())


def _fail(code: str, message: str, line: int | None = None,
          column: int | None = None) -> Finding:
    return Finding(ERROR, code, "", message, line, column)


def position(text: str, index: int) -> tuple[int, int]:
    """Return the 1-based line and column of a character index."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def locate(text: str, iri: str) -> tuple[int | None, int | None]:
    """Return where an IRI is first written in a file (full, or as prefix:local)."""
    for needle in (f"<{iri}>", f'"{iri}"', iri):
        index = text.find(needle)
        if index >= 0:
            return position(text, index)
    local = re.split(r"[#/]", iri)[-1]
    if local:
        found = re.search(r"(?<![\w/#])[\w.-]*:" + re.escape(local) + r"(?![\w-])", text)
        if found:
            return position(text, found.start())
    return None, None


_PREFIX = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def _spellings(text: str, iri: str) -> list[re.Pattern[str]]:
    """Return the ways an IRI can be written in the file: in full, or with a declared prefix."""
    out = [re.compile(re.escape(f"<{iri}>")), re.compile(re.escape(f'"{iri}"'))]
    for prefix, namespace in _PREFIX.findall(text[:200_000]):
        if namespace and iri.startswith(namespace):
            local = iri[len(namespace):]
            if re.fullmatch(r"[\w.-]*", local) and not local.endswith("."):
                out.append(re.compile(r"(?<![\w.:/#-])" + re.escape(f"{prefix}:{local}")
                                      + r"(?![\w:-])"))
    return out


def _starts_statement(text: str, index: int) -> bool:
    """Return True when what is written at `index` is a subject (or an `rdf:about`/`@id`)."""
    i = index - 1
    while True:
        while i >= 0 and text[i] in " \t\r\n":
            i -= 1
        if i < 0:
            return True
        line_start = text.rfind("\n", 0, i + 1) + 1
        if text[line_start:i + 1].lstrip().startswith("#"):
            i = line_start - 1  # a comment line: look before it
            continue
        break
    if text[i] == ".":
        return True
    head = text[max(0, i - 40):i + 1]
    return head.endswith("rdf:about=") or re.search(r'"@id"\s*:$', head) is not None


def describe_at(text: str, iri: str) -> tuple[int | None, int | None]:
    """Return where a resource is described (where it is the subject), else first written.

    A finding about a concept belongs where its statements are, not where another concept
    first mentions it: in Turtle and N-Triples a description starts a statement (after a
    `.` or at the start of the file); in RDF/XML it is `rdf:about`; in JSON-LD, `@id`.
    """
    for pattern in _spellings(text, iri):
        for found in pattern.finditer(text):
            if _starts_statement(text, found.start()):
                return position(text, found.start())
    return locate(text, iri)


def _doctype(text: str) -> int | None:
    """Return the index of a DOCTYPE in an XML prolog (or of any ENTITY declaration)."""
    entity = text.find("<!ENTITY")
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n\ufeff":
            i += 1
        if text.startswith("<?", i):
            end = text.find("?>", i)
            i = n if end < 0 else end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            i = n if end < 0 else end + 3
        elif text[i:i + 9].upper() == "<!DOCTYPE":
            return i
        else:
            break
    return entity if entity >= 0 else None


def _remote_contexts(node: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Yield (keyword, value) for every remote @context and @import of a JSON-LD tree."""
    if depth > 64:
        yield ("depth", "")
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str):
                        yield ("@context", item)
                    elif isinstance(item, dict):
                        if isinstance(item.get("@import"), str):
                            yield ("@import", item["@import"])
                        yield from _remote_contexts(item, depth + 1)
            else:
                yield from _remote_contexts(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _remote_contexts(item, depth + 1)


def _syntax_position(message: str) -> tuple[int | None, int | None]:
    line = re.search(r"line (\d+)", message)
    column = re.search(r"columns? (\d+)", message) or re.search(r"\d+:(\d+)", message)
    return (int(line.group(1)) if line else None, int(column.group(1)) if column else None)


def _term(term: Any) -> Term:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return Term("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Term("literal", term.value, term.language or None, term.datatype.value)
    return Term("literal", str(term))


def _jsonld_refusals(text: str) -> list[Finding]:
    """Return why a JSON-LD text is refused before parsing (bad JSON, remote contexts)."""
    try:
        tree = json.loads(text)
    except json.JSONDecodeError as exc:
        return [_fail("rdf.syntax", f"the file is not valid JSON: {exc.msg}", exc.lineno,
                      exc.colno)]
    except RecursionError:
        return [_fail("rdf.too-deep", "the JSON is nested too deeply")]
    found: list[Finding] = []
    for keyword, value in _remote_contexts(tree):
        if keyword == "depth":
            return [_fail("rdf.too-deep", "the JSON-LD is nested more than 64 levels deep")]
        index = text.find(json.dumps(value))
        line, column = position(text, index) if index >= 0 else (None, None)
        found.append(_fail(
            "rdf.remote-context", f"the JSON-LD names a remote {keyword} ({value}): "
            "remote documents are never fetched; put the context inline", line, column))
    return found


def _refusals(text: str, fmt: str) -> list[Finding]:
    """Return why a file is refused before the parser sees it (XML entities, remote JSON-LD)."""
    if fmt == "rdfxml":
        index = _doctype(text)
        if index is not None:
            return [_fail("rdf.doctype", "the RDF/XML file has a DOCTYPE or an entity "
                          "declaration: refused before parsing (XML entities can expand "
                          "without bound or read local files); remove the DOCTYPE",
                          *position(text, index))]
    if fmt == "jsonld":
        return _jsonld_refusals(text)
    return []


def _read_triples(data: bytes, fmt: str, max_triples: int, result: ParsedRdf) -> None:
    import pyoxigraph as ox

    try:
        for quad in ox.parse(data, format=_OX_FORMATS[fmt]()):
            if len(result.triples) >= max_triples:
                result.findings.append(_fail("rdf.too-many-triples", f"the file holds more "
                                             f"than {max_triples:,} triples"))
                return
            result.triples.append((_term(quad.subject), _term(quad.predicate),
                                   _term(quad.object)))
    except (SyntaxError, ValueError, OSError) as exc:
        message = str(exc)
        result.findings.append(_fail("rdf.syntax", f"the file is not valid "
                                     f"{_LABELS[fmt]}: {message}", *_syntax_position(message)))
        result.triples = []


def _scan_triples(result: ParsedRdf) -> None:
    """Report NUL characters in literals and owl:imports (never followed)."""
    for s, p, o in result.triples:
        if o.kind == "literal" and "\x00" in o.value:
            # A literal with U+0000 is valid RDF, but no text a registry record can hold
            # (PostgreSQL refuses it): refused here, before anything is stored.
            line, column = describe_at(result.text, s.value)
            result.findings.append(_fail(
                "rdf.syntax", f"a literal of <{s.value}> holds the NUL character (U+0000), "
                "which text cannot contain: remove it", line, column))
        if p.value == OWL_IMPORTS:
            line, column = locate(result.text, o.value)
            result.findings.append(Finding(
                WARNING, "rdf.owl-imports", s.key, f"owl:imports <{o.value}> is not followed: "
                "only this file is read", line, column))


def parse_rdf(data: bytes, fmt: str, *, max_bytes: int,
              max_triples: int = MAX_TRIPLES) -> ParsedRdf:
    """Parse RDF bytes of a format with the limits and refusals of this module."""
    if len(data) > max_bytes:
        return ParsedRdf(findings=[_fail("rdf.too-large", f"the file is larger than the "
                                         f"limit of {max_bytes:,} bytes")])
    text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    result = ParsedRdf(text=text, findings=_refusals(text, fmt))
    if result.findings:
        return result
    _read_triples(data, fmt, max_triples, result)
    if result.ok:
        _scan_triples(result)
    return result


_LABELS = {"turtle": "Turtle", "rdfxml": "RDF/XML", "jsonld": "JSON-LD",
           "ntriples": "N-Triples"}


def _ox(name: str) -> Any:
    def get() -> Any:
        import pyoxigraph as ox

        return getattr(ox.RdfFormat, name)
    return get


_OX_FORMATS = {"turtle": _ox("TURTLE"), "rdfxml": _ox("RDF_XML"), "jsonld": _ox("JSON_LD"),
               "ntriples": _ox("N_TRIPLES")}
