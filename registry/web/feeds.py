"""GET /feed.atom: what changed, for everything or one organisation, standard or project."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from flask import Blueprint, Response, current_app, request, url_for

from registry.catalogue.snapshot import localized
from registry.feeds import (
    ENTRIES,
    Change,
    Scope,
    Text,
    atom,
    lapsing_changes,
    newest,
    project_changes,
    standard_changes,
    touched_projects,
)
from registry.storage import changes as stored_changes
from registry.web.shared.context import services
from registry.web.shared.derived import compliance_cells
from registry.web.shared.errors import ApiError
from registry.web.shared.http import cached_json
from registry.web.shared.i18n import current_lang
from registry.web.shared.i18n import gettext as _
from registry.web.shared.terms import term

bp = Blueprint("feeds", __name__)
PARAMS = ("organisation", "standard", "project", "lang")
MEDIA_TYPE = "application/atom+xml"


def _scope() -> Scope:
    args = request.args
    for name in args:
        if name not in PARAMS:
            raise ApiError(400, f"unknown query parameter {name!r}; this feed accepts "
                           f"{', '.join(PARAMS)}", detail={"parameter": name,
                                                           "allowed": list(PARAMS)})
        if len(args.getlist(name)) > 1:
            raise ApiError(400, f"{name} is given more than once",
                           detail={"parameter": name})
    given = [n for n in ("organisation", "standard", "project") if args.get(n)]
    if len(given) > 1:
        raise ApiError(400, "a feed is about one organisation, standard or project: give "
                       "one of them", detail={"parameter": given[1]})
    svc = services()
    catalogue = svc.snapshots.get()
    if args.get("organisation") and catalogue.concept("organisations",
                                                      args["organisation"]) is None:
        raise ApiError(404, f"no organisation {args['organisation']!r} in the "
                       "organisations vocabulary", detail={"parameter": "organisation"})
    if args.get("standard") and args["standard"] not in catalogue.standards:
        raise ApiError(404, f"no standard {args['standard']!r}: list them at "
                       "/api/standards", detail={"parameter": "standard"})
    if args.get("project") and args["project"] not in svc.roadmap.get().projects:
        raise ApiError(404, f"no project {args['project']!r}: list them at /api/projects",
                       detail={"parameter": "project"})
    return Scope(args.get("organisation"), args.get("standard"), args.get("project"))


def _changes(scope: Scope, today: datetime.date) -> list[Change]:
    svc = services()
    roadmap = svc.roadmap.get()
    sheets = roadmap.sheets()

    def applies(standard: str) -> set[str]:
        return {c.project for c in compliance_cells(today)[0] if c.standard == standard}

    projects = touched_projects(scope, sheets, applies)
    found: list[Change] = []
    # Standards' revisions are mostly edits of other fields: read more to find the
    # status changes among them.
    found += standard_changes(stored_changes.recent(
        svc.store, ["standard"], ENTRIES * 4,
        [scope.standard] if scope.standard else None), scope)
    found += project_changes(stored_changes.recent(svc.store, ["project"], ENTRIES,
                                                   projects))
    found += lapsing_changes(sheets, today, projects, scope)
    return newest(found)


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return localized(value, lang)[0]
    return "" if value is None else str(value)


def _describe(change: Change, lang: str, root: str) -> Text:
    p = change.params
    catalogue = services().snapshots.get()
    if change.kind == "standard-status":
        name = p.get("acronym") or _text(p.get("title"), lang) or change.record
        summary = _("%(name)s is now %(new)s (it was %(old)s).", name=name,
                    new=term(p.get("new")), old=term(p.get("old")))
        if p.get("replaced_by"):
            summary += " " + _("Replaced by %(id)s.", id=p["replaced_by"])
        return Text(_("Standard %(name)s: %(old)s → %(new)s", name=name,
                      old=term(p.get("old")), new=term(p.get("new"))), summary,
                    f"{root}/standards/{change.record}?lang={lang}")
    link = f"{root}/projects/{change.record}?lang={lang}"
    project = services().roadmap.get().projects.get(change.record)
    title = _text(p.get("title") or (project.sheet.get("title") if project else None),
                  lang) or change.record
    if change.kind == "lapsing":
        until = format_date(datetime.date.fromisoformat(p["until"]), format="long",
                            locale=lang)
        standard = catalogue.standards.get(p["standard"], {})
        name = standard.get("acronym") or _text(standard.get("title"), lang) or p["standard"]
        return Text(_("%(project)s: the declaration about %(standard)s lapses on %(date)s",
                      project=title, standard=name, date=until),
                    _("Declared as %(state)s until %(date)s: renew the explanation or the "
                      "plan before then, or comply.", state=term(p.get("conformance")),
                      date=until), link)
    if change.kind == "project-new":
        return Text(_("New project: %(title)s", title=title),
                    _("Submitted with status %(status)s.", status=term(p.get("status"))),
                    link)
    if change.kind == "project-removed":
        return Text(_("Project removed: %(title)s", title=title),
                    _("The project was taken out of the roadmap."), link)
    summary = _("Revision %(number)s.", number=p.get("revision"))
    if p.get("old_status") and p.get("old_status") != p.get("status"):
        summary += " " + _("Status: %(old)s → %(new)s.", old=term(p["old_status"]),
                           new=term(p.get("status")))
    return Text(_("Project changed: %(title)s", title=title), summary, link)


@bp.get("/feed.atom")
def feed() -> Response:
    """Answer the Atom feed of changes (?organisation=, ?standard=, ?project=; ?lang=)."""
    scope = _scope()
    lang = current_lang()
    svc = services()
    today = datetime.date.today()
    root = request.url_root.rstrip("/")
    host = request.host.split(":")[0] or "localhost"
    query = urlencode([(k, v) for k, v in sorted(request.args.items()) if k != "lang"])

    def build() -> bytes:
        changes = _changes(scope, today)
        if scope.organisation:
            concept = svc.snapshots.get().concept("organisations", scope.organisation)
            about = localized(concept.label, lang)[0] if concept else scope.organisation
            title = _("Changes touching %(name)s", name=about)
        elif scope.standard or scope.project:
            title = _("Changes touching %(name)s", name=scope.standard or scope.project)
        else:
            title = _("Changes in the registry")
        return atom(
            changes, feed_id=f"tag:{host},2026:feed?{query}", lang=lang,
            title=title + " · " + _("Open-architecture registry"),
            self_url=f"{root}/feed.atom?{urlencode([*request.args.items()])}".rstrip("?"),
            html_url=root + url_for("catalogue.home", lang=lang),
            author=current_app.config["REGISTRY"]["OPERATOR_NAME"],
            tag=lambda c: f"tag:{host},2026:{c.kind}/{c.record}/{c.key}",
            describe=lambda c: _describe(c, lang, root))

    key = ("feed", svc.snapshots.version, today, lang, root, query)
    body = svc.roadmap.memo(key, build)
    response = cached_json(body, mimetype=MEDIA_TYPE)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response
