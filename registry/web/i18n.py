"""Interface languages: gettext catalogues (.po) for en, fr and nl, read at start.

The .po files under registry/translations/ are the source; they are read with Babel
at start-up, so no compiled .mo file is generated or committed. Templates use the
standard Jinja i18n calls: {{ _('Standards') }}, {{ ngettext('%(num)d standard',
'%(num)d standards', n) }}. API and CLI messages stay English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from flask import Flask, has_request_context

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
LANGUAGES = ("en", "fr", "nl")


@cache
def catalogue(lang: str) -> dict[Any, str]:
    """Return msgid -> translation for a language (empty for English, the source)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not path.is_file():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=lang)
    out: dict[Any, str] = {}
    for message in messages:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple):  # plural forms: (singular, plural) -> forms
            out[message.id] = message.string  # type: ignore[assignment]
        else:
            out[message.id] = message.string
    return out


def current() -> str:
    """Return the language of the current request (English outside a request)."""
    if not has_request_context():
        return "en"
    from registry.web.pages import current_lang

    return current_lang()


def gettext(message: str, **variables: Any) -> str:
    """Translate a message into the request's language, falling back to English."""
    text = catalogue(current()).get(message) or message
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Translate a message with a singular and a plural form."""
    variables.setdefault("num", num)
    forms = catalogue(current()).get((singular, plural))  # type: ignore[call-overload]
    if forms and all(forms):
        # French and Dutch both use the singular for 1 only (fr also for 0).
        one = num == 1 or (num == 0 and current() == "fr")
        text = forms[0] if one else forms[1]
    else:
        text = singular if num == 1 else plural
    return text % variables


def init_app(app: Flask) -> None:
    """Make _(), gettext and ngettext available in templates."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
