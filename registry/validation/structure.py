"""The structure stage: the JSON Schema of project-sheet/v1, then the sheet.* rules.

`schema` compiles the schema, `schema_messages` turns its errors into findings through a
table of message templates, `sheet_rules` checks what a schema cannot state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from registry.documents.findings import Finding, Positions
from registry.validation.schema_messages import check_schema
from registry.validation.sheet_rules import check_sheet


def check(sheet: Any, positions: Positions | None = None, *,
          key_positions: Positions | None = None,
          sources: Mapping[str, str] | None = None) -> Iterator[Finding]:
    """Yield the findings of the structure layer: schema.* then sheet.*."""
    yield from check_schema(sheet, positions, key_positions=key_positions, sources=sources)
    yield from check_sheet(sheet, positions)
