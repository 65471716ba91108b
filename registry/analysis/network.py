"""The roadmap as a picture: projects, capabilities and components, opportunities highlighted.

Drawn server-side as SVG in three columns (projects, capabilities, components), ordered
by the barycentre of their neighbours so that edges cross little; at 50 projects each
row stays 20 px high and every label readable. Opportunity edges are drawn thick and
dashed in a colour per type, so colour is never the only cue (WCAG 1.4.1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

ROW = 20
COLUMN_X = (10, 330, 650)
WIDTH = 940
LABEL_CHARS = 38
DESCRIPTION = ("{projects} projects (left), {capabilities} capabilities they need or build "
               "(middle) and {components} active components that provide them (right); "
               "links that belong to an opportunity are thick and dashed, one dash pattern "
               "per type. The list below the picture says the same.")
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
TYPE_STYLE = {
    "reuse": ("#0072B2", "6 3"),
    "pooling": ("#D55E00", "2 3"),
    "overlap": ("#CC79A7", "8 2 2 2"),
    "data-sharing": ("#009E73", "1 2"),
    "standard-divergence": ("#8a5a00", "10 4"),
}


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _order(nodes: Sequence[str], neighbours: Mapping[str, set[str]],
           positions: Mapping[str, int]) -> list[str]:
    """Sort nodes by the mean position of their neighbours in the previous column."""
    def key(node: str) -> tuple[float, str]:
        placed = [positions[n] for n in neighbours.get(node, ()) if n in positions]
        return (sum(placed) / len(placed) if placed else float("inf"), node)
    return sorted(nodes, key=key)


def network_svg(sheets: Iterable[Mapping[str, Any]], components: Mapping[str, Mapping[str, Any]],
                opportunities: Iterable[Mapping[str, Any]], *,
                labels: Mapping[str, str] | None = None,
                title: str = "Projects, capabilities and components of the roadmap",
                words: Mapping[str, str] | None = None, link_query: str = "") -> str:
    """Return the SVG network of projects, the capabilities they need or build, and the
    active components providing them, with the opportunities' links highlighted.

    words translates the interface's words (the column headings "Projects",
    "Capabilities", "Components", the opportunity types, and "description", a format
    string with {projects}, {capabilities} and {components}); link_query (e.g.
    "?lang=fr") is added to every link.
    """
    labels = labels or {}
    words = words or {}
    project_caps: dict[str, set[str]] = {}
    for sheet in sheets:
        caps = sheet.get("capabilities") if isinstance(sheet.get("capabilities"), Mapping) \
            else {}
        found = {c for key in ("needs", "builds") for c in (caps.get(key) or [])
                 if isinstance(c, str)}
        if isinstance(sheet.get("id"), str):
            project_caps[sheet["id"]] = found
    used_caps = set().union(*project_caps.values()) if project_caps else set()
    providers: dict[str, set[str]] = defaultdict(set)
    for comp_id, comp in components.items():
        if comp.get("status") == "active":
            for cap in comp.get("provides", ()):
                if cap in used_caps:
                    providers[comp_id].add(cap)

    highlighted: dict[tuple[str, str], str] = {}
    involved: dict[str, set[str]] = defaultdict(set)
    for opp in opportunities:
        link = opp.get("link", {})
        cap = link.get("capability")
        for project in opp.get("projects", ()):
            involved[project].add(opp["type"])
            if cap and cap in project_caps.get(project, ()):
                highlighted.setdefault((project, cap), opp["type"])
        if link.get("component") and cap:
            highlighted.setdefault((cap, link["component"]), opp["type"])

    cap_neighbours: dict[str, set[str]] = defaultdict(set)
    for project, caps in project_caps.items():
        for cap in caps:
            cap_neighbours[cap].add(project)
    projects = sorted(project_caps)
    project_pos = {p: i for i, p in enumerate(projects)}
    capabilities = _order(sorted(used_caps), cap_neighbours, project_pos)
    cap_pos = {c: i for i, c in enumerate(capabilities)}
    comp_neighbours = {c: caps for c, caps in providers.items()}
    comps = _order(sorted(providers), comp_neighbours, cap_pos)
    # A second pass orders projects by their capabilities: fewer crossings on the left.
    projects = _order(projects, {p: project_caps[p] for p in projects}, cap_pos)

    rows = max(len(projects), len(capabilities), len(comps), 1)
    legend_height = 30
    height = 60 + rows * ROW + legend_height

    def y(index: int, count: int) -> float:
        # Centre shorter columns against the tallest one.
        return 50 + (rows - count) * ROW / 2 + index * ROW + ROW / 2

    py = {p: y(i, len(projects)) for i, p in enumerate(projects)}
    cy = {c: y(i, len(capabilities)) for i, c in enumerate(capabilities)}
    ky = {k: y(i, len(comps)) for i, k in enumerate(comps)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" role="group" aria-labelledby="net-title net-desc" '
           f'font-family="sans-serif" font-size="12">',
           f'<title id="net-title">{escape(title)}</title>',
           f'<desc id="net-desc">{escape(words.get("description", DESCRIPTION).format(projects=len(projects), capabilities=len(capabilities), components=len(comps)))}'
           f'</desc>']
    for x, heading in zip(COLUMN_X, ("Projects", "Capabilities", "Components"), strict=True):
        out.append(f'<text x="{x}" y="30" font-weight="bold" font-size="14">'
                   f'{escape(words.get(heading, heading))}</text>')
    edge_x = (COLUMN_X[0] + 270, COLUMN_X[1] - 4, COLUMN_X[1] + 270, COLUMN_X[2] - 4)
    for project in projects:
        for cap in sorted(project_caps[project]):
            kind = highlighted.get((project, cap))
            out.append(_edge(edge_x[0], py[project], edge_x[1], cy[cap], kind,
                             words.get(kind or "")))
    for comp in comps:
        for cap in sorted(providers[comp]):
            kind = highlighted.get((cap, comp))
            out.append(_edge(edge_x[2], cy[cap], edge_x[3], ky[comp], kind,
                             words.get(kind or "")))
    for project in projects:
        mark = " ●" if involved.get(project) else ""
        out.append(_label(COLUMN_X[0], py[project], labels.get(f"project:{project}", project)
                          + mark, f"/projects/{project}{link_query}"))
    for cap in capabilities:
        out.append(_label(COLUMN_X[1], cy[cap], labels.get(f"capability:{cap}", cap),
                          f"/vocabularies/capabilities/{cap}{link_query}"))
    for comp in comps:
        out.append(_label(COLUMN_X[2], ky[comp], labels.get(f"component:{comp}", comp),
                          f"/components/{comp}{link_query}"))
    lx = 10
    ly = height - 14
    for kind, (colour, dash) in TYPE_STYLE.items():
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 30}" y2="{ly}" stroke="{colour}" '
                   f'stroke-width="4" stroke-dasharray="{dash}"/>')
        name = words.get(kind, kind)
        out.append(f'<text x="{lx + 36}" y="{ly + 4}">{escape(name)}</text>')
        lx += 36 + 8 * len(name) + 24
    out.append("</svg>")
    return "\n".join(out)


def _edge(x1: float, y1: float, x2: float, y2: float, kind: str | None,
          name: str | None = None) -> str:
    if kind is None:
        return (f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" stroke="#9a9a9a" '
                f'stroke-width="1"/>')
    colour, dash = TYPE_STYLE.get(kind, ("#000000", "4 2"))
    return (f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="3.5" stroke-dasharray="{dash}"><title>{escape(name or kind)}</title></line>')


def _label(x: float, y: float, text: str, href: str) -> str:
    return (f'<a href="{escape(href)}"><text x="{x}" y="{y + 4:.1f}" fill="#1b1b1b">'
            f'{escape(_short(text))}</text></a>')
