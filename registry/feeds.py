"""What changed, as Atom (RFC 4287) entries: standards' status, projects, lapsing explanations.

No Flask: the caller passes the words (translated titles) and the links; this module
picks the changes and writes the XML. An entry's id is a tag URI (RFC 4151) built from
what it reports, so a feed reader sees the same entry as the same entry on every poll.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from registry.analysis.compliance import lapsing

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ENTRIES = 50
LAPSING_DAYS = 90
EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Change:
    """One entry: what kind of change, about which record, when, with its parameters."""

    kind: str  # standard-status, project-new, project-changed, project-removed, lapsing
    record: str  # the standard's or the project's id
    updated: datetime.datetime
    key: str  # unique within the kind (revision number, or standard/until of a lapsing)
    params: Mapping[str, Any] = field(default_factory=dict)
    author: str | None = None


@dataclass(frozen=True)
class Scope:
    """What a feed is about: everything, or one organisation, standard or project."""

    organisation: str | None = None
    standard: str | None = None
    project: str | None = None

    @property
    def everything(self) -> bool:
        """Return True when no filter is set."""
        return not (self.organisation or self.standard or self.project)


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def touched_projects(scope: Scope, sheets: Iterable[Mapping[str, Any]],
                     applies: Callable[[str], Iterable[str]]) -> set[str] | None:
    """Return the ids of the projects a scope is about (None: all of them).

    An organisation touches the projects it owns or is a partner of; a standard the
    projects that declare it or to which it applies (`applies(standard)` gives those).
    """
    if scope.everything:
        return None
    if scope.project:
        return {scope.project}
    out: set[str] = set()
    if scope.organisation:
        for sheet in sheets:
            owner = (sheet.get("owner") or {}).get("organisation")
            partners = sheet.get("partners") or []
            if scope.organisation == owner or scope.organisation in partners:
                out.add(str(sheet.get("id")))
    if scope.standard:
        out.update(applies(scope.standard))
    return out


def standard_changes(rows: Iterable[Mapping[str, Any]], scope: Scope) -> list[Change]:
    """Return the status changes among standard revisions (`rows`, with `previous`)."""
    if scope.organisation or scope.project:
        return []  # a standard's status belongs to no organisation or project
    out = []
    for row in rows:
        data, before = row.get("data") or {}, row.get("previous") or {}
        if row["revision"] < 2 or not data or not before:
            continue
        if data.get("status") == before.get("status"):
            continue
        if scope.standard and row["record_id"] != scope.standard:
            continue
        out.append(Change("standard-status", row["record_id"], _aware(row["created_at"]),
                          f"r{row['revision']}", {
                              "old": before.get("status"), "new": data.get("status"),
                              "title": data.get("title"), "acronym": data.get("acronym"),
                              "replaced_by": data.get("replaced_by")},
                          author=row.get("author")))
    return out


def project_changes(rows: Iterable[Mapping[str, Any]]) -> list[Change]:
    """Return new, changed and removed projects from project revisions."""
    out = []
    for row in rows:
        data = row.get("data")
        if data is None:
            kind = "project-removed"
        elif row["revision"] == 1 or row.get("previous") is None:
            kind = "project-new"
        else:
            kind = "project-changed"
        sheet = data or row.get("previous") or {}
        out.append(Change(kind, row["record_id"], _aware(row["created_at"]),
                          f"r{row['revision']}", {
                              "title": sheet.get("title"), "revision": row["revision"],
                              "status": sheet.get("status"),
                              "old_status": (row.get("previous") or {}).get("status"),
                              "message": row.get("message")},
                          author=row.get("author")))
    return out


def lapsing_changes(sheets: Iterable[Mapping[str, Any]], today: datetime.date,
                    projects: set[str] | None, scope: Scope) -> list[Change]:
    """Return the explanations and plans lapsing within LAPSING_DAYS (not yet lapsed).

    An entry is dated the day its declaration came within LAPSING_DAYS of its `until`,
    so it appears once, at a stable place, and readers see it when it becomes news.
    """
    chosen = [s for s in sheets if projects is None or str(s.get("id")) in projects]
    out = []
    for row in lapsing(chosen, today, LAPSING_DAYS):
        if row["expired"]:
            continue
        if scope.standard and row["standard"] != scope.standard:
            continue
        until = datetime.date.fromisoformat(row["until"])
        start = until - datetime.timedelta(days=LAPSING_DAYS)
        out.append(Change("lapsing", str(row["project"]),
                          datetime.datetime.combine(start, datetime.time(), datetime.UTC),
                          f"{row['standard']}/{row['until']}", {
                              "standard": row["standard"], "until": row["until"],
                              "days_left": row["days_left"],
                              "conformance": row["conformance"]}))
    return out


def newest(changes: Iterable[Change], limit: int = ENTRIES) -> list[Change]:
    """Return the `limit` latest changes, newest first (ties in a stable order)."""
    return sorted(changes, key=lambda c: (c.updated, c.kind, c.record, c.key),
                  reverse=True)[:limit]


@dataclass(frozen=True)
class Text:
    """How an entry reads in the feed's language, and where it links."""

    title: str
    summary: str
    link: str


def atom(changes: Sequence[Change], *, feed_id: str, title: str, lang: str, self_url: str,
         html_url: str, author: str, tag: Callable[[Change], str],
         describe: Callable[[Change], Text]) -> bytes:
    """Return the Atom document of these changes (RFC 4287: id, title, updated, author)."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: lang})
    ET.SubElement(root, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(root, f"{{{ATOM}}}title").text = title
    updated = max((c.updated for c in changes), default=EPOCH)
    ET.SubElement(root, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "href": self_url,
                                           "type": "application/atom+xml"})
    ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "alternate", "href": html_url,
                                           "type": "text/html"})
    feed_author = ET.SubElement(root, f"{{{ATOM}}}author")
    ET.SubElement(feed_author, f"{{{ATOM}}}name").text = author
    for change in changes:
        text = describe(change)
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = tag(change)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = text.title
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = change.updated.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": text.link,
                                                "type": "text/html"})
        if change.author:
            who = ET.SubElement(entry, f"{{{ATOM}}}author")
            ET.SubElement(who, f"{{{ATOM}}}name").text = change.author
        ET.SubElement(entry, f"{{{ATOM}}}summary", {"type": "text"}).text = text.summary
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")
