"""CSV cells that a spreadsheet never runs as formulas (no Flask).

Spreadsheets treat a cell starting with `=`, `+`, `-` or `@` as a formula, and some
also after a leading TAB or CR (which they strip first): text from a project sheet or
a SPARQL answer could then run a command or leak data when the Office opens the file.
Such a cell gets a leading apostrophe, which spreadsheets show as text (OWASP's advice
for CSV injection). Plain numbers (-5, +3.2e4) stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def safe_cell(value: object) -> str:
    """Return a cell's text, neutralised when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """Return a row of cells, each neutralised."""
    return [safe_cell(v) for v in values]
