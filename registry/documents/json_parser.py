"""Parse JSON (RFC 8259, strictly) keeping the line and column of every node.

JSON has its own small parser because JSON is not YAML 1.1: `1e5` is a number, `NaN` is
an error. Python's `json` module keeps no positions, so only its string scanner is reused.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from registry.documents.limits import Limits
from registry.documents.results import (
    NUL_MESSAGE,
    ParseResult,
    Position,
    Stop,
    Walk,
    escape,
    fail,
    kind_of,
    refused,
)

_WS = re.compile(r"[ \t\n\r]*")


def _skip(text: str, index: int) -> int:
    """Return the index of the first non-whitespace character at or after `index`."""
    match = _WS.match(text, index)
    return match.end() if match else index

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_scanstring: Callable[..., tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_NOT_JSON = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}


class JsonParser(Walk):
    """A strict JSON parser (RFC 8259) that records the position of every node."""

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(limits)
        self.text = text
        self._lines: list[int] | None = None

    def pos(self, index: int) -> Position:
        if self._lines is None:
            self._lines = [m.start() for m in re.finditer("\n", self.text)]
        line = bisect_right(self._lines, index - 1)
        start = self._lines[line - 1] + 1 if line else 0
        return line + 1, index - start + 1

    def fail(self, message: str, index: int, code: str = "parse.syntax",
             path: str = "") -> Stop:
        return Stop(fail(code, message, *self.pos(index), path=path))

    def parse(self) -> ParseResult:
        text = self.text
        try:
            index = _skip(text, 0)
            if index == len(text):
                return refused("json", fail("parse.empty", "the file is empty: write the "
                                            "sheet's fields as a JSON object", 1, 1))
            value, index = self.value(index, "", 0)
            end = _skip(text, index)
            if end != len(text):
                raise self.fail("the file is not valid JSON: there is more text after the end "
                                "of the top-level value", end)
        except Stop as stop:
            return refused("json", stop.finding)
        except RecursionError:  # pragma: no cover - the depth limit stops well before
            return refused("json", fail("parse.too-deep", "the data is nested too deeply"))
        if self.findings:
            return ParseResult(value, self.positions, self.findings, "json", self.key_positions)
        if not isinstance(value, dict):
            return refused("json", fail(
                "parse.not-a-mapping", f"the top level is {kind_of(value)}, not an object of "
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
        text = self.text
        result: dict[str, Any] = {}
        index, more = self._open(index, pointer, depth, "}")
        while more:
            if text[index:index + 1] != '"':
                raise self.fail("the file is not valid JSON: expected a key in double quotes",
                                index)
            key_pos = self.pos(index)
            key, index = self.string(index, pointer)
            child = pointer + "/" + escape(key)
            if key in result:
                self.findings.append(fail(
                    "parse.duplicate-key", f"the key `{key}` appears twice in one object (first "
                    f"at line {self.key_positions[child][0]}): keep one", *key_pos, path=child))
            self.key_positions[child] = key_pos
            index = _skip(text, index)
            if text[index:index + 1] != ":":
                raise self.fail("the file is not valid JSON: expected `:` after the key", index)
            index = _skip(text, index + 1)
            result[key], index = self.value(index, child, depth)
            index, more = self._next(index, "}")
        return result, index

    def array(self, index: int, pointer: str, depth: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        index, more = self._open(index, pointer, depth, "]")
        while more:
            item, index = self.value(index, f"{pointer}/{len(result)}", depth)
            result.append(item)
            index, more = self._next(index, "]")
        return result, index

    # An object and an array open, separate their items and close alike: only the
    # closing bracket differs.
    def _open(self, index: int, pointer: str, depth: int, close: str) -> tuple[int, bool]:
        """Step into a container at `index`; return where its first item is, or its end."""
        if depth > self.limits.max_depth:
            raise self.fail(f"the data is nested more than {self.limits.max_depth} levels deep: "
                            "a project sheet needs far fewer", index, "parse.too-deep", pointer)
        index = _skip(self.text, index + 1)
        if self.text[index:index + 1] == close:
            return index + 1, False
        return index, True

    def _next(self, index: int, close: str) -> tuple[int, bool]:
        """Step past the `,` after an item (True: another follows) or the closing bracket."""
        text = self.text
        index = _skip(text, index)
        char = text[index:index + 1]
        if char == ",":
            index = _skip(text, index + 1)
            if text[index:index + 1] == close:
                raise self.fail(f"the file is not valid JSON: a comma before `{close}`", index)
            return index, True
        if char == close:
            return index + 1, False
        raise self.fail(f"the file is not valid JSON: expected `,` or `{close}`", index)

def parse_json(text: str, limits: Limits) -> ParseResult:
    """Parse JSON text into plain data with the positions of its nodes."""
    return JsonParser(text, limits).parse()
