"""What the small picture of one opportunity shows: a few columns of nodes and their links.

One picture an opportunity (never one network of the whole roadmap, which tangles): the
projects on one side, what they share or could reuse on the other. Columns hold at most
`MAX_NODES` nodes; the rest of a large group is one node that counts them. Pure data:
`registry.svg.opportunity` draws it, the page names the nodes in its language.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_NODES = 8


@dataclass(frozen=True)
class Node:
    """A node: a project, capability, component, entity, standard or shared word, by id;
    scheme "more" counts the projects of a group not drawn (its id is the count)."""

    scheme: str
    id: str


@dataclass(frozen=True)
class Diagram:
    """Columns (a role and its nodes) and links (column, node, node of the next column)."""

    columns: tuple[tuple[str, tuple[Node, ...]], ...]
    edges: tuple[tuple[int, int, int], ...]


def _projects(ids: Sequence[str], total: int | None = None) -> tuple[Node, ...]:
    """Return project nodes, at most MAX_NODES: the last counts the ones left out."""
    total = max(total or 0, len(ids))
    if total <= MAX_NODES:
        return tuple(Node("project", p) for p in ids)
    shown = ids[:MAX_NODES - 1]
    return (*(Node("project", p) for p in shown), Node("more", str(total - len(shown))))


def _all(count: int, to: int = 0, column: int = 0) -> tuple[tuple[int, int, int], ...]:
    return tuple((column, i, to) for i in range(count))


def opportunity_diagram(opportunity: Mapping[str, Any],
                        declared: Mapping[str, Collection[str]] | None = None) -> Diagram:
    """Return the diagram of an opportunity (`registry.analysis.reuse`'s dict form).

    declared: each project's declared standards, for a standard divergence (who declares
    which); without it the projects and the standards are drawn without links.
    """
    kind = opportunity["type"]
    link: Mapping[str, Any] = opportunity.get("link") or {}
    projects = list(opportunity.get("projects") or ())
    total = link.get("project_count")
    if kind == "reuse":
        components = [link["component"], *link.get("alternatives", ())][:MAX_NODES]
        return Diagram((("project", _projects(projects)),
                        ("capability", (Node("capability", link["capability"]),)),
                        ("component", tuple(Node("component", c) for c in components))),
                       ((0, 0, 0), *((1, 0, k) for k in range(len(components)))))
    if kind == "pooling":
        nodes = _projects(projects, total)
        return Diagram((("projects", nodes),
                        ("capability", (Node("capability", link["capability"]),))),
                       _all(len(nodes)))
    if kind == "overlap":
        shared = [Node("capability", c) for c in link.get("capabilities", ())]
        shared += [Node("entity", e) for e in link.get("entities", ())]
        if not shared:  # only their words are alike
            shared = [Node("word", w) for w in link.get("words", ())[:3]]
        shared = shared[:MAX_NODES]
        first, second = (projects + ["", ""])[:2]
        return Diagram((("project", (Node("project", first),)), ("common", tuple(shared)),
                        ("project", (Node("project", second),))),
                       (*((0, 0, j) for j in range(len(shared))),
                        *((1, j, 0) for j in range(len(shared)))))
    if kind == "data-sharing":
        producers = [p for p in link.get("producers", ()) if p in projects]
        users = [p for p in projects if p not in producers]
        makers = _projects(producers)
        takers = _projects(users, (total or 0) - len(producers))
        return Diagram((("producers", makers), ("entity", (Node("entity", link["entity"]),)),
                        ("users", takers)),
                       (*_all(len(makers)), *((1, 0, j) for j in range(len(takers)))))
    if kind == "standard-divergence":
        nodes = _projects(projects, total)
        standards = list(link.get("standards", ()))[:MAX_NODES]
        declared = declared or {}
        return Diagram((("projects", nodes),
                        ("standards", tuple(Node("standard", s) for s in standards))),
                       tuple((0, i, j) for i, node in enumerate(nodes)
                             for j, s in enumerate(standards)
                             if node.scheme == "project" and s in declared.get(node.id, ())))
    return Diagram((("projects", _projects(projects, total)),), ())
