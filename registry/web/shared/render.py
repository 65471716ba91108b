"""HTML pages: rendering in the page language, the template helpers, pages' own errors."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from flask import Flask, Response, render_template, request
from markupsafe import Markup, escape

from registry.analysis.compliance import STATES
from registry.catalogue.query import QueryError, page_count, parse_paging
from registry.catalogue.snapshot import localized
from registry.errors import RegistryError
from registry.svg.style import STYLES, status_style
from registry.web.shared.context import services
from registry.web.shared.errors import ApiError
from registry.web.shared.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    current_lang,
    gettext,
    typeset,
)
from registry.web.shared.params import parse_as_of
from registry.web.shared.terms import language_name, layer_word, meaning, term

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def init_app(app: Flask) -> None:
    """Register the template helpers."""
    # Globals, not context: the macros of _macros.html, imported without context, use them.
    app.jinja_env.globals.update(term=term, meaning=meaning, language_name=language_name,
                                 status_glyph=lambda name: status_style(name).glyph)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        lang = current_lang() if request else "en"

        def t(text: Any) -> Markup:
            """Show multilingual content in the page language, marking a fallback."""
            value, used = localized(text, lang)
            if used == lang or not value:
                return Markup.escape(value)
            marker = gettext("in %(language)s", language=language_name(used))
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

        def quantity(value: Any, unit: Any = None) -> str:
            """Return a measured value with its unit: an amount in euros as money, any
            other number the page language's way, then its unit; "–" without a value."""
            if value is None:
                return "\u2013"
            if not isinstance(value, int | float) or isinstance(value, bool):
                return f"{value} {unit or ''}".strip()
            if str(unit or "").strip().upper() in ("EUR", "\u20ac"):
                return money(value)
            return f"{number(value)} {unit or ''}".strip()

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

        def dates_kept(text: Any) -> Markup:
            """Return text whose ISO dates are <time> elements, so none breaks at a hyphen."""
            return Markup(ISO_DATE.sub(
                lambda m: str(Markup('<time datetime="{0}">{0}</time>').format(m.group(0))),
                str(escape(text))))

        return {"lang": lang, "t": t, "lt": lt, "number": number, "percent": percent,
                "money": money, "quantity": quantity, "day": day, "dates_kept": dates_kept, "langs": LANGUAGES,
                "lang_names": LANGUAGE_NAMES, "url_lang": url_lang,
                "concept_label": _concept_label(lang), "concept_options": concept_options,
                "pairs": lambda values: [(v, term(v)) for v in values],
                # the EIF layers' names, the compliance states and how they are drawn
                "layer_word": layer_word, "state_styles": STYLES, "compliance_states": STATES}


def _concept_label(lang: str) -> Any:
    def label(scheme: str, concept_id: str) -> str:
        concept = services().snapshots.get().concept(scheme, concept_id)
        return localized(concept.label, lang)[0] if concept else concept_id
    return label


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a page in the request's language."""
    html = typeset(render_template(template, **context))
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Language"] = current_lang()
    return response


def snapshot_page(view: Callable[..., Response], also: Callable[[], Any] | None = None
                  ) -> Callable[..., Response]:
    """Memoise a page of the roadmap on the request's snapshot (path, query, language).

    Such a page is a function of the snapshot and of what the request asks (and of
    `also()`, when given: what else may move within one snapshot), so a warm request
    costs a lookup; the copy dies with the snapshot (a write makes the next one).
    """
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        snapshot = services().readmodel.current()
        key = ("page", request.path, request.query_string, current_lang(),
               also() if also else None)
        status, html = snapshot.memo(key, lambda: _body(view(*args, **kwargs)))
        response = Response(html, status=status, mimetype="text/html")
        response.headers["Vary"] = "Accept-Language"
        response.headers["Content-Language"] = current_lang()
        return response

    return wrapper


def _body(response: Response) -> tuple[int, bytes]:
    return response.status_code, response.get_data()


def page_error(status: int, message: str) -> RegistryError:
    """Return a page's own error, its message written in the page language."""
    return RegistryError(status, message, lang=current_lang())


def chart_page(args: Mapping[str, str]) -> int:
    """Return the page a chart of fixed page size asks for (?page=N); a bad one is a 400.

    The message is the core's, in English, as for the API's paging.
    """
    try:
        number, _unused = parse_paging({"page": args.get("page", "")}, 1, default=1)
    except QueryError as exc:
        raise ApiError(400, exc.message) from None
    return number


def chart_pages(number: int, total: int, per_page: int) -> int:
    """Return how many pages a chart of `total` rows has; a page beyond them is a 400 page."""
    pages = page_count(total, per_page)
    if number > pages:
        raise page_error(400, gettext("page must be from 1 to %(pages)d", pages=pages))
    return pages


def page_as_of() -> datetime.date:
    """Return the page's date: ?as_of=YYYY-MM-DD, else today; a bad date is a 400 page.

    The same parser as the API's (`parse_as_of`), so pages and API accept the same dates;
    only the message is the page's, in the page language.
    """
    raw = request.args.get("as_of")
    try:
        return parse_as_of(raw)
    except RegistryError:
        message = "as_of=%(value)s is not a date: write it as YYYY-MM-DD"
        raise page_error(400, gettext(message, value=repr(raw))) from None
