"""The reference architecture map: capabilities by EIF layer, with standards and components.

No Flask. `architecture` builds the content once (the page's nested list and the map
read it); `registry.svg.architecture` draws it. Capabilities carry their EIF layer; domains are
on projects, not on capabilities, so the second axis is given per capability as the
domains of the roadmap projects that need or build it ("where it makes sense": a
capability no project uses has none). Within a layer the capabilities are ordered by
their most frequent domain, then by label, so that mobility blocks sit together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.catalogue.query import LAYERS, STATUSES
from registry.catalogue.snapshot import Catalogue, localized

# Standards are listed in this order: the ones that oblige first.
STATUS_ORDER = {s: i for i, s in enumerate(STATUSES)}


@dataclass(frozen=True)
class CapabilityBlock:
    """One capability with what applies to it and what provides it."""

    id: str
    label: str
    layer: str
    standards: tuple[tuple[str, str, str], ...]  # (id, short label, status)
    components: tuple[tuple[str, str], ...]  # (id, name)
    domains: tuple[str, ...]  # domain ids of the projects using it, most frequent first
    projects: int


def architecture(catalogue: Catalogue, sheets: Iterable[Mapping[str, Any]], lang: str
                 ) -> dict[str, list[CapabilityBlock]]:
    """Return the capabilities grouped by EIF layer (in LAYERS order), each with its links."""
    domains: dict[str, Counter[str]] = {}
    users: Counter[str] = Counter()
    for sheet in sheets:
        caps = sheet.get("capabilities")
        listed: set[str] = set()
        if isinstance(caps, Mapping):
            for key in ("needs", "builds"):
                value = caps.get(key)
                listed.update(c for c in value if isinstance(c, str)) \
                    if isinstance(value, list) else None
        sheet_domains = [d for d in sheet.get("domains") or [] if isinstance(d, str)]
        for cap in listed:
            users[cap] += 1
            domains.setdefault(cap, Counter()).update(sheet_domains)
    groups: dict[str, list[CapabilityBlock]] = {layer: [] for layer in LAYERS}
    for concept in catalogue.concepts.get("capabilities", {}).values():
        if concept.deprecated:
            continue
        standards = []
        for sid in catalogue.standards_by_capability.get(concept.id, ()):
            record = catalogue.standards[sid]
            acronym = record.get("acronym")
            standards.append((sid, acronym if isinstance(acronym, str) and acronym else sid,
                              str(record["status"])))
        standards.sort(key=lambda s: (STATUS_ORDER.get(s[2], 9), s[1].lower()))
        components = tuple(sorted(
            ((cid, localized(catalogue.components[cid].get("name"), lang)[0] or cid)
             for cid in catalogue.components_by_capability.get(concept.id, ())),
            key=lambda c: c[1].lower()))
        counted = domains.get(concept.id, Counter())
        ranked = tuple(d for d, _ in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))
        layer = concept.layer if concept.layer in groups else "technical"
        groups[layer].append(CapabilityBlock(
            concept.id, localized(concept.label, lang)[0] or concept.id, layer,
            tuple(standards), components, ranked, users[concept.id]))
    for blocks in groups.values():
        blocks.sort(key=lambda b: (b.domains[0] if b.domains else "\uffff", b.label.lower()))
    return groups
