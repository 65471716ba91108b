"""Server-drawn SVG charts: bars, a stacked bar, lines and a Gantt timeline (no Flask).

The rules of every picture (`registry.svg`): every chart is an
`<svg role="img">` named by its `<title>` and `<desc>`, colours come from the Okabe-Ito
palette (distinct with the common colour-vision deficiencies), and colour is never the
only cue (WCAG 1.4.1): bars carry their value as a direct label, stacked segments carry a
glyph, lines differ by marker shape and dash pattern and are labelled at their end.
Every text is XML-escaped, the output is deterministic (same input, same bytes) and
self-contained (presentation attributes only). A chart is drawn at its natural size, every
label 12 px or more: the page puts it in a region that scrolls sideways on a narrow
screen rather than shrinking it (the labels would shrink with it).

UI words (titles, legends, "Today") are parameters: the caller passes them already
translated, so this module knows nothing of languages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from registry.documents.language import guess
from registry.svg.style import (
    CHAR,
    FONT,
    FONT_FAMILY,
    GRID,
    INK,
    MUTED,
    OUTLINE,
    PAD,
    PALETTE,
    PROJECT_STATUS,
    STRIPE,
    TITLE_FONT,
    status_style,
)
from registry.svg.text import coord, esc, shorten, text_width, title_width, widest

MARKERS = ("circle", "square", "triangle", "diamond")
SWATCH = 18  # px, a legend swatch
LEGEND_ROW = 24
DASHES = ("", "6 4", "2 3", "8 3 2 3")


def _open(width: float, height: float, title: str, description: str, id_prefix: str,
          css_class: str, role: str | None = "img") -> list[str]:
    """Return the opening of a chart: <svg>, <title>, <desc>, white ground, visible title."""
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    role_attr = f'role="{role}" ' if role else ""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" {role_attr}width="{coord(width)}" '
        f'height="{coord(height)}" viewBox="0 0 {coord(width)} {coord(height)}" '
        f'aria-labelledby="{esc(title_id)} {esc(desc_id)}" class="chart {esc(css_class)}" '
        f'font-family="{esc(FONT_FAMILY)}" font-size="{FONT}">',
        f'<title id="{esc(title_id)}">{esc(title)}</title>',
        f'<desc id="{esc(desc_id)}">{esc(description)}</desc>',
        f'<rect x="0" y="0" width="{coord(width)}" height="{coord(height)}" fill="#FFFFFF"/>',
        f'<text x="{PAD}" y="{PAD + 16}" font-size="{TITLE_FONT}" font-weight="700" '
        f'fill="{INK}" aria-hidden="true">{esc(title)}</text>',
    ]


def _close(out: list[str], empty: str | None = None, x: float = PAD, y: float = 0) -> str:
    """Return the chart: what it drew, a sentence where it has nothing to draw, </svg>."""
    if empty is not None:
        out.append(f'<text x="{coord(x)}" y="{coord(y)}" fill="{INK}">{esc(empty)}</text>')
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class _LegendItem:
    """One entry of a legend: its swatch (drawn at x, y) and its text."""

    text: str
    swatch: Callable[[float, float], str]
    key: str = ""
    width: int = SWATCH  # of the swatch


def _legend_size(items: Sequence[_LegendItem], width: float) -> tuple[int, int, int]:
    """Return a legend's item width, items per line and lines within a chart's width."""
    item = max((i.width for i in items), default=SWATCH) + 6 + widest(
        i.text for i in items) + 16
    per_line = max(1, min(len(items) or 1, int((width - 2 * PAD) // item)))
    lines = math.ceil(len(items) / per_line) if items else 0
    return item, per_line, lines


def _legend(items: Sequence[_LegendItem], width: float, top: float) -> list[str]:
    """Return a legend flowed into lines: each swatch with its text (hidden: the table says it)."""
    item, per_line, _ = _legend_size(items, width)
    room = max((i.width for i in items), default=SWATCH)
    out = ['<g class="legend" aria-hidden="true">']
    for k, entry in enumerate(items):
        lx = PAD + (k % per_line) * item
        ly = top + (k // per_line) * LEGEND_ROW
        key = f' data-key="{esc(entry.key)}"' if entry.key else ""
        out.append(f'<g class="legend-item"{key}>{entry.swatch(lx, ly)}'
                   f'<text x="{coord(lx + room + 6)}" y="{coord(ly + 14)}" fill="{INK}">'
                   f"{esc(entry.text)}</text></g>")
    out.append("</g>")
    return out


def _box(fill: str, glyph: str = "", ink: str = "#000000") -> Callable[[float, float], str]:
    """Return a swatch: a filled, outlined square with the glyph (colour is not alone)."""
    def draw(x: float, y: float) -> str:
        mark = (f'<text x="{coord(x + SWATCH / 2)}" y="{coord(y + 14)}" text-anchor="middle" '
                f'font-weight="700" fill="{ink}">{esc(glyph)}</text>') if glyph else ""
        return (f'<rect x="{coord(x)}" y="{coord(y)}" width="{SWATCH}" height="{SWATCH}" '
                f'fill="{fill}" stroke="{OUTLINE}"/>{mark}')
    return draw


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, description: str,
              legend: str, id_prefix: str = "bars", colour: str = PALETTE[0],
              value_format: Callable[[float], str] = lambda v: coord(v)) -> str:
    """Return a horizontal bar chart, one labelled bar per (label, value), value at its end."""
    rows = list(items)
    bar_row, bar_height, plot = 24, 16, 320
    labels = [shorten(label) for label, _ in rows]
    values = [value_format(v) for _, v in rows]
    left = PAD + widest(labels) + PAD
    value_room = PAD + max(widest(values), text_width("0")) + PAD
    key = [_LegendItem(legend, _box(colour))]
    width = max(left + plot + value_room, title_width(title),
                PAD * 2 + _legend_size(key, 10 ** 6)[0])
    legend_top = PAD + 28
    top = legend_top + LEGEND_ROW
    height = top + max(1, len(rows)) * bar_row + PAD
    biggest = max((v for _, v in rows), default=0) or 1
    out = _open(width, height, title, description, id_prefix, "bar-chart")
    out += _legend(key, width, legend_top)
    out.append('<g class="bars">')
    for i, ((label, value), text) in enumerate(zip(rows, labels, strict=True)):
        y = top + i * bar_row
        length = plot * max(value, 0) / biggest
        out.append(
            f'<g class="bar" data-label="{esc(label)}" data-value="{esc(coord(value))}">'
            f"<title>{esc(label)}: {esc(values[i])}</title>"
            f'<text x="{left - PAD}" y="{y + 13}" text-anchor="end" fill="{INK}">'
            f"{esc(text)}</text>"
            f'<rect x="{left}" y="{y + (bar_row - bar_height) // 2 - 2}" '
            f'width="{coord(length)}" height="{bar_height}" fill="{colour}" '
            f'stroke="{OUTLINE}" stroke-width="1"/>'
            f'<text x="{coord(left + length + PAD)}" y="{y + 13}" fill="{INK}">'
            f"{esc(values[i])}</text></g>")
    out.append("</g>")
    return _close(out, None if rows else description, PAD, top + 14)


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar: its value and how it is drawn and named."""

    key: str
    label: str
    value: float
    fill: str
    glyph: str = ""
    ink: str = "#000000"


def stacked_bar(segments: Sequence[Segment], *, title: str, description: str,
                id_prefix: str = "stacked",
                value_format: Callable[[float, float], str] | None = None) -> str:
    """Return one 100 % bar split into segments, each with its glyph, and a legend."""
    total = sum(max(s.value, 0) for s in segments)
    fmt = value_format or (lambda v, t: f"{coord(v)} ({round(100 * v / t) if t else 0} %)")
    plot = 640
    key = [_LegendItem(f"{s.label}: {fmt(s.value, total)}", _box(s.fill, s.glyph, s.ink),
                       s.key) for s in segments]
    width = max(PAD * 2 + plot, title_width(title))
    bar_top = PAD + 32
    bar_height = 32
    legend_top = bar_top + bar_height + 16
    height = legend_top + max(1, _legend_size(key, width)[2]) * LEGEND_ROW + PAD
    out = _open(width, height, title, description, id_prefix, "stacked-bar")
    out.append(f'<rect x="{PAD}" y="{bar_top}" width="{plot}" height="{bar_height}" '
               f'fill="#FFFFFF" stroke="{OUTLINE}"/>')
    x = float(PAD)
    out.append('<g class="segments">')
    for s in segments:
        share = max(s.value, 0) / total if total else 0
        length = plot * share
        if length <= 0:
            continue
        out.append(
            f'<g class="segment" data-key="{esc(s.key)}" data-value="{esc(coord(s.value))}">'
            f"<title>{esc(s.label)}: {esc(fmt(s.value, total))}</title>"
            f'<rect x="{coord(x)}" y="{bar_top}" width="{coord(length)}" '
            f'height="{bar_height}" fill="{s.fill}" stroke="{OUTLINE}" stroke-width="1"/>')
        # The glyph (and, where it fits, the count) inside the segment: not colour alone.
        text = f"{s.glyph} {coord(s.value)}".strip()
        if length >= len(text) * CHAR + 6:
            out.append(f'<text x="{coord(x + length / 2)}" y="{bar_top + 21}" '
                       f'text-anchor="middle" font-weight="700" fill="{s.ink}" '
                       f'aria-hidden="true">{esc(text)}</text>')
        elif s.glyph and length >= CHAR + 2:
            out.append(f'<text x="{coord(x + length / 2)}" y="{bar_top + 21}" '
                       f'text-anchor="middle" font-weight="700" fill="{s.ink}" '
                       f'aria-hidden="true">{esc(s.glyph)}</text>')
        out.append("</g>")
        x += length
    out.append("</g>")
    out += _legend(key, width, legend_top)
    return _close(out, None if total else description, PAD + 8, bar_top + 21)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    """Return a data-point marker; shapes differ per series so colour is not the only cue."""
    if shape == "square":
        return (f'<rect x="{coord(x - 4)}" y="{coord(y - 4)}" width="8" height="8" '
                f'fill="{colour}" stroke="{INK}"/>')
    if shape == "triangle":
        points = f"{coord(x)},{coord(y - 5)} {coord(x + 5)},{coord(y + 4)} {coord(x - 5)},{coord(y + 4)}"
        return f'<polygon points="{points}" fill="{colour}" stroke="{INK}"/>'
    if shape == "diamond":
        points = f"{coord(x)},{coord(y - 5)} {coord(x + 5)},{coord(y)} {coord(x)},{coord(y + 5)} " \
                 f"{coord(x - 5)},{coord(y)}"
        return f'<polygon points="{points}" fill="{colour}" stroke="{INK}"/>'
    return f'<circle cx="{coord(x)}" cy="{coord(y)}" r="4" fill="{colour}" stroke="{INK}"/>'


def _line_key(k: int) -> Callable[[float, float], str]:
    """Return the legend swatch of the k-th series: its dash pattern and its marker."""
    colour, dash, shape = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)], \
        MARKERS[k % len(MARKERS)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""

    def draw(x: float, y: float) -> str:
        mid = y + SWATCH / 2
        return (f'<line x1="{coord(x)}" y1="{coord(mid)}" x2="{coord(x + 40)}" '
                f'y2="{coord(mid)}" stroke="{colour}" stroke-width="2"{dash_attr}/>'
                f"{_marker(shape, x + 20, mid, colour)}")
    return draw


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               *, title: str, description: str, id_prefix: str = "lines",
               y_max: float = 1.0,
               y_format: Callable[[float], str] = lambda v: f"{round(v * 100)} %") -> str:
    """Return a line chart of series over labelled x positions (None: no value there).

    A trend needs two points: the caller says in words what a single one is.
    """
    plot_w = max(360, 56 * max(1, len(x_labels)))
    plot_h = 200
    names = [name for name, _ in series]
    end_room = PAD + widest(shorten(n, 24) + " 100 %" for n in names) + 16
    key = [_LegendItem(name, _line_key(k), width=40) for k, name in enumerate(names)]
    left = PAD + text_width(y_format(y_max)) + PAD
    width = max(left + plot_w + end_room, title_width(title), PAD * 2 + _legend_size(key, 10 ** 6)[0])
    legend_top = PAD + 28
    top = legend_top + max(1, _legend_size(key, width)[2]) * LEGEND_ROW + PAD + 8
    bottom = top + plot_h
    height = bottom + 40
    step = plot_w / max(1, len(x_labels) - 1) if len(x_labels) > 1 else 0

    def px(i: int) -> float:
        return left + (i * step if len(x_labels) > 1 else plot_w / 2)

    def py(v: float) -> float:
        return bottom - plot_h * (max(0.0, min(v, y_max)) / y_max if y_max else 0)

    out = _open(width, height, title, description, id_prefix, "line-chart")
    out += _legend(key, width, legend_top)
    out.append('<g class="axes" aria-hidden="true">')
    for k in range(5):
        value = y_max * k / 4
        y = py(value)
        out.append(f'<line x1="{left}" y1="{coord(y)}" x2="{left + plot_w}" y2="{coord(y)}" '
                   f'stroke="{GRID}" stroke-width="1"/>'
                   f'<text x="{left - 4}" y="{coord(y + 4)}" text-anchor="end" '
                   f'fill="{MUTED}">{esc(y_format(value))}</text>')
    every = max(1, math.ceil(len(x_labels) * 56 / plot_w)) if x_labels else 1
    for i, label in enumerate(x_labels):
        if i % every and i != len(x_labels) - 1:
            continue
        out.append(f'<text x="{coord(px(i))}" y="{bottom + 18}" text-anchor="middle" '
                   f'fill="{MUTED}">{esc(label)}</text>')
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" '
               f'stroke="{INK}" stroke-width="1"/></g>')
    out.append('<g class="series">')
    for k, (name, values) in enumerate(series):
        out += _series(k, name, values[: len(x_labels)], x_labels, px, py, y_format)
    out.append("</g>")
    return _close(out)


def _series(k: int, name: str, values: Sequence[float | None], x_labels: Sequence[str],
            px: Callable[[int], float], py: Callable[[float], float],
            y_format: Callable[[float], str]) -> list[str]:
    """Return one series of a line chart: its runs, its markers, its label at the end."""
    colour, dash, shape = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)], \
        MARKERS[k % len(MARKERS)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    out = [f'<g class="line" data-series="{esc(name)}">']
    # A gap (None) breaks the line rather than drawing a false value.
    run: list[str] = []
    runs: list[list[str]] = []
    for i, v in enumerate(values):
        if v is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{coord(px(i))},{coord(py(v))}")
    if run:
        runs.append(run)
    out.extend(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
               f'stroke-width="2"{dash_attr}/>' for points in runs if len(points) > 1)
    last = None
    for i, v in enumerate(values):
        if v is None:
            continue
        last = (i, v)
        out.append(f'<g data-x="{esc(x_labels[i])}" data-value="{esc(coord(v))}">'
                   f"<title>{esc(name)}, {esc(x_labels[i])}: {esc(y_format(v))}</title>"
                   f"{_marker(shape, px(i), py(v), colour)}</g>")
    if last is not None:  # the direct label at the line's end names the series
        out.append(f'<text x="{coord(px(last[0]) + 8)}" y="{coord(py(last[1]) + 4)}" '
                   f'fill="{INK}" aria-hidden="true">{esc(shorten(name, 24))} '
                   f"{esc(y_format(last[1]))}</text>")
    out.append("</g>")
    return out


@dataclass(frozen=True)
class GanttRow:
    """One project of the timeline: its span, its status and its phases."""

    key: str
    label: str
    start: date
    end: date
    status: str = ""
    status_label: str = ""
    phases: Sequence[tuple[str, date, date]] = field(default_factory=tuple)


# Phases alternate a white and a light grey lane (neither is a status colour), each
# outlined and named in black, so they read without hue.
PHASE_FILLS = ("#FFFFFF", "#D9D9D9")
QUARTER_W = 44  # px per quarter: a phase of two quarters has room for a dozen characters


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_quarter(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month >= 10 else date(day.year, day.month + 3, 1)


@dataclass(frozen=True)
class _Timeline:
    """Where the Gantt chart's parts go: sizes from the labels, the span and the legend."""

    start: date  # the first quarter's first day
    end: date  # the day after the last quarter
    plot_w: int
    left: int
    width: int
    height: int
    legend: list[_LegendItem]
    legend_top: int
    axis_top: int
    top: int
    bottom: int

    def x(self, day: date) -> float:
        """Return the x of a day on the time axis."""
        return self.left + self.plot_w * (day - self.start).days / max(1, (self.end - self.start).days)


GANTT_ROW = 48  # the project's bar (18 px) over its lane of named phases (18 px)


def gantt_chart(rows: Sequence[GanttRow], *, today: date, title: str, description: str,
                today_label: str, legend: Mapping[str, str] | None = None,
                id_prefix: str = "gantt") -> str:
    """Return a Gantt chart: one row per project with its named phases, quarters, today."""
    legend = legend or {}
    labels = [shorten(r.label) for r in rows]
    layout = _timeline(rows, labels, today, title, legend)
    out = _open(layout.width, layout.height, title, description, id_prefix, "gantt")
    out += _legend(layout.legend, layout.width, layout.legend_top)
    # Zebra stripes first, so that the quarter lines drawn next stay visible across them.
    out.extend(f'<rect x="{PAD}" y="{layout.top + i * GANTT_ROW}" '
               f'width="{coord(layout.width - 2 * PAD)}" '
               f'height="{GANTT_ROW}" fill="{STRIPE}"/>' for i in range(1, len(rows), 2))
    out += _quarter_axis(layout)
    out += _gantt_rows(layout, rows, labels)
    tx = layout.x(today)
    out.append(f'<g class="today" data-date="{today.isoformat()}">'
               f'<line x1="{coord(tx)}" y1="{layout.axis_top - 4}" x2="{coord(tx)}" '
               f'y2="{layout.bottom}" stroke="#D55E00" stroke-width="2" stroke-dasharray="4 2"/>'
               f'<text x="{coord(tx)}" y="{layout.axis_top - 8}" text-anchor="middle" '
               f'font-weight="700" fill="{INK}">{esc(today_label)}</text></g>')
    return _close(out, None if rows else description, PAD, layout.top + 18)


def _timeline(rows: Sequence[GanttRow], labels: Sequence[str], today: date, title: str,
              legend: Mapping[str, str]) -> _Timeline:
    """Return the layout: whole quarters around every row and today, labels, legend."""
    first = min([r.start for r in rows] + [today])
    last = max([r.end for r in rows] + [today])
    start = _quarter_start(first)
    end = _next_quarter(_quarter_start(last))
    quarters = max(1, (end - start).days) / 91.3
    plot_w = max(480, math.ceil(quarters * QUARTER_W))
    left = PAD + widest(labels) + PAD
    status_room = PAD + widest(r.status_label for r in rows)
    drawn = {r.status for r in rows}  # the legend lists only what is drawn
    key = [_LegendItem(legend[k], _box(s.fill, s.glyph, s.ink), k)
           for k, s in PROJECT_STATUS.items() if k in legend and k in drawn]
    width = max(left + plot_w + status_room + PAD, title_width(title))
    legend_top = PAD + 28
    axis_top = legend_top + _legend_size(key, width)[2] * LEGEND_ROW + 24  # today's label
    top = axis_top + 36
    bottom = top + max(1, len(rows)) * GANTT_ROW
    return _Timeline(start, end, plot_w, left, width, bottom + PAD, key, legend_top,
                     axis_top, top, bottom)


def _quarter_axis(layout: _Timeline) -> list[str]:
    """Return the time axis: a line per quarter (darker at a year), Q1-Q4 and the years."""
    start, end, axis_top = layout.start, layout.end, layout.axis_top
    out = [f'<g class="axis" aria-hidden="true" data-start="{start.isoformat()}" '
           f'data-end="{end.isoformat()}" data-left="{layout.left}" '
           f'data-width="{layout.plot_w}">']
    quarter = start
    while quarter <= end:
        x = layout.x(quarter)
        is_year = quarter.month == 1
        out.append(f'<line class="{"year" if is_year else "quarter"}" '
                   f'data-date="{quarter.isoformat()}" x1="{coord(x)}" y1="{axis_top + 20}" '
                   f'x2="{coord(x)}" y2="{layout.bottom}" '
                   f'stroke="{OUTLINE if is_year else GRID}" stroke-width="1"/>')
        if quarter < end:
            q = (quarter.month - 1) // 3 + 1
            mid = layout.x(min(_next_quarter(quarter), end))
            out.append(f'<text x="{coord((x + mid) / 2)}" y="{axis_top + 32}" '
                       f'text-anchor="middle" fill="{MUTED}">Q{q}</text>')
            if is_year or quarter == start:
                out.append(f'<text x="{coord(x + 2)}" y="{axis_top + 14}" font-weight="700" '
                           f'fill="{INK}">{quarter.year}</text>')
        quarter = _next_quarter(quarter)
    out.append("</g>")
    return out


def _gantt_rows(layout: _Timeline, rows: Sequence[GanttRow], labels: Sequence[str]
                ) -> list[str]:
    """Return one row per project: its label, its bar with the status, its named phases."""
    left = layout.left
    out = ['<g class="rows">']
    for i, (row, text) in enumerate(zip(rows, labels, strict=True)):
        y = layout.top + i * GANTT_ROW
        x1, x2 = layout.x(row.start), layout.x(max(row.end, row.start))
        style = status_style(row.status)
        status = f"{style.glyph} {row.status_label}".strip() if row.status_label else ""
        out.append(
            f'<g class="project" data-project="{esc(row.key)}" data-start="'
            f'{row.start.isoformat()}" data-end="{row.end.isoformat()}">'
            f"<title>{esc(row.label)}: {row.start.isoformat()} \u2013 {row.end.isoformat()}"
            f"{esc(', ' + row.status_label if row.status_label else '')}</title>"
            f'<text x="{left - PAD}" y="{y + 18}" text-anchor="end" fill="{INK}">'
            f"{esc(text)}</text>"
            f'<rect x="{coord(x1)}" y="{y + 4}" width="{coord(max(2.0, x2 - x1))}" height="18" '
            f'fill="{style.fill}" stroke="{OUTLINE}" stroke-width="1"/>'
            f'<text x="{coord(x2 + 4)}" y="{y + 18}" fill="{INK}">{esc(status)}</text>')
        # A phase name too short to tell its language takes that of its siblings.
        siblings = guess(" ".join(name for name, _s, _e in row.phases))
        for k, (name, p_start, p_end) in enumerate(row.phases):
            out.append(_phase(layout, k, name, p_start, p_end, y + 25, siblings))
        out.append("</g>")
    out.append("</g>")
    return out


def _phase(layout: _Timeline, k: int, name: str, start: date, end: date, y: float,
           siblings: str | None = None) -> str:
    """Return one phase: a lane segment named inside, shortened to fit (whole in its title)."""
    p1, p2 = layout.x(start), layout.x(max(end, start))
    width = max(1.0, p2 - p1 - 1)
    room = int((width - 6) // CHAR)
    label = ""
    if room >= 4 or (room >= 1 and len(name) <= room):
        label = (f'<text x="{coord(p1 + 3)}" y="{coord(y + 13)}" fill="{INK}" '
                 f'aria-hidden="true">{esc(shorten(name, room))}</text>')
    # A phase's name is free text with no language in the sheet: mark the one its words
    # show (registry.documents.language), for screen readers.
    said = guess(name) or siblings
    lang = f' lang="{said}"' if said else ""
    return (f'<g class="phase"{lang}><title>{esc(name)}: {start.isoformat()} \u2013 '
            f'{end.isoformat()}</title><rect x="{coord(p1)}" y="{coord(y)}" '
            f'width="{coord(width)}" height="18" fill="{PHASE_FILLS[k % 2]}" '
            f'stroke="{OUTLINE}" stroke-width="1"/>{label}</g>')
