"""A project's contribution to the totals, held as two tuples (memory)."""

from __future__ import annotations

from collections import Counter

from registry.readmodel.derived import Contribution


def test_a_contribution_reads_and_adds_like_the_counter_it_was_made_from():
    counts = Counter({"projects": 1, ("status", "planned"): 1, ("cells", "complies"): 3,
                      "lapsed": 0, ("trend-projects", 4): 1})
    made = Contribution(counts)
    assert list(made) == ["projects", ("status", "planned"), ("cells", "complies"),
                          ("trend-projects", 4)]  # zero counts dropped, order kept
    assert made[("cells", "complies")] == 3
    assert made["lapsed"] == 0 and "lapsed" not in made  # a missing key counts 0
    assert made.get("lapsing") is None and made.get("projects") == 1
    assert made == Contribution(+counts) and made != Contribution({"projects": 2})
    totals: Counter = Counter()
    totals.update(made)  # empty: dict.update through keys() and lookups
    totals.update(made)  # not empty: through items()
    totals.subtract(made)
    assert list(totals.items()) == list((+counts).items())


def test_a_contribution_shares_its_keys_with_the_totals():
    first = Contribution({"projects": 1, ("owner", "org-a"): 1})
    second = Contribution(Counter({"projects": 1, ("owner", "org-" + "a"): 2}))
    assert first._keys[1] is second._keys[1]  # one key object for every project
