"""Parse YAML with limits, keeping the line and column of every node.

The parser walks libyaml's event stream once, building the Python value and the
positions together. Working on events rather than on a composed node tree is what lets
anchors, aliases, explicit tags and merge keys be refused *before* anything is expanded
or constructed: a billion-laughs document stops at its first anchor. Plain scalars are
resolved as PyYAML's SafeLoader does (YAML 1.1: `NO` is false, `1.10` is 1.1), except
timestamps, which stay the string they were written as so that a bare date and a quoted
one are the same value and an impossible date such as 2026-02-30 is left for the
structure layer to report instead of crashing the parser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

import yaml
from yaml.resolver import Resolver

from registry.documents.findings import Finding
from registry.documents.limits import Limits
from registry.documents.results import (
    ParseResult,
    Position,
    Stop,
    Walk,
    byte_position,
    escape,
    fail,
    kind_of,
    nul_finding,
    refused,
)

try:  # libyaml is what makes parsing fast; fall back so the registry still works without it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pyyaml built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


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


def _signed(value: str) -> tuple[int, str]:
    """Return the sign of a YAML 1.1 number (-1 or 1) and the number without it."""
    if value[0] in "+-":
        return (-1 if value[0] == "-" else 1), value[1:]
    return 1, value


_Number = TypeVar("_Number", int, float)


def _base_60(value: str, number: Callable[[str], _Number], zero: _Number) -> _Number:
    """Return the value of a YAML 1.1 base-60 number without its sign (`1:30` is 90)."""
    result = zero
    for part in value.split(":"):
        result = result * 60 + number(part)
    return result


def _yaml_int(value: str) -> int:
    """Return a YAML 1.1 int as SafeConstructor.construct_yaml_int does."""
    sign, value = _signed(value.replace("_", ""))
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        return sign * _base_60(value, int, 0)
    return sign * int(value)


def _yaml_float(value: str) -> float:
    """Return a YAML 1.1 float as SafeConstructor.construct_yaml_float does."""
    sign, value = _signed(value.replace("_", "").lower())
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    if ":" in value:
        return sign * _base_60(value, float, 0.0)
    return sign * float(value)


class YamlWalker(Walk):
    """One pass over libyaml's events: build values and positions, enforce the limits."""

    def __init__(self, raw: bytes, limits: Limits) -> None:
        super().__init__(limits)
        self.raw = raw
        self.sources: dict[str, str] = {}

    def parse(self) -> ParseResult:
        try:
            value, root_event = self._walk()
        except Stop as stop:
            return refused("yaml", stop.finding)
        except yaml.MarkedYAMLError as exc:
            return refused("yaml", self._syntax(exc))
        except yaml.reader.ReaderError as exc:
            return refused("yaml", self._reader(exc))
        except yaml.YAMLError as exc:  # pragma: no cover - libyaml reports everything above
            return refused("yaml", fail("parse.syntax", f"the file is not valid YAML: {exc}"))
        if self.findings:
            return ParseResult(value, self.positions, self.findings, "yaml",
                               self.key_positions, self.sources)
        if root_event is None or (value is None and isinstance(root_event, yaml.ScalarEvent)
                                  and root_event.value == "" and root_event.implicit[0]):
            return refused("yaml", fail(
                "parse.empty", "the file is empty or holds only comments: write the sheet's "
                "fields, starting with `sheet: project-sheet/v1`", 1, 1))
        if not isinstance(value, dict):
            line, column = root_event.start_mark.line + 1, root_event.start_mark.column + 1
            return refused("yaml", fail(
                "parse.not-a-mapping", f"the top level is {kind_of(value)}, not a mapping of "
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
                    raise Stop(self._alias(event, f"the anchor `&{event.anchor}`"))
                if event.tag is not None:
                    raise Stop(self._alias(event, f"the tag `{event.tag}`"))
                mark = event.start_mark
                pos = (mark.line + 1, mark.column + 1)
                if stack:
                    frame = stack[-1]
                    container = frame[0]
                    if container.__class__ is dict and frame[2] is None:
                        # A key of a mapping.
                        if cls is not scalar_event:
                            raise Stop(fail(
                                "parse.syntax", "a key must be a plain name, not a list or a "
                                "mapping", *pos, path=frame[1]))
                        key = event.value
                        if "\x00" in key:
                            raise Stop(nul_finding(pos, frame[1]))
                        if key == "<<" and event.implicit[0]:
                            raise Stop(self._alias(event, "the merge key `<<`"))
                        pointer = frame[1] + "/" + escape(key)
                        if key in container:
                            self.findings.append(fail(
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
                        raise Stop(fail(
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
                raise Stop(self._alias(event, f"the alias `*{event.anchor}`"))
            elif cls is document_start:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise Stop(fail(
                        "parse.multiple-documents", "the file holds more than one YAML document "
                        "(a second `---`): keep one sheet per file", mark.line + 1,
                        mark.column + 1))
            elif cls is stream_end:
                return root, root_event

    def _scalar(self, event: Any, pointer: str, pos: Position) -> Any:
        value: str = event.value
        if "\x00" in value:  # written as the escape "\0" (the byte itself is refused earlier)
            raise Stop(nul_finding(pos, pointer))
        if not event.implicit[0]:  # quoted or block scalar: always a string
            return value
        if value in _NULLS:
            return None
        first = value[0]
        if first in _NUMBER_START:
            if _INT.match(value):
                if len(value) > self.limits.max_digits:
                    raise Stop(self._too_many_digits(value, pointer, pos))
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
        return fail("parse.too-large", f"the number at line {pos[0]} has {len(value)} characters, "
                    f"more than the limit of {self.limits.max_digits}: quote it if it is text",
                    *pos, path=pointer)

    def _alias(self, event: Any, what: str) -> Finding:
        mark = event.start_mark
        return fail("parse.alias", f"{what} is not allowed in a project sheet: write the value "
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
            return fail("parse.too-deep", f"the data is nested more than "
                        f"{self.limits.max_depth} levels deep: a project sheet needs far "
                        "fewer", line, column)
        if "invalid Unicode character escape code" in problem:
            return fail("parse.encoding", "an escape sequence in a quoted string is not a valid "
                        "Unicode character (a lone surrogate?): write the character itself",
                        line, column)
        return fail("parse.syntax", f"the file is not valid YAML:{context} {problem}".replace(
            "  ", " "), line, column)

    def _reader(self, exc: Any) -> Finding:
        offset = exc.position if isinstance(exc.position, int) else 0
        line, column = byte_position(self.raw, offset)
        char = exc.character
        code = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        return fail("parse.encoding", f"the file holds the control character {code} at line "
                    f"{line}, column {column}, which text cannot contain: is it a binary file?",
                    line, column)



def parse_yaml(raw: bytes, limits: Limits) -> ParseResult:
    """Parse UTF-8 YAML text into plain data with the positions of its nodes."""
    return YamlWalker(raw, limits).parse()
