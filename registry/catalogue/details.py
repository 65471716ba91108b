"""Detail views of catalogue records: a record plus the records it links to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from registry.catalogue.snapshot import Catalogue, Record


def _ref(record: Record, name_field: str, *extra: str) -> dict[str, Any]:
    out = {"id": record["id"], name_field: record[name_field]}
    out.update({k: record[k] for k in extra if k in record})
    return out


def status_history(revisions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return when a standard's status changed, from its stored revisions (oldest first)."""
    history: list[dict[str, Any]] = []
    last = None
    for rev in revisions:
        data = rev.get("data") or {}
        key = (data.get("status"), data.get("replaced_by"))
        if key != last:
            history.append({"status": data.get("status"), "since": data.get("status_since"),
                            "replaced_by": data.get("replaced_by"),
                            "revision": rev["revision"],
                            "recorded_at": _iso(rev.get("created_at")),
                            "recorded_by": rev.get("author")})
            last = key
    return history


def revision_list(revisions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return a record's revisions without their data: who, what, when."""
    return [{"revision": r["revision"], "action": r["action"], "author": r["author"],
             "message": r.get("message"), "created_at": _iso(r.get("created_at"))}
            for r in revisions]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def standard_detail(catalogue: Catalogue, standard_id: str,
                    revisions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a standard with its principles, implementing components and history."""
    record = catalogue.standards[standard_id]
    return {
        "standard": record,
        "principles": [_ref(catalogue.principles[p], "name")
                       for p in record.get("principles", ()) if p in catalogue.principles],
        "components": [_ref(catalogue.components[c], "name", "status")
                       for c in catalogue.components_by_standard.get(standard_id, ())],
        "capabilities": [_concept_ref(catalogue, "capabilities", c)
                         for c in record.get("applies_to", ())],
        "replaced_by": (_ref(catalogue.standards[record["replaced_by"]], "title", "status")
                        if record.get("replaced_by") in catalogue.standards else None),
        "replaces": [_ref(catalogue.standards[s], "title", "status")
                     for s in catalogue.replacing.get(standard_id, ())],
        "mandated_by": [_ref(catalogue.legal[a], "title", "short_title", "jurisdiction",
                             "adopted")
                        for a in record.get("mandated_by", ()) if a in catalogue.legal],
        "status_history": status_history(revisions),
        "revisions": revision_list(revisions),
    }


def principle_detail(catalogue: Catalogue, principle_id: str,
                     revisions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a principle with the standards that realise it."""
    return {
        "principle": catalogue.principles[principle_id],
        "standards": [_ref(catalogue.standards[s], "title", "status")
                      for s in catalogue.standards_by_principle.get(principle_id, ())],
        "mandated_by": [_ref(catalogue.legal[a], "title", "short_title", "jurisdiction")
                        for a in catalogue.principles[principle_id].get("mandated_by", ())
                        if a in catalogue.legal],
        "requires": [_ref(catalogue.standards[s], "title", "status")
                     for s in catalogue.principles[principle_id].get("requires", ())
                     if s in catalogue.standards],
        "revisions": revision_list(revisions),
    }


def legal_detail(catalogue: Catalogue, act_id: str,
                 revisions: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a legal act with the standards and principles it mandates or motivates."""
    record = catalogue.legal[act_id]
    amended_by = [a for a, r in catalogue.legal.items() if act_id in r.get("amends", ())]
    return {
        "legal": record,
        "standards": [_ref(catalogue.standards[s], "title", "status")
                      for s in catalogue.standards_by_legal.get(act_id, ())],
        "principles": [_ref(catalogue.principles[p], "name")
                       for p in catalogue.principles_by_legal.get(act_id, ())],
        "requires": [_ref(catalogue.standards[s], "title", "status")
                     for s in record.get("requires", ()) if s in catalogue.standards],
        "amends": [_ref(catalogue.legal[a], "title", "short_title")
                   for a in record.get("amends", ()) if a in catalogue.legal],
        "amended_by": [_ref(catalogue.legal[a], "title", "short_title") for a in amended_by],
        "revisions": revision_list(revisions),
    }


def component_detail(catalogue: Catalogue, component_id: str,
                     revisions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a component with the capabilities it provides and standards it implements."""
    record = catalogue.components[component_id]
    return {
        "component": record,
        "owner": _concept_ref(catalogue, "organisations", record["owner"]),
        "capabilities": [_concept_ref(catalogue, "capabilities", c)
                         for c in record.get("provides", ())],
        "standards": [_ref(catalogue.standards[s], "title", "status")
                      for s in record.get("implements", ()) if s in catalogue.standards],
        "revisions": revision_list(revisions),
    }


def _concept_ref(catalogue: Catalogue, scheme: str, concept_id: str) -> dict[str, Any]:
    concept = catalogue.concept(scheme, concept_id)
    return {"scheme": scheme, "id": concept_id,
            "label": dict(concept.label) if concept else {"en": concept_id}}


def concept_dict(catalogue: Catalogue, scheme: str, concept_id: str) -> dict[str, Any]:
    """Return a concept as JSON data, with broader and narrower concepts."""
    concept = catalogue.concepts[scheme][concept_id]
    out: dict[str, Any] = {
        "id": concept.id, "scheme": scheme, "label": dict(concept.label),
        "definition": dict(concept.definition),
        "alt_labels": {k: list(v) for k, v in concept.alt_labels.items()},
        "broader": list(concept.broader), "narrower": list(concept.narrower),
        "exact_match": list(concept.exact_match), "deprecated": concept.deprecated,
    }
    if concept.layer:
        out["layer"] = concept.layer
    if concept.replaced_by:
        out["replaced_by"] = concept.replaced_by
    return out


def vocabulary_detail(catalogue: Catalogue, scheme: str) -> dict[str, Any]:
    """Return a concept scheme with all its concepts."""
    record = catalogue.vocabularies[scheme]
    return {
        "vocabulary": {k: v for k, v in record.items() if k != "concepts"},
        "concepts": [concept_dict(catalogue, scheme, c) for c in catalogue.concepts[scheme]],
    }


def vocabulary_summaries(catalogue: Catalogue) -> list[dict[str, Any]]:
    """Return every concept scheme with its title and concept count."""
    return [{"id": v["id"], "title": v["title"], "description": v["description"],
             "concepts": len(catalogue.concepts[v["id"]])}
            for v in catalogue.vocabularies.values()]


def concept_detail(catalogue: Catalogue, scheme: str, concept_id: str) -> dict[str, Any]:
    """Return a concept with the records that refer to it."""
    out: dict[str, Any] = {"concept": concept_dict(catalogue, scheme, concept_id)}
    if scheme == "capabilities":
        out["standards"] = [_ref(catalogue.standards[s], "title", "status")
                            for s in catalogue.standards_by_capability.get(concept_id, ())]
        out["components"] = [_ref(catalogue.components[c], "name", "status")
                             for c in catalogue.components_by_capability.get(concept_id, ())]
    elif scheme == "standard-categories":
        out["standards"] = [_ref(catalogue.standards[s], "title", "status")
                            for s in catalogue.standards_by_category.get(concept_id, ())]
    elif scheme == "organisations":
        out["components"] = [_ref(catalogue.components[c], "name", "status")
                             for c in catalogue.components_by_owner.get(concept_id, ())]
    return out
