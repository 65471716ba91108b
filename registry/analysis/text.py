"""Words of multilingual titles and summaries, for comparing projects across en, fr and nl."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Short lists on purpose: the analysis weighs every word by its rarity in the roadmap
# (inverse document frequency), so frequent words matter little anyway. These lists only
# keep the grammatical words that would otherwise pair projects on nothing. Accents are
# already folded (the lists are compared after `fold`).
STOP_WORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset(["about", "above", "after", "again", "all", "also", "and", "any", "are", "because", "been", "before", "being", "between", "both", "but", "can", "could", "does", "each", "for", "from", "further", "had", "has", "have", "having", "her", "here", "his", "how", "into", "its", "itself", "more", "most", "not", "now", "off", "once", "only", "other", "our", "out", "over", "own", "same", "she", "should", "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "too", "under", "until", "very", "was", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "within", "without", "would", "you", "your", "per", "via", "new", "use", "used", "uses", "using", "one", "two", "three", "well", "make", "makes", "made"]),
    "fr": frozenset(["aux", "avec", "ces", "cet", "cette", "ceux", "chaque", "comme", "dans", "des", "donc", "dont", "elle", "elles", "entre", "est", "et", "etre", "leur", "leurs", "lors", "mais", "meme", "nos", "notre", "nous", "ont", "par", "pas", "peut", "plus", "pour", "qui", "que", "quel", "quelle", "quelles", "quels", "sans", "ses", "son", "sont", "sous", "sur", "tous", "tout", "toute", "toutes", "une", "vers", "via", "ainsi", "afin", "aussi", "apres", "avant", "ici", "les", "une", "deux", "trois", "celle", "celles", "celui", "ete", "fait", "faire", "sera", "seront", "deja", "encore", "tres"]),
    "nl": frozenset(["aan", "als", "bij", "dan", "dat", "deze", "die", "dit", "door", "een", "eens", "en", "hem", "het", "hier", "hij", "hoe", "hun", "ook", "met", "maar", "meer", "naar", "niet", "nog", "omdat", "onder", "ons", "over", "tot", "uit", "van", "voor", "wat", "want", "was", "wel", "werd", "wie", "wij", "zal", "zich", "zij", "zijn", "zoals", "zodat", "worden", "wordt", "binnen", "tussen", "via", "alle", "elke", "twee", "drie", "andere", "onze", "hebben", "heeft", "kan", "kunnen", "moet", "moeten", "nieuwe"]),
}

# Words every Brussels project sheet tends to say; left out so that two projects are
# not paired for being "regional" or "in Brussels".
GENERIC_WORDS: frozenset[str] = frozenset(["brussels", "bruxelles", "brussel", "brusselse", "bruxellois", "bruxelloise", "region", "regional", "regionale", "regionaux", "gewest", "gewestelijk", "gewestelijke", "project", "projet", "projects", "projets"])

ALL_STOP_WORDS: frozenset[str] = frozenset().union(*STOP_WORDS.values(), GENERIC_WORDS)

MIN_LENGTH = 3
_WORD = re.compile(r"[^\W\d_]+")  # runs of letters in any script; digits split words
_MARKS = re.compile(r"[\u0300-\u036f]")  # combining accents left by NFKD decomposition


def fold(text: str) -> str:
    """Return text lower-cased with its accents removed (é -> e, ï -> i, ß -> ss)."""
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    # A light plural fold shared by en, fr and nl ("sensors"/"sensor", "capteurs"/"capteur");
    # applied to both sides of every comparison, so a wrong cut costs nothing.
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> frozenset[str]:
    """Return the distinct content words of a text: folded, 3+ letters, no stop words."""
    return frozenset(
        _stem(w) for w in _WORD.findall(fold(text))
        if len(w) >= MIN_LENGTH and w not in ALL_STOP_WORDS
    )


def words_by_language(*texts: object) -> dict[str, frozenset[str]]:
    """Return the content words of multilingual texts ({lang: text}), merged per language.

    Values that are not mappings of strings are ignored: the caller decides whether
    that makes the record unusable.
    """
    merged: dict[str, set[str]] = {}
    for text in texts:
        if not isinstance(text, Mapping):
            continue
        for lang, value in text.items():
            if isinstance(lang, str) and isinstance(value, str):
                merged.setdefault(lang, set()).update(words(value))
    return {lang: frozenset(ws) for lang, ws in sorted(merged.items()) if ws}
