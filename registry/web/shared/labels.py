"""How pages name projects and standards: titles in the page language, acronyms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from registry.analysis.roadmap import Project, Roadmap
from registry.catalogue.snapshot import Catalogue, localized


def project_title(project: Project | None, lang: str) -> str:
    """Return a project's title in the page language (falling back), or its id."""
    if project is None:
        return ""
    title = project.sheet.get("title")
    text = localized(title, lang)[0] if isinstance(title, Mapping) else ""
    return text or project.id


def project_titles(roadmap: Roadmap, ids: Iterable[str]) -> dict[str, Mapping[str, str]]:
    """Return the multilingual titles of projects (for t(), which marks a fallback)."""
    out = {}
    for pid in ids:
        project = roadmap.projects.get(pid)
        title = project.sheet.get("title") if project else None
        if isinstance(title, Mapping) and title:
            out[pid] = title
    return out


def acronym(catalogue: Catalogue, standard_id: str) -> str:
    """Return the short label of a standard: its acronym, else its id."""
    record = catalogue.standards.get(standard_id) or {}
    short = record.get("acronym")
    return short if isinstance(short, str) and short else standard_id


def standard_labels(catalogue: Catalogue, standard_ids: Sequence[str]) -> dict[str, str]:
    """Return the short label of each standard."""
    return {sid: acronym(catalogue, sid) for sid in standard_ids}
