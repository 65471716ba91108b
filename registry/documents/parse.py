"""Parse one input document (YAML or JSON) with limits: the entry point of every reader.

The size limit and the text encoding are checked here, once, before the document goes to
the parser of its format (`yaml_parser`, `json_parser`): a `.json` file, or text whose
first non-blank character is `{` or `[`, is JSON; everything else is YAML.
"""

from __future__ import annotations

from registry.documents.findings import Finding
from registry.documents.json_parser import parse_json
from registry.documents.limits import DEFAULT_LIMITS, Limits, size_text
from registry.documents.results import (
    ParseResult,
    Position,
    byte_position,
    fail,
    refused,
)
from registry.documents.yaml_parser import parse_yaml

# What a caller of `parse_document` needs, importable from here.
__all__ = ["DEFAULT_LIMITS", "Limits", "ParseResult", "parse_document"]


def parse_document(data: bytes | str, limits: Limits = DEFAULT_LIMITS, *,
                   filename: str | None = None) -> ParseResult:
    """Parse one YAML or JSON document into plain data with the positions of its nodes."""
    named = "json" if filename is not None and filename.lower().endswith(".json") else "yaml"
    # The length is checked before anything else so that a huge input costs nothing more.
    if len(data) > limits.max_bytes:
        return refused(named, _too_large(limits))
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates in a str built elsewhere
            char = ord(data[exc.start])
            return refused(named, fail(
                "parse.encoding", f"the text holds an invalid character (U+{char:04X}, a lone "
                "surrogate): it is not valid Unicode", *_text_position(data, exc.start)))
        if len(raw) > limits.max_bytes:
            return refused(named, _too_large(limits))
        text = data
    else:
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return refused(named, _encoding_finding(raw, exc))
    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark is allowed and ignored
        text = text[1:]
        raw = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else text.encode("utf-8")

    if _detect(text, filename) == "json":
        return parse_json(text, limits)
    return parse_yaml(raw, limits)


def _too_large(limits: Limits) -> Finding:
    return fail("parse.too-large", f"the file is larger than the limit of "
                f"{size_text(limits.max_bytes)}: a project sheet is a few kilobytes, remove what "
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


def _encoding_finding(raw: bytes, exc: UnicodeDecodeError) -> Finding:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return fail("parse.encoding", "the file is UTF-16 text: save it as UTF-8", 1, 1)
    line, column = byte_position(raw, exc.start)
    byte = raw[exc.start]
    return fail("parse.encoding", f"the file is not UTF-8 text (byte 0x{byte:02X} at line "
                f"{line}, column {column}): save it as UTF-8", line, column)


def _text_position(text: str, index: int) -> Position:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1
