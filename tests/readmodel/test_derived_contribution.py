"""A project's contribution to the totals, held as two shared tuples (memory)."""

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


def test_equal_contributions_share_their_tuples():
    first = Contribution({"projects": 1, ("owner", "org-a"): 1})
    second = Contribution(Counter({"projects": 1, ("owner", "org-a"): 1}))
    assert first._keys is second._keys and first._counts is second._counts
