"""Map a publiccode.yml (the European standard describing reusable public software) to a
component record, saying what could and could not be mapped.

The file is first checked against its own standard (`publiccode_standard`): a file the
standard refuses is not mapped at all. A component of the catalogue then needs a little
more than the file gives (an owner organisation of the registry, the capabilities it
provides, the standards it implements) and a little less (versions, platforms, logos...).
The mapping fills what it can, takes the owner from `--owner` or from a label of the
organisations vocabulary matching the file's organisation, and lists every field it could
not carry over so that a curator can finish the record. Texts are kept in the language
they are written in: a description only in a language the registry does not keep is
reported, never stored under another language's key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.catalogue.publiccode_standard import check_standard
from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import ERROR, WARNING, Finding, locate
from registry.documents.parse import Limits, ParseResult, parse_document

LANGS = ("en", "fr", "nl")
LANGUAGE_NAMES = {"en": "English", "fr": "French", "nl": "Dutch"}
STATUS = {"stable": "active", "beta": "pilot", "development": "pilot", "concept": "pilot",
          "obsolete": "retired"}
# Top-level keys the mapping reads (everything else is reported as not mapped).
READ = {"publiccodeYmlVersion", "name", "url", "landingURL", "description", "legal",
        "maintenance", "developmentStatus", "categories", "organisation"}
DESCRIPTION_NOT_READ = ("features", "longDescription", "documentation", "apiDocumentation",
                        "screenshots", "videos", "awards", "genericName")
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
    source_url: str | None = None  # the file's `url`: which repository the record came from
    languages: dict[str, str] = field(default_factory=dict)  # kept language -> file's tag

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


class _Mapper:
    """One mapping run: the parsed file, the catalogue, and the outcome being built."""

    def __init__(self, parsed: ParseResult, catalogue: Catalogue,
                 out: PubliccodeMapping) -> None:
        self.data: Mapping[str, Any] = parsed.value
        self.positions = parsed.positions
        self.key_positions = parsed.key_positions
        self.catalogue = catalogue
        self.out = out

    def problem(self, severity: str, code: str, pointer: str, message: str) -> None:
        # At the key the finding names (`description:`), else at the nearest value.
        line, column = self.key_positions.get(pointer) or locate(self.positions, pointer)
        self.out.findings.append(Finding(severity, code, pointer, message, line, column))

    # -- languages ------------------------------------------------------------------
    def kept_languages(self) -> dict[str, Mapping[str, Any]]:
        """Return the file's description entries by kept language (en-GB counts as en)."""
        descriptions = self.data.get("description")
        entries: dict[str, Mapping[str, Any]] = {}
        for tag, entry in (descriptions.items() if isinstance(descriptions, Mapping) else ()):
            lang = str(tag).split("-")[0].lower()
            if lang in LANGS and isinstance(entry, Mapping) and (
                    lang not in entries or str(tag).lower() == lang):
                entries[lang] = entry
                self.out.languages[lang] = str(tag)
            elif lang not in LANGS:
                self.out.not_mapped.append(f"description.{tag} (the registry keeps en, fr and "
                                           "nl: this text is not stored)")
        return entries

    def names_and_texts(self, name: str) -> tuple[dict[str, str], dict[str, str]] | None:
        entries = self.kept_languages()
        if not entries:
            written = ", ".join(str(t) for t in (self.data.get("description") or {}))
            self.problem(ERROR, "publiccode.language", "/description",
                         f"the file describes the software only in {written}; the registry "
                         "keeps en, fr and nl and never stores a text under another "
                         "language: add description.en, .fr or .nl to the file")
            return None
        names: dict[str, str] = {}
        texts: dict[str, str] = {}
        for lang, entry in entries.items():
            tag = self.out.languages[lang]
            localised = _text(entry.get("localisedName"))
            names[lang] = localised or name
            self.out.mapped.append((f"name.{lang}", f"description.{tag}.localisedName"
                                    if localised else "name"))
            texts[lang] = _text(entry.get("shortDescription")) or ""
            self.out.mapped.append((f"description.{lang}", f"description.{tag}."
                                    "shortDescription"))
            for key in DESCRIPTION_NOT_READ:
                if key in entry:
                    self.out.not_mapped.append(f"description.{tag}.{key}")
        return names, texts

    # -- single fields --------------------------------------------------------------
    def url(self) -> str | None:
        landing, code = _text(self.data.get("landingURL")), _text(self.data.get("url"))
        self.out.source_url = code
        chosen = landing or code
        if chosen is None or not chosen.lower().startswith(("http://", "https://")):
            self.problem(ERROR, "publiccode.url", "/url", f"the component needs an http(s) "
                         f"address and url is {code!r}: add a landingURL")
            return None
        self.out.mapped.append(("url", "landingURL" if landing else "url"))
        return chosen

    def owner(self, given: str | None, stored: str | None) -> str | None:
        if given:
            self.out.mapped.append(("owner", "--owner"))
            return given
        for pointer in ("/organisation/name", "/legal/repoOwner", "/legal/mainCopyrightOwner"):
            name = _text(_get(self.data, *pointer.split("/")[1:]))
            found = _find_organisation(name, self.catalogue)
            if found:
                self.out.mapped.append(("owner", pointer[1:].replace("/", ".")))
                return found
        if stored:
            self.out.not_mapped.append("owner (no organisation of the registry in the file: "
                                       "the stored owner is kept)")
        return stored

    def status(self) -> str:
        value = self.data["developmentStatus"]  # the standard check made sure it is there
        self.out.mapped.append(("status", f"developmentStatus ({value})"))
        return STATUS[value]

    def contact(self, fallback: str) -> str:
        maintenance = self.data.get("maintenance") or {}
        for key in ("contacts", "contractors"):
            for item in maintenance.get(key) or ():
                value = _text(item.get("email")) or _text(item.get("name"))
                if value and len(value) >= 3:
                    self.out.mapped.append(("contact", f"maintenance.{key}[0]"))
                    return value
        self.out.not_mapped.append("maintenance (no contact: contact set to the URL)")
        return fallback

    def provides(self) -> list[str]:
        known = self.catalogue.concepts.get("capabilities", {})
        found: list[str] = []
        for category in self.data.get("categories") or ():
            key = str(category).casefold().replace("_", "-")
            match = next((c.id for c in known.values() if not c.deprecated and (
                c.id == key or any(label.casefold().replace(" ", "-") == key
                                   for label in c.label.values()))), None)
            if match:
                found.append(match)
            else:
                self.out.not_mapped.append(f"categories: {category} (no capability of that "
                                           "name)")
        if found:
            self.out.mapped.append(("provides", "categories matching capabilities"))
        return sorted(set(found))

    def other_keys(self) -> None:
        self.out.not_mapped.append("implements (publiccode.yml lists no standards: add them)")
        for key in self.data:
            if key not in READ:
                self.out.not_mapped.append(str(key))


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


def _fill_languages(mapping: PubliccodeMapping, names: dict[str, str],
                    texts: dict[str, str]) -> None:
    """Give a new record the languages the file lacks, saying so (the schema needs all three).

    The name of a software is the same in every language; a missing description takes the
    text of the first kept language, with a warning to translate it.
    """
    source = next(lang for lang in LANGS if lang in texts)
    for lang in LANGS:
        names.setdefault(lang, names[source])
        if lang not in texts:
            texts[lang] = texts[source]
            mapping.findings.append(Finding(
                WARNING, "publiccode.untranslated", "/description",
                f"the file has no description in {LANGUAGE_NAMES[lang]}: the new component "
                f"shows the {LANGUAGE_NAMES[source]} text there until a curator translates "
                f"it (an update keeps the {lang} text already stored)"))


def map_publiccode(parsed: ParseResult, catalogue: Catalogue, *, record_id: str | None = None,
                   owner: str | None = None, stored_owner: str | None = None
                   ) -> PubliccodeMapping:
    """Check a parsed publiccode.yml against its standard and map it to a component.

    `stored_owner` is the owner of the record the file would update: kept when neither
    `owner` nor the file names an organisation of the registry.
    """
    out = PubliccodeMapping(findings=list(check_standard(parsed).findings))
    if out.errors:
        return out
    mapper = _Mapper(parsed, catalogue, out)
    name = _text(mapper.data.get("name")) or ""
    languages = mapper.names_and_texts(name)
    url = mapper.url()
    owner_id = mapper.owner(owner, stored_owner)
    if owner_id is None:
        named = _text(_get(mapper.data, "organisation", "name")) or _text(
            _get(mapper.data, "legal", "repoOwner"))
        mapper.problem(ERROR, "publiccode.owner", "/organisation" if _get(
            mapper.data, "organisation") else "/legal",
            f"the owner {named!r} is not an organisation of the registry: give one with "
            "--owner (a concept id of /vocabularies/organisations)" if named else
            "the file names no owner organisation: give one with --owner")
    if languages is None or url is None or owner_id is None:
        return out
    names, texts = languages
    _fill_languages(out, names, texts)
    licence = mapper.data["legal"]["license"]
    out.mapped += [("licence", "legal.license"),
                   ("reuse_conditions", "legal.license and url (written by the registry)")]
    code_url = out.source_url or url
    out.record = {
        "id": record_id or slug(name),
        "name": names,
        "description": texts,
        "owner": owner_id,
        "status": mapper.status(),
        "provides": mapper.provides(),
        "implements": [],
        "licence": licence,
        "reuse_conditions": {lang: REUSE[lang].format(licence=licence, url=code_url)
                             for lang in LANGS},
        "contact": mapper.contact(url),
        "url": url,
    }
    mapper.other_keys()
    return out


def read_publiccode(data: bytes, max_bytes: int) -> ParseResult:
    """Parse publiccode.yml bytes with the registry's YAML limits (no aliases, no tags)."""
    return parse_document(data, Limits(max_bytes=max_bytes), filename="publiccode.yml")
