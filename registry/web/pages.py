"""Server-rendered HTML pages: catalogue browsing, with no JavaScript needed."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from markupsafe import Markup

from registry.analysis.compliance import Cell, compliance_matrix, projects_for_standard
from registry.analysis.compliance import summary as compliance_summary
from registry.catalogue import details
from registry.catalogue.query import (
    COMPONENT_STATUSES,
    LAYERS,
    SOURCES,
    STATUSES,
    QueryError,
    paginate,
    parse_filters,
    parse_paging,
    select,
)
from registry.catalogue.snapshot import localized
from registry.services import Services
from registry.web.i18n import gettext as _
from registry.web.terms import language_name, meaning, term

bp = Blueprint("pages", __name__)
LANGS = ("en", "fr", "nl")
LANG_NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands"}
PER_PAGE = 25


def services() -> Services:
    """Return the registry's services of the current app."""
    return current_app.extensions["registry"]


def current_lang() -> str:
    """Return the page language: ?lang=, else Accept-Language, else English."""
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS) or "en"


def init_app(app: Flask) -> None:
    """Register the template helpers."""
    # Globals, not context: the macros of _macros.html, imported without context, use them.
    app.jinja_env.globals.update(term=term, meaning=meaning, language_name=language_name)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        lang = current_lang() if request else "en"

        def t(text: Any) -> Markup:
            """Show multilingual content in the page language, marking a fallback."""
            value, used = localized(text, lang)
            if used == lang or not value:
                return Markup.escape(value)
            marker = _("in %(language)s", language=language_name(used))
            return Markup('<span lang="{}">{}</span> <small class="fallback">({})</small>'
                          ).format(used, value, marker)

        def lt(text: Any) -> str:
            """Return multilingual content as plain text (a <title>, an attribute)."""
            return localized(text, lang)[0]

        def url_lang(code: str) -> str:
            """Return this page's URL in another language, keeping every query argument."""
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
            return request.path + "?" + urlencode([*args, ("lang", code)])

        def concept_options(scheme: str) -> list[tuple[str, str]]:
            concepts = services().snapshots.get().concepts.get(scheme, {})
            pairs = [(c.id, localized(c.label, lang)[0]) for c in concepts.values()
                     if not c.deprecated]
            return sorted(pairs, key=lambda p: p[1].lower())

        def number(value: Any, decimals: int | None = None) -> str:
            """Return a number written the page language's way (1,800,000 / 1.800.000)."""
            if decimals is None:
                return format_decimal(value, locale=lang)
            return format_decimal(value, format="#,##0." + "0" * decimals, locale=lang)

        def percent(value: Any) -> str:
            """Return a share (0.7) as a percentage the page language's way (70 %)."""
            return "\u2013" if value is None else format_percent(value, locale=lang)

        def money(value: Any) -> str:
            """Return an amount in euros the page language's way (1.800.000,00 €)."""
            return format_currency(value, "EUR", format="¤#,##0", locale=lang,
                                   currency_digits=False) if lang == "en" else \
                format_currency(value, "EUR", format="#,##0 ¤", locale=lang,
                                currency_digits=False)

        def day(value: Any) -> str | Markup:
            """Return a date (or ISO date text) the page language's way (6 déc. 2026)."""
            try:
                when = value if isinstance(value, datetime.date) else \
                    datetime.date.fromisoformat(str(value)[:10])
            except ValueError:
                return str(value)
            # <time> keeps the ISO date for machines beside the words for people.
            return Markup('<time datetime="{}">{}</time>').format(
                when.isoformat(), format_date(when, format="medium", locale=lang))

        return {"lang": lang, "t": t, "lt": lt, "number": number, "percent": percent,
                "money": money, "day": day, "langs": LANGS, "lang_names": LANG_NAMES,
                "url_lang": url_lang, "concept_label": _concept_label(lang),
                "concept_options": concept_options,
                "pairs": lambda values: [(v, term(v)) for v in values]}


def _concept_label(lang: str) -> Any:
    def label(scheme: str, concept_id: str) -> str:
        concept = services().snapshots.get().concept(scheme, concept_id)
        return localized(concept.label, lang)[0] if concept else concept_id
    return label


def _page(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(template, **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Language"] = current_lang()
    return response


def error_page(status: int, message: str) -> Response:
    """Return the HTML error page: a page's own 4xx, never the API's JSON body."""
    # Not through _page: error.html reads `status`, the name of _page's own parameter.
    response = Response(render_template("error.html", status=status, message=message),
                        status=status, mimetype="text/html")
    response.headers["Content-Language"] = current_lang()
    return response


def page_as_of() -> datetime.date:
    """Return the page's date: ?as_of=YYYY-MM-DD, else today; a bad date is a 400 page."""
    raw = request.args.get("as_of")
    if not raw:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        abort(error_page(400, _("as_of=%(value)s is not a date: write it as YYYY-MM-DD",
                                value=repr(raw))))


def compliance_cells(as_of: datetime.date) -> tuple[list[Cell], dict[str, Any]]:
    """Return the roadmap's compliance cells and summary, computed once per stored version."""
    svc = services()
    catalogue = svc.snapshots.get()

    def compute() -> tuple[list[Cell], dict[str, Any]]:
        cells = compliance_matrix(svc.roadmap.get().sheets(), catalogue, as_of)
        return cells, compliance_summary(cells)

    # The same key and value as the API's matrix (registry.web.projects._matrix), so a
    # worker computes the 100,000 cells of a 10,000-project roadmap once for both; the
    # catalogue version is in the key because the roadmap cache only keys on its own.
    return svc.roadmap.memo(("compliance", svc.snapshots.version, as_of), compute)


def _listing(kind: str, template: str, **extra: Any) -> Response:
    catalogue = services().snapshots.get()
    args = {k: v for k, v in request.args.to_dict().items() if v != ""}
    error = None
    try:
        filters = parse_filters(kind, args, catalogue, ignore=("lang",))
        page, per_page = parse_paging(args, 500, default=PER_PAGE)
    except QueryError as exc:
        error, filters, page, per_page = exc.message, {}, 1, PER_PAGE
    items = select(kind, filters, catalogue)
    pages = max(1, -(-len(items) // per_page))
    return _page(template, status=400 if error else 200, catalogue=catalogue,
                 items=paginate(items, page, per_page), total=len(items), page=page,
                 pages=pages, args=args, error=error, **extra)


@bp.get("/")
def home() -> Response:
    """Show the registry's home page."""
    catalogue = services().snapshots.get()
    counts = {s: sum(1 for r in catalogue.standards.values() if r["status"] == s)
              for s in STATUSES}
    return _page("home.html", catalogue=catalogue, counts=counts)


@bp.get("/standards")
def standards() -> Response:
    """Show the standards, with filters and search."""
    catalogue = services().snapshots.get()
    return _listing("standard", "standards.html", statuses=STATUSES, layers=LAYERS,
                    categories=catalogue.concepts.get("standard-categories", {}),
                    capabilities=catalogue.concepts.get("capabilities", {}))


@bp.get("/standards/<record_id>")
def standard(record_id: str) -> Response:
    """Show one standard."""
    svc = services()
    catalogue = svc.snapshots.get()
    if record_id not in catalogue.standards:
        abort(404)
    data = details.standard_detail(catalogue, record_id,
                                   svc.store.revisions("standard", record_id))
    as_of = page_as_of()
    return _page("standard.html", d=data, s=data["standard"], catalogue=catalogue,
                 projects=projects_for_standard(compliance_cells(as_of)[0], record_id),
                 roadmap=svc.roadmap.get(), as_of=as_of)


@bp.get("/principles")
def principles() -> Response:
    """Show the architecture principles."""
    return _listing("principle", "principles.html", sources=SOURCES)


def _detail(kind: str, record_id: str, build: Any) -> dict[str, Any]:
    """Return a record's detail view, or answer 404."""
    svc = services()
    catalogue = svc.snapshots.get()
    if record_id not in catalogue.records(kind):
        abort(404)
    return build(catalogue, record_id, svc.store.revisions(kind, record_id))


@bp.get("/principles/<record_id>")
def principle(record_id: str) -> Response:
    """Show one principle."""
    data = _detail("principle", record_id, details.principle_detail)
    return _page("principle.html", d=data, p=data["principle"])


@bp.get("/components")
def components() -> Response:
    """Show the reusable components."""
    catalogue = services().snapshots.get()
    return _listing("component", "components.html", statuses=COMPONENT_STATUSES,
                    capabilities=catalogue.concepts.get("capabilities", {}),
                    organisations=catalogue.concepts.get("organisations", {}))


@bp.get("/components/<record_id>")
def component(record_id: str) -> Response:
    """Show one component."""
    data = _detail("component", record_id, details.component_detail)
    return _page("component.html", d=data, c=data["component"])


@bp.get("/vocabularies")
def vocabularies() -> Response:
    """Show the concept schemes."""
    catalogue = services().snapshots.get()
    return _page("vocabularies.html", items=details.vocabulary_summaries(catalogue))


@bp.get("/vocabularies/<scheme>")
def vocabulary(scheme: str) -> Response:
    """Show one concept scheme."""
    catalogue = services().snapshots.get()
    if scheme not in catalogue.vocabularies:
        abort(404)
    return _page("vocabulary.html", d=details.vocabulary_detail(catalogue, scheme),
                 scheme=scheme)


@bp.get("/vocabularies/<scheme>/<concept>")
def concept(scheme: str, concept: str) -> Response:
    """Show one concept and what refers to it."""
    catalogue = services().snapshots.get()
    if catalogue.concept(scheme, concept) is None:
        abort(404)
    return _page("concept.html", d=details.concept_detail(catalogue, scheme, concept),
                 scheme=scheme, vocab=catalogue.vocabularies[scheme])
