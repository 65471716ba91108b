"""Record kinds of the catalogue and their validation against the record schemas."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from registry.documents.values import Value
from registry.paths import schemas_dir

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from referencing import Registry

SCHEMA_DIR = schemas_dir() / "catalogue"

# kind -> (schema file, folder in the YAML layout relative to the catalogue root)
KINDS: dict[str, tuple[str, str]] = {
    "standard": ("standard.schema.json", "standards"),
    "principle": ("principle.schema.json", "reference_arch/principles"),
    "component": ("component.schema.json", "reference_arch/components"),
    "vocabulary": ("vocabulary.schema.json", "reference_arch/vocabularies"),
    "legal": ("legal.schema.json", "reference_arch/legal"),
}

PLURALS = {"standard": "standards", "principle": "principles", "component": "components",
           "vocabulary": "vocabularies", "legal": "legal acts"}


def api_path(kind: str) -> str:
    """Return the API collection path of a record kind (/api/standards, /api/legal)."""
    return "/api/legal" if kind == "legal" else f"/api/{kind}s"


class RecordError(Value):
    """One problem in a catalogue record: where it is and what is wrong."""

    __slots__ = ("file", "path", "message", "line", "column")
    file: str
    path: str
    message: str
    line: int | None
    column: int | None

    def __init__(self, file: str, path: str, message: str, line: int | None = None,
                 column: int | None = None) -> None:
        self._init(file, path, message, line, column)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        field = f" {self.path}" if self.path else ""
        return f"{where}:{field} {self.message}"


@cache
def _registry() -> Registry:
    # jsonschema is imported only when a record is refused by the fast check (below).
    from referencing import Registry, Resource

    resources = []
    for path in SCHEMA_DIR.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    # Relative $refs ("common.schema.json#...") resolve against each schema's $id,
    # so every schema is found locally and nothing is ever fetched.
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    """Return the compiled validator of a record kind."""
    from jsonschema import Draft202012Validator

    schema = json.loads((SCHEMA_DIR / KINDS[kind][0]).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry())


def pointer(parts: Any) -> str:
    """Return a JSON Pointer for a sequence of keys and indexes."""
    out = ""
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out


@cache
def _fast(kind: str) -> Any:
    """Return a compiled (Rust) validator of a record kind that only says valid or not.

    Loading the catalogue checks every record; jsonschema takes most of the time of a
    `registry validate --shipped` on one sheet doing so. The Rust validator answers
    "valid" far faster, and jsonschema runs only for the records it refuses, for its
    detailed errors. It never accepts what jsonschema refuses: formats are annotations
    for both (no format checker), and its regex `$` is stricter than Python's, never
    looser; a test runs every catalogue record through both.
    """
    import jsonschema_rs

    resources = []
    for path in SCHEMA_DIR.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], schema))
    schema = json.loads((SCHEMA_DIR / KINDS[kind][0]).read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, registry=jsonschema_rs.Registry(resources),
                                       validate_formats=False, offline=True)


def fast_valid(kind: str, data: Any) -> bool:
    """Return True when a record certainly has no schema problem."""
    try:
        return bool(_fast(kind).is_valid(data))
    except (ValueError, TypeError, OverflowError):
        return False  # data it cannot represent: let jsonschema decide


def validate_record(kind: str, data: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) pairs for every schema problem of a record."""
    if fast_valid(kind, data):
        return []
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: list(map(str, e.path)))
    return [(pointer(e.absolute_path), _plain(e)) for e in errors]


def _plain(error: Any) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field")
    return error.message
