"""The roadmap's network drawn in three columns: projects, capabilities, components.

At 50 projects each row stays 20 px high and every label readable. Opportunity edges
are drawn thick and dashed in a colour per type, so colour is never the only cue
(WCAG 1.4.1). The layout (which nodes, in which order) is `registry.analysis.network`'s.
"""

from __future__ import annotations

from collections.abc import Mapping

from registry.analysis.network import Network
from registry.svg.style import TYPE_STYLE
from registry.svg.text import esc, shorten

ROW = 20
COLUMN_X = (10, 330, 650)
WIDTH = 940
LABEL_CHARS = 38
LEGEND_HEIGHT = 30
DESCRIPTION = ("{projects} projects (left), {capabilities} capabilities they need or build "
               "(middle) and {components} active components that provide them (right); "
               "links that belong to an opportunity are thick and dashed, one dash pattern "
               "per type. The list below the picture says the same.")


def network_svg(net: Network, *, labels: Mapping[str, str] | None = None,
                title: str = "Projects, capabilities and components of the roadmap",
                words: Mapping[str, str] | None = None, link_query: str = "") -> str:
    """Return the SVG of the network, the opportunities' links highlighted.

    words translates the interface's words (the column headings "Projects",
    "Capabilities", "Components", the opportunity types, and "description", a format
    string with {projects}, {capabilities} and {components}); link_query (e.g.
    "?lang=fr") is added to every link.
    """
    labels = labels or {}
    words = words or {}
    rows = max(len(net.projects), len(net.capabilities), len(net.components), 1)
    height = 60 + rows * ROW + LEGEND_HEIGHT

    def y(index: int, count: int) -> float:
        # Centre shorter columns against the tallest one.
        return 50 + (rows - count) * ROW / 2 + index * ROW + ROW / 2

    py = {p: y(i, len(net.projects)) for i, p in enumerate(net.projects)}
    cy = {c: y(i, len(net.capabilities)) for i, c in enumerate(net.capabilities)}
    ky = {k: y(i, len(net.components)) for i, k in enumerate(net.components)}
    description = words.get("description", DESCRIPTION).format(
        projects=len(net.projects), capabilities=len(net.capabilities),
        components=len(net.components))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" role="group" aria-labelledby="net-title net-desc" '
           f'font-family="sans-serif" font-size="12">',
           f'<title id="net-title">{esc(title)}</title>',
           f'<desc id="net-desc">{esc(description)}</desc>']
    for x, heading in zip(COLUMN_X, ("Projects", "Capabilities", "Components"), strict=True):
        out.append(f'<text x="{x}" y="30" font-weight="bold" font-size="14">'
                   f'{esc(words.get(heading, heading))}</text>')
    out.extend(_edges(net, py, cy, ky, words))
    out.extend(_labels(net, py, cy, ky, labels, link_query))
    out.extend(_legend(height, words))
    out.append("</svg>")
    return "\n".join(out)


def _edges(net: Network, py: Mapping[str, float], cy: Mapping[str, float],
           ky: Mapping[str, float], words: Mapping[str, str]) -> list[str]:
    """Return the links: project to capability, then capability to component."""
    edge_x = (COLUMN_X[0] + 270, COLUMN_X[1] - 4, COLUMN_X[1] + 270, COLUMN_X[2] - 4)
    out = []
    for project in net.projects:
        for cap in sorted(net.project_capabilities[project]):
            kind = net.highlighted.get((project, cap))
            out.append(_edge(edge_x[0], py[project], edge_x[1], cy[cap], kind,
                             words.get(kind or "")))
    for comp in net.components:
        for cap in sorted(net.providers[comp]):
            kind = net.highlighted.get((cap, comp))
            out.append(_edge(edge_x[2], cy[cap], edge_x[3], ky[comp], kind,
                             words.get(kind or "")))
    return out


def _labels(net: Network, py: Mapping[str, float], cy: Mapping[str, float],
            ky: Mapping[str, float], labels: Mapping[str, str], link_query: str) -> list[str]:
    """Return the nodes' labels, each a link to its page."""
    out = []
    for project in net.projects:
        mark = " ●" if net.involved.get(project) else ""
        out.append(_label(COLUMN_X[0], py[project], labels.get(f"project:{project}", project)
                          + mark, f"/projects/{project}{link_query}"))
    for cap in net.capabilities:
        out.append(_label(COLUMN_X[1], cy[cap], labels.get(f"capability:{cap}", cap),
                          f"/vocabularies/capabilities/{cap}{link_query}"))
    for comp in net.components:
        out.append(_label(COLUMN_X[2], ky[comp], labels.get(f"component:{comp}", comp),
                          f"/components/{comp}{link_query}"))
    return out


def _legend(height: float, words: Mapping[str, str]) -> list[str]:
    """Return the legend of the opportunity types: a dashed line and a name each."""
    out = []
    lx = 10
    ly = height - 14
    for kind, (colour, dash) in TYPE_STYLE.items():
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 30}" y2="{ly}" stroke="{colour}" '
                   f'stroke-width="4" stroke-dasharray="{dash}"/>')
        name = words.get(kind, kind)
        out.append(f'<text x="{lx + 36}" y="{ly + 4}">{esc(name)}</text>')
        lx += 36 + 8 * len(name) + 24
    return out


def _edge(x1: float, y1: float, x2: float, y2: float, kind: str | None,
          name: str | None = None) -> str:
    if kind is None:
        return (f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" stroke="#9a9a9a" '
                f'stroke-width="1"/>')
    colour, dash = TYPE_STYLE.get(kind, ("#000000", "4 2"))
    return (f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="3.5" stroke-dasharray="{dash}"><title>{esc(name or kind)}</title></line>')


def _label(x: float, y: float, text: str, href: str) -> str:
    # The href is escaped with its quotes: saxutils.escape, used before, left `"` as is.
    return (f'<a href="{esc(href)}"><text x="{x}" y="{y + 4:.1f}" fill="#1b1b1b">'
            f'{esc(shorten(text, LABEL_CHARS))}</text></a>')
