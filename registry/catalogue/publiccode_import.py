"""Store a mapped publiccode.yml as a component without ever replacing a record silently.

- Creating a component needs no flag.
- Changing an existing one needs `update`, and, unless `force`, only a record whose last
  revision was itself imported from the same publiccode.yml `url` (a curated record, or
  one imported from another repository, is someone else's work).
- An update keeps what the file does not carry: texts in the languages the file lacks,
  `level`, `implements`, the capabilities it `provides` (the file's matching categories
  are added), and the reuse conditions a curator wrote (those the registry wrote from the
  licence follow the file's licence).
- A dry run reports the field-by-field difference and the decision, and stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.catalogue.publiccode import (
    LANGS,
    REUSE,
    PubliccodeMapping,
    map_publiccode,
    read_publiccode,
    slug,
)
from registry.documents.findings import ERROR, Finding

MARK = "imported from publiccode.yml url "
_MARKED = re.compile(re.escape(MARK) + r"(\S+)")


@dataclass
class PubliccodeOutcome:
    """What an import did: the mapping, the decision, the differences, the revision."""

    mapping: PubliccodeMapping
    action: str  # created, updated, unchanged, refused, checked (dry run)
    reason: str = ""
    changes: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None
    revision: int | None = None


def merge(record: dict[str, Any], stored: Mapping[str, Any],
          languages: Mapping[str, str]) -> dict[str, Any]:
    """Return the file's record laid over the stored one, keeping what the file lacks."""
    merged = dict(stored)
    for key in ("name", "description"):
        texts = dict(stored.get(key) or {})
        texts.update({lang: record[key][lang] for lang in LANGS if lang in languages})
        merged[key] = texts
    for key in ("owner", "status", "licence", "contact", "url"):
        merged[key] = record[key]
    merged["provides"] = sorted(set(stored.get("provides") or ()) | set(record["provides"]))
    if _written_by_us(stored.get("reuse_conditions")):
        merged["reuse_conditions"] = record["reuse_conditions"]  # follows the new licence
    return merged


def _written_by_us(texts: Any) -> bool:
    """Return True for reuse conditions the registry wrote from a licence (not a curator)."""
    if not isinstance(texts, Mapping):
        return True
    return all(isinstance(texts.get(lang), str)
               and texts[lang].startswith(REUSE[lang].split("{licence}")[0]) for lang in LANGS)


def differences(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Return the field-by-field difference between two records, one line a change."""
    if old is None:
        return [f"+ {key}: {_show(value)}" for key, value in new.items()]
    lines: list[str] = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            for sub in sorted(set(before) | set(after)):
                if before.get(sub) != after.get(sub):
                    lines.append(_line(f"{key}.{sub}", before.get(sub), after.get(sub)))
        else:
            lines.append(_line(key, before, after))
    return lines


def _line(name: str, before: Any, after: Any) -> str:
    if before is None:
        return f"+ {name}: {_show(after)}"
    if after is None:
        return f"- {name}: {_show(before)}"
    return f"~ {name}: {_show(before)} -> {_show(after)}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _imported_from(store: Any, record_id: str) -> str | None:
    """Return the publiccode.yml url the record's last revision was imported from, if any."""
    history = store.revisions("component", record_id)
    message = (history[-1].get("message") or "") if history else ""
    found = _MARKED.search(message)
    return found.group(1) if found else None


@dataclass(frozen=True)
class ImportOptions:
    """What the caller asks of one import (the command's options)."""

    record_id: str | None = None
    owner: str | None = None
    update: bool = False
    force: bool = False
    dry_run: bool = False
    author: str = "registry components import-publiccode"
    file_name: str = "publiccode.yml"
    max_bytes: int = 20 * 1024 * 1024


def _stored(store: Any, parsed: Any, record_id: str | None) -> Any:
    """Return the stored record the file would write (by --id, else by its name), or None."""
    from registry.storage.store import NotFound

    name = parsed.value.get("name") if not parsed.findings and isinstance(
        parsed.value, Mapping) else None
    wanted = record_id or (slug(name) if isinstance(name, str) and name.strip() else None)
    try:
        return store.get("component", wanted) if wanted else None
    except NotFound:
        return None


def import_publiccode(data: bytes, options: ImportOptions, *, store: Any,
                      catalogue: Any) -> PubliccodeOutcome:
    """Check, map and store a publiccode.yml as a component (never a silent replacement)."""
    from registry.catalogue.files import check_change
    from registry.storage.store import digest

    parsed = read_publiccode(data, options.max_bytes)
    current = _stored(store, parsed, options.record_id)
    mapping = map_publiccode(parsed, catalogue, record_id=options.record_id,
                             owner=options.owner,
                             stored_owner=current.data.get("owner") if current else None)
    if mapping.record is None:
        return PubliccodeOutcome(mapping, "refused", "the file could not be mapped" if
                                 mapping.mapped else "the file does not follow the "
                                 "publiccode.yml standard (see the findings)")
    record = mapping.record if current is None else merge(mapping.record, current.data,
                                                          mapping.languages)
    for error in check_change("component", record, catalogue):
        mapping.findings.append(Finding(ERROR, "schema", error.path, error.message))
    outcome = PubliccodeOutcome(mapping, "refused", record=record,
                                changes=differences(current.data if current else None, record))
    if mapping.errors:
        outcome.reason = "the component is not valid"
        return outcome
    if current is not None:
        outcome.reason = _refusal(store, record["id"], mapping.source_url, options) or ""
        if outcome.reason:
            return outcome
        if current.digest == digest(record):
            outcome.action = "unchanged"
            return outcome
    if options.dry_run:
        outcome.action = "checked"
        return outcome
    stored = store.put("component", record["id"], record, author=options.author,
                       if_match=current.revision if current else None,
                       create_only=current is None,
                       message=f"{MARK}{mapping.source_url} (file {options.file_name})")
    outcome.action, outcome.revision = ("updated" if current else "created"), stored.revision
    return outcome


def _refusal(store: Any, record_id: str, url: str | None,
             options: ImportOptions) -> str | None:
    if not options.update:
        return (f"the component {record_id!r} already exists: give --update to change it "
                "(what the file does not carry is kept), or --id to create another one")
    if options.force:
        return None
    source = _imported_from(store, record_id)
    if source != url:
        came = f"from the publiccode.yml of {source}" if source else \
            "by hand or from another source"
        return (f"the component {record_id!r} was last written {came}, not imported from "
                f"this file's url ({url}): give --force to update it all the same")
    return None
