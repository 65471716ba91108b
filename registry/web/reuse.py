"""Reuse and pooling for the Smart City Office: the report page and the API."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from registry.analysis.diagram import Node, opportunity_diagram
from registry.analysis.reuse import OPPORTUNITY_TYPES
from registry.catalogue.snapshot import localized
from registry.svg.opportunity import opportunity_svg
from registry.web.shared.context import services
from registry.web.shared.derived import Found, found
from registry.web.shared.errors import ApiError
from registry.web.shared.http import cached_json, dumps
from registry.web.shared.i18n import current_lang, ngettext
from registry.web.shared.i18n import gettext as _
from registry.web.shared.labels import acronym
from registry.web.shared.render import render_page, snapshot_page
from registry.web.shared.terms import term

bp = Blueprint("reuse", __name__)
TYPES = OPPORTUNITY_TYPES
PARAMS = ("type", "organisation", "project", "min_score")
REUSE_ROWS = 20  # opportunities of each type a page (?<type>_page=): bounded at any size


def parse_filters(args: dict[str, str]) -> dict[str, Any]:
    """Check the filters of the reuse list; raise ApiError naming a bad one."""
    for name in args:
        if name not in PARAMS and name != "lang":
            raise ApiError(400, f"unknown query parameter {name!r}; this list accepts "
                           f"{', '.join(PARAMS)}", detail={"parameter": name,
                                                           "allowed": list(PARAMS)})
    filters: dict[str, Any] = {}
    if args.get("type"):
        if args["type"] not in TYPES:
            raise ApiError(400, f"type={args['type']!r} is not allowed; type takes one of: "
                           f"{', '.join(TYPES)}", detail={"parameter": "type",
                                                          "allowed": list(TYPES)})
        filters["type"] = args["type"]
    for name in ("organisation", "project"):
        if args.get(name):
            filters[name] = args[name]
    if args.get("min_score"):
        try:
            score = float(args["min_score"])
        except ValueError:
            score = -1.0
        if not 0.0 <= score <= 1.0:
            raise ApiError(400, "min_score must be a number from 0 to 1",
                           detail={"parameter": "min_score"})
        filters["min_score"] = score
    return filters


def select(every: Found, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the opportunities matching every filter.

    `project` reads the whole membership: a project of a 3,000-member data-sharing group
    finds that opportunity although its list is cut at max_group_size.
    """
    items = every.items if "project" not in filters else every.of_project(filters["project"])
    return [o for o in items
            if o["type"] == filters.get("type", o["type"])
            and ("organisation" not in filters or filters["organisation"] in o["organisations"])
            and o["score"] >= filters.get("min_score", 0.0)]


@bp.get("/api/reuse")
def api_reuse() -> Response:
    """List reuse, pooling, overlap, data-sharing and standard-divergence opportunities."""
    filters = parse_filters(request.args.to_dict())
    every = found()
    response = cached_json(dumps({"opportunities": select(every, filters)}))
    if every.overlap_version < services().readmodel.current().version:
        # Overlaps of an older version, newer ones on their way within this version:
        # not for the shared response cache, which would keep it until the next write.
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/reuse")
@functools.partial(snapshot_page, also=lambda: found().overlap_version)
def page() -> Response:
    """Show the opportunities grouped by type and ranked, each with its small picture,
    a page of each type at a time (?<type>_page=)."""
    lang = current_lang()
    args = {k: v for k, v in request.args.to_dict().items() if v}
    pages_asked = {k: args.pop(k) for k in list(args) if k.endswith("_page")}
    try:
        filters = parse_filters(args)
        error = None
    except ApiError as exc:
        filters, error = {}, exc.message
    every = found()
    items = select(every, filters)
    snapshot = services().readmodel.current()
    catalogue, roadmap = snapshot.catalogue, snapshot.roadmap
    groups: dict[str, list[dict[str, Any]]] = {t: [] for t in TYPES}
    for o in items:
        groups[o["type"]].append(o)
    shown: dict[str, list[dict[str, Any]]] = {}
    paging: dict[str, tuple[int, int]] = {}
    for t in TYPES:
        pages = max(1, -(-len(groups[t]) // REUSE_ROWS))
        try:
            number = int(pages_asked.get(f"{t}_page", "1"))
        except ValueError:
            number = 0
        if not 1 <= number <= pages:
            error = error or _("%(name)s must be from 1 to %(pages)d", name=f"{t}_page",
                               pages=pages)
            number = 1
        shown[t] = groups[t][(number - 1) * REUSE_ROWS:number * REUSE_ROWS]
        paging[t] = (number, pages)
    labels = _Labels(roadmap.projects, catalogue, lang)
    draw = _pictures(labels, roadmap.projects, lambda sid: acronym(catalogue, sid))
    carried = services().readmodel.carried

    def item(opportunity: dict[str, Any], key: str) -> Markup:
        # An opportunity's entry reads the opportunity, the sheets of its projects
        # (titles, the standards its picture shows), the catalogue's labels, the
        # language and its place: after a write only the entries that read the written
        # project are made again, not the page's hundred pictures. The opportunity is
        # named by its value (what the entry shows of it, and its explanation's
        # template with the labels in every language), not its object: a group
        # recomputed by a write to a project it does not list, or the overlaps
        # recomputed in the background, give equal opportunities in new objects,
        # whose entries are the same. (Bytes and a template, not the object: a kept
        # key holds no group's thousands of members.)
        projects = roadmap.projects
        read = tuple(projects[pid].digest if pid in projects else None
                     for pid in opportunity["projects"])
        named = (dumps(opportunity), every.text(opportunity))
        return carried.get(  # type: ignore[no-any-return]
            ("reuse-item", named, key, lang, catalogue.version, read),
            lambda: Markup(render_template("_opportunity.html", o=opportunity, key=key,
                                           labels=labels, picture=draw)))

    stale = every.overlap_version < snapshot.version
    return render_page("reuse.html", status=400 if error else 200, groups=shown,
                       counts={t: len(groups[t]) for t in TYPES}, paging=paging,
                       item=item, error=error, types=TYPES,
                       args=request.args.to_dict(), labels=labels, total=len(items),
                       per_page=REUSE_ROWS,
                       overlap_version=every.overlap_version if stale else None)


class _Labels:
    """Labels of the page's nodes in the page language, looked up when an entry is made
    (never for the whole roadmap, nor for entries kept from an earlier snapshot)."""

    def __init__(self, projects: Mapping[str, Any], catalogue: Any, lang: str) -> None:
        self.projects, self.catalogue, self.lang = projects, catalogue, lang

    def get(self, key: str, default: str) -> str:
        scheme, _sep, rid = key.partition(":")
        if scheme == "project" and rid in self.projects:
            return localized(self.projects[rid].sheet.get("title"), self.lang)[0] or rid
        if scheme == "capability":
            concept = self.catalogue.concepts.get("capabilities", {}).get(rid)
            if concept is not None:
                return localized(concept.label, self.lang)[0]  # type: ignore[no-any-return]
        if scheme == "component" and rid in self.catalogue.components:
            return localized(self.catalogue.components[rid]["name"], self.lang)[0]  # type: ignore[no-any-return]
        return default


def _declared(sheet: Mapping[str, Any]) -> set[str]:
    """Return the ids of the standards a project sheet declares."""
    listed = sheet.get("standards")
    return {str(d["id"]) for d in listed if isinstance(d, Mapping) and d.get("id")} \
        if isinstance(listed, list) else set()


def _pictures(labels: _Labels, projects: Mapping[str, Any],
              standard: Callable[[str], str]) -> Callable[[dict[str, Any], str], Markup]:
    """Return what draws one opportunity's picture in the page language (called by the
    template for the opportunities it shows, so a long list draws only its page)."""
    headings = {"project": _("Project"), "projects": _("Projects"),
                "capability": _("Capability"), "component": _("Active components"),
                "common": _("In common"), "producers": _("Produce the data"),
                "entity": _("Data"), "users": _("Use the data"),
                "standards": _("Standards declared")}

    def name(node: Node) -> str:
        if node.scheme == "more":
            count = int(node.id)
            return ngettext("and %(num)d more project", "and %(num)d more projects", count)
        if node.scheme == "standard":
            return standard(node.id)
        if node.scheme == "word":
            return f"\u201c{node.id}\u201d"
        return labels.get(f"{node.scheme}:{node.id}", node.id)

    def draw(opportunity: dict[str, Any], key: str) -> Markup:
        declared = {pid: _declared(projects[pid].sheet) for pid in opportunity["projects"]
                    if pid in projects}
        diagram = opportunity_diagram(opportunity, declared)
        columns = [(headings.get(role, role), [name(n) for n in nodes])
                   for role, nodes in diagram.columns]
        description = "; ".join(f"{heading}: {', '.join(names)}" for heading, names in columns)
        title = _("Diagram of the opportunity: %(type)s", type=term(opportunity["type"]))
        svg = opportunity_svg(columns, diagram.edges, kind=opportunity["type"], title=title,
                              description=description, id_prefix=f"opp-{key}",
                              muted=[[n.scheme == "more" for n in nodes]
                                     for _role, nodes in diagram.columns])
        return Markup(svg)  # every text is escaped by the drawing

    return draw
