"""The language of a free text a project's lead wrote, guessed from its small words.

A sheet's declaration notes, phase names and a revision's message are free text: the
sheet format gives them no language (a multilingual field such as `title` has one per
key). A page must still tell a screen reader what language a text is in (WCAG 3.1.2), so
the text is marked with the language whose function words it uses most, among English,
French and Dutch, and only when that is clear: more of them than of any other language's. A text with too few of them ("Regional roll-out") gets no mark,
and is read in the page's language.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _words(text: str) -> list[str]:
    return text.split()


# Function words that belong to one language only (not "in", "is", "de", "a", "van"...).
WORDS = {
    "en": frozenset(_words("the and to with which this that from have has are not for been "
                    "would should their there what when where your you into each also must "
                    "than will can does its it be by on as or an were once after before "
                    "until no")),
    "fr": frozenset(_words("le la les des du et est sont une un pour avec dans sur qui que ne pas "
                    "au aux ce cette ses leur par être été ou où mais donc plus lors depuis "
                    "avant après jusqu")),
    "nl": frozenset(_words("het en van een voor met zijn wordt worden niet dat die dit op aan bij "
                    "ook als naar uit tot hun ze er nog wel na vanaf om")),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
LEAST = 1


@lru_cache(maxsize=4096)
def guess(text: str) -> str | None:
    """Return "en", "fr" or "nl" when a text clearly uses that language's words, else None."""
    words = [w.lower() for w in _WORD.findall(text)]
    # French elisions ("l'explication", "d'abord") count as the article they stand for.
    counts = {lang: sum(1 for w in words if w in vocabulary)
              for lang, vocabulary in WORDS.items()}
    counts["fr"] += sum(1 for w in re.findall(r"\b[ldjnqs]['’]", text.lower()))
    best = max(counts, key=lambda lang: counts[lang])
    ordered = sorted(counts.values(), reverse=True)
    if ordered[0] >= LEAST and ordered[0] > ordered[1]:
        return best
    return None
