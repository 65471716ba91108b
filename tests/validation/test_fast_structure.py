"""The compiled first pass of the structure layer agrees with jsonschema."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.documents.parse import parse_document
from registry.validation import schema
from tests.helpers import json_paths

ROOT = Path(__file__).resolve().parents[2]
SHEETS = sorted([*ROOT.glob("examples/*.yaml"), *ROOT.glob("tests/data/**/*.yaml"),
                 *ROOT.glob("tests/data/**/*.json")])


def parsed(path: Path):
    result = parse_document(path.read_bytes())
    return result.value if not result.findings else None


def full_valid(sheet) -> bool:
    return not list(schema.validator().iter_errors(sheet))


# Files the parse layer refuses never reach the structure layer.
PARSED = [(p, parsed(p)) for p in SHEETS if parsed(p) is not None]


def test_the_corpus_has_valid_and_invalid_sheets():
    verdicts = {full_valid(sheet) for _, sheet in PARSED}
    assert verdicts == {True, False} and len(PARSED) > 40


@pytest.mark.parametrize("path, sheet", PARSED, ids=[p.name for p, _ in PARSED])
def test_same_verdict_on_every_test_sheet(path, sheet):
    assert schema.fast_valid(sheet) == full_valid(sheet)


BASE = parse_document((ROOT / "examples" / "mobility-data-hub.yaml").read_bytes()).value
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.floats(allow_nan=False), st.text(max_size=30),
                   st.sampled_from(["2026-02-30", "2026-02-28", "a@b.be", "x@", "abc\n",
                                    "mobility", "TRAN", "https://x.be", "javascript:x"]))


PATHS = [p for p in json_paths(BASE) if p]


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), LEAVES), min_size=1, max_size=4))
def test_fast_pass_never_accepts_what_jsonschema_rejects(changes):
    sheet = copy.deepcopy(BASE)
    for path, value in changes:
        node = sheet
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    if schema.fast_valid(sheet):
        assert full_valid(sheet)
