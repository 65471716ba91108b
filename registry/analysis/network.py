"""The roadmap as a network: projects, the capabilities they need or build, and the active
components that provide them, with the links that belong to an opportunity marked.

Computed here, drawn by `registry.svg.network`. The three columns are ordered by the
barycentre of their neighbours so that the drawn edges cross little.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Network:
    """The nodes of the three columns, in drawing order, and their links."""

    projects: list[str]
    capabilities: list[str]
    components: list[str]
    project_capabilities: dict[str, set[str]]  # project -> capabilities it needs or builds
    providers: dict[str, set[str]]  # component -> the used capabilities it provides
    highlighted: dict[tuple[str, str], str]  # (project, capability) or (capability,
    # component) -> the type of the first opportunity the link belongs to
    involved: dict[str, set[str]]  # project -> the types of its opportunities


def _order(nodes: Sequence[str], neighbours: Mapping[str, set[str]],
           positions: Mapping[str, int]) -> list[str]:
    """Sort nodes by the mean position of their neighbours in the previous column."""
    def key(node: str) -> tuple[float, str]:
        placed = [positions[n] for n in neighbours.get(node, ()) if n in positions]
        return (sum(placed) / len(placed) if placed else float("inf"), node)
    return sorted(nodes, key=key)


def _project_capabilities(sheets: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Return the capabilities each project needs or builds."""
    out: dict[str, set[str]] = {}
    for sheet in sheets:
        caps = sheet.get("capabilities")
        listed = caps if isinstance(caps, Mapping) else {}
        found = {c for key in ("needs", "builds") for c in (listed.get(key) or [])
                 if isinstance(c, str)}
        if isinstance(sheet.get("id"), str):
            out[sheet["id"]] = found
    return out


def _providers(components: Mapping[str, Mapping[str, Any]], used: set[str]
               ) -> dict[str, set[str]]:
    """Return the used capabilities each active component provides."""
    providers: dict[str, set[str]] = defaultdict(set)
    for comp_id, comp in components.items():
        if comp.get("status") == "active":
            for cap in comp.get("provides", ()):
                if cap in used:
                    providers[comp_id].add(cap)
    return providers


def _highlights(opportunities: Iterable[Mapping[str, Any]],
                project_caps: Mapping[str, set[str]]
                ) -> tuple[dict[tuple[str, str], str], dict[str, set[str]]]:
    """Return the links that belong to an opportunity, and each project's opportunity types."""
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
    return highlighted, involved


def network(sheets: Iterable[Mapping[str, Any]], components: Mapping[str, Mapping[str, Any]],
            opportunities: Iterable[Mapping[str, Any]]) -> Network:
    """Return the network of the roadmap's projects, capabilities and components."""
    project_caps = _project_capabilities(sheets)
    used_caps = set().union(*project_caps.values()) if project_caps else set()
    providers = _providers(components, used_caps)
    highlighted, involved = _highlights(opportunities, project_caps)

    cap_neighbours: dict[str, set[str]] = defaultdict(set)
    for project, caps in project_caps.items():
        for cap in caps:
            cap_neighbours[cap].add(project)
    projects = sorted(project_caps)
    project_pos = {p: i for i, p in enumerate(projects)}
    capabilities = _order(sorted(used_caps), cap_neighbours, project_pos)
    cap_pos = {c: i for i, c in enumerate(capabilities)}
    comps = _order(sorted(providers), providers, cap_pos)
    # A second pass orders projects by their capabilities: fewer crossings on the left.
    projects = _order(projects, {p: project_caps[p] for p in projects}, cap_pos)
    return Network(projects, capabilities, comps, project_caps, dict(providers),
                   highlighted, dict(involved))
