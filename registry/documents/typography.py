"""French typography: the no-break spaces French sets around some punctuation.

French puts a space before `;`, `:`, `!` and `?` and inside guillemets « », and that
space must never let the sign start a line on its own. As the Imprimerie nationale's
rules have it: a no-break space (U+00A0) before the colon and inside « »; a narrow
no-break space (U+202F) before `;`, `!` and `?`.

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

import bisect
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


# --- a whole HTML page -------------------------------------------------------------------
# The page templates and the charts put punctuation between values ("{{ label }}: {{ n }}",
# "<code>…</code>: message", "a; b"): that punctuation is set here, on the French page as
# rendered, so that no template needs a French variant of its colons.

# Elements whose text is not French prose: code, and what is not shown as text.
_NOT_PROSE = re.compile(r"<(code|pre|kbd|samp|script|style|textarea)\b[^>]*>", re.I)
# An element in another language than French (lang="en"), with its name.
_OTHER_LANG = re.compile(r"""<([A-Za-z][A-Za-z0-9:-]*)\b[^>]*?\slang\s*=\s*["']?"""
                         r"""(?![Ff][Rr]\b)[A-Za-z][^>]*>""")
# A text between two tags with a sign in it: the only places there is work to do.
_TEXT = re.compile(r"(?<=>)[^<]*[;:!?«»][^<]*(?=<)")
_SIGN = re.compile("[;:!?«»]")
# A sign right after a word (or at the start of a text that follows an element, such as
# "<code>x</code>: …") and ending it; character references are matched first, to be kept.
_NO_SPACE = re.compile(r"&#?[A-Za-z0-9]+;|(?:(?<=[^\s\u00a0\u202f])|^)([;:!?])(?=\s|$)")


def _set_signs(match: re.Match[str]) -> str:
    sign = match.group(1)
    if sign is None:
        return match.group(0)  # &amp; and the like
    return (NBSP if sign == ":" else NNBSP) + sign


def french_text(text: str) -> str:
    """Return the text of an HTML text node (escaped) with French spaces, adding the
    ones a template left out."""
    return _NO_SPACE.sub(_set_signs, french(text))


def _element_end(html: str, name: str, start: int) -> int:
    """Return where the element whose opening tag ends at `start` closes (its nested
    namesakes counted), or the end of the page."""
    depth = 1
    for tag in re.finditer(rf"<(/?){re.escape(name)}\b[^>]*?(/?)>", html[start:]):
        if tag.group(1):
            depth -= 1
        elif not tag.group(2):
            depth += 1
        if depth == 0:
            return start + tag.start()
    return len(html)


def _left_as_is(html: str) -> list[tuple[int, int]]:
    """Return the spans (start, end) of code, scripts, form fields and other languages."""
    spans = [(m.start(), _element_end(html, m.group(1).lower(), m.end()))
             for m in _NOT_PROSE.finditer(html)]
    spans += [(m.start(), _element_end(html, m.group(1), m.end()))
              for m in _OTHER_LANG.finditer(html) if not m.group(0).endswith("/>")]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def french_html(html: str) -> str:
    """Return a French HTML page whose text follows French typography.

    Text inside code, scripts, styles and form fields is left as it is, and so is any
    element in another language (`lang="en"`) and what it holds. Only the texts with a
    sign in them are looked at, so a page costs a few scans of its bytes.
    """
    skipped = _left_as_is(html)
    starts = [start for start, _ in skipped]

    def typeset(match: re.Match[str]) -> str:
        k = bisect.bisect_right(starts, match.start()) - 1
        if k >= 0 and match.start() < skipped[k][1]:
            return match.group(0)
        return french_text(match.group(0))

    return _TEXT.sub(typeset, html)
