"""What a parser returns: the value with its positions, or the findings that refused it."""

from __future__ import annotations

from typing import Any

from registry.documents.findings import ERROR, Finding
from registry.documents.limits import Limits
from registry.documents.values import Value

Position = tuple[int, int]


class ParseResult(Value):
    """The outcome of parsing one document: value and positions, or parse findings."""

    __slots__ = ("value", "positions", "findings", "format", "key_positions", "sources")
    value: Any
    positions: dict[str, Position]
    findings: list[Finding]
    format: str
    # Position of the key of each mapping entry (the value's is in `positions`): an
    # unknown field is best shown at its name.
    key_positions: dict[str, Position]
    # Source text of plain YAML scalars that were read as something else than a string
    # (`NO` -> false, `1.10` -> 1.1), so that messages can quote what the author wrote.
    sources: dict[str, str]

    def __init__(self, value: Any, positions: dict[str, Position], findings: list[Finding],
                 format: str, key_positions: dict[str, Position] | None = None,  # noqa: A002
                 sources: dict[str, str] | None = None) -> None:
        self._init(value, positions, findings, format,
                   {} if key_positions is None else key_positions,
                   {} if sources is None else sources)

    @property
    def ok(self) -> bool:
        """Return True when the document parsed into a mapping without findings."""
        return not self.findings


class Walk:
    """What both parsers gather on their one pass: value and key positions, findings."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.positions: dict[str, Position] = {}
        self.key_positions: dict[str, Position] = {}
        self.findings: list[Finding] = []


class Stop(Exception):
    """Abort the walk with one finding."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def fail(code: str, message: str, line: int | None = None, column: int | None = None,
         path: str = "", hint: str | None = None) -> Finding:
    """Return an error finding of the parse stage."""
    return Finding(ERROR, code, path, message, line, column, hint)


def escape(key: str) -> str:
    """Return a key escaped as one JSON Pointer reference token."""
    if "~" in key or "/" in key:
        return key.replace("~", "~0").replace("/", "~1")
    return key


NUL_MESSAGE = ("a string holds the NUL character (U+0000), which text cannot contain (and "
               "PostgreSQL cannot store): remove it")


def nul_finding(pos: Position, pointer: str) -> Finding:
    """Return the finding of a string holding U+0000."""
    return fail("parse.encoding", NUL_MESSAGE, *pos, path=pointer)


def byte_position(raw: bytes, offset: int) -> Position:
    """Return the line and column (counted in characters) of a byte offset in UTF-8 text."""
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    return line, len(raw[start:offset].decode("utf-8", "replace")) + 1


def refused(fmt: str, finding: Finding) -> ParseResult:
    """Return the result of a document refused with one finding."""
    return ParseResult(None, {}, [finding], fmt)


def json_type(value: Any) -> str:
    """Return the JSON type of a parsed value: null, boolean, number, string, array, object.

    Each reader of parsed data words the type its own way, through a table keyed by this.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_KIND_WORDS = {"null": "null", "boolean": "a boolean", "number": "a number",
               "string": "a text", "array": "a list", "object": "a mapping"}


def kind_of(value: Any) -> str:
    """Return what a parsed value is, in words, for messages."""
    return _KIND_WORDS[json_type(value)]
