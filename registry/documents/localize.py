"""Messages in the reader's language: the gettext catalogues and the rendering of templates.

The catalogues are the .po files under registry/translations/ (read with Babel at first
use; no compiled .mo). The web pages read them through registry.web.shared.i18n; this
module holds what needs no request, so that findings, reuse explanations and error
messages can be put into French or Dutch wherever they are shown.

English is the source: a template, its parameters and `str()` give the English text the
API and the CLI always gave. In another language a template without a translation is
answered in English as a whole (never half translated), and the caller is told so, to
mark it `lang="en"`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.lists import format_list
from babel.messages.pofile import read_po

from registry.documents.findings import Finding, Listing, Term, Text
from registry.documents.typography import french, punctuated

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
LANGUAGES = ("en", "fr", "nl")


@cache
def catalogue(lang: str) -> dict[Any, Any]:
    """Return msgid -> translation for a language (empty for English, the source)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not path.is_file():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=lang)
    out: dict[Any, Any] = {}
    for message in messages:
        if not message.id or not message.string or message.fuzzy:
            continue
        # plural forms map (singular, plural) to their forms, other messages to a string
        string: Any = message.string
        if lang == "fr":  # its no-break spaces, set once here for every template
            string = (french(string) if isinstance(string, str)
                      else tuple(french(s) for s in string))
        out[message.id] = string
    return out


class Untranslated(LookupError):
    """A template (or a piece of one) has no translation in the language asked."""


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def needs_translation(template: str) -> bool:
    """Return True when a template has words of its own ("{item} {number}" has none)."""
    return any(c.isalpha() for c in _PLACEHOLDER.sub("", template))


def _render(value: Any, lang: str) -> str:
    if isinstance(value, Text):
        template: str | None
        if lang == "en":
            template = value.template
        elif not needs_translation(value.template):
            template = punctuated(value.template, lang)
        else:
            template = catalogue(lang).get(value.template)
        if template is None:
            raise Untranslated(value.template)
        return str(template.format_map({k: _render(v, lang) for k, v in value.params.items()}))
    if isinstance(value, Listing):
        if lang == "en":
            return str(value)
        items = [_render(i, lang) for i in value.items]
        return format_list(items, style="standard" if value.word == "and" else "or",
                           locale=lang)
    if isinstance(value, Term):
        return value.in_(lang)
    return str(value)


@dataclass(frozen=True, slots=True)
class Localized:
    """A text in the language it could be given in (`lang`: the asked one, or English)."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text


def render(value: Any, lang: str) -> Localized:
    """Return a Text (or a Listing, or any value) in a language, or in English if it lacks one."""
    if lang not in LANGUAGES or lang == "en":
        return Localized(str(value), "en")
    try:
        return Localized(_render(value, lang), lang)
    except Untranslated:
        return Localized(str(value), "en")


def translate(template: str, lang: str, params: Mapping[str, Any] | None = None) -> Localized:
    """Return a template filled with its parameters in a language (English as a fallback)."""
    return render(Text(template, **dict(params or {})), lang)


@dataclass(frozen=True, slots=True)
class LocalizedFinding:
    """A finding's message and hint in a language (each with the language it is in)."""

    message: Localized
    hint: Localized | None


def localize(finding: Finding, lang: str) -> LocalizedFinding:
    """Return a finding's message and hint in a language, English where it has none."""
    params = finding.params or {}
    if finding.template is not None:
        message = translate(finding.template, lang, params)
    else:
        message = Localized(finding.message, "en")
    hint: Localized | None = None
    if finding.hint is not None:
        hint = (translate(finding.hint_template, lang, params)
                if finding.hint_template is not None else Localized(finding.hint, "en"))
    return LocalizedFinding(message, hint)
