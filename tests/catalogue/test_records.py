"""The compiled (Rust) record check never accepts what jsonschema refuses."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from registry.catalogue.files import read_records, shipped_root
from registry.catalogue.records import KINDS, fast_valid, validate_record, validator

SHIPPED = read_records([shipped_root()])
ODD_VALUES: list[Any] = [None, 0, -1, 2.5, True, "", "x", "NOT A SLUG", "https://x.example",
                         "2026-13-01", [], ["a", "a"], {}, {"zz": "1"}, {"en": ""}]


def _places(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _places(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, (*prefix, index))
    return found


def _mutants(record: dict[str, Any], rng: random.Random, count: int) -> list[dict[str, Any]]:
    places = _places(record)
    out = []
    for _ in range(count):
        mutant = copy.deepcopy(record)
        place = rng.choice(places)
        parent: Any = mutant
        for key in place[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[place[-1]]
        elif isinstance(parent, dict) and rng.random() < 0.2:
            parent["unknown_field"] = "x"
        else:
            parent[place[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
        out.append(mutant)
    return out


@pytest.mark.parametrize("kind", [kind for kind in KINDS if SHIPPED.get(kind)])
def test_the_fast_check_agrees_with_jsonschema(kind: str) -> None:
    records = SHIPPED[kind]
    rng = random.Random(kind)
    refused = 0
    for record in records:
        assert fast_valid(kind, record), record.get("id")
        assert validate_record(kind, record) == []
        for mutant in _mutants(record, rng, 15):
            errors = list(validator(kind).iter_errors(mutant))
            if errors:
                refused += 1
                # Never "valid" where jsonschema finds a problem; the errors are jsonschema's.
                assert not fast_valid(kind, mutant), (record.get("id"), errors[0].message)
                assert validate_record(kind, mutant) != []
    assert refused > 0
