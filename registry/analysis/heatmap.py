"""The compliance matrix drawn as an SVG heatmap: projects by standards, server-side.

The picture does not rely on colour alone (WCAG 1.4.1): every state has a glyph drawn in
its cell and in the legend, and its colour comes from the Okabe-Ito palette, which stays
distinct with the common colour-vision deficiencies. Cells carry a dark outline so that
light colours (yellow) still meet the 3:1 non-text contrast against the white page
(WCAG 1.4.11), and each glyph is inked black or white, whichever contrasts with its fill.

The output is deterministic (same input, same bytes), self-contained (presentation
attributes, no stylesheet, so it also renders as a standalone .svg file) and every text
is XML-escaped. Sizes are computed from the number of rows and columns and from the
label lengths, so that 50 projects by 30 standards stay readable: column labels are
rotated, long labels are shortened (the full text is in each cell's <title>).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Protocol


class StateCell(Protocol):
    """What the heatmap reads of a compliance cell."""

    @property
    def project(self) -> str: ...

    @property
    def standard(self) -> str: ...

    @property
    def state(self) -> str: ...


@dataclass(frozen=True)
class StateStyle:
    """How one state is drawn: fill colour, glyph and the glyph's ink."""

    fill: str
    glyph: str
    ink: str
    meaning: str


# Okabe-Ito colours; the ink of each glyph has at least 4.5:1 contrast with its fill.
STYLES: dict[str, StateStyle] = {
    "complies": StateStyle("#009E73", "\u2713", "#000000", "the project complies"),
    "partial": StateStyle("#56B4E9", "~", "#000000", "complies partially"),
    "planned": StateStyle("#0072B2", "\u2192", "#FFFFFF", "compliance planned"),
    "explain": StateStyle("#F0E442", "E", "#000000", "not complying, explained"),
    "expired": StateStyle("#CC79A7", "!", "#000000", "explanation or plan expired"),
    "missing": StateStyle("#D55E00", "\u00d7", "#000000", "applies but not declared"),
}
UNKNOWN = StateStyle("#FFFFFF", "?", "#000000", "unknown state")

CELL = 20  # px, side of a cell: room for a 12 px glyph
FONT = 12  # px, labels
TITLE_FONT = 16
CHAR = 7.0  # px, the average advance of a 12 px sans-serif character (a safe estimate)
ROW_LABEL_CHARS = 36  # longer project labels are shortened with an ellipsis
COLUMN_LABEL_CHARS = 24
ANGLE = 45  # degrees: rotated column labels fit over 20 px columns
PAD = 8
TITLE_HEIGHT = 24
LEGEND_ROW = 24
OUTLINE = "#4A4A4A"
STRIPE = "#F3F5F8"
INK = "#1B1B1B"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', sans-serif"


def _x(text: str) -> str:
    """Escape text for XML content and attribute values."""
    return escape(text, quote=True)


def _short(text: str, limit: int) -> str:
    """Shorten a label to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def columns_of(cells: Iterable[StateCell], projects: Sequence[str],
               standards: Sequence[str] = ()) -> list[str]:
    """Return the standards that appear in a cell of these projects, in the given order."""
    rows = set(projects)
    present = {c.standard for c in cells if c.project in rows}
    ordered = [s for s in dict.fromkeys(standards) if s in present]
    return ordered + sorted(present - set(ordered))


def heatmap_svg(cells: Iterable[StateCell], projects: Sequence[str],
                standards: Sequence[str] = (), *,
                project_labels: Mapping[str, str] | None = None,
                standard_labels: Mapping[str, str] | None = None,
                title: str, description: str | None = None,
                id_prefix: str = "heatmap",
                state_labels: Mapping[str, str] | None = None,
                meanings: Mapping[str, str] | None = None,
                empty_text: str = "No project has a state for any standard.") -> str:
    """Return the SVG of a projects-by-standards heatmap with its legend.

    state_labels, meanings and empty_text give the words of another interface language
    (the pages pass them translated); the data attributes keep the states' codes.
    """
    cells = list(cells)
    names = state_labels or {}
    means = meanings or {}
    project_labels = project_labels or {}
    standard_labels = standard_labels or {}
    rows = list(dict.fromkeys(projects))
    columns = columns_of(cells, rows, standards)
    row_index = {p: i for i, p in enumerate(rows)}
    column_index = {s: j for j, s in enumerate(columns)}
    grid = {(c.project, c.standard): c.state for c in cells
            if c.project in row_index and c.standard in column_index}
    counts = Counter(grid.values())

    row_text = [_short(project_labels.get(p) or p, ROW_LABEL_CHARS) for p in rows]
    column_text = [_short(standard_labels.get(s) or s, COLUMN_LABEL_CHARS) for s in columns]
    sin = math.sin(math.radians(ANGLE))
    longest_column = max((len(t) for t in column_text), default=0) * CHAR
    left = PAD + math.ceil(max((len(t) for t in row_text), default=0) * CHAR) + PAD
    header = math.ceil(longest_column * sin) + PAD + CELL // 2
    # A rotated label leans right, past the columns after it: leave room for the widest.
    right = PAD + max((math.ceil(len(t) * CHAR * sin) - (len(column_text) - 1 - j) * CELL
                       for j, t in enumerate(column_text)), default=0)
    right = max(right, PAD)

    states = [*STYLES, *sorted(set(counts) - set(STYLES))]
    legend_texts = [f"{names.get(s, s)} ({counts.get(s, 0)})" for s in states]
    item_width = CELL + 6 + math.ceil(max(len(t) for t in legend_texts) * CHAR) + 16
    grid_width = left + len(columns) * CELL + right
    title_width = PAD * 2 + math.ceil(len(title) * CHAR * TITLE_FONT / FONT)
    width = max(grid_width, PAD * 2 + 3 * item_width, title_width)
    per_line = max(1, min(len(states), (width - 2 * PAD) // item_width))
    legend_lines = math.ceil(len(states) / per_line)
    legend_top = PAD + TITLE_HEIGHT
    grid_top = legend_top + legend_lines * LEGEND_ROW + PAD + header
    height = grid_top + max(1, len(rows)) * CELL + PAD

    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    if description is None:
        description = (f"{len(rows)} projects (rows) by {len(columns)} standards (columns); "
                       + ", ".join(f"{counts.get(s, 0)} {s}" for s in states) + ".")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{_x(title_id)} {_x(desc_id)}" class="heatmap" '
        f'font-family="{_x(FONT_FAMILY)}" font-size="{FONT}">',
        f'<title id="{_x(title_id)}">{_x(title)}</title>',
        f'<desc id="{_x(desc_id)}">{_x(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
        f'<text x="{PAD}" y="{PAD + 16}" font-size="{TITLE_FONT}" font-weight="700" '
        f'fill="{INK}">'
        f"{_x(title)}</text>",
    ]
    out.append('<g class="legend">')
    for k, state in enumerate(states):
        style = STYLES.get(state, UNKNOWN)
        x = PAD + (k % per_line) * item_width
        y = legend_top + (k // per_line) * LEGEND_ROW
        out.append(
            f'<g class="legend-item" data-state="{_x(state)}"><title>{_x(names.get(state, state))}: '
            f"{_x(means.get(state, style.meaning))}</title>"
            f'<rect class="legend-swatch" x="{x}" y="{y}" width="{CELL}" height="{CELL}" '
            f'fill="{style.fill}" stroke="{OUTLINE}" stroke-width="1"/>'
            f'{_glyph(style, x, y)}'
            f'<text x="{x + CELL + 6}" y="{y + 15}" fill="{INK}">{_x(legend_texts[k])}</text>'
            "</g>")
    out.append("</g>")

    out.append('<g class="columns">')
    for j, text in enumerate(column_text):
        x = left + j * CELL + CELL // 2
        y = grid_top - PAD // 2
        out.append(f'<text x="{x}" y="{y}" transform="rotate(-{ANGLE} {x} {y})" '
                   f'fill="{INK}"><title>{_x(columns[j])}</title>{_x(text)}</text>')
    out.append("</g>")
    out.append('<g class="rows">')
    for i, text in enumerate(row_text):
        if i % 2:  # zebra stripes help follow a row across 30 columns
            out.append(f'<rect x="{PAD}" y="{grid_top + i * CELL}" '
                       f'width="{left - PAD + len(columns) * CELL}" height="{CELL}" '
                       f'fill="{STRIPE}"/>')
        y = grid_top + i * CELL + 15
        out.append(f'<text x="{left - PAD}" y="{y}" text-anchor="end" fill="{INK}">'
                   f"<title>{_x(rows[i])}</title>{_x(text)}</text>")
    out.append("</g>")

    out.append('<g class="cells">')
    for (project, standard), state in sorted(
            grid.items(), key=lambda item: (row_index[item[0][0]], column_index[item[0][1]])):
        style = STYLES.get(state, UNKNOWN)
        x = left + column_index[standard] * CELL
        y = grid_top + row_index[project] * CELL
        label = f"{project_labels.get(project) or project} \u00d7 " \
                f"{standard_labels.get(standard) or standard}: {names.get(state, state)}"
        out.append(
            f'<g data-project="{_x(project)}" data-standard="{_x(standard)}" '
            f'data-state="{_x(state)}"><title>{_x(label)}</title>'
            f'<rect class="cell" x="{x}" y="{y}" width="{CELL}" height="{CELL}" '
            f'fill="{style.fill}" stroke="{OUTLINE}" stroke-width="1"/>'
            f"{_glyph(style, x, y)}</g>")
    out.append("</g>")
    if not grid:
        out.append(f'<text x="{PAD}" y="{grid_top + 15}" fill="{INK}">'
                   f"{_x(empty_text)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def _glyph(style: StateStyle, x: int, y: int) -> str:
    """Return the glyph of a state centred in the cell at (x, y)."""
    return (f'<text x="{x + CELL // 2}" y="{y + 15}" text-anchor="middle" font-weight="700" '
            f'fill="{style.ink}" aria-hidden="true">{_x(style.glyph)}</text>')
