"""Reuse and pooling for the Smart City Office: the report page and the API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from registry.analysis.network import network
from registry.analysis.reuse import OPPORTUNITY_TYPES
from registry.catalogue.snapshot import localized
from registry.svg.network import network_svg
from registry.web.shared.context import services
from registry.web.shared.derived import Found, found
from registry.web.shared.errors import ApiError
from registry.web.shared.http import cached_json, dumps
from registry.web.shared.i18n import current_lang
from registry.web.shared.i18n import gettext as _
from registry.web.shared.render import render_page
from registry.web.shared.terms import term

bp = Blueprint("reuse", __name__)
TYPES = OPPORTUNITY_TYPES
PARAMS = ("type", "organisation", "project", "min_score")
REUSE_ROWS = 20  # opportunities of each type a page (?<type>_page=): bounded at any size
NETWORK_PROJECTS = 60  # projects the picture draws: those the page lists first


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
    return cached_json(dumps({"opportunities": select(found(), filters)}))


@bp.get("/reuse")
def page() -> Response:
    """Show the opportunities grouped by type and ranked, a page of each type at a time."""
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
    svc = services()
    snapshot = svc.readmodel.current()
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
    # The picture and the labels cover the projects the page lists, never the roadmap.
    listed = dict.fromkeys(p for t in TYPES for o in shown[t] for p in o["projects"])
    # A roadmap small enough is drawn whole; a larger one, the projects the page lists.
    pictured = list(roadmap.projects) if len(roadmap.projects) <= NETWORK_PROJECTS \
        else list(listed)[:NETWORK_PROJECTS]
    labels = {f"project:{pid}": localized(roadmap.projects[pid].sheet.get("title"),
                                          lang)[0] or pid
              for pid in {**listed, **dict.fromkeys(pictured)} if pid in roadmap.projects}
    labels.update({f"capability:{c.id}": localized(c.label, lang)[0]
                   for c in catalogue.concepts.get("capabilities", {}).values()})
    labels.update({f"component:{k}": localized(v["name"], lang)[0]
                   for k, v in catalogue.components.items()})
    words = {t: term(t) for t in TYPES}
    words.update({"Projects": _("Projects"), "Capabilities": _("Capabilities"),
                  "Components": _("Components"),
                  "description": _("{projects} projects (left), {capabilities} capabilities "
                                   "they need or build (middle) and {components} active "
                                   "components that provide them (right); links that "
                                   "belong to an opportunity are thick and dashed, one "
                                   "dash pattern per type. The list below the picture "
                                   "says the same.")})
    in_picture = set(pictured)
    sheets = [roadmap.projects[pid].sheet for pid in pictured if pid in roadmap.projects]
    pictured_opportunities = [o for o in (items if len(roadmap.projects) <= NETWORK_PROJECTS
                                          else (o for t in TYPES for o in shown[t]))
                              if in_picture.intersection(o["projects"])]
    key = ("network", lang, tuple(sorted(filters.items())),
           tuple(sorted(paging.items())), id(every.items))
    svg = snapshot.memo(key, lambda: network_svg(
        network(sheets, catalogue.components, pictured_opportunities), labels=labels,
        title=_("Projects, capabilities and components of the roadmap"), words=words,
        link_query=f"?lang={lang}"))
    stale = every.overlap_version < snapshot.version
    return render_page("reuse.html", status=400 if error else 200, groups=shown,
                       counts={t: len(groups[t]) for t in TYPES}, paging=paging, svg=svg,
                       error=error, types=TYPES, args=request.args.to_dict(), labels=labels,
                       total=len(items), per_page=REUSE_ROWS,
                       overlap_version=every.overlap_version if stale else None)
