"""Map a publiccode.yml (the European standard describing reusable public software) to a
component record, saying what could and could not be mapped.

publiccode.yml (https://yml.publiccode.tools/) describes software: name, URLs,
descriptions per language, licence, maintainers, development status. A component of
the catalogue needs a little more (an owner organisation of the registry, the
capabilities it provides, the standards it implements) and a little less (versions,
platforms, logos...). The mapping fills what it can, takes the owner from `--owner`
or from a label of the organisations vocabulary matching the repository owner, and
lists every field it could not carry over so that a curator can finish the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import ERROR, WARNING, Finding, locate
from registry.documents.parse import Limits, ParseResult, parse_document

LANGS = ("en", "fr", "nl")
STATUS = {"stable": "active", "beta": "pilot", "development": "pilot", "concept": "pilot",
          "obsolete": "retired"}
# Top-level keys the mapping reads (everything else is reported as not mapped).
READ = {"publiccodeYmlVersion", "name", "url", "landingURL", "description", "legal",
        "maintenance", "developmentStatus", "categories"}
REUSE = {
    "en": "Open-source software under the licence {licence}: anyone may reuse, adapt and "
          "redistribute it under that licence. Source code: {url}.",
    "fr": "Logiciel libre sous la licence {licence} : chacun peut le réutiliser, l'adapter "
          "et le redistribuer selon cette licence. Code source : {url}.",
    "nl": "Opensourcesoftware onder de licentie {licence}: iedereen mag ze hergebruiken, "
          "aanpassen en verspreiden onder die licentie. Broncode: {url}.",
}


@dataclass
class PubliccodeMapping:
    """The outcome: the component record (if one could be made) and the mapping notes."""

    record: dict[str, Any] | None = None
    mapped: list[tuple[str, str]] = field(default_factory=list)  # (field, from)
    not_mapped: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Return the number of error findings."""
        return sum(1 for f in self.findings if f.severity == ERROR)


def slug(text: str) -> str:
    """Return a catalogue id made of a name (lower-case letters, digits, hyphens)."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].strip("-")
    return value if len(value) >= 2 else f"{value or 'component'}-component"


def _get(data: Any, *path: str) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _text(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _find_organisation(name: str | None, catalogue: Catalogue) -> str | None:
    if not name:
        return None
    wanted = name.casefold().strip()
    for concept in catalogue.concepts.get("organisations", {}).values():
        names = [concept.id, *concept.label.values(),
                 *(alt for alts in concept.alt_labels.values() for alt in alts)]
        if any(n.casefold().strip() == wanted for n in names):
            return concept.id
    return None


def _capabilities(categories: Any, catalogue: Catalogue) -> tuple[list[str], list[str]]:
    known = catalogue.concepts.get("capabilities", {})
    found: list[str] = []
    missed: list[str] = []
    for category in categories if isinstance(categories, list) else []:
        if not isinstance(category, str):
            continue
        key = category.casefold().replace("_", "-")
        match = next((c.id for c in known.values() if not c.deprecated and (
            c.id == key or any(label.casefold().replace(" ", "-") == key
                               for label in c.label.values()))), None)
        (found if match else missed).append(match or category)
    return sorted(set(found)), missed


def map_publiccode(parsed: ParseResult, catalogue: Catalogue, *, record_id: str | None = None,
                   owner: str | None = None) -> PubliccodeMapping:
    """Return the component record a parsed publiccode.yml maps to, with the notes."""
    out = PubliccodeMapping(findings=list(parsed.findings))
    if parsed.findings:
        return out
    data = parsed.value
    positions = parsed.positions

    def problem(severity: str, code: str, pointer: str, message: str) -> None:
        line, column = locate(positions, pointer)
        out.findings.append(Finding(severity, code, pointer, message, line, column))

    if not isinstance(data.get("publiccodeYmlVersion"), str | int | float):
        problem(WARNING, "publiccode.version", "/publiccodeYmlVersion",
                "publiccodeYmlVersion is missing: is this a publiccode.yml file?")
    raw = data.get("description")
    descriptions: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    name = _text(data.get("name"))
    if name is None:
        problem(ERROR, "publiccode.name", "/name", "the file has no `name`")
        return out

    names: dict[str, str] = {}
    texts: dict[str, str] = {}
    for lang in LANGS:
        entry = descriptions.get(lang)
        local: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {}
        localised = _text(local.get("localisedName"))
        names[lang] = localised or name
        out.mapped.append((f"name.{lang}", f"description.{lang}.localisedName" if localised
                           else "name"))
        text = _text(local.get("shortDescription")) or _text(local.get("longDescription"))
        if text:
            texts[lang] = text
            out.mapped.append((f"description.{lang}", f"description.{lang}.shortDescription"))
    available = [lang for lang in descriptions if isinstance(descriptions.get(lang), Mapping)
                 and (_text(descriptions[lang].get("shortDescription"))
                      or _text(descriptions[lang].get("longDescription")))]
    if not texts and available:
        first = descriptions[available[0]]
        texts["en"] = _text(first.get("shortDescription")) or _text(
            first.get("longDescription")) or name
    for lang in LANGS:
        if lang not in texts:
            source = next((texts[lang_] for lang_ in LANGS if lang_ in texts), None)
            texts[lang] = source or name
            out.not_mapped.append(f"description.{lang} (absent: copied from "
                                  f"{'another language' if source else 'name'}; translate it)")
    for lang in descriptions:
        if lang not in LANGS:
            out.not_mapped.append(f"description.{lang} (the registry keeps en, fr, nl)")

    url = _text(data.get("landingURL")) or _text(data.get("url"))
    if url is None or not url.startswith(("http://", "https://")):
        problem(ERROR, "publiccode.url", "/url", "neither landingURL nor url is an http(s) URL")
        return out
    out.mapped.append(("url", "landingURL" if _text(data.get("landingURL")) else "url"))
    code_url = _text(data.get("url")) or url

    licence = _text(_get(data, "legal", "license"))
    if licence is None:
        problem(ERROR, "publiccode.licence", "/legal", "legal.license is missing")
        return out
    out.mapped.append(("licence", "legal.license"))
    out.mapped.append(("reuse_conditions", "legal.license and url (written by the registry)"))

    repo_owner = _text(_get(data, "legal", "repoOwner")) or _text(
        _get(data, "legal", "mainCopyrightOwner"))
    owner_id = owner or _find_organisation(repo_owner, catalogue)
    if owner_id is None:
        problem(ERROR, "publiccode.owner", "/legal/repoOwner",
                f"the owner {repo_owner!r} is not an organisation of the registry: give one "
                "with --owner (a concept id of /vocabularies/organisations)"
                if repo_owner else "no legal.repoOwner: give the owner with --owner")
        return out
    out.mapped.append(("owner", "--owner" if owner else "legal.repoOwner"))

    status_value = data.get("developmentStatus")
    status = STATUS.get(status_value) if isinstance(status_value, str) else None
    if status is None:
        status = "pilot"
        out.not_mapped.append(f"developmentStatus ({status_value!r}: status set to pilot)")
    else:
        out.mapped.append(("status", f"developmentStatus ({status_value})"))

    contacts = _get(data, "maintenance", "contacts")
    contact = None
    if isinstance(contacts, list):
        for item in contacts:
            if isinstance(item, Mapping):
                contact = _text(item.get("email")) or _text(item.get("name"))
                if contact:
                    out.mapped.append(("contact", "maintenance.contacts[0]"))
                    break
    if contact is None:
        contact = url
        out.not_mapped.append("maintenance.contacts (none: contact set to the URL)")

    provides, missed = _capabilities(data.get("categories"), catalogue)
    if provides:
        out.mapped.append(("provides", "categories matching capabilities"))
    for category in missed:
        out.not_mapped.append(f"categories: {category} (no capability of that name)")
    out.not_mapped.append("implements (publiccode.yml lists no standards: add them)")
    for key in data:
        if key not in READ:
            out.not_mapped.append(f"{key}")
    for key in ("features", "longDescription", "documentation", "apiDocumentation",
                "screenshots", "videos", "awards"):
        for lang in descriptions:
            if isinstance(descriptions.get(lang), Mapping) and key in descriptions[lang]:
                out.not_mapped.append(f"description.{lang}.{key}")

    out.record = {
        "id": record_id or slug(name),
        "name": names,
        "description": texts,
        "owner": owner_id,
        "status": status,
        "provides": provides,
        "implements": [],
        "licence": licence,
        "reuse_conditions": {lang: REUSE[lang].format(licence=licence, url=code_url)
                             for lang in LANGS},
        "contact": contact,
        "url": url,
    }
    return out


def read_publiccode(data: bytes, max_bytes: int) -> ParseResult:
    """Parse publiccode.yml bytes with the registry's YAML limits (no aliases, no tags)."""
    return parse_document(data, Limits(max_bytes=max_bytes), filename="publiccode.yml")
