"""The pictures' palette, fonts and sizes, and how states, statuses and types are drawn.

Colours are Okabe-Ito (distinct with the common colour-vision deficiencies); each fill
that carries text or a glyph comes with an ink of at least 4.5:1 contrast, and outlines
keep light fills at 3:1 against the white page (WCAG 1.4.11).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Okabe-Ito, in the order single series take them.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000")
INK = "#1B1B1B"
MUTED = "#4A4A4A"
OUTLINE = "#4A4A4A"
GRID = "#C8C8C8"
STRIPE = "#F3F5F8"
FONT = 12
TITLE_FONT = 16
CHAR = 7.0  # px, a safe estimate of a 12 px sans-serif character's advance
PAD = 8
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', sans-serif"
LABEL_CHARS = 36  # longer labels are shortened with an ellipsis


@dataclass(frozen=True)
class StateStyle:
    """How one compliance state is drawn: fill colour, glyph and the glyph's ink."""

    fill: str
    glyph: str
    ink: str
    meaning: str


# Compliance states; the ink of each glyph has at least 4.5:1 contrast with its fill.
STYLES: dict[str, StateStyle] = {
    "complies": StateStyle("#009E73", "\u2713", "#000000", "the project complies"),
    "partial": StateStyle("#56B4E9", "~", "#000000", "complies partially"),
    "planned": StateStyle("#0072B2", "\u2192", "#FFFFFF", "compliance planned"),
    "explain": StateStyle("#F0E442", "E", "#000000", "not complying, explained"),
    "expired": StateStyle("#CC79A7", "!", "#000000", "explanation or plan expired"),
    "missing": StateStyle("#D55E00", "\u00d7", "#000000", "applies but not declared"),
}
UNKNOWN = StateStyle("#FFFFFF", "?", "#000000", "unknown state")

# Standard statuses: a fill with black text, and a letter so colour is not the only cue.
STATUS_STYLE: Mapping[str, tuple[str, str]] = {
    "mandatory": ("#E69F00", "M"), "recommended": ("#009E73", "R"),
    "candidate": ("#56B4E9", "C"), "deprecated": ("#E0E0E0", "D"),
}

# Project statuses on the timeline; the status is also written at the end of each bar.
PROJECT_STATUS_FILLS: Mapping[str, str] = {
    "proposed": "#F0E442", "selected": "#56B4E9", "in-progress": "#0072B2",
    "delivered": "#009E73", "stopped": "#CC79A7",
}

# Reuse opportunity types: a colour and a dash pattern each.
TYPE_STYLE: Mapping[str, tuple[str, str]] = {
    "reuse": ("#0072B2", "6 3"),
    "pooling": ("#D55E00", "2 3"),
    "overlap": ("#CC79A7", "8 2 2 2"),
    "data-sharing": ("#009E73", "1 2"),
    "standard-divergence": ("#8a5a00", "10 4"),
}
