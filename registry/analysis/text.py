"""Words of multilingual titles and summaries, for comparing projects across en, fr and nl."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# Short lists on purpose: the analysis weighs every word by its rarity in the roadmap
# (inverse document frequency), so frequent words matter little anyway. These lists only
# keep the grammatical words that would otherwise pair projects on nothing. Accents are
# already folded (the lists are compared after `fold`).
STOP_WORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset([
        "about", "above", "after", "again", "all", "also", "and", "any", "are",
        "because", "been", "before", "being", "between", "both", "but", "can", "could",
        "does", "each", "for", "from", "further", "had", "has", "have", "having", "her",
        "here", "his", "how", "into", "its", "itself", "made", "make", "makes", "more",
        "most", "new", "not", "now", "off", "once", "one", "only", "other", "our",
        "out", "over", "own", "per", "same", "she", "should", "some", "such", "than",
        "that", "the", "their", "them", "then", "there", "these", "they", "this",
        "those", "three", "through", "too", "two", "under", "until", "use", "used",
        "uses", "using", "very", "via", "was", "well", "were", "what", "when", "where",
        "which", "while", "who", "whom", "why", "will", "with", "within", "without",
        "would", "you", "your"
    ]),
    "fr": frozenset([
        "afin", "ainsi", "apres", "aussi", "aux", "avant", "avec", "celle", "celles",
        "celui", "ces", "cet", "cette", "ceux", "chaque", "comme", "dans", "deja",
        "des", "deux", "donc", "dont", "elle", "elles", "encore", "entre", "est", "ete",
        "etre", "faire", "fait", "ici", "les", "leur", "leurs", "lors", "mais", "meme",
        "nos", "notre", "nous", "ont", "par", "pas", "peut", "plus", "pour", "que",
        "quel", "quelle", "quelles", "quels", "qui", "sans", "sera", "seront", "ses",
        "son", "sont", "sous", "sur", "tous", "tout", "toute", "toutes", "tres",
        "trois", "une", "vers", "via"
    ]),
    "nl": frozenset([
        "aan", "alle", "als", "andere", "bij", "binnen", "dan", "dat", "deze", "die",
        "dit", "door", "drie", "een", "eens", "elke", "hebben", "heeft", "hem", "het",
        "hier", "hij", "hoe", "hun", "kan", "kunnen", "maar", "meer", "met", "moet",
        "moeten", "naar", "niet", "nieuwe", "nog", "omdat", "onder", "ons", "onze",
        "ook", "over", "tot", "tussen", "twee", "uit", "van", "via", "voor", "want",
        "was", "wat", "wel", "werd", "wie", "wij", "worden", "wordt", "zal", "zich",
        "zij", "zijn", "zoals", "zodat"
    ]),
}

# Words every Brussels project sheet tends to say; left out so that two projects are
# not paired for being "regional" or "in Brussels".
GENERIC_WORDS: frozenset[str] = frozenset([
    "brussel", "brussels", "brusselse", "bruxelles", "bruxellois", "bruxelloise",
    "gewest", "gewestelijk", "gewestelijke", "project", "projects", "projet", "projets",
    "region", "regional", "regionale", "regionaux"
])

ALL_STOP_WORDS: frozenset[str] = frozenset().union(*STOP_WORDS.values(), GENERIC_WORDS)

MIN_LENGTH = 3
# Runs of 3 or more letters; digits and punctuation split words. Folded text is nearly
# always plain ASCII, where the ASCII pattern is twice as fast as the Unicode one.
_WORD = re.compile(rf"[^\W\d_]{{{MIN_LENGTH},}}")
_ASCII_WORD = re.compile(rf"[a-z]{{{MIN_LENGTH},}}")
_MARKS = re.compile(r"[\u0300-\u036f]")  # combining accents left by NFKD decomposition
# Typographic punctuation of French and Dutch texts, so that they fold to ASCII too.
_PUNCTUATION = str.maketrans({c: " " for c in "\u00a0\u00ab\u00bb\u2013\u2014\u2018"
                                               "\u2019\u201c\u201d\u2026\u2022\u00b7"
                                               "\u20ac\u00b0\u202f"})


def fold(text: str) -> str:
    """Return text lower-cased with its accents removed (é -> e, ï -> i, ß -> ss)."""
    text = text.casefold()
    if text.isascii():
        return text  # nothing to decompose: most English text, and cheap to check
    text = unicodedata.normalize("NFKD", text).translate(_PUNCTUATION)
    return _MARKS.sub("", text)


def words(text: str) -> frozenset[str]:
    """Return the distinct content words of a text: folded, 3+ letters, no stop words."""
    if text.isascii():  # most English text: nothing to fold but the case
        found = _ASCII_WORD.findall(text.lower())
    else:
        folded = fold(text)
        found = (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)
    # No stemming: "sensor" and "sensors" differ. A plural fold was tried; it cost 40% of
    # the time of this, the hot loop of the overlap analysis, for little: sheets that
    # look alike share their key words in the same form.
    return frozenset(found).difference(ALL_STOP_WORDS)


def words_by_language(*texts: object) -> dict[str, frozenset[str]]:
    """Return the content words of multilingual texts ({lang: text}), merged per language.

    Values that are not mappings of strings are ignored: the caller decides whether
    that makes the record unusable.
    """
    merged: dict[str, frozenset[str]] = {}
    for text in texts:
        if type(text) is not dict and not isinstance(text, Mapping):  # the ABC check is slow
            continue
        for lang, value in text.items():
            if isinstance(lang, str) and isinstance(value, str):
                found = words(value)
                if found:
                    merged[lang] = merged[lang] | found if lang in merged else found
    return merged
