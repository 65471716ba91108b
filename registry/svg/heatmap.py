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

from registry.analysis.compliance import StateCell, columns_of
from registry.svg.style import (
    CHAR,
    FONT,
    FONT_FAMILY,
    INK,
    OUTLINE,
    PAD,
    STRIPE,
    STYLES,
    TITLE_FONT,
    UNKNOWN,
    StateStyle,
)
from registry.svg.text import esc, shorten

CELL = 20  # px, side of a cell: room for a 12 px glyph
ROW_LABEL_CHARS = 36  # longer project labels are shortened with an ellipsis
COLUMN_LABEL_CHARS = 24
ANGLE = 45  # degrees: rotated column labels fit over 20 px columns
TITLE_HEIGHT = 24
LEGEND_ROW = 24


@dataclass(frozen=True)
class _Grid:
    """What the heatmap shows: its rows, columns, states and the texts it writes."""

    rows: list[str]
    columns: list[str]
    row_index: dict[str, int]
    column_index: dict[str, int]
    states_at: dict[tuple[str, str], str]  # (project, standard) -> state
    counts: Counter[str]
    states: list[str]  # the legend's: those drawn, in the palette's order, then any other
    row_text: list[str]
    column_text: list[str]
    legend_texts: list[str]


@dataclass(frozen=True)
class _Layout:
    """Where everything goes: the sizes computed from the labels and the counts."""

    width: int
    height: int
    left: int  # x of the first column (after the row labels)
    grid_top: int
    legend_top: int
    item_width: int  # one legend item
    per_line: int  # legend items per line


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
    names = state_labels or {}
    project_labels = project_labels or {}
    standard_labels = standard_labels or {}
    grid = _grid(list(cells), projects, standards, project_labels, standard_labels, names)
    layout = _layout(grid, title)
    if description is None:
        description = (f"{len(grid.rows)} projects (rows) by {len(grid.columns)} standards "
                       "(columns); " + (", ".join(f"{grid.counts[s]} {s}"
                                                  for s in grid.states) or "no state") + ".")
    out = _opening(layout, title, description, id_prefix)
    out += _legend(grid, layout, names, meanings or {})
    out += _labels(grid, layout)
    out += _cells(grid, layout, project_labels, standard_labels, names)
    if not grid.states_at:
        out.append(f'<text x="{PAD}" y="{layout.grid_top + 15}" fill="{INK}">'
                   f"{esc(empty_text)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def _grid(cells: list[StateCell], projects: Sequence[str], standards: Sequence[str],
          project_labels: Mapping[str, str], standard_labels: Mapping[str, str],
          names: Mapping[str, str]) -> _Grid:
    """Return the rows, the columns present among them, the states and the texts."""
    rows = list(dict.fromkeys(projects))
    columns = columns_of(cells, rows, standards)
    row_index = {p: i for i, p in enumerate(rows)}
    column_index = {s: j for j, s in enumerate(columns)}
    states_at = {(c.project, c.standard): c.state for c in cells
                 if c.project in row_index and c.standard in column_index}
    counts = Counter(states_at.values())
    # Only the states the picture shows: a legend entry for a state drawn nowhere ("0")
    # is something to read that says nothing (the page's summary counts every state).
    states = [*(s for s in STYLES if counts[s]), *sorted(set(counts) - set(STYLES))]
    return _Grid(rows, columns, row_index, column_index, states_at, counts, states,
                 [shorten(project_labels.get(p) or p, ROW_LABEL_CHARS) for p in rows],
                 [shorten(standard_labels.get(s) or s, COLUMN_LABEL_CHARS) for s in columns],
                 [f"{names.get(s, s)} ({counts.get(s, 0)})" for s in states])


def _layout(grid: _Grid, title: str) -> _Layout:
    """Return the sizes: room for the longest labels, the rotated headers, the legend."""
    sin = math.sin(math.radians(ANGLE))
    longest_column = max((len(t) for t in grid.column_text), default=0) * CHAR
    left = PAD + math.ceil(max((len(t) for t in grid.row_text), default=0) * CHAR) + PAD
    header = math.ceil(longest_column * sin) + PAD + CELL // 2
    # A rotated label leans right, past the columns after it: leave room for the widest.
    count = len(grid.column_text)
    right = PAD + max((math.ceil(len(t) * CHAR * sin) - (count - 1 - j) * CELL
                       for j, t in enumerate(grid.column_text)), default=0)
    right = max(right, PAD)
    item_width = CELL + 6 + math.ceil(max((len(t) for t in grid.legend_texts), default=0)
                                      * CHAR) + 16
    grid_width = left + len(grid.columns) * CELL + right
    title_width = PAD * 2 + math.ceil(len(title) * CHAR * TITLE_FONT / FONT)
    width = max(grid_width, PAD * 2 + 3 * item_width, title_width)
    per_line = max(1, min(len(grid.states), (width - 2 * PAD) // item_width))
    legend_lines = math.ceil(len(grid.states) / per_line)
    legend_top = PAD + TITLE_HEIGHT
    grid_top = legend_top + legend_lines * LEGEND_ROW + PAD + header
    height = grid_top + max(1, len(grid.rows)) * CELL + PAD
    return _Layout(width, height, left, grid_top, legend_top, item_width, per_line)


def _opening(layout: _Layout, title: str, description: str, id_prefix: str) -> list[str]:
    """Return the <svg> element's opening, its title and description, and the ground."""
    width, height = layout.width, layout.height
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{esc(title_id)} {esc(desc_id)}" class="heatmap" '
        f'font-family="{esc(FONT_FAMILY)}" font-size="{FONT}">',
        f'<title id="{esc(title_id)}">{esc(title)}</title>',
        f'<desc id="{esc(desc_id)}">{esc(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
        f'<text x="{PAD}" y="{PAD + 16}" font-size="{TITLE_FONT}" font-weight="700" '
        f'fill="{INK}">'
        f"{esc(title)}</text>",
    ]


def _legend(grid: _Grid, layout: _Layout, names: Mapping[str, str],
            means: Mapping[str, str]) -> list[str]:
    """Return the legend: each state's swatch, glyph, name and count."""
    out = ['<g class="legend">']
    for k, state in enumerate(grid.states):
        style = STYLES.get(state, UNKNOWN)
        x = PAD + (k % layout.per_line) * layout.item_width
        y = layout.legend_top + (k // layout.per_line) * LEGEND_ROW
        out.append(
            f'<g class="legend-item" data-state="{esc(state)}"><title>'
            f'{esc(names.get(state, state))}: '
            f"{esc(means.get(state, style.meaning))}</title>"
            f'<rect class="legend-swatch" x="{x}" y="{y}" width="{CELL}" height="{CELL}" '
            f'fill="{style.fill}" stroke="{OUTLINE}" stroke-width="1"/>'
            f'{_glyph(style, x, y)}'
            f'<text x="{x + CELL + 6}" y="{y + 15}" fill="{INK}">'
            f'{esc(grid.legend_texts[k])}</text>'
            "</g>")
    out.append("</g>")
    return out


def _labels(grid: _Grid, layout: _Layout) -> list[str]:
    """Return the rotated column labels and the row labels over zebra stripes."""
    left, grid_top = layout.left, layout.grid_top
    out = ['<g class="columns">']
    for j, text in enumerate(grid.column_text):
        x = left + j * CELL + CELL // 2
        y = grid_top - PAD // 2
        out.append(f'<text x="{x}" y="{y}" transform="rotate(-{ANGLE} {x} {y})" '
                   f'fill="{INK}"><title>{esc(grid.columns[j])}</title>{esc(text)}</text>')
    out.append("</g>")
    out.append('<g class="rows">')
    for i, text in enumerate(grid.row_text):
        if i % 2:  # zebra stripes help follow a row across 30 columns
            out.append(f'<rect x="{PAD}" y="{grid_top + i * CELL}" '
                       f'width="{left - PAD + len(grid.columns) * CELL}" height="{CELL}" '
                       f'fill="{STRIPE}"/>')
        y = grid_top + i * CELL + 15
        out.append(f'<text x="{left - PAD}" y="{y}" text-anchor="end" fill="{INK}">'
                   f"<title>{esc(grid.rows[i])}</title>{esc(text)}</text>")
    out.append("</g>")
    return out


def _cells(grid: _Grid, layout: _Layout, project_labels: Mapping[str, str],
           standard_labels: Mapping[str, str], names: Mapping[str, str]) -> list[str]:
    """Return one cell per (project, standard) with a state: colour, glyph and title."""
    out = ['<g class="cells">']
    for (project, standard), state in sorted(
            grid.states_at.items(),
            key=lambda item: (grid.row_index[item[0][0]], grid.column_index[item[0][1]])):
        style = STYLES.get(state, UNKNOWN)
        x = layout.left + grid.column_index[standard] * CELL
        y = layout.grid_top + grid.row_index[project] * CELL
        label = f"{project_labels.get(project) or project} \u00d7 " \
                f"{standard_labels.get(standard) or standard}: {names.get(state, state)}"
        out.append(
            f'<g data-project="{esc(project)}" data-standard="{esc(standard)}" '
            f'data-state="{esc(state)}"><title>{esc(label)}</title>'
            f'<rect class="cell" x="{x}" y="{y}" width="{CELL}" height="{CELL}" '
            f'fill="{style.fill}" stroke="{OUTLINE}" stroke-width="1"/>'
            f"{_glyph(style, x, y)}</g>")
    out.append("</g>")
    return out


def _glyph(style: StateStyle, x: int, y: int) -> str:
    """Return the glyph of a state centred in the cell at (x, y)."""
    return (f'<text x="{x + CELL // 2}" y="{y + 15}" text-anchor="middle" font-weight="700" '
            f'fill="{style.ink}" aria-hidden="true">{esc(style.glyph)}</text>')
