"""The small picture of one reuse or pooling opportunity: columns of named nodes, linked.

Each node is a box with its name written in it (12 px, shortened with an ellipsis past
`NODE_CHARS`, whole in its <title>); the links are drawn in the opportunity type's colour
and dash pattern, but the type is also the page's heading, so colour carries nothing the
words do not. The picture is as wide as its labels need: the page lets it scroll sideways
on a narrow screen rather than shrink it. What to draw is `registry.analysis.diagram`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.svg.style import FONT, FONT_FAMILY, INK, OUTLINE, PAD, STRIPE, TYPE_STYLE
from registry.svg.text import coord, esc, shorten, widest

NODE_CHARS = 40  # three columns of 40 characters fit the page at 1366 px
NODE_H = 24
ROW = 32  # a node and the gap below it
GAP = 56  # between two columns: room for the links
HEAD = 24  # the columns' headings


def opportunity_svg(columns: Sequence[tuple[str, Sequence[str]]],
                    edges: Sequence[tuple[int, int, int]], *, kind: str, title: str,
                    description: str, id_prefix: str, muted: Sequence[Sequence[bool]] = ()
                    ) -> str:
    """Return the picture: a heading per column, a box per node, a curve per link.

    columns: (heading, node labels); edges: (column, node, node of the next column);
    muted: per column, the nodes drawn on grey (a count of the projects not drawn).
    """
    texts = [[shorten(label, NODE_CHARS) for label in labels] for _, labels in columns]
    widths = [max(widest([heading]), widest(t)) + 2 * PAD for (heading, _), t
              in zip(columns, texts, strict=True)]
    xs: list[float] = []
    x = float(PAD)
    for w in widths:
        xs.append(x)
        x += w + GAP
    width = x - GAP + PAD
    rows = max((len(labels) for _, labels in columns), default=1) or 1
    height = HEAD + rows * ROW + PAD

    def y(column: int, index: int) -> float:
        # A shorter column is centred against the tallest.
        return HEAD + (rows - len(columns[column][1])) * ROW / 2 + index * ROW

    colour, dash = TYPE_STYLE.get(kind, (INK, ""))
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{coord(width)}" '
           f'height="{coord(height)}" viewBox="0 0 {coord(width)} {coord(height)}" '
           f'aria-labelledby="{esc(title_id)} {esc(desc_id)}" class="chart opportunity" '
           f'data-type="{esc(kind)}" font-family="{esc(FONT_FAMILY)}" font-size="{FONT}">',
           f'<title id="{esc(title_id)}">{esc(title)}</title>',
           f'<desc id="{esc(desc_id)}">{esc(description)}</desc>',
           f'<rect x="0" y="0" width="{coord(width)}" height="{coord(height)}" fill="#FFFFFF"/>']
    out.append('<g class="links" aria-hidden="true">')
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    for column, a, b in edges:
        if column + 1 >= len(columns) or a >= len(texts[column]) or b >= len(texts[column + 1]):
            continue
        x1, y1 = xs[column] + widths[column], y(column, a) + NODE_H / 2
        x2, y2 = xs[column + 1], y(column + 1, b) + NODE_H / 2
        mid = (x1 + x2) / 2
        out.append(f'<path d="M{coord(x1)} {coord(y1)} C{coord(mid)} {coord(y1)} '
                   f'{coord(mid)} {coord(y2)} {coord(x2)} {coord(y2)}" fill="none" '
                   f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
    out.append("</g>")
    for k, ((heading, labels), shown) in enumerate(zip(columns, texts, strict=True)):
        grey = list(muted[k]) if k < len(muted) else []
        out.append(f'<g class="column" aria-hidden="true"><text x="{coord(xs[k])}" y="16" '
                   f'font-weight="700" fill="{INK}">{esc(heading)}</text>')
        for i, (label, text) in enumerate(zip(labels, shown, strict=True)):
            fill = STRIPE if i < len(grey) and grey[i] else "#FFFFFF"
            top = y(k, i)
            out.append(f'<g class="node"><title>{esc(label)}</title>'
                       f'<rect x="{coord(xs[k])}" y="{coord(top)}" width="{widths[k]}" '
                       f'height="{NODE_H}" rx="4" fill="{fill}" stroke="{OUTLINE}"/>'
                       f'<text x="{coord(xs[k] + PAD)}" y="{coord(top + 16)}" fill="{INK}">'
                       f"{esc(text)}</text></g>")
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
