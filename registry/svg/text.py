"""Text in SVG: escaping, compact numbers, and fitting labels into the room they have."""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape

from registry.svg.style import CHAR, FONT, LABEL_CHARS, PAD, TITLE_FONT


def esc(text: object) -> str:
    """Escape text for XML content and attribute values (&, <, > and both quotes)."""
    return escape(str(text), quote=True)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """Shorten a label to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def coord(value: float) -> str:
    """Format a coordinate compactly and deterministically."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def text_width(text: str, char: float = CHAR) -> int:
    """Return a safe estimate of the width of a text in pixels (no font metrics here)."""
    return math.ceil(len(text) * char)


def widest(texts: Iterable[str], char: float = CHAR) -> int:
    """Return the estimated width of the longest of some texts (0 when there are none)."""
    return math.ceil(max((len(t) for t in texts), default=0) * char)


def title_width(title: str) -> int:
    """Return the width a picture needs for its visible title."""
    return PAD * 2 + math.ceil(len(title) * CHAR * TITLE_FONT / FONT)
