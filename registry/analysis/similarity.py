"""Find similar items without comparing all pairs: rare-feature blocking, weighted Jaccard.

An item has sets of features of several kinds (capabilities, data entities, domains) and
texts, the content words of each language, of several kinds (title and summary, title).
Every feature weighs its inverse document frequency, log(1 + items / items having it),
so a capability that half of the roadmap needs counts for little and a rare one for
much. The score of two items is the weighted mean, over the kinds either of them has, of
the weighted Jaccard similarity of that kind (shared weight over the weight of either);
texts are compared in the one language both are written in most.

Blocking (prefix filtering, as in similarity joins):
1. Order all features by rarity. Each item takes, per blocking group, its few rarest
   features that at least one other item has (its rarest capabilities and entities,
   and its rarest words), and of those its `prefix` rarest overall.
2. Every pair of those is an index key. Two items that look alike share several rare
   features, so they meet under at least one key; two that only share a common
   capability never do.
3. A key shared by more than `max_postings` items is dropped: too common to tell items
   apart, and the work per key grows with the square of its size.
The work is O(items x prefix^2 x max_postings) whatever the data. When that is small
(under `key_budget` keys in all: a regional roadmap), the prefix grows up to every
feature taken in step 1, and the comparison is more thorough where it costs nothing.
Only the pairs that meet under a key are scored, and scoring gives up on a pair as soon
as even identical texts could not lift it to the minimum asked for.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, combinations
from typing import NamedTuple


class Item(NamedTuple):
    """The features of one item, in the order of the index's kinds.

    `sets`: one set of feature names per set kind. `texts`: per language, one set of
    words per text kind (a language the item has no text in is simply absent).
    """

    sets: Sequence[frozenset[str]]
    texts: Mapping[str, Sequence[frozenset[str]]]


@dataclass(frozen=True)
class Match:
    """A scored pair of items and the features they share, by kind, rarest first."""

    first: int
    second: int
    score: float
    shared: Mapping[str, tuple[str, ...]]


# The texts of one item, by language: (language, (word ids of each text kind)), sorted by
# language.
_Texts = tuple[tuple[str, tuple[tuple[int, ...], ...]], ...]


class SimilarityIndex:
    """An inverted index over items that yields candidate pairs and scores them.

    `set_kinds` and `text_kinds` map each kind to its weight in the score. Text kinds
    come fullest first, and each later one holds a subset of the first one's words (the
    title within title and summary). A kind that neither item has (no data entities on
    either side) is left out of the score, so it neither raises nor lowers it.

    Text kinds share one vocabulary, and a word's rarity counts the items that use it in
    any language. Two items' texts are compared in one language: of those both are
    written in, the one where the first text kind has the most words on both sides.
    Translations say the same thing, and comparing the French of one sheet with the
    French of the other is what a reader does; a French-only sheet is not penalised for
    lacking the Dutch words of the other.

    `blocking` lists groups of kinds with how many of its rarest features of that group
    each item is indexed under; a text kind in a group stands for all the item's words.
    """

    def __init__(
        self,
        items: Iterable[Item],
        set_kinds: Mapping[str, float],
        text_kinds: Mapping[str, float],
        blocking: Sequence[tuple[Sequence[str], int]],
        prefix: int = 6,
        max_postings: int = 50,
        key_budget: int = 20_000,
    ) -> None:
        self.prefix = prefix
        self.max_postings = max_postings
        self.key_budget = key_budget
        self._set_kinds = list(set_kinds)
        self._text_kinds = list(text_kinds)
        self._set_weights = tuple(float(w) for w in set_kinds.values())
        self._text_weights = tuple(float(w) for w in text_kinds.values())
        self._text_weight_sum = sum(self._text_weights)
        word_count, every_ids = self._read(items)
        self.size = len(self._texts)
        # One count per set kind over all items at once: a loop in C, not one per item.
        set_df = [Counter(chain.from_iterable(sets[k] for sets in self._sets))
                  for k in range(len(self._set_kinds))]
        self._weigh(set_df, word_count)
        groups = [([self._set_kinds.index(k) for k in kinds if k in set_kinds],
                    any(k in text_kinds for k in kinds), limit) for kinds, limit in blocking]
        set_rank, word_rank = self._rank(groups, set_df, word_count)
        del set_df, word_count
        self._prefix = self._rarest(groups, set_rank, word_rank, every_ids)

    def _read(self, items: Iterable[Item]) -> tuple[list[int], list[tuple[int, ...]]]:
        """Pass 1: keep each item's features, give every word an id, count the items per word.

        A tuple of ids is much smaller than a set of strings, for 100,000 items. Ids are
        handed out in item order and, within an item, in alphabetical order, so they never
        depend on how Python hashes strings. Set features stay the strings the caller holds
        anyway: there are only a few hundred of them. Returns the count of items per word
        id and each item's distinct word ids (for blocking).
        """
        self._word_ids: dict[str, int] = {}
        word_ids = self._word_ids
        word_count: list[int] = []  # ids are dense: a list counts 2.5x faster than a Counter
        # Totals of weights are not stored: scoring sums them for the few pairs it meets,
        # cheaper than summing them for every item of a large roadmap.
        self._sets: list[Sequence[frozenset[str]]] = []
        self._texts: list[_Texts] = []
        every_ids: list[tuple[int, ...]] = []  # each item's distinct words, for blocking
        for item in items:
            self._sets.append(item.sets)
            texts = item.texts
            languages = sorted(texts)
            # The first text kind holds every word of the others (see the class docstring).
            new = (texts[languages[0]][0].difference(word_ids) if len(languages) == 1 else
                   set().union(*[texts[lang][0].difference(word_ids) for lang in languages]))
            if new:  # (`difference` looks each word up; `- keys()` would scan them all)
                for word in sorted(new):
                    word_ids[word] = len(word_ids)
                word_count.extend([0] * len(new))
            get = word_ids.__getitem__
            by_lang = tuple([  # lists in tuple(): faster than generators here
                (sys.intern(lang),  # interned: scoring compares languages by identity
                 tuple([tuple(map(get, w)) for w in texts[lang]]))
                for lang in languages])
            self._texts.append(by_lang)
            # The item's distinct words: count each once, whatever its languages.
            ids = (by_lang[0][1][0] if len(by_lang) == 1 else
                   tuple(set().union(*[kinds[0] for _, kinds in by_lang])))
            for number in ids:
                word_count[number] += 1
            every_ids.append(ids)
        return word_count, every_ids

    def _weigh(self, set_df: list[Counter[str]], word_count: list[int]) -> None:
        """Give every feature its weight: its inverse document frequency."""
        size = self.size

        # Weights are whole numbers (idf in millionths): their sums are exact in any
        # order, so a score never depends on how a set happens to iterate.
        def idf(count: int) -> int:
            return round(math.log1p(size / count) * 1_000_000)

        self._set_weight = [{name: idf(c) for name, c in counter.items()} for counter in set_df]
        self._word_weight = [idf(c) for c in word_count]

    def _rank(self, groups: list[tuple[list[int], bool, int]], set_df: list[Counter[str]],
              word_count: list[int]) -> tuple[list[dict[str, int]], list[int]]:
        """Rank every blocking feature from the rarest to the most common.

        Ties go by kind, then name or id: the rarest features of an item are its smallest
        ranks. Returns the rank of each set feature (per kind) and of each word.
        """
        ranked_sets = sorted({k for g in groups for k in g[0]})
        entries: list[tuple[int, int, str | int]] = [
            (count, k, name) for k in ranked_sets for name, count in set_df[k].items()]
        if any(g[1] for g in groups):
            entries += [(count, len(self._set_kinds), n) for n, count in enumerate(word_count)]
        entries.sort()
        self._first_shared = bisect_left(entries, (2,))  # ranks below: only one item
        set_rank: list[dict[str, int]] = [{} for _ in self._set_kinds]
        word_rank = [0] * len(self._word_ids)
        for position, (_, k, key) in enumerate(entries):
            if k == len(self._set_kinds):
                word_rank[key] = position  # type: ignore[index]
            else:
                set_rank[k][key] = position  # type: ignore[index]
        self._rank_count = len(entries)
        return set_rank, word_rank

    def _rarest(self, groups: list[tuple[list[int], bool, int]],
                set_rank: list[dict[str, int]], word_rank: list[int],
                every_ids: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """Pass 2: each item's rarest features of each blocking group (as ranks)."""
        prefixes: list[tuple[int, ...]] = []
        first_shared = self._first_shared
        for number, sets in enumerate(self._sets):
            rare: list[int] = []
            for set_slots, words, limit in groups:
                # Ranks are distinct across kinds, and an item's words are distinct.
                ordered = list(chain.from_iterable(
                    map(set_rank[k].__getitem__, sets[k]) for k in set_slots))
                if words:
                    ordered.extend(map(word_rank.__getitem__, every_ids[number]))
                ordered.sort()
                start = bisect_left(ordered, first_shared)
                rare.extend(ordered[start:start + limit])
            every_ids[number] = ()  # free as we go
            prefixes.append(tuple(sorted(rare)))
        return prefixes

    def prefix_length(self) -> int:
        """Return how many of its rarest features each item is indexed under (in pairs)."""
        longest = max(map(len, self._prefix), default=0)
        length = min(self.prefix, longest)
        while length < longest and self.size * (length + 1) * length // 2 <= self.key_budget:
            length += 1
        return length

    def candidates(self) -> set[tuple[int, int]]:
        """Return the candidate pairs (i < j): items that share a key of rare features.

        A key is two features (a, b) at positions i < j of an item's prefix. Only the
        items having a can share a key (a, b): the keys are made one a at a time, from
        those items alone, and dropped before the next (the postings of every key at
        once held 15 MB at 10,000 projects, a transient peak the worker's heap kept).
        Each key's members are those of `all_keys_candidates`, in the same order and
        multiplicity, so the pairs are the same.
        """
        length = self.prefix_length()
        prefixes = self._prefix
        having: dict[int, list[int]] = {}  # a feature -> the items with it before their last
        for number, prefix in enumerate(prefixes):
            for a in prefix[:length - 1]:
                having.setdefault(a, []).append(number)
        pairs: set[tuple[int, int]] = set()
        cap = self.max_postings
        for a, items in having.items():
            if len(items) < 2:
                # One item, a once: a key (a, b) has two members only when b is there twice.
                head = prefixes[items[0]][:length]
                if len(set(head)) == len(head):
                    continue
            postings: dict[int, list[int]] = {}
            last = -1
            for number in items:
                if number == last:  # a twice in its prefix: both positions read below
                    continue
                last = number
                head = prefixes[number][:length]
                for i, feature in enumerate(head):
                    if feature == a:
                        for b in head[i + 1:]:
                            postings.setdefault(b, []).append(number)
            for members in postings.values():
                if 1 < len(members) <= cap:
                    pairs.update(combinations(members, 2))  # members in ascending order
        return pairs

    def all_keys_candidates(self) -> set[tuple[int, int]]:
        """Return what `candidates` returns, from the postings of every key at once (the
        reference it is tested against)."""
        length, base = self.prefix_length(), self._rank_count
        postings: dict[int, list[int]] = {}
        for number, prefix in enumerate(self._prefix):
            for a, b in combinations(prefix[:length], 2):
                postings.setdefault(a * base + b, []).append(number)
        pairs: set[tuple[int, int]] = set()
        cap = self.max_postings
        for members in postings.values():
            if 1 < len(members) <= cap:
                pairs.update(combinations(members, 2))
        return pairs

    def all_pairs(self) -> Iterator[tuple[int, int]]:
        """Yield every pair (i < j): the naive baseline, for tests and benchmarks only."""
        return combinations(range(self.size), 2)

    def score(self, first: int, second: int, minimum: float = 0.0) -> float:
        """Return the weighted Jaccard similarity of two items, from 0 to 1.

        With a `minimum`, a pair that cannot reach it may be answered early with a value
        below it (a bound, not the score): the fullest text, the costly part, is only
        compared when it can still lift the pair over the minimum.
        """
        total = weight_sum = 0.0
        for a, b, kind_weight, weights in zip(self._sets[first], self._sets[second],
                                              self._set_weights, self._set_weight,
                                              strict=True):
            if not a:
                if b:
                    weight_sum += kind_weight
                continue
            weight_sum += kind_weight
            if b:
                names = a & b
                if names:
                    named = weights.__getitem__
                    inter = sum(map(named, names))
                    total += kind_weight * inter / (sum(map(named, a)) + sum(map(named, b))
                                                    - inter)
        if minimum:
            # Even identical texts could not lift the pair over the minimum: stop here.
            # (Texts in no common language would not count at all, which scores lower.)
            texts = self._text_weight_sum
            if total + texts < minimum * (weight_sum + texts):
                return (total + texts) / (weight_sum + texts)
        best = None
        most = -1
        for lang, kinds in self._texts[first]:
            for other_lang, other_kinds in self._texts[second]:
                if lang is other_lang:  # interned: identity is equality
                    evidence = min(len(kinds[0]), len(other_kinds[0]))
                    if evidence > most:
                        best, most = (kinds, other_kinds), evidence
        if best is not None:  # else nothing in a common language: no evidence either way
            get = self._word_weight.__getitem__
            # The shortest texts first; the fullest last, and only if it can still matter.
            for index in range(len(self._text_weights) - 1, -1, -1):
                numbers, other = best[0][index], best[1][index]
                if not (numbers or other):
                    continue
                kind_weight = self._text_weights[index]
                weight_sum += kind_weight
                if index == 0 and minimum and total + kind_weight < minimum * weight_sum:
                    return (total + kind_weight) / weight_sum
                if numbers and other:
                    if len(numbers) > len(other):
                        numbers, other = other, numbers
                    common = set(numbers).intersection(other)
                    if common:
                        inter = sum(map(get, common))
                        total += kind_weight * inter / (
                            sum(map(get, numbers)) + sum(map(get, other)) - inter)
        return min(1.0, total / weight_sum) if weight_sum else 0.0

    def match(self, first: int, second: int, language: str | None = None) -> Match:
        """Return the score of two items with the features they share, rarest first.

        Shared words are those of `language` when the two share any in it (an English
        explanation should quote English words), else those of every language.
        """
        shared: dict[str, list[tuple[int, str]]] = {}
        for kind, a, b, weights in zip(self._set_kinds, self._sets[first], self._sets[second],
                                       self._set_weight, strict=True):
            if a and b and a & b:
                shared[kind] = [(-weights[n], n) for n in a & b]
        other = dict(self._texts[second])
        names, weight = self._word_names, self._word_weight
        by_kind: dict[str, dict[str, set[int]]] = {}
        for lang, kinds in self._texts[first]:
            for kind, numbers, others in zip(
                    self._text_kinds, kinds, other.get(lang, ((),) * len(kinds)), strict=True):
                common = set(numbers).intersection(others)
                if common:
                    by_kind.setdefault(kind, {})[lang] = common
        for kind, by_lang in by_kind.items():
            said = (by_lang[language] if language in by_lang
                    else set().union(*by_lang.values()))
            shared[kind] = [(-weight[n], names[n]) for n in said]
        return Match(first, second, self.score(first, second), {
            kind: tuple(name for _, name in sorted(values))
            for kind, values in sorted(shared.items())
        })

    @cached_property
    def _word_names(self) -> list[str]:
        names = [""] * len(self._word_ids)
        for word, number in self._word_ids.items():
            names[number] = word
        return names

    def shared_count(self, first: int, second: int, set_kinds: Iterable[str]) -> int:
        """Return how many features of `set_kinds` and words two items share."""
        count = 0
        for kind in set_kinds:
            slot = self._set_kinds.index(kind)
            count += len(self._sets[first][slot] & self._sets[second][slot])
        other = dict(self._texts[second])
        words: set[int] = set()
        for lang, kinds in self._texts[first]:
            if lang in other:
                words.update(set(kinds[0]).intersection(other[lang][0]))
        return count + len(words)

    def features(self) -> int:
        """Return the number of distinct features and words."""
        return sum(map(len, self._set_weight)) + len(self._word_weight)
