"""Parsing with limits and positions: every parse.* code, YAML and JSON."""

from __future__ import annotations

import datetime
import json
import math
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.documents.parse import Limits, parse_document
from registry.documents.reading import read_limited
from registry.validation.pipeline import validate_file
from tests.helpers import BOMB
from tests.validation.conftest import EXAMPLE_TEXT, tiny_catalogue


def codes(result: Any) -> list[str]:
    return [f.code for f in result.findings]


def only(result: Any, code: str) -> Any:
    assert codes(result) == [code], result.findings
    return result.findings[0]


def _plain(value: Any) -> Any:
    """Return PyYAML's value with dates written back as the strings they were."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# --- the example and positions ---------------------------------------------------------


def test_example_parses_as_safe_load_does(example_text: str) -> None:
    result = parse_document(example_text.encode())
    assert result.ok and result.format == "yaml"
    assert result.value == _plain(yaml.safe_load(example_text))
    assert result.value["timeline"]["start"] == "2026-03-01"
    assert result.value["data"]["personal_data"] is False
    assert result.value["budget_eur"] == 1800000


def test_positions_of_values_and_keys(example_text: str) -> None:
    result = parse_document(example_text)
    # The comment line shifts everything by one: `sheet:` is on line 2.
    assert result.positions[""] == (2, 1)
    assert result.positions["/sheet"] == (2, 8)
    assert result.key_positions["/sheet"] == (2, 1)
    # A mapping value is where its first key is: the object that would lack a field.
    assert result.positions["/owner"] == (13, 3)
    assert result.key_positions["/owner"] == (12, 1)
    assert result.positions["/owner/contact/email"] == (16, 12)
    assert result.positions["/partners/1"] == (17, 23)
    assert result.positions["/standards/1/id"] == (46, 9)
    assert result.positions["/standards/1"] == (46, 5)
    # Every node has a position, keys included.
    assert set(result.key_positions) <= set(result.positions)
    assert len(result.positions) > 80


def test_positions_count_characters_not_bytes() -> None:
    result = parse_document("é: [ü, x]\n".encode())
    assert result.positions["/é/1"] == (1, 8)


def test_pointer_escapes_slash_and_tilde() -> None:
    result = parse_document('"a/b": {"c~d": 1}\n')
    assert result.value == {"a/b": {"c~d": 1}}
    assert "/a~1b/c~0d" in result.positions


def test_bare_and_quoted_dates_are_the_same_string() -> None:
    result = parse_document("a: 2026-03-01\nb: '2026-03-01'\nc: 2026-02-30\nd: 2026-13-45\n")
    assert result.ok
    assert result.value == {"a": "2026-03-01", "b": "2026-03-01", "c": "2026-02-30",
                            "d": "2026-13-45"}


def test_timestamps_stay_as_written() -> None:
    result = parse_document("a: 2001-12-14t21:59:43.10-05:00\nb: 2026-3-1 10:00\n")
    assert result.value == {"a": "2001-12-14t21:59:43.10-05:00", "b": "2026-3-1 10:00"}


def test_yaml_1_1_scalars_resolve_as_safe_load_does() -> None:
    text = ("a: NO\nb: 1.10\nc: on\nd: 0x1F\ne: 010\nf: 1_000\ng: .inf\nh: ~\ni: null\n"
            "j: 1:20\nk: '1.10'\nl: +12\nm: 6.8e+5\nn: yes\no: 0b101\np: -.5\n")
    result = parse_document(text)
    # Except .inf (and .nan, 1e999): no JSON number, so kept as the text written, for the
    # schema to refuse where a number is expected (it would be stored as null otherwise).
    expected = {**yaml.safe_load(text), "g": ".inf"}
    assert result.value == expected
    assert result.value["b"] == 1.1 and result.value["k"] == "1.10"
    assert result.sources["/a"] == "NO" and result.sources["/b"] == "1.10"
    assert "/k" not in result.sources


def test_nan_and_infinity_in_yaml_stay_text() -> None:
    # No JSON number: a float NaN passed the schema's `minimum` and was stored as null.
    result = parse_document("a: .nan\nb: -.inf\nc: 1.0e+999\nd: 1.5e+3\n")
    assert result.value == {"a": ".nan", "b": "-.inf", "c": "1.0e+999", "d": 1500.0}
    assert not any(isinstance(v, float) and math.isnan(v) for v in result.value.values())


def test_keys_are_strings() -> None:
    result = parse_document("1: a\ntrue: b\n")
    assert result.value == {"1": "a", "true": "b"}


def test_json_is_parsed_as_json(example: dict[str, Any]) -> None:
    text = json.dumps(example, indent=2, ensure_ascii=False)
    result = parse_document(text.encode())
    assert result.ok and result.format == "json"
    assert result.value == example
    assert result.positions["/sheet"] == (2, 12)
    assert result.key_positions["/sheet"] == (2, 3)
    # JSON numbers are JSON's, not YAML 1.1's: 1e5 is a number.
    assert parse_document('{"a": 1e5, "b": 1.10}').value == {"a": 100000.0, "b": 1.1}


def test_yaml_and_json_have_the_same_pointers(example_text: str,
                                              example: dict[str, Any]) -> None:
    from_yaml = parse_document(example_text)
    from_json = parse_document(json.dumps(example))
    assert from_yaml.positions.keys() == from_json.positions.keys()


def test_filename_decides_the_format() -> None:
    assert parse_document("{a: 1}", filename="x.yaml").value == {"a": 1}
    assert codes(parse_document("{a: 1}", filename="x.json")) == ["parse.syntax"]
    assert codes(parse_document("{a: 1}")) == ["parse.syntax"]  # sniffed as JSON
    assert parse_document("a: 1", filename="SHEET.YML").ok


# --- parse.syntax ------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column() -> None:
    item = only(parse_document("a: 1\nb: [1, 2\nc: 3\n"), "parse.syntax")
    assert item.line == 3 and item.column is not None
    assert item.message.startswith("the file is not valid YAML")
    item = only(parse_document("a: 1\n  b: 2\n"), "parse.syntax")
    assert item.line == 2


@pytest.mark.parametrize(("text", "line", "column"), [
    ('{"a": 1,}', 1, 9),
    ('{"a": NaN}', 1, 7),
    ('{"a": Infinity}', 1, 7),
    ('{"a": -Infinity}', 1, 7),
    ('{\n  "a": [1, 2\n}', 3, 1),
    ('{"a": 1} x', 1, 10),
    ("{'a': 1}", 1, 2),
    ('{"a": "x\ny"}', 1, 9),
    ('{"a": 01}', 1, 8),
    ('{"a": 1', 1, 8),
])
def test_json_syntax_errors(text: str, line: int, column: int) -> None:
    item = only(parse_document(text), "parse.syntax")
    assert (item.line, item.column) == (line, column), item


def test_json_nan_message_says_what_to_write() -> None:
    item = only(parse_document('{"budget_eur": NaN}'), "parse.syntax")
    assert "NaN is not a JSON number" in item.message
    assert item.path == "/budget_eur"


def test_complex_key_is_refused() -> None:
    only(parse_document("? [a, b]\n: c\n"), "parse.syntax")


# --- parse.empty / parse.not-a-mapping ---------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"# only a comment\n# and another\n",
                                  b"---\n", b"\xef\xbb\xbf", "\n"])
def test_empty(data: bytes | str) -> None:
    item = only(parse_document(data), "parse.empty")
    assert (item.line, item.column) == (1, 1)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "[1, 2]", "null\n", "42",
                                  '"x"', "true"])
def test_not_a_mapping(text: str) -> None:
    item = only(parse_document(text), "parse.not-a-mapping")
    assert item.path == "" and item.line == 1


# --- parse.too-large -----------------------------------------------------------------------


def test_too_large_is_checked_before_parsing() -> None:
    limits = Limits(max_bytes=100)
    assert parse_document(b"a: " + b"x" * 97, limits).ok
    item = only(parse_document(b"a: " + b"x" * 98, limits), "parse.too-large")
    assert "100 bytes" in item.message
    # Not even decoded: invalid UTF-8 past the limit still reads as too large.
    only(parse_document(b"\xff" * 101, limits), "parse.too-large")
    only(parse_document("é" * 60, limits), "parse.too-large")  # 120 bytes in UTF-8


def test_default_limit_is_one_mib() -> None:
    assert Limits().max_bytes == 1024 * 1024
    assert Limits().read_size == 1024 * 1024 + 1
    item = only(parse_document(b"#" * (1024 * 1024 + 1)), "parse.too-large")
    assert "1 MiB" in item.message


def test_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"a: ")
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    assert len(read_limited(big)) == Limits().max_bytes + 1
    tracemalloc.start()
    try:
        report = validate_file(big, tiny_catalogue(), as_of=datetime.date(2026, 1, 1))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # the first MiB and a byte, never the 50 MB
    assert [f.code for f in report.findings] == ["parse.too-large"]
    assert report.path == str(big)


@pytest.mark.timing
def test_50_mb_file_is_refused_within_a_second(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"a: ")
        handle.truncate(50 * 1024 * 1024)
    started = time.perf_counter()
    report = validate_file(big, tiny_catalogue(), as_of=datetime.date(2026, 1, 1))
    assert time.perf_counter() - started < 1.0
    assert [f.code for f in report.findings] == ["parse.too-large"]


def _huge_integers() -> None:
    item = only(parse_document("budget_eur: " + "9" * 5000 + "\n"), "parse.too-large")
    assert item.path == "/budget_eur" and item.line == 1
    item = only(parse_document('{"budget_eur": ' + "9" * 5000 + "}"), "parse.too-large")
    assert item.path == "/budget_eur"
    assert parse_document("a: " + "9" * 4300).value["a"] > 0


def test_huge_integer_is_a_finding_not_a_hang() -> None:
    _huge_integers()


@pytest.mark.timing
def test_huge_integers_are_judged_within_a_second() -> None:
    started = time.perf_counter()
    _huge_integers()
    assert time.perf_counter() - started < 1.0


# --- parse.too-deep ----------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"


def test_depth_limit_yaml() -> None:
    assert parse_document(_nested(32)).ok  # the root mapping is level 1
    item = only(parse_document(_nested(33)), "parse.too-deep")
    assert item.line == 1 and "32" in item.message


def test_depth_limit_json() -> None:
    assert parse_document('{"a": ' + "[" * 31 + "]" * 31 + "}").ok
    only(parse_document('{"a": ' + "[" * 32 + "]" * 32 + "}"), "parse.too-deep")


def test_depth_limit_block_yaml() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(40)) + "  " * 40 + "x\n"
    only(parse_document(text), "parse.too-deep")


def test_very_deep_input_is_refused_fast() -> None:
    started = time.perf_counter()
    only(parse_document("[" * 500_000), "parse.too-deep")
    only(parse_document("a: " + "[" * 500_000), "parse.too-deep")
    only(parse_document("a:\n" + "- " * 200_000 + "x\n"), "parse.too-deep")
    assert time.perf_counter() - started < 2.0


# --- parse.alias ---------------------------------------------------------------------------------




def test_billion_laughs_is_refused_at_once() -> None:
    started = time.perf_counter()
    item = only(parse_document(BOMB), "parse.alias")
    assert time.perf_counter() - started < 0.05
    assert (item.line, item.column) == (1, 4)
    assert "&a" in item.message


@pytest.mark.parametrize(("text", "shown"), [
    ("a: &x 1\nb: 2\n", "&x"),
    ("a: 1\nb: *x\n", None),  # an alias without its anchor is a YAML error
    ("a: !!python/object/apply:os.system ['true']\n", "tag:yaml.org,2002:python/object"),
    ("a: !custom 1\n", "!custom"),
    ("a: !!str 5\n", "tag:yaml.org,2002:str"),
    ("a: !!map {b: 1}\n", "tag:yaml.org,2002:map"),
    ("base: {x: 1}\nb:\n  <<: {y: 2}\n", "<<"),
    ("--- !tagged\na: 1\n", None),
])
def test_anchors_aliases_tags_and_merge_keys_are_refused(text: str, shown: str | None) -> None:
    result = parse_document(text)
    assert codes(result) in (["parse.alias"], ["parse.syntax"])
    if shown is not None:
        assert codes(result) == ["parse.alias"]
        assert shown in result.findings[0].message


def test_tags_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\n"
    only(parse_document(text), "parse.alias")
    assert not marker.exists()


def test_quoted_merge_key_is_a_plain_key() -> None:
    assert parse_document("'<<': 1\n").value == {"<<": 1}


# --- parse.duplicate-key ---------------------------------------------------------------------


def test_duplicate_key_yaml() -> None:
    result = parse_document("a: 1\nb:\n  c: 1\n  c: 2\nb: 3\n")
    assert codes(result) == ["parse.duplicate-key", "parse.duplicate-key"]
    first, second = result.findings
    assert (first.path, first.line, first.column) == ("/b/c", 4, 3)
    assert "first at line 3" in first.message
    assert (second.path, second.line) == ("/b", 5)


def test_duplicate_key_json() -> None:
    item = only(parse_document('{"a": 1,\n "a": 2}'), "parse.duplicate-key")
    assert (item.path, item.line, item.column) == ("/a", 2, 2)


# --- parse.multiple-documents ------------------------------------------------------------


def test_multiple_documents() -> None:
    item = only(parse_document("a: 1\n---\nb: 2\n"), "parse.multiple-documents")
    assert item.line == 2
    assert parse_document("---\na: 1\n").ok
    assert parse_document("---\na: 1\n...\n").ok


# --- parse.encoding ------------------------------------------------------------------------------


def test_latin_1_is_refused_with_its_position() -> None:
    item = only(parse_document("a: 1\nb: caf\u00e9\n".encode("latin-1")), "parse.encoding")
    assert (item.line, item.column) == (2, 7)
    assert "0xE9" in item.message


def test_utf_16_is_refused() -> None:
    item = only(parse_document("a: 1\n".encode("utf-16")), "parse.encoding")
    assert "UTF-16" in item.message


def test_utf_8_bom_is_fine(example_text: str) -> None:
    with_bom = parse_document(b"\xef\xbb\xbf" + example_text.encode())
    without = parse_document(example_text.encode())
    assert with_bom.ok and with_bom.value == without.value
    assert with_bom.positions == without.positions
    assert parse_document("\ufeff" + example_text).value == without.value
    assert parse_document(b'\xef\xbb\xbf{"a": 1}').value == {"a": 1}


def test_lone_surrogates_are_refused() -> None:
    only(parse_document(b"a: \xed\xa0\x80\n"), "parse.encoding")  # UTF-8 of U+D800
    only(parse_document("a: \ud800\n"), "parse.encoding")  # a str from elsewhere
    only(parse_document('a: "\\ud800"\n'), "parse.encoding")  # a YAML escape
    item = only(parse_document('{"a": "\\ud800"}'), "parse.encoding")  # a JSON escape
    assert item.path == "/a"
    assert parse_document('{"a": "\\ud83d\\ude00"}').value == {"a": "\U0001F600"}


def test_binary_data_is_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    only(parse_document(png), "parse.encoding")
    item = only(parse_document(b"a: 1\nb: \x00\n"), "parse.encoding")
    assert (item.line, item.column) == (2, 4)


# --- robustness and speed --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_a_result(data: bytes) -> None:
    result = parse_document(data)
    assert result.ok or all(f.code.startswith("parse.") for f in result.findings)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#,? \n\t1.<~%@`")),
               max_size=60))
def test_yaml_punctuation_never_crashes(text: str) -> None:
    result = parse_document(text)
    assert result.ok or all(f.code.startswith("parse.") for f in result.findings)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_json_round_trip(data: dict[str, Any]) -> None:
    text = json.dumps(data)
    if not text.lstrip().startswith("{") or "\\u0000" in text:
        return  # U+0000 in a string is refused (parse.encoding): PostgreSQL cannot store it
    result = parse_document(text)
    assert result.ok and result.value == data
    assert "" in result.positions


def test_parsing_the_example_is_fast() -> None:
    data = EXAMPLE_TEXT.encode()
    runs = []
    for _ in range(50):
        started = time.perf_counter()
        parse_document(data)
        runs.append(time.perf_counter() - started)
    # Typically ~0.2 ms; the bound is loose so that a busy CI machine does not flake.
    assert sorted(runs)[25] < 0.005
