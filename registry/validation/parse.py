"""Parse a sheet (YAML or JSON) with limits, keeping the line and column of every node.

The YAML side walks libyaml's event stream once, building the Python value and the
positions together. Working on events rather than on a composed node tree is what lets
anchors, aliases, explicit tags and merge keys be refused *before* anything is expanded
or constructed: a billion-laughs document stops at its first anchor. Plain scalars are
resolved as PyYAML's SafeLoader does (YAML 1.1: `NO` is false, `1.10` is 1.1), except
timestamps, which stay the string they were written as so that a bare date and a quoted
one are the same value and an impossible date such as 2026-02-30 is left for the
structure layer to report instead of crashing the parser.

JSON (a `.json` file, or text whose first non-blank character is `{` or `[`) has its own
small parser because JSON is not YAML 1.1: `1e5` is a number, `NaN` is an error.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.resolver import Resolver

from registry.validation.findings import ERROR, Finding

try:  # libyaml is what makes parsing fast; fall back so the registry still works without it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pyyaml built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Position = tuple[int, int]
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what the parser accepts; a reader reads at most `max_bytes + 1` bytes."""

    max_bytes: int = MIB
    max_depth: int = 32
    # Python refuses to convert longer decimal strings to int (CVE-2020-10735); refuse them
    # ourselves, with a finding, so that the answer does not depend on sys.set_int_max_str_digits.
    max_digits: int = 4300

    @property
    def read_size(self) -> int:
        """Return how many bytes a reader should read: one more than allowed, to detect excess."""
        return self.max_bytes + 1


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The outcome of parsing one document: value and positions, or parse findings."""

    value: Any
    positions: dict[str, Position]
    findings: list[Finding]
    format: str
    # Position of the key of each mapping entry (the value's is in `positions`): an
    # unknown field is best shown at its name.
    key_positions: dict[str, Position] = field(default_factory=dict)
    # Source text of plain YAML scalars that were read as something else than a string
    # (`NO` -> false, `1.10` -> 1.1), so that messages can quote what the author wrote.
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when the document parsed into a mapping without findings."""
        return not self.findings


class _Stop(Exception):
    """Abort the walk with one finding."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _fail(code: str, message: str, line: int | None = None, column: int | None = None,
          path: str = "", hint: str | None = None) -> Finding:
    return Finding(ERROR, code, path, message, line, column, hint)


def escape(key: str) -> str:
    """Return a key escaped as one JSON Pointer reference token."""
    if "~" in key or "/" in key:
        return key.replace("~", "~0").replace("/", "~1")
    return key


def _size(n: int) -> str:
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def parse_document(data: bytes | str, limits: Limits = DEFAULT_LIMITS, *,
                   filename: str | None = None) -> ParseResult:
    """Parse one YAML or JSON document into plain data with the positions of its nodes."""
    named = "json" if filename is not None and filename.lower().endswith(".json") else "yaml"
    # The length is checked before anything else so that a huge input costs nothing more.
    if len(data) > limits.max_bytes:
        return _refused(named, _too_large(limits))
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates in a str built elsewhere
            char = ord(data[exc.start])
            return _refused(named, _fail(
                "parse.encoding", f"the text holds an invalid character (U+{char:04X}, a lone "
                "surrogate): it is not valid Unicode", *_text_position(data, exc.start)))
        if len(raw) > limits.max_bytes:
            return _refused(named, _too_large(limits))
        text = data
    else:
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _refused(named, _encoding_finding(raw, exc))
    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark is allowed and ignored
        text = text[1:]
        raw = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else text.encode("utf-8")

    if _detect(text, filename) == "json":
        return _JsonParser(text, limits).parse()
    return _YamlWalker(raw, limits).parse()


NUL_MESSAGE = ("a string holds the NUL character (U+0000), which text cannot contain (and "
               "PostgreSQL cannot store): remove it")


def _nul(pos: Position, pointer: str) -> Finding:
    """Return the finding of a string holding U+0000."""
    return _fail("parse.encoding", NUL_MESSAGE, *pos, path=pointer)


def _too_large(limits: Limits) -> Finding:
    return _fail("parse.too-large", f"the file is larger than the limit of "
                 f"{_size(limits.max_bytes)}: a project sheet is a few kilobytes, remove what "
                 "does not belong in it")


def _detect(text: str, filename: str | None) -> str:
    if filename:
        lowered = filename.lower()
        if lowered.endswith(".json"):
            return "json"
        if lowered.endswith((".yaml", ".yml")):
            return "yaml"
    stripped = text.lstrip(" \t\r\n")
    return "json" if stripped[:1] in ("{", "[") else "yaml"


def _refused(fmt: str, finding: Finding) -> ParseResult:
    return ParseResult(None, {}, [finding], fmt)


def _encoding_finding(raw: bytes, exc: UnicodeDecodeError) -> Finding:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _fail("parse.encoding", "the file is UTF-16 text: save it as UTF-8", 1, 1)
    line = raw.count(b"\n", 0, exc.start) + 1
    start = raw.rfind(b"\n", 0, exc.start) + 1
    column = len(raw[start:exc.start].decode("utf-8", "replace")) + 1
    byte = raw[exc.start]
    return _fail("parse.encoding", f"the file is not UTF-8 text (byte 0x{byte:02X} at line "
                 f"{line}, column {column}): save it as UTF-8", line, column)


def _text_position(text: str, index: int) -> Position:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# ---------------------------------------------------------------------------------------
# YAML


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {v: True for v in ("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")}
_BOOLS.update({v: False for v in ("no", "No", "NO", "false", "False", "FALSE",
                                  "off", "Off", "OFF")})


def _resolver_regex(tag: str) -> re.Pattern[str]:
    # Take the regexes from PyYAML itself so that resolution is exactly SafeLoader's.
    for resolvers in Resolver.yaml_implicit_resolvers.values():
        for candidate, regex in resolvers:
            if candidate == tag:
                return regex
    raise LookupError(tag)  # pragma: no cover


_INT = _resolver_regex("tag:yaml.org,2002:int")
_FLOAT = _resolver_regex("tag:yaml.org,2002:float")
_NUMBER_START = frozenset("-+0123456789.")


def _yaml_int(value: str) -> int:
    """Return a YAML 1.1 int as SafeConstructor.construct_yaml_int does."""
    value = value.replace("_", "")
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        result = 0
        for part in value.split(":"):
            result = result * 60 + int(part)
        return sign * result
    return sign * int(value)


def _yaml_float(value: str) -> float:
    """Return a YAML 1.1 float as SafeConstructor.construct_yaml_float does."""
    value = value.replace("_", "").lower()
    sign = -1.0 if value[0] == "-" else 1.0
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    if ":" in value:
        result = 0.0
        for part in value.split(":"):
            result = result * 60 + float(part)
        return sign * result
    return sign * float(value)


class _YamlWalker:
    """One pass over libyaml's events: build values and positions, enforce the limits."""

    def __init__(self, raw: bytes, limits: Limits) -> None:
        self.raw = raw
        self.limits = limits
        self.positions: dict[str, Position] = {}
        self.key_positions: dict[str, Position] = {}
        self.sources: dict[str, str] = {}
        self.findings: list[Finding] = []

    def parse(self) -> ParseResult:
        try:
            value, root_event = self._walk()
        except _Stop as stop:
            return _refused("yaml", stop.finding)
        except yaml.MarkedYAMLError as exc:
            return _refused("yaml", self._syntax(exc))
        except yaml.reader.ReaderError as exc:
            return _refused("yaml", self._reader(exc))
        except yaml.YAMLError as exc:  # pragma: no cover - libyaml reports everything above
            return _refused("yaml", _fail("parse.syntax", f"the file is not valid YAML: {exc}"))
        if self.findings:
            return ParseResult(value, self.positions, self.findings, "yaml",
                               self.key_positions, self.sources)
        if root_event is None or (value is None and isinstance(root_event, yaml.ScalarEvent)
                                  and root_event.value == "" and root_event.implicit[0]):
            return _refused("yaml", _fail(
                "parse.empty", "the file is empty or holds only comments: write the sheet's "
                "fields, starting with `sheet: project-sheet/v1`", 1, 1))
        if not isinstance(value, dict):
            line, column = root_event.start_mark.line + 1, root_event.start_mark.column + 1
            return _refused("yaml", _fail(
                "parse.not-a-mapping", f"the top level is {_kind(value)}, not a mapping of "
                "fields: a sheet starts with `sheet: project-sheet/v1` on its own line",
                line, column))
        return ParseResult(value, self.positions, [], "yaml", self.key_positions, self.sources)

    def _walk(self) -> tuple[Any, Any]:
        loader = _Loader(self.raw)
        try:
            return self._events(loader)
        finally:
            loader.dispose()

    def _events(self, loader: Any) -> tuple[Any, Any]:
        positions = self.positions
        key_positions = self.key_positions
        max_depth = self.limits.max_depth
        get_event = loader.get_event
        scalar_event = yaml.ScalarEvent
        mapping_start = yaml.MappingStartEvent
        sequence_start = yaml.SequenceStartEvent
        mapping_end = yaml.MappingEndEvent
        sequence_end = yaml.SequenceEndEvent
        document_start = yaml.DocumentStartEvent
        alias_event = yaml.AliasEvent
        stream_end = yaml.StreamEndEvent

        # Each frame: [container, pointer, pending key (mappings) or None, key pointer].
        stack: list[list[Any]] = []
        root: Any = None
        root_event: Any = None
        documents = 0
        while True:
            event = get_event()
            cls = event.__class__
            if cls is scalar_event or cls is mapping_start or cls is sequence_start:
                if event.anchor is not None:
                    raise _Stop(self._alias(event, f"the anchor `&{event.anchor}`"))
                if event.tag is not None:
                    raise _Stop(self._alias(event, f"the tag `{event.tag}`"))
                mark = event.start_mark
                pos = (mark.line + 1, mark.column + 1)
                if stack:
                    frame = stack[-1]
                    container = frame[0]
                    if container.__class__ is dict and frame[2] is None:
                        # A key of a mapping.
                        if cls is not scalar_event:
                            raise _Stop(_fail(
                                "parse.syntax", "a key must be a plain name, not a list or a "
                                "mapping", *pos, path=frame[1]))
                        key = event.value
                        if "\x00" in key:
                            raise _Stop(_nul(pos, frame[1]))
                        if key == "<<" and event.implicit[0]:
                            raise _Stop(self._alias(event, "the merge key `<<`"))
                        pointer = frame[1] + "/" + escape(key)
                        if key in container:
                            self.findings.append(_fail(
                                "parse.duplicate-key", f"the key `{key}` appears twice in one "
                                f"mapping (first at line {key_positions[pointer][0]}): keep one",
                                *pos, path=pointer))
                        key_positions[pointer] = pos
                        frame[2] = key
                        frame[3] = pointer
                        continue
                    if container.__class__ is dict:
                        pointer = frame[3]
                        key = frame[2]
                        frame[2] = None
                    else:
                        pointer = frame[1] + "/" + str(len(container))
                        key = None
                else:
                    pointer = ""
                    key = None
                    root_event = event
                positions[pointer] = pos
                if cls is scalar_event:
                    value = self._scalar(event, pointer, pos)
                else:
                    if len(stack) >= max_depth:
                        raise _Stop(_fail(
                            "parse.too-deep", f"the data is nested more than {max_depth} levels "
                            "deep: a project sheet needs far fewer", *pos, path=pointer))
                    value = {} if cls is mapping_start else []
                if stack:
                    parent = stack[-1][0]
                    if parent.__class__ is dict:
                        parent[key] = value
                    else:
                        parent.append(value)
                else:
                    root = value
                if cls is not scalar_event:
                    stack.append([value, pointer, None, None])
            elif cls is mapping_end or cls is sequence_end:
                stack.pop()
            elif cls is alias_event:
                raise _Stop(self._alias(event, f"the alias `*{event.anchor}`"))
            elif cls is document_start:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise _Stop(_fail(
                        "parse.multiple-documents", "the file holds more than one YAML document "
                        "(a second `---`): keep one sheet per file", mark.line + 1,
                        mark.column + 1))
            elif cls is stream_end:
                return root, root_event

    def _scalar(self, event: Any, pointer: str, pos: Position) -> Any:
        value: str = event.value
        if "\x00" in value:  # written as the escape "\0" (the byte itself is refused earlier)
            raise _Stop(_nul(pos, pointer))
        if not event.implicit[0]:  # quoted or block scalar: always a string
            return value
        if value in _NULLS:
            return None
        first = value[0]
        if first in _NUMBER_START:
            if _INT.match(value):
                if len(value) > self.limits.max_digits:
                    raise _Stop(self._too_many_digits(value, pointer, pos))
                result: Any = _yaml_int(value)
            elif _FLOAT.match(value):
                result = _yaml_float(value)
                if not math.isfinite(result):
                    # .inf, .nan, 1e999: no JSON number; kept as the text written, so the
                    # schema refuses it where a number is expected (never stored as null).
                    return value
            else:
                return value  # timestamps and everything else stay the text written
            self.sources[pointer] = value
            return result
        boolean = _BOOLS.get(value)
        if boolean is not None:
            self.sources[pointer] = value
            return boolean
        return value

    def _too_many_digits(self, value: str, pointer: str, pos: Position) -> Finding:
        return _fail("parse.too-large", f"the number at line {pos[0]} has {len(value)} characters, "
                     f"more than the limit of {self.limits.max_digits}: quote it if it is text",
                     *pos, path=pointer)

    def _alias(self, event: Any, what: str) -> Finding:
        mark = event.start_mark
        return _fail("parse.alias", f"{what} is not allowed in a project sheet: write the value "
                     "out in full (anchors, aliases, tags and merge keys are refused)",
                     mark.line + 1, mark.column + 1)

    def _syntax(self, exc: yaml.MarkedYAMLError) -> Finding:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        if "maximum nesting depth" in problem:
            # libyaml's own guard (1000 levels) can fire while it looks ahead, before the
            # events reach our limit: it is the same problem.
            return _fail("parse.too-deep", f"the data is nested more than "
                         f"{self.limits.max_depth} levels deep: a project sheet needs far "
                         "fewer", line, column)
        if "invalid Unicode character escape code" in problem:
            return _fail("parse.encoding", "an escape sequence in a quoted string is not a valid "
                         "Unicode character (a lone surrogate?): write the character itself",
                         line, column)
        return _fail("parse.syntax", f"the file is not valid YAML:{context} {problem}".replace(
            "  ", " "), line, column)

    def _reader(self, exc: Any) -> Finding:
        offset = exc.position if isinstance(exc.position, int) else 0
        line = self.raw.count(b"\n", 0, offset) + 1
        start = self.raw.rfind(b"\n", 0, offset) + 1
        column = len(self.raw[start:offset].decode("utf-8", "replace")) + 1
        char = exc.character
        code = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        return _fail("parse.encoding", f"the file holds the control character {code} at line "
                     f"{line}, column {column}, which text cannot contain: is it a binary file?",
                     line, column)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


# ---------------------------------------------------------------------------------------
# JSON


_WS = re.compile(r"[ \t\n\r]*")


def _skip(text: str, index: int) -> int:
    """Return the index of the first non-whitespace character at or after `index`."""
    match = _WS.match(text, index)
    return match.end() if match else index

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_scanstring: Callable[..., tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_NOT_JSON = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}


class _JsonParser:
    """A strict JSON parser (RFC 8259) that records the position of every node."""

    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.positions: dict[str, Position] = {}
        self.key_positions: dict[str, Position] = {}
        self.findings: list[Finding] = []
        self._lines: list[int] | None = None

    def pos(self, index: int) -> Position:
        if self._lines is None:
            self._lines = [m.start() for m in re.finditer("\n", self.text)]
        line = bisect_right(self._lines, index - 1)
        start = self._lines[line - 1] + 1 if line else 0
        return line + 1, index - start + 1

    def fail(self, message: str, index: int, code: str = "parse.syntax",
             path: str = "") -> _Stop:
        return _Stop(_fail(code, message, *self.pos(index), path=path))

    def parse(self) -> ParseResult:
        text = self.text
        try:
            index = _skip(text, 0)
            if index == len(text):
                return _refused("json", _fail("parse.empty", "the file is empty: write the "
                                              "sheet's fields as a JSON object", 1, 1))
            value, index = self.value(index, "", 0)
            end = _skip(text, index)
            if end != len(text):
                raise self.fail("the file is not valid JSON: there is more text after the end "
                                "of the top-level value", end)
        except _Stop as stop:
            return _refused("json", stop.finding)
        except RecursionError:  # pragma: no cover - the depth limit stops well before
            return _refused("json", _fail("parse.too-deep", "the data is nested too deeply"))
        if self.findings:
            return ParseResult(value, self.positions, self.findings, "json", self.key_positions)
        if not isinstance(value, dict):
            return _refused("json", _fail(
                "parse.not-a-mapping", f"the top level is {_kind(value)}, not an object of "
                "fields: a sheet is a JSON object such as {\"sheet\": \"project-sheet/v1\", ...}",
                *self.positions[""]))
        return ParseResult(value, self.positions, [], "json", self.key_positions)

    def value(self, index: int, pointer: str, depth: int) -> tuple[Any, int]:
        text = self.text
        self.positions[pointer] = self.pos(index)
        char = text[index:index + 1]
        if char == '"':
            return self.string(index, pointer)
        if char == "{":
            return self.object(index, pointer, depth + 1)
        if char == "[":
            return self.array(index, pointer, depth + 1)
        if char == "n" and text.startswith("null", index):
            return None, index + 4
        if char == "t" and text.startswith("true", index):
            return True, index + 4
        if char == "f" and text.startswith("false", index):
            return False, index + 5
        match = _NUMBER.match(text, index)
        if match:
            number = match.group()
            if match.group(1) is None and match.group(2) is None:
                if len(number) > self.limits.max_digits:
                    raise self.fail(f"the number has {len(number)} digits, more than the limit "
                                    f"of {self.limits.max_digits}: write it as a string if it "
                                    "is text", index, "parse.too-large", pointer)
                return int(number), match.end()
            result = float(number)
            if not math.isfinite(result):  # 1e999 overflows to infinity: no JSON number
                raise self.fail(f"the number {number[:30]} is too large: it overflows to "
                                "infinity; write a finite number, or a string if it is text",
                                index, "parse.too-large", pointer)
            return result, match.end()
        for word in _NOT_JSON:
            if text.startswith(word, index):
                raise self.fail(f"the file is not valid JSON: {word} is not a JSON number, "
                                "write null or a finite number", index, path=pointer)
        if not char:
            raise self.fail("the file is not valid JSON: it ends where a value is expected",
                            index)
        raise self.fail(f"the file is not valid JSON: unexpected character {char!r} where a "
                        "value is expected", index)

    def string(self, index: int, pointer: str) -> tuple[str, int]:
        try:
            value, end = _scanstring(self.text, index + 1, True)
        except json.JSONDecodeError as exc:
            raise self.fail(f"the file is not valid JSON: {exc.msg.lower()}", exc.pos) from None
        if "\\u" in self.text[index:end] and _SURROGATE.search(value):
            raise self.fail("a \\u escape in a string is a lone surrogate, not a Unicode "
                            "character: write the character itself", index, "parse.encoding",
                            pointer)
        if "\x00" in value:
            raise self.fail(NUL_MESSAGE, index, "parse.encoding", pointer)
        return value, end

    def object(self, index: int, pointer: str, depth: int) -> tuple[dict[str, Any], int]:
        if depth > self.limits.max_depth:
            raise self.fail(f"the data is nested more than {self.limits.max_depth} levels deep: "
                            "a project sheet needs far fewer", index, "parse.too-deep", pointer)
        text = self.text
        result: dict[str, Any] = {}
        index = _skip(text, index + 1)
        if text[index:index + 1] == "}":
            return result, index + 1
        while True:
            if text[index:index + 1] != '"':
                raise self.fail("the file is not valid JSON: expected a key in double quotes",
                                index)
            key_pos = self.pos(index)
            key, index = self.string(index, pointer)
            child = pointer + "/" + escape(key)
            if key in result:
                self.findings.append(_fail(
                    "parse.duplicate-key", f"the key `{key}` appears twice in one object (first "
                    f"at line {self.key_positions[child][0]}): keep one", *key_pos, path=child))
            self.key_positions[child] = key_pos
            index = _skip(text, index)
            if text[index:index + 1] != ":":
                raise self.fail("the file is not valid JSON: expected `:` after the key", index)
            index = _skip(text, index + 1)
            result[key], index = self.value(index, child, depth)
            index = _skip(text, index)
            char = text[index:index + 1]
            if char == ",":
                index = _skip(text, index + 1)
                if text[index:index + 1] == "}":
                    raise self.fail("the file is not valid JSON: a comma before `}`", index)
            elif char == "}":
                return result, index + 1
            else:
                raise self.fail("the file is not valid JSON: expected `,` or `}`", index)

    def array(self, index: int, pointer: str, depth: int) -> tuple[list[Any], int]:
        if depth > self.limits.max_depth:
            raise self.fail(f"the data is nested more than {self.limits.max_depth} levels deep: "
                            "a project sheet needs far fewer", index, "parse.too-deep", pointer)
        text = self.text
        result: list[Any] = []
        index = _skip(text, index + 1)
        if text[index:index + 1] == "]":
            return result, index + 1
        while True:
            item, index = self.value(index, f"{pointer}/{len(result)}", depth)
            result.append(item)
            index = _skip(text, index)
            char = text[index:index + 1]
            if char == ",":
                index = _skip(text, index + 1)
                if text[index:index + 1] == "]":
                    raise self.fail("the file is not valid JSON: a comma before `]`", index)
            elif char == "]":
                return result, index + 1
            else:
                raise self.fail("the file is not valid JSON: expected `,` or `]`", index)
