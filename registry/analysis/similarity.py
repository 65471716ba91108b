"""Find similar items without comparing all pairs: rare-feature blocking, weighted Jaccard.

An item is a set of features of several kinds (capabilities, data entities, domains) plus
its words per language. Every feature weighs its inverse document frequency, so a
capability that half the roadmap needs counts for little and a rare one for much.

Blocking (prefix filtering, as in similarity joins): order all features by rarity and
index each item under pairs of its `prefix` rarest features that at least one other item
has. Two items become candidates only when they share such a pair: two projects that
look alike share several rare features, so they meet under at least one key, while the
features everybody has never form a key that many items share (keys shared by more than
`max_postings` items are dropped, which bounds the work per key). The cost is
O(items x prefix^2) plus the candidates, instead of O(items^2).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Item:
    """The features of one item: sets by kind, and texts (words by language) by kind."""

    features: Mapping[str, frozenset[str]]
    texts: Mapping[str, Mapping[str, frozenset[str]]]


@dataclass(frozen=True)
class Match:
    """A scored pair of items and the features they share, by kind, rarest first."""

    first: int
    second: int
    score: float
    shared: Mapping[str, tuple[str, ...]]


class SimilarityIndex:
    """An inverted index over items that yields candidate pairs and scores them.

    `weights` names every kind that counts, set kinds and text kinds alike; a kind that
    neither item has (no data entities on either side) is left out of both the sum and
    the weights, so it neither raises nor lowers the score.
    """

    def __init__(
        self,
        items: Sequence[Item],
        weights: Mapping[str, float],
        blocking: Sequence[tuple[Sequence[str], int]],
        max_postings: int = 50,
        key_size: int = 2,
    ) -> None:
        self.weights = dict(weights)
        self.size = len(items)
        self.blocking = [(tuple(kinds), count) for kinds, count in blocking]
        self.max_postings = max_postings
        self.key_size = key_size
        text_kinds = sorted({k for item in items for k in item.texts} & self.weights.keys())
        set_kinds = sorted(self.weights.keys() - set(text_kinds))
        group_of = {kind: g for g, (kinds, _) in enumerate(self.blocking) for kind in kinds}

        # Document frequency per kind; a word counts once per item whatever the language.
        df: dict[str, Counter[str]] = {kind: Counter() for kind in [*set_kinds, *text_kinds]}
        for item in items:
            for kind in set_kinds:
                df[kind].update(item.features.get(kind, ()))
            for kind in text_kinds:
                by_lang = item.texts.get(kind)
                if by_lang:
                    df[kind].update(frozenset().union(*by_lang.values()))

        # Number features from the rarest to the most common, ties by kind and name, so
        # that "the rarest features of an item" is a sorted prefix of its ids and the
        # numbering does not depend on the order of the input.
        ordered = sorted((count, kind, name) for kind, counter in df.items()
                         for name, count in counter.items())
        self.names: list[tuple[str, str]] = [(kind, name) for _, kind, name in ordered]
        self.idf: list[float] = [math.log1p(self.size / count) for count, _, _ in ordered]
        self._first_shared = bisect_left(ordered, (2, "", ""))  # ids below: only one item
        ids: dict[str, dict[str, int]] = {kind: {} for kind in df}
        for number, (kind, name) in enumerate(self.names):
            ids[kind][name] = number
        del ordered

        # Per item: each kind as a sorted tuple of ids with its total weight (per language
        # for texts), and the blocking features as one sorted tuple. Tuples are much
        # smaller than sets, which matters at 100,000 items.
        Encoded = dict[str, tuple[tuple[int, ...], float]]
        self._sets: list[Encoded] = []
        self._texts: list[dict[str, Encoded]] = []
        self._block: list[tuple[tuple[int, ...], ...]] = []
        for item in items:
            sets: Encoded = {}
            block: list[set[int]] = [set() for _ in self.blocking]
            for kind in set_kinds:
                values = item.features.get(kind)
                if values:
                    numbers = tuple(sorted(ids[kind][v] for v in values))
                    sets[kind] = (numbers, self._weight(numbers))
                    if kind in group_of:
                        block[group_of[kind]].update(numbers)
            texts: dict[str, Encoded] = {}
            for kind in text_kinds:
                by_lang: Encoded = {}
                for lang, values in sorted((item.texts.get(kind) or {}).items()):
                    if values:
                        numbers = tuple(sorted(ids[kind][v] for v in values))
                        by_lang[lang] = (numbers, self._weight(numbers))
                        if kind in group_of:
                            block[group_of[kind]].update(numbers)
                if by_lang:
                    texts[kind] = by_lang
            self._sets.append(sets)
            self._texts.append(texts)
            self._block.append(tuple(tuple(sorted(b)) for b in block))

    def _weight(self, numbers: Iterable[int]) -> float:
        idf = self.idf
        return sum(idf[n] for n in numbers)  # callers pass sorted ids: same float sums

    def candidates(self) -> list[tuple[int, int]]:
        """Return the candidate pairs (i < j), sorted, from shared keys of rare features."""
        postings: dict[tuple[int, ...], list[int]] = {}
        first = self._first_shared
        for number, groups in enumerate(self._block):
            rare: list[int] = []
            for features, (_, count) in zip(groups, self.blocking, strict=True):
                start = bisect_left(features, first)
                rare.extend(features[start:start + count])
            if len(rare) < self.key_size:
                continue
            for key in combinations(sorted(rare), self.key_size):
                postings.setdefault(key, []).append(number)
        pairs: set[tuple[int, int]] = set()
        for members in postings.values():
            if 2 <= len(members) <= self.max_postings:
                pairs.update(combinations(members, 2))  # members are in ascending order
        return sorted(pairs)

    def all_pairs(self) -> Iterator[tuple[int, int]]:
        """Yield every pair (i < j): the naive baseline, for tests and benchmarks only."""
        return combinations(range(self.size), 2)

    def score(self, first: int, second: int) -> Match:
        """Return the weighted Jaccard similarity of two items and what they share."""
        idf = self.idf
        total = 0.0
        weight_sum = 0.0
        shared: dict[str, set[int]] = {}
        a, b = self._sets[first], self._sets[second]
        for kind in sorted(a.keys() | b.keys()):  # a fixed order gives the same float sums
            weight = self.weights[kind]
            weight_sum += weight
            if kind in a and kind in b:
                common = sorted(set(a[kind][0]).intersection(b[kind][0]))
                if common:
                    inter = sum(idf[n] for n in common)
                    total += weight * inter / (a[kind][1] + b[kind][1] - inter)
                    shared[kind] = set(common)
        ta, tb = self._texts[first], self._texts[second]
        for kind in sorted(ta.keys() & tb.keys()):
            langs = sorted(ta[kind].keys() & tb[kind].keys())
            if not langs:
                continue  # nothing written in a common language: no evidence either way
            # The best language both items are written in: a French-only summary is not
            # penalised for lacking the Dutch words of the other one.
            best = 0.0
            words: set[int] = set()
            for lang in langs:
                (na, wa), (nb, wb) = ta[kind][lang], tb[kind][lang]
                common = sorted(set(na).intersection(nb))
                if common:
                    inter = sum(idf[n] for n in common)
                    best = max(best, inter / (wa + wb - inter))
                    words.update(common)
            weight = self.weights[kind]
            weight_sum += weight
            total += weight * best
            if words:
                shared[kind] = words
        score = total / weight_sum if weight_sum else 0.0
        names = self.names
        return Match(first, second, min(1.0, max(0.0, score)), {
            kind: tuple(names[n][1] for n in sorted(numbers, key=lambda n: (-idf[n], n)))
            for kind, numbers in sorted(shared.items())
        })

    def shared_count(self, first: int, second: int) -> int:
        """Return how many blocking features two items share."""
        return sum(len(set(a).intersection(b))
                   for a, b in zip(self._block[first], self._block[second], strict=True))
