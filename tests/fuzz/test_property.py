"""Fuzzing the parser and the validator: whatever the bytes, a report comes back, in time.

tests/validation already checks parse_document on random bytes and YAML punctuation and
the fast structure pass on leaf swaps. This harness drives the whole pipeline
(`validate_bytes`: parse, structure, linked data, policy) against the shipped catalogue
with sheets grown from the spec's example: keys deleted, values swapped for other types,
random unicode, deep nesting, extra keys, written as YAML or JSON; and with raw byte
mutations of its text (flips, cuts, splices, YAML syntax inserted: anchors, tags, merge
keys, documents, directives, BOMs, invalid UTF-8). The property: `validate_bytes` returns
a FileReport, never raises, never reports an internal error, every finding's code is one
the spec lists (`docs/project-sheet.md`, "Finding codes"), its report is
JSON, and it answers within a second.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.catalogue.files import load_catalogue, shipped_root
from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import ERROR, WARNING, FileReport, single_report_dict
from registry.documents.parse import parse_document
from registry.validation.pipeline import validate_bytes
from registry.validation.schema import SCHEMA_PATH
from registry.web.shared.http import dumps
from tests.helpers import AS_OF_DATE as AS_OF
from tests.helpers import json_paths
from tests.validation.conftest import EXAMPLE_TEXT

EXAMPLE: dict[str, Any] = parse_document(EXAMPLE_TEXT).value
SECONDS = 1.0  # the time limit of one sheet (a sheet takes milliseconds)
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# The codes of the spec's table, plus what the pipeline says of an unreadable file.
SPEC_CODES = {
    "parse.syntax", "parse.empty", "parse.not-a-mapping", "parse.too-large", "parse.too-deep",
    "parse.alias", "parse.duplicate-key", "parse.multiple-documents", "parse.encoding",
    "sheet.invalid-date", "sheet.date-order", "sheet.duplicate", "sheet.partner-is-owner",
    "sheet.missing-language", "vocabulary.unknown-concept", "vocabulary.deprecated-concept",
    "catalogue.unknown-standard", "catalogue.unknown-component",
    "catalogue.deprecated-standard", "catalogue.retired-component",
    "policy.mandatory-missing", "policy.recommended-missing", "policy.explanation-expired",
    "policy.reuse-available", "parse.unreadable",
}
SCHEMA_KEYWORDS = {
    "type", "enum", "const", "pattern", "format", "required", "additionalProperties",
    "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minProperties", "maxProperties", "oneOf",
    "anyOf", "allOf", "not", "if", "then", "else", "contains", "propertyNames",
    "dependentRequired", "multipleOf", "patternProperties", "unevaluatedProperties",
    "items", "prefixItems",
}


def _keywords(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCHEMA_KEYWORDS:
                yield key
            if key not in ("enum", "const", "examples", "default"):
                yield from _keywords(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keywords(value)


def _kebab(keyword: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", keyword).lower()


# `schema.<keyword>` for every keyword the sheet's schema uses: the spec's schema.* codes.
ALLOWED = SPEC_CODES | {f"schema.{_kebab(k)}" for k in
                        _keywords(json.loads(SCHEMA_PATH.read_text("utf-8")))}


@cache
def catalogue() -> Catalogue:
    """Return the shipped catalogue (read once), the validator's caches warmed on it."""
    shipped = load_catalogue(shipped_root())
    validate_bytes(EXAMPLE_TEXT, shipped, as_of=AS_OF)  # compiles the schema, the rules
    return shipped


def check(data: bytes | str, within: float | None = None) -> FileReport:
    """Validate, and assert the property; return the report.

    within: also assert the validation took less than so many seconds (the timing tests
    only, outside the default suite: a busy machine must not fail the property).
    """
    shipped = catalogue()
    started = time.perf_counter()
    report = validate_bytes(data, shipped, as_of=AS_OF, path="fuzz.yaml")
    elapsed = time.perf_counter() - started
    assert isinstance(report, FileReport)
    if within is not None:
        assert elapsed < within, f"validation took {elapsed:.2f}s"
    for finding in report.findings:
        assert finding.code in ALLOWED, finding
        assert finding.severity in (ERROR, WARNING), finding
        assert finding.message and isinstance(finding.message, str), finding
        assert finding.line is None or (isinstance(finding.line, int) and finding.line >= 1)
    assert report.valid == (report.errors == 0)
    json.loads(dumps(single_report_dict(report)))  # the API's answer can be written
    return report


def test_the_example_is_valid() -> None:
    """The seed of the mutations is a valid sheet, so mutations explore near it."""
    report = check(EXAMPLE_TEXT)
    assert report.valid, report.findings


# --- mutations of the sheet as data -----------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # random unicode, no surrogates
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
    st.floats(allow_nan=False, allow_infinity=False), TEXT,
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "", " ",
                     "javascript:alert(1)", "<script>x</script>", "ngsi-ld", "mobility",
                     "project-sheet/v1", "https://", "x" * 300, "NO", "1.10", "~"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


PATHS = [p for p in json_paths(EXAMPLE) if p]


def _nest(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@st.composite
def mutated_sheets(draw: st.DrawFn) -> Any:
    """Return the example with a few random edits (or, sometimes, not a mapping at all)."""
    sheet: Any = copy.deepcopy(EXAMPLE)
    for _ in range(draw(st.integers(1, 5))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = sheet
        try:
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            action = draw(st.sampled_from(["delete", "swap", "nest", "extra", "dup-list"]))
            if action == "delete":
                del parent[key]
            elif action == "swap":
                parent[key] = draw(VALUES)
            elif action == "nest":
                parent[key] = _nest(parent[key], draw(st.integers(1, 60)))
            elif action == "extra" and isinstance(parent, dict):
                parent[draw(TEXT)] = draw(VALUES)
            elif action == "dup-list" and isinstance(parent[key], list):
                parent[key] = parent[key] * draw(st.integers(2, 30))
        except (KeyError, IndexError, TypeError):
            continue
    if draw(st.integers(0, 20)) == 0:
        sheet = draw(VALUES)
    return sheet


def _write(sheet: Any, as_json: bool) -> bytes:
    if as_json:
        return json.dumps(sheet, ensure_ascii=False, default=str).encode("utf-8")
    return yaml.safe_dump(sheet, allow_unicode=True, sort_keys=False).encode("utf-8")


@SETTINGS
@given(sheet=mutated_sheets(), as_json=st.booleans())
def test_mutated_sheets_always_get_a_report(sheet: Any, as_json: bool) -> None:
    """Sheets near the example, as YAML or JSON: a report, never an exception."""
    check(_write(sheet, as_json))


# --- mutations of the text as bytes -----------------------------------------------------

EXAMPLE_BYTES = EXAMPLE_TEXT.encode("utf-8")
SYNTAX = [b"&a ", b"*a", b"<<: *a\n", b"!!python/object/apply:os.system ['true']",
          b"!custom ", b"!!binary ", b"---\n", b"...\n", b"%YAML 1.1\n", b"%TAG ! tag:x,1:\n",
          b"? ", b": ", b"- ", b"[", b"]", b"{", b"}", b"|\n", b">-\n", b"\t", b"#", b"\"",
          b"'", b"\\u00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xed\xa0\x80", b"\xc3", b"\x00",
          b"\r", b"\r\n", b"\xe2\x80\xa8", b"id: twice\n", b"1e400", b"0x1F", b"-.inf",
          b"2026-02-30", b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", b"{a: [b, {c: "]


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    """Return the example's bytes with a few random flips, cuts, splices and insertions."""
    data = bytearray(EXAMPLE_BYTES)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "syntax", "splice"]))
        if action == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:at + draw(st.integers(1, 200))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
        elif action == "syntax":
            data[at:at] = draw(st.sampled_from(SYNTAX))
        elif action == "splice":
            start = draw(st.integers(0, len(EXAMPLE_BYTES)))
            data[at:at] = EXAMPLE_BYTES[start:start + draw(st.integers(1, 400))]
    return bytes(data)


@SETTINGS
@given(data=mutated_bytes())
def test_mutated_bytes_always_get_a_report(data: bytes) -> None:
    """The example's text, damaged: a report, never an exception."""
    check(data)


# --- random YAML made of the sheet's own words ------------------------------------------

WORDS = sorted({str(p[-1]) for p in PATHS if isinstance(p[-1], str)}
               | {"ngsi-ld", "mobility", "2026-03-01", "true", "null", "~", "1800000"})
TOKENS = st.one_of(st.sampled_from(WORDS), st.sampled_from([s.decode("utf-8", "replace")
                                                             for s in SYNTAX]),
                   st.sampled_from(["\n", "\n  ", "\n    ", ": ", "- ", ", "]), TEXT)


@SETTINGS
@given(tokens=st.lists(TOKENS, max_size=80))
def test_yaml_token_soup_always_gets_a_report(tokens: list[str]) -> None:
    """Text made of the sheet's keys and YAML punctuation: a report, never an exception."""
    check("sheet: project-sheet/v1\n" + "".join(tokens))


DEEP = ("a: " + "[" * 5000 + "]" * 5000, "a: " + "{b: " * 5000 + "1" + "}" * 5000,
        "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v",
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_deep_nesting_in_every_field_is_refused_quickly() -> None:
    """Nesting far past the depth limit, in YAML flow, block and JSON: parse.too-deep."""
    for text in DEEP:
        report = check(text)
        assert [f.code for f in report.findings] == ["parse.too-deep"], report.findings


# --- the same properties within the time limit (python -m bench timing) -----------------

@pytest.mark.timing
@SETTINGS
@given(sheet=mutated_sheets(), as_json=st.booleans())
def test_a_mutated_sheet_is_judged_within_the_limit(sheet: Any, as_json: bool) -> None:
    check(_write(sheet, as_json), within=SECONDS)


@pytest.mark.timing
@SETTINGS
@given(data=mutated_bytes())
def test_damaged_bytes_are_judged_within_the_limit(data: bytes) -> None:
    check(data, within=SECONDS)


@pytest.mark.timing
@SETTINGS
@given(tokens=st.lists(TOKENS, max_size=80))
def test_token_soup_is_judged_within_the_limit(tokens: list[str]) -> None:
    check("sheet: project-sheet/v1\n" + "".join(tokens), within=SECONDS)


@pytest.mark.timing
def test_deep_nesting_is_refused_within_the_limit() -> None:
    for text in DEEP:
        check(text, within=SECONDS)
