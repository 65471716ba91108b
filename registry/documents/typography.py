"""French typography: the no-break spaces French sets around some punctuation.

French puts a space before `;`, `:`, `!` and `?` and inside guillemets « », and that
space must never let the sign start a line on its own. As the Imprimerie nationale's
rules have it (and the Brussels administration writes): a no-break space (U+00A0) before
the colon and inside « »; a narrow no-break space (U+202F) before `;`, `!` and `?`.

Translators type ordinary spaces in the .po files, and the catalogue's records were
written the same way: `french()` sets the right space when a French text is read (the
fr catalogue at start, a record's French text when a page shows it), so no template has
to carry invisible characters and none can be forgotten. Only a space already there is
changed (and a guillemet gets one if it lacks it): `?lang=fr` or `https://` are left
as they are. A template of punctuation alone, which has nothing to translate
(`“{title}” ({organisation})`, `{p0}; {p1}`), gets the language's signs from
`punctuated()`: French quotes a title with « » and spaces `;`.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"
# Any run of spaces (ordinary or not) before the sign, as typed, when the sign ends a
# word (then a space, the end, or a closing sign follow): ` ?lang=fr` is a query string.
_END = r"(?=[\s»)\]<\"']|$)"
_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]+:" + _END)
_BEFORE_OTHERS = re.compile(r"[ \u00a0\u202f]+([;!?])" + _END)
_AFTER_OPENING = re.compile(r"«[ \u00a0\u202f]*")
_BEFORE_CLOSING = re.compile(r"[ \u00a0\u202f]*»")


def french(text: str) -> str:
    """Return a French text with the no-break spaces French typography requires."""
    if not any(sign in text for sign in ";:!?«»"):
        return text  # most labels: nothing to do, at the cost of a few `in` tests
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _BEFORE_OTHERS.sub(NNBSP + r"\1", text)
    text = _AFTER_OPENING.sub("«" + NBSP, text)
    return _BEFORE_CLOSING.sub(NBSP + "»", text)


_AFTER_PLACEHOLDER = re.compile(r"\}(?=[;:!?])")


def punctuated(template: str, lang: str) -> str:
    """Return a template of placeholders and punctuation with the signs of a language."""
    if lang != "fr":
        return template
    quoted = template.replace("\u201c", "«").replace("\u201d", "»")
    return french(_AFTER_PLACEHOLDER.sub("} ", quoted))
