"""The catalogue's YAML layout: read a folder of records, write one back."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from registry.catalogue.records import KINDS, SCHEMA_DIR, RecordError, validate_record
from registry.catalogue.snapshot import Catalogue
from registry.paths import data_root

MAX_FILE_BYTES = 1024 * 1024


class CatalogueLoadError(Exception):
    """A catalogue folder could not be read; `errors` says where and why."""

    def __init__(self, errors: list[RecordError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def record_files(root: Path) -> Iterable[tuple[str, Path]]:
    """Yield (kind, file) for every record file of a catalogue folder."""
    for kind, (_, folder) in KINDS.items():
        directory = root / folder
        if directory.is_dir():
            # os.scandir, not Path.iterdir: names sort as the paths would (one folder), and
            # an entry knows whether it is a file without a stat (run on every command).
            with os.scandir(directory) as entries:
                names = sorted(e.name for e in entries
                               if e.name.endswith((".yaml", ".yml")) and e.is_file())
            for name in names:
                yield kind, directory / name


def read_records(roots: Iterable[Path], *, check_links: bool = True
                 ) -> dict[str, list[dict[str, Any]]]:
    """Read and check every record under the given catalogue folders.

    All or nothing: raises CatalogueLoadError listing every problem of every file.
    With `check_links=False` broken links between records are let through (for
    `registry lint`, which reports them as dead links).

    Records read without a problem are kept in a cache (`registry.catalogue.cache`)
    and taken from there while no file they were read from has changed.
    """
    from registry.catalogue import cache

    roots = list(roots)
    sources = _sources(roots)
    if sources is None:
        return _read_records(roots, check_links)
    try:
        signature = cache.stat_signature(sources)
    except OSError:
        return _read_records(roots, check_links)
    saved = cache.read_saved(roots, check_links)
    if saved is not None and cache.unchanged(saved, signature[1]):
        return saved.records  # no file was touched since: not even read
    key = _fingerprint(roots, check_links)
    if key is not None and saved is not None and saved.key == key:
        if saved.signature != signature[1]:  # touched, not changed: save the new times
            cache.save(roots, key, check_links, saved.records, signature)
        return saved.records
    records = _read_records(roots, check_links)
    if key is not None:
        cache.save(roots, key, check_links, records, signature)
    return records


def _sources(roots: list[Path]) -> list[Path] | None:
    """Return every file the records of these folders are read from or depend on (the
    record files, then the schemas and the reading code), or None when they cannot be
    cached."""
    if not roots or not all(root.is_dir() for root in roots):
        return None  # the error is reported by reading
    try:
        return [*_record_files(roots), *_inputs()]
    except OSError:
        return None


def _record_files(roots: list[Path]) -> list[Path]:
    return [path for root in roots for _, path in record_files(root)]


def _inputs() -> list[Path]:
    documents = Path(__file__).parents[1] / "documents"
    return [Path(__file__), Path(__file__).with_name("records.py"),
            *sorted(documents.glob("*.py")), *sorted(SCHEMA_DIR.glob("*.schema.json"))]


def _fingerprint(roots: list[Path], check_links: bool) -> tuple[Any, ...] | None:
    """Return the cache fingerprint of these folders, or None when they cannot be cached."""
    from registry.catalogue import cache

    if not roots or not all(root.is_dir() for root in roots):
        return None  # the error is reported by reading
    try:
        return cache.fingerprint(roots, _record_files(roots), _inputs(), check_links)
    except OSError:
        return None


def _read_records(roots: list[Path], check_links: bool) -> dict[str, list[dict[str, Any]]]:
    from registry.documents.parse import Limits, parse_document
    from registry.documents.reading import read_limited

    records: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    seen: dict[tuple[str, str], Path] = {}
    errors: list[RecordError] = []
    found = False
    for root in roots:
        if not root.is_dir():
            errors.append(RecordError(str(root), "", "is not a folder"))
            continue
        for kind, path in record_files(root):
            found = True
            name = str(path)
            limits = Limits(max_bytes=MAX_FILE_BYTES)
            parsed = parse_document(read_limited(path, limits), limits)
            if parsed.findings:
                errors.extend(RecordError(name, f.path, f.message, f.line, f.column)
                              for f in parsed.findings)
                continue
            data = parsed.value
            for pointer, message in validate_record(kind, data):
                line, column = _position(parsed.positions, pointer)
                errors.append(RecordError(name, pointer, message, line, column))
            if not isinstance(data, dict) or "id" not in data:
                continue
            if data["id"] != path.stem:
                line, column = _position(parsed.positions, "/id")
                errors.append(RecordError(
                    name, "/id", f"id {data['id']!r} differs from the file name "
                    f"{path.name!r}: name the file {data['id']}.yaml", line, column))
            key = (kind, str(data["id"]))
            if key in seen:
                errors.append(RecordError(name, "/id", f"{kind} {data['id']!r} is also "
                                          f"defined in {seen[key]}"))
            seen[key] = path
            records[kind].append(data)
    if not found and not errors:
        errors.append(RecordError(", ".join(map(str, roots)), "",
                                  "holds no catalogue record: expected standards/*.yaml "
                                  "and reference_arch/{principles,components,vocabularies,legal}/"))
    if check_links:
        errors.extend(cross_check(records))
    if errors:
        raise CatalogueLoadError(errors)
    return records


def _position(positions: Mapping[str, tuple[int, int]], pointer: str
              ) -> tuple[int | None, int | None]:
    from registry.documents.findings import locate

    return locate(positions, pointer)


def cross_check(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[RecordError]:
    """Return the broken links between records (unknown ids and concepts)."""
    errors: list[RecordError] = []
    ids = {kind: {r["id"] for r in rs if isinstance(r, Mapping) and "id" in r}
           for kind, rs in records.items()}
    concepts = {v["id"]: {c["id"] for c in v.get("concepts", [])}
                for v in records.get("vocabulary", []) if isinstance(v, Mapping)}

    def check(kind: str, rec: Mapping[str, Any], field: str, target: str,
              scheme: str | None = None) -> None:
        values = rec.get(field)
        if values is None:
            return
        for i, value in enumerate(values if isinstance(values, list) else [values]):
            known = concepts.get(scheme, set()) if scheme else ids.get(target, set())
            if scheme and scheme not in concepts:
                return  # vocabulary not loaded: nothing to check against
            if value not in known:
                where = f"/{field}/{i}" if isinstance(values, list) else f"/{field}"
                what = f"concept of {scheme}" if scheme else target
                errors.append(RecordError(f"{kind} {rec['id']}", where,
                                          f"{value!r} is not a known {what}"))

    for rec in records.get("standard", []):
        check("standard", rec, "applies_to", "", "capabilities")
        check("standard", rec, "principles", "principle")
        check("standard", rec, "category", "", "standard-categories")
        check("standard", rec, "replaced_by", "standard")
        check("standard", rec, "mandated_by", "legal")
    for rec in records.get("principle", []):
        check("principle", rec, "mandated_by", "legal")
        check("principle", rec, "requires", "standard")
    for rec in records.get("legal", []):
        check("legal", rec, "amends", "legal")
        check("legal", rec, "requires", "standard")
    for rec in records.get("component", []):
        check("component", rec, "provides", "", "capabilities")
        check("component", rec, "implements", "standard")
        check("component", rec, "owner", "", "organisations")
    return errors


def load_catalogue(*roots: Path, version: str = "files", check_links: bool = True
                   ) -> Catalogue:
    """Build a catalogue snapshot straight from YAML folders (no database)."""
    records = read_records(roots, check_links=check_links)
    return Catalogue(standards=records["standard"], principles=records["principle"],
                     components=records["component"], vocabularies=records["vocabulary"],
                     legal=records["legal"], version=version)


def shipped_root() -> Path:
    """Return the folder of the shipped catalogue (the repository root)."""
    return data_root()


def dump_record(data: Mapping[str, Any]) -> str:
    """Return a record as YAML in a stable, readable form."""
    return yaml.dump(dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=88, default_flow_style=False)


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key, as the shipped files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def write_catalogue(records: Mapping[str, Iterable[Mapping[str, Any]]], root: Path) -> int:
    """Write records in the YAML layout under root; return the number of files written."""
    count = 0
    for kind, items in records.items():
        directory = root / KINDS[kind][1]
        directory.mkdir(parents=True, exist_ok=True)
        for data in items:
            (directory / f"{data['id']}.yaml").write_text(dump_record(data), encoding="utf-8")
            count += 1
    return count


def check_change(kind: str, data: Any, catalogue: Catalogue) -> list[RecordError]:
    """Return the problems of storing `data` as a record of `kind` in this catalogue."""
    name = f"{kind} {data.get('id', '?') if isinstance(data, dict) else '?'}"
    errors = [RecordError(name, pointer, message)
              for pointer, message in validate_record(kind, data)]
    if errors:
        return errors
    records = {k: [r for r in catalogue.records(k).values() if r["id"] != data["id"] or k != kind]
               for k in KINDS}
    records[kind].append(data)
    return [e for e in cross_check(records) if e.file == name]
