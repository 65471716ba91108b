"""The words of a sheet, and the similarity index that pairs projects without all pairs."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.analysis.similarity import Item, SimilarityIndex
from registry.analysis.text import fold, words

SETS = {"capabilities": 0.5, "entities": 0.5}
TEXTS = {"text": 0.5, "title": 0.25}
BLOCKING = ((("capabilities", "entities"), 4), (("text",), 4))


def item(caps: str = "", entities: str = "", **texts: str) -> Item:
    """Return an item from space-separated features and {lang: text} (title = text)."""
    return Item((frozenset(caps.split()), frozenset(entities.split())),
                {lang: (words(text), words(text)) for lang, text in texts.items()})


def index(*items: Item, **options: int) -> SimilarityIndex:
    return SimilarityIndex(items, SETS, TEXTS, BLOCKING, **options)


def test_words_are_folded_and_stripped_of_stop_words() -> None:
    assert fold("Qualité de l’AIR à Bruxelles, Straße") == "qualite de l air a bruxelles, strasse"
    assert words("La qualité de l’air — sensors, 2026, les capteurs et het net") == {
        "qualite", "air", "sensors", "capteurs", "net"}
    assert words("Regional project in Brussels") == frozenset()  # generic words only
    assert words("") == frozenset()


def test_identical_items_score_one_and_disjoint_ones_zero() -> None:
    same = item("a b", "x", en="air quality sensor network")
    other = item("c", "y", en="forms for citizens online")
    built = index(same, same, other)
    assert built.score(0, 1) == 1.0
    assert built.score(0, 2) == 0.0


def test_a_kind_neither_item_has_does_not_count() -> None:
    built = index(item("a b", "", en="air sensor"), item("a b", "", en="air sensor"))
    assert built.score(0, 1) == 1.0  # no entities on either side: not a mismatch


def test_texts_are_compared_in_a_common_language() -> None:
    french = item("a", "x", fr="réseau de capteurs de la qualité de l'air")
    both = item("a", "x", fr="réseau de capteurs de la qualité de l'air",
                nl="netwerk van luchtkwaliteitssensoren")
    english = item("a", "x", en="air quality sensor network")
    built = index(french, both, english)
    assert built.score(0, 1) == 1.0  # the Dutch text of one does not count against it
    assert built.score(0, 2) == 1.0  # no common language: the texts do not count
    match = built.match(0, 1, language="en")
    assert {"capteurs", "qualite", "air"} <= set(match.shared["text"])


def test_rare_shared_features_weigh_more() -> None:
    common = [item("web", f"e{i}", en=f"word{i} thing") for i in range(20)]
    built = index(item("web rare", "", en="x"), item("web rare", "", en="y"),
                  item("web", "other", en="z"), *common)
    assert built.score(0, 1) > built.score(0, 2)


def test_a_minimum_answers_hopeless_pairs_early_with_a_bound_below_it() -> None:
    built = index(item("a b c d", "x", en="one two three"),
                  item("a e f g", "y", en="one two three"))
    exact = built.score(0, 1)
    bound = built.score(0, 1, minimum=0.99)
    assert exact <= bound < 0.99


def test_blocking_keeps_the_work_per_key_bounded() -> None:
    # Thirty identical items: every key is shared by all, over max_postings.
    same = [item("a b c", "x y", en="air sensor network") for _ in range(30)]
    assert index(*same, max_postings=10).candidates() == set()
    assert len(index(*same, max_postings=30).candidates()) == 30 * 29 // 2


def test_the_prefix_grows_while_the_key_budget_allows() -> None:
    items = [item("a b c d e f", "u v w x", en="river bridge canal lock quay dock")] * 10
    assert index(*items, prefix=3, key_budget=0).prefix_length() == 3
    # Up to every feature blocking takes: 4 capabilities or entities and 4 words.
    assert index(*items, prefix=3, key_budget=10_000).prefix_length() == 8


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sets(st.sampled_from("abcdefgh"), max_size=4),
                          st.sets(st.sampled_from("uvwxyz"), max_size=3),
                          st.dictionaries(st.sampled_from(["en", "fr", "nl"]),
                                          st.lists(st.sampled_from(
                                              ["air", "sensor", "forms", "capteur", "bus",
                                               "data", "réseau", "qualité"]), max_size=5),
                                          max_size=3)),
                min_size=2, max_size=12))
def test_scores_are_symmetric_and_bounded(rows: list) -> None:
    items = [item(" ".join(c), " ".join(e), **{k: " ".join(v) for k, v in t.items()})
             for c, e, t in rows]
    built = index(*items)
    for i, j in built.all_pairs():
        score = built.score(i, j)
        assert 0.0 <= score <= 1.0
        assert score == pytest.approx(built.score(j, i))
        assert built.match(i, j).score == score
    assert built.candidates() <= set(built.all_pairs())


def test_the_order_of_the_items_does_not_change_scores() -> None:
    rng = random.Random(1)
    items = [item(" ".join(rng.sample("abcdefgh", 3)), " ".join(rng.sample("uvwxyz", 2)),
                  en=" ".join(rng.sample(["air", "sensor", "forms", "bus", "data"], 3)))
             for _ in range(15)]
    order = list(range(15))
    rng.shuffle(order)
    first, second = index(*items), index(*[items[k] for k in order])
    position = {k: n for n, k in enumerate(order)}
    for i, j in first.all_pairs():
        assert first.score(i, j) == second.score(position[i], position[j])


# Overlapping groups: a feature may be among an item's rarest twice (its prefix holds it
# at two positions), which the keys' multiplicities must follow.
OVERLAPPING = ((("capabilities", "entities"), 3), (("capabilities",), 2), (("text",), 3))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sets(st.sampled_from("abcdefgh"), max_size=5),
                          st.sets(st.sampled_from("uvwxyz"), max_size=3),
                          st.lists(st.sampled_from(["air", "sensor", "forms", "bus", "data",
                                                    "river", "canal"]), max_size=5)),
                min_size=2, max_size=40),
       st.integers(min_value=2, max_value=12), st.booleans())
def test_candidates_made_a_feature_at_a_time_equal_every_key_at_once(
        rows: list, cap: int, overlapping: bool) -> None:
    items = [item(" ".join(c), " ".join(e), en=" ".join(t)) for c, e, t in rows]
    built = SimilarityIndex(items, SETS, TEXTS, OVERLAPPING if overlapping else BLOCKING,
                            max_postings=cap, prefix=3, key_budget=400)
    assert built.candidates() == built.all_keys_candidates()


def test_candidates_peak_is_not_the_postings_of_every_key() -> None:
    # Many items, most keys of one member: holding the postings of every key at once
    # was most of the work's memory beyond the pairs it returns.
    import tracemalloc

    rng = random.Random(7)
    vocabulary = ["".join(rng.choices("bcdfghjklmnprstvz", k=7)) for _ in range(1500)]
    items = [item(" ".join(rng.sample("abcdefghijklmnop", 4)),
                  " ".join(rng.sample("qrstuvwxyz", 3)),
                  en=" ".join(rng.sample(vocabulary, 8))) for _ in range(1500)]
    built = index(*items, prefix=8, key_budget=10**6, max_postings=8)

    def working_set(method: str) -> tuple[set[tuple[int, int]], int]:
        # The peak beyond what the call returns (the pairs, held when it ends).
        tracemalloc.start()
        try:
            found = getattr(built, method)()
            held, peak = tracemalloc.get_traced_memory()
            return found, peak - held
        finally:
            tracemalloc.stop()

    reference, every_key = working_set("all_keys_candidates")
    found, one_at_a_time = working_set("candidates")
    assert found == reference and len(found) > 1000
    assert one_at_a_time < every_key / 4, (one_at_a_time, every_key)


@pytest.mark.parametrize("prefixes", [[(1, 2, 2), (3, 5, 7)], [(1, 1, 2), (3, 5, 7)],
                                      [(1, 2, 4), (1, 2, 4), (2, 2, 4)]])
def test_candidates_follow_a_feature_held_twice_in_a_prefix(prefixes: list) -> None:
    # Overlapping blocking groups can put one feature in an item's prefix twice (found
    # by the property test above): a key then has that item twice, as every key's
    # postings at once had it. The prefixes are set by hand to hold that case.
    built = index(*[item("a", "x", en="air")] * len(prefixes), prefix=3, key_budget=0)
    built._prefix = prefixes
    assert built.candidates() == built.all_keys_candidates()
