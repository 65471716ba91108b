"""The compiled JSON Schema of project-sheet/v1: the schema, its validators, its formats.

Two validators are compiled once per process: jsonschema's, for its detailed errors,
and a Rust one (jsonschema-rs) that only says whether a sheet is valid. Messages are
`schema_messages`'s business; the rules a schema cannot state are `sheet_rules`'s.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from registry.paths import schemas_dir

if TYPE_CHECKING:
    from jsonschema import FormatChecker, ValidationError

SCHEMA_PATH = schemas_dir() / "project-sheet" / "v1.json"
SCHEMA_ID = "https://registry.smartcity.brussels/schemas/project-sheet/v1.json"
SHEET_FORMAT = "project-sheet/v1"

DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A conservative e-mail check (jsonschema's own only looks for an "@"): one @, a dot in
# the domain, no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


@cache
def schema() -> dict[str, Any]:
    """Return the JSON Schema of project-sheet/v1."""
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        result: dict[str, Any] = json.load(handle)
    return result


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # ECMA-262's `$` (what editors use) matches only at the very end; Python's also matches
    # before a final newline, which would let "abc\n" (a YAML `|` block) pass as a slug.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or bool(_EMAIL.fullmatch(instance))


def _is_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not DATE_SHAPE.fullmatch(instance):
        return False
    try:
        datetime.date.fromisoformat(instance)
    except ValueError:
        return False
    return True


# The formats both validators check, with the same functions.
FORMATS = {"email": _is_email, "date": _is_date}


def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(check)
    return checker


@cache
def validator() -> Any:
    """Return the compiled validator of project-sheet/v1 (built once per process).

    jsonschema is imported here, not with the module: a valid sheet never needs it.
    """
    from jsonschema import Draft202012Validator, ValidationError, validators

    def pattern(validator: Any, pattern: str, instance: Any, schema: Any
                ) -> Iterator[ValidationError]:
        if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")

    extended = validators.extend(Draft202012Validator, {"pattern": pattern})
    document = schema()
    extended.check_schema(document)
    # Validating against a copy with the local $refs inlined is about 40% faster: the
    # reference lookups dominate jsonschema's time on a sheet of a few kilobytes.
    return extended(_inline(document, document.get("$defs", {})),
                    format_checker=_format_checker())


@cache
def _fast() -> Any:
    """Return a compiled (Rust) validator that only says whether a sheet is valid.

    Most sheets are valid or nearly so: answering "valid" in microseconds and running
    jsonschema only for the rejected ones (for its detailed errors) makes structure
    checking about fifty times cheaper. It must never accept what jsonschema rejects:
    the same format checks are plugged in, and its regex `$` already matches only at
    the very end, like `_compiled`; tests run every test sheet through both.
    """
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema(), formats=dict(FORMATS), validate_formats=True,
                                       offline=True)


def fast_valid(sheet: Any) -> bool:
    """Return True when the sheet certainly has no JSON Schema violation."""
    try:
        return bool(_fast().is_valid(sheet))
    except (ValueError, TypeError, OverflowError):
        return False  # data it cannot represent (huge ints...): let jsonschema decide


def _inline(node: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    if depth > 20:  # the schema is not recursive; this only guards against a future edit
        raise ValueError("the project-sheet schema's $refs nest too deeply to inline")
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/"):
            target = _inline(defs[node["$ref"][len("#/$defs/"):]], defs, depth + 1)
            return {**target, **{k: _inline(v, defs, depth + 1)
                                 for k, v in node.items() if k != "$ref"}}
        return {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def resolve(subschema: Any) -> dict[str, Any]:
    """Follow local `$ref`s (the schema has no other kind)."""
    seen = 0
    while isinstance(subschema, Mapping) and "$ref" in subschema and seen < 10:
        ref = subschema["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = schema()
        for part in ref[2:].split("/"):
            target = target[part]
        subschema = target
        seen += 1
    return dict(subschema) if isinstance(subschema, Mapping) else {}


def def_name(subschema: Mapping[str, Any]) -> str | None:
    """Return the name of the `$defs` entry whose pattern a subschema carries."""
    pattern = subschema.get("pattern")
    for name, definition in schema()["$defs"].items():
        if pattern is not None and definition.get("pattern") == pattern:
            return str(name)
    return None
