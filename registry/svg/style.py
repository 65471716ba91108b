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

# Every status a page shows, once, in one palette: the fill, the glyph and the glyph's ink
# are the same in the lists' badges, the heatmap, the map, the Gantt chart and the
# dashboard. No two statuses or states share a fill, and no two share a glyph, so a colour
# or a symbol means one thing on every page; the word is always written next to it too.
STANDARD_STATUS: dict[str, StateStyle] = {
    "mandatory": StateStyle("#E69F00", "M", "#000000", "the standard is mandatory"),
    "recommended": StateStyle("#BFE6D8", "R", "#000000", "the standard is recommended"),
    "candidate": StateStyle("#D4ECFA", "C", "#000000", "the standard is a candidate"),
    "deprecated": StateStyle("#E0E0E0", "D", "#000000", "the standard is deprecated"),
}
PROJECT_STATUS: dict[str, StateStyle] = {
    "proposed": StateStyle("#FFF6C2", "\u25cb", "#000000", "the project is proposed"),
    "selected": StateStyle("#EAD7F0", "\u25c7", "#000000", "the project is selected"),
    "in-progress": StateStyle("#FAD7A0", "\u25b6", "#000000", "the project is in progress"),
    "delivered": StateStyle("#C9E7A7", "\u25cf", "#000000", "the project is delivered"),
    "stopped": StateStyle("#F4C7B8", "\u25a0", "#000000", "the project is stopped"),
}
COMPONENT_STATUS: dict[str, StateStyle] = {
    "active": StateStyle("#D8F0E0", "A", "#000000", "the component is in service"),
    "pilot": StateStyle("#FFE9C7", "P", "#000000", "the component is a pilot"),
    "retired": StateStyle("#EBEBEB", "\u2013", "#000000", "the component is retired"),
}
# One namespace: a status's name says which family it belongs to (no name is in two).
STATUSES: dict[str, StateStyle] = {**STANDARD_STATUS, **PROJECT_STATUS, **COMPONENT_STATUS}


def status_style(name: str) -> StateStyle:
    """Return how a status or compliance state is drawn (a white "?" for an unknown one)."""
    return STYLES.get(name) or STATUSES.get(name) or UNKNOWN


# Kept for the callers that take (fill, letter) pairs.
STATUS_STYLE: Mapping[str, tuple[str, str]] = {
    k: (v.fill, v.glyph) for k, v in STANDARD_STATUS.items()}
PROJECT_STATUS_FILLS: Mapping[str, str] = {k: v.fill for k, v in PROJECT_STATUS.items()}


def stylesheet() -> str:
    """Return the CSS of the palette: a custom property per status, a class per family.

    registry/web/static/palette.css is this text (tests/web check it is current);
    `python -m registry.svg.style > registry/web/static/palette.css` writes it anew.
    """
    lines = ["/* Written by `python -m registry.svg.style` from registry/svg/style.py: the one",
             "   palette of the statuses and states (do not edit by hand). */", ":root {"]
    every = {**STYLES, **STATUSES}
    lines += [f"  --status-{k}: {v.fill}; --status-{k}-ink: {v.ink};" for k, v in every.items()]
    lines.append("}")
    lines += [f".state-{k} {{ background: var(--status-{k}); color: var(--status-{k}-ink); }}"
              for k in STYLES]
    lines += [f".badge-{k} {{ background: var(--status-{k}); color: var(--status-{k}-ink); }}"
              for k in STATUSES]
    return "\n".join(lines) + "\n"


# Reuse opportunity types: a colour and a dash pattern each.
TYPE_STYLE: Mapping[str, tuple[str, str]] = {
    "reuse": ("#0072B2", "6 3"),
    "pooling": ("#D55E00", "2 3"),
    "overlap": ("#CC79A7", "8 2 2 2"),
    "data-sharing": ("#009E73", "1 2"),
    "standard-divergence": ("#8a5a00", "10 4"),
}


if __name__ == "__main__":
    print(stylesheet(), end="")
