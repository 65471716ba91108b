"""The reference architecture map: capability blocks in four bands, one per EIF layer.

The SVG holds real links (every block goes to its page), so it is not `role="img"`
(which would hide them from screen readers): it is a titled graphic whose links are
named by their text; the page also gives the same content as a nested list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from registry.analysis.architecture import CapabilityBlock
from registry.catalogue.query import LAYERS
from registry.svg.style import (
    CHAR,
    FONT,
    FONT_FAMILY,
    INK,
    OUTLINE,
    PAD,
    STANDARD_STATUS,
    UNKNOWN,
)
from registry.svg.text import coord, esc, shorten

BLOCK_W = 340
GAP = 12
CHIP_H = 20
# Three columns fit the page at 1366 px wide with every text at 12 px or more; on a
# narrower screen the map scrolls sideways in its region rather than shrinking.
COLUMNS = 3
LINE_CHARS = 44  # a block's text line, at 12 px, within its 340 px


def _chips(items: list[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    """Flow (href, text) chips into lines that fit `width`."""
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for href, text in items:
        size = len(text) * CHAR + 12
        if lines[-1] and used + size > width:
            lines.append([])
            used = 0.0
        lines[-1].append((href, text))
        used += size + 4
    return [line for line in lines if line]


def architecture_svg(groups: Mapping[str, list[CapabilityBlock]], *, title: str,
                     description: str, layer_labels: Mapping[str, str],
                     domain_labels: Mapping[str, str], words: Mapping[str, str],
                     status_labels: Mapping[str, str], link_suffix: str = "",
                     id_prefix: str = "architecture") -> str:
    """Return the map: a band per EIF layer, a linked block per capability."""
    width = PAD * 2 + COLUMNS * BLOCK_W + (COLUMNS - 1) * GAP
    inner = BLOCK_W - 16
    body: list[str] = []
    y = PAD + 28
    # Legend of the standard statuses: the letter is drawn in every chip.
    x: float = PAD
    body.append('<g class="legend">')
    for status, style in STANDARD_STATUS.items():
        label = f"{style.glyph} = {status_labels.get(status, status)}"
        body.append(f'<rect x="{x}" y="{y}" width="{CHIP_H}" height="{CHIP_H}" '
                    f'fill="{style.fill}" stroke="{OUTLINE}"/><text x="{x + CHIP_H / 2}" '
                    f'y="{y + 14}" text-anchor="middle" font-weight="700" fill="{style.ink}">'
                    f'{esc(style.glyph)}</text>'
                    f'<text x="{x + CHIP_H + 6}" y="{y + 14}" fill="{INK}">{esc(label)}</text>')
        x += CHIP_H + 24 + math.ceil(len(label) * CHAR)
    comp_label = words.get("component", "component")
    body.append(f'<text x="{x}" y="{y + 14}" fill="{INK}">\u2699 = {esc(comp_label)}</text>')
    body.append("</g>")
    y += CHIP_H + 16
    for layer in LAYERS:
        blocks = groups.get(layer, [])
        body.append(f'<g class="layer" data-layer="{esc(layer)}">')
        body.append(f'<text x="{PAD}" y="{y + 16}" font-size="16" font-weight="700" '
                    f'fill="{INK}">{esc(layer_labels.get(layer, layer))} '
                    f"({len(blocks)})</text>")
        band_top = y + 24
        row_y = band_top
        for start in range(0, max(1, len(blocks)), COLUMNS):
            row = blocks[start:start + COLUMNS]
            heights = []
            drawn = []
            for col, block in enumerate(row):
                bx = PAD + col * (BLOCK_W + GAP)
                part, h = _block(block, bx, row_y, inner, domain_labels, words, status_labels,
                                 link_suffix)
                drawn.append((bx, part))
                heights.append(h)
            row_h = max(heights, default=24)
            for (bx, part), _ in zip(drawn, heights, strict=True):
                body.append(f'<rect x="{bx}" y="{row_y}" width="{BLOCK_W}" '
                            f'height="{row_h}" fill="#FFFFFF" stroke="{OUTLINE}" rx="4"/>')
                body.append(part)
            if not row:
                body.append(f'<text x="{PAD}" y="{row_y + 14}" fill="{INK}">'
                            f'{esc(words.get("none", "none"))}</text>')
            row_y += row_h + GAP
        body.append("</g>")
        y = row_y + 8
    height = y + PAD
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{esc(title_id)} {esc(desc_id)}" '
        f'class="chart architecture-map" font-family="{esc(FONT_FAMILY)}" '
        f'font-size="{FONT}">',
        f'<title id="{esc(title_id)}">{esc(title)}</title>',
        f'<desc id="{esc(desc_id)}">{esc(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
        f'<text x="{PAD}" y="{PAD + 16}" font-size="16" font-weight="700" fill="{INK}" '
        f'aria-hidden="true">{esc(title)}</text>',
    ]
    return "\n".join([*head, *body, "</svg>"])


def _block(block: CapabilityBlock, bx: int, by: int, inner: int,
           domain_labels: Mapping[str, str], words: Mapping[str, str],
           status_labels: Mapping[str, str], suffix: str) -> tuple[str, int]:
    """Return the SVG of one capability block (without its frame) and its height."""
    out = [f'<g class="capability" data-capability="{esc(block.id)}">']
    href = f"/vocabularies/capabilities/{block.id}{suffix}"
    out.append(f'<a href="{esc(href)}"><text x="{bx + 8}" y="{by + 18}" font-weight="700" '
               f'font-size="14" fill="#0A4B9C" text-decoration="underline">'
               f"{esc(shorten(block.label, LINE_CHARS - 4))}</text></a>")
    y = by + 26
    if block.domains:
        text = ", ".join(domain_labels.get(d, d) for d in block.domains[:3])
        out.append(f'<text x="{bx + 8}" y="{y + 12}" fill="{INK}">'
                   f"{esc(shorten(words.get('domains', 'Domains') + ': ' + text, LINE_CHARS))}"
                   "</text>")
        y += 16
    chips = [(f"/standards/{sid}{suffix}",
              f"{STANDARD_STATUS.get(status, UNKNOWN).glyph} {shorten(label, LINE_CHARS - 4)}")
             for sid, label, status in block.standards]
    statuses = {f"/standards/{sid}{suffix}": status for sid, _, status in block.standards}
    for line in _chips(chips, inner):
        x: float = bx + 8
        for chip_href, text in line:
            status = statuses[chip_href]
            style = STANDARD_STATUS.get(status, UNKNOWN)
            w = len(text) * CHAR + 10
            out.append(f'<a href="{esc(chip_href)}" data-standard-status="{esc(status)}">'
                       f"<title>{esc(text[2:])}: {esc(status_labels.get(status, status))}"
                       f"</title>"
                       f'<rect x="{coord(x)}" y="{y}" width="{coord(w)}" height="{CHIP_H}" '
                       f'rx="3" fill="{style.fill}" stroke="{OUTLINE}"/>'
                       f'<text x="{coord(x + 5)}" y="{y + 14}" '
                       f'fill="{style.ink}">{esc(text)}</text></a>')
            x += w + 4
        y += CHIP_H + 4
    for cid, name in block.components:
        out.append(f'<a href="/components/{esc(cid)}{esc(suffix)}">'
                   f'<text x="{bx + 8}" y="{y + 12}" fill="#0A4B9C" '
                   f'text-decoration="underline">\u2699 {esc(shorten(name, LINE_CHARS - 2))}'
                   "</text></a>")
        y += 16
    if not block.standards and not block.components:
        out.append(f'<text x="{bx + 8}" y="{y + 12}" fill="{INK}">'
                   f"{esc(words.get('empty', ''))}</text>")
        y += 16
    out.append("</g>")
    return "".join(out), y - by + 8
