"""How the reuse analysis grows with the roadmap: 100 to 100,000 synthetic projects.

Run from the repository root:  .venv/bin/python -m bench.reuse_scale

Each size runs in a subprocess of its own, so that its peak resident memory (ru_maxrss)
is its own. Wall time is the median of 3 runs up to 10,000 projects, one run at 100,000.
The naive all-pairs overlap (score every pair) is timed at 100 and 500 projects and
extrapolated, to show why the analysis blocks on rare features instead.

Synthetic roadmaps are seeded and realistic in shape: capabilities and data entities
follow a Zipf law over ~300 concepts (the shipped ones plus synthetic ids); projects
cluster in themes (at least 50, one per 40 projects beyond 2,000; Zipf-distributed
sizes) whose projects share favourite capabilities, entities and words; owners follow a
Zipf law too (one organisation per 25 projects); titles and summaries are written from
pseudo-word vocabularies of 20,000 words in en, fr and nl (Zipf; the same word index in
each language, so translations line up); 1% of the projects are planted near-copies of
another project by a different owner (a need dropped, a title word and a quarter of the
summary reworded): how many of those the overlap analysis finds is reported.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from bisect import bisect
from collections import Counter
from itertools import accumulate
from typing import Any

SIZES = (100, 500, 10_000, 100_000)
TARGETS = {"regional_seconds": 0.1, "large_seconds": 10.0, "large_mb": 2048}
SEED = 20261126
CAPABILITY_CONCEPTS = 150  # shipped (37) plus synthetic, and as many data entities
ENTITY_CONCEPTS = 150
VOCABULARY = 20_000  # pseudo-words per language
PROJECTS_PER_THEME = 40  # themes grow with the roadmap: more projects, more topics
MIN_THEMES = 50  # even a regional roadmap spans many topics
PLANTED_SHARE = 0.01


class Zipf:
    """Draw indexes 0..n-1 with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n: int, s: float = 1.0) -> None:
        self.cumulative = list(accumulate(1.0 / (rank + 1) ** s for rank in range(n)))

    def draw(self, rng: random.Random) -> int:
        return bisect(self.cumulative, rng.random() * self.cumulative[-1])

    def sample(self, rng: random.Random, k: int) -> list[int]:
        seen: dict[int, None] = {}
        for _ in range(k * 4):
            if len(seen) >= k:
                break
            seen.setdefault(self.draw(rng), None)
        return list(seen)


def _vocabulary(rng: random.Random, size: int, consonants: str, vowels: list[str]) -> list[str]:
    syllables = [c + v for c in consonants for v in vowels]  # 60 to 150: ample for 20,000
    words: dict[str, None] = {}
    while len(words) < size:
        words.setdefault("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))), None)
    return list(words)


class Generator:
    """Seeded synthetic project sheets in the project-sheet/v1 shape."""

    def __init__(self, catalogue: Any, seed: int = SEED) -> None:
        rng = random.Random(seed)
        shipped_caps = sorted(catalogue.concepts["capabilities"])
        shipped_entities = sorted(catalogue.concepts["data-entities"])
        self.capabilities = shipped_caps + [
            f"synthetic-capability-{i:03d}" for i in range(CAPABILITY_CONCEPTS - len(shipped_caps))]
        self.entities = shipped_entities + [
            f"SyntheticEntity{i:03d}" for i in range(ENTITY_CONCEPTS - len(shipped_entities))]
        rng.shuffle(self.capabilities)  # popularity rank independent of the names
        rng.shuffle(self.entities)
        self.domains = sorted(catalogue.concepts["domains"])
        self.themes_codes = sorted(catalogue.concepts["data-themes"])
        self.organisations = sorted(catalogue.concepts["organisations"])
        self.components = {
            cap: sorted(cids) for cap, cids in catalogue.components_by_capability.items()}
        self.standards = {cap: list(sids)
                          for cap, sids in catalogue.standards_by_capability.items()}
        self.words = {
            lang: _vocabulary(rng, VOCABULARY, consonants, vowels)
            for lang, (consonants, vowels) in {
                "en": ("bcdfghklmnprstvw", ["a", "e", "i", "o", "u"]),
                "fr": ("bcdfglmnprstv", ["a", "e", "i", "o", "ou", "eau", "ai", "on"]),
                "nl": ("bdghjklmnprstvwz", ["a", "e", "i", "o", "aa", "ee", "oo", "ij", "ui"]),
            }.items()}
        self.cap_zipf = Zipf(len(self.capabilities))
        self.entity_zipf = Zipf(len(self.entities))
        self.word_zipf = Zipf(VOCABULARY, 1.05)

    def _themes(self, rng: random.Random, count: int) -> list[dict[str, Any]]:
        # A theme: a few favourite capabilities, entities and words that its projects share.
        return [
            {"caps": self.cap_zipf.sample(rng, 5), "entities": self.entity_zipf.sample(rng, 4),
             "words": [rng.randrange(VOCABULARY) for _ in range(12)],
             "domains": rng.sample(range(len(self.domains)), 2)}
            for _ in range(count)]

    def roadmap(self, n: int, seed: int = SEED
                ) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
        """Return n sheets and the planted overlapping pairs (ids)."""
        rng = random.Random(seed + n)
        themes = self._themes(rng, max(MIN_THEMES, n // PROJECTS_PER_THEME))
        theme_zipf = Zipf(len(themes), 0.8)
        owners = self.organisations + [f"synthetic-org-{i:04d}" for i in range(max(0, n // 25))]
        owner_zipf = Zipf(len(owners), 0.9)
        sheets: list[dict[str, Any]] = []
        planted: set[tuple[str, str]] = set()
        for number in range(n):
            pid = f"project-{number:06d}"
            owner = owners[owner_zipf.draw(rng)]
            if sheets and rng.random() < PLANTED_SHARE:
                original = sheets[rng.randrange(len(sheets))]
                if original["owner"]["organisation"] != owner:
                    sheets.append(self._near_copy(rng, original, pid, owner))
                    planted.add(tuple(sorted((original["id"], pid))))
                    continue
            sheets.append(self._sheet(rng, pid, owner, themes[theme_zipf.draw(rng)]))
        return sheets, planted

    def _title(self, rng: random.Random, indexes: list[int]) -> dict[str, str]:
        langs = ["en"] + [lang for lang in ("fr", "nl") if rng.random() < 0.6]
        return {lang: " ".join(self.words[lang][i] for i in indexes).capitalize() for lang in langs}

    def _sheet(self, rng: random.Random, pid: str, owner: str,
               theme: dict[str, Any]) -> dict[str, Any]:
        def pick(own: list[int], zipf: Zipf, k: int) -> list[int]:
            chosen = dict.fromkeys(rng.sample(own, min(len(own), rng.randint(0, k))))
            while len(chosen) < k:
                chosen.setdefault(zipf.draw(rng), None)
            return list(chosen)

        caps = [self.capabilities[i] for i in pick(theme["caps"], self.cap_zipf, rng.randint(2, 6))]
        builds = rng.sample(caps, rng.randint(0, min(2, len(caps) - 1)))
        needs = [c for c in caps if c not in builds]
        entities = [self.entities[i] for i in pick(theme["entities"], self.entity_zipf,
                                                  rng.randint(0, 5))]
        produces = entities[:rng.randint(0, min(2, len(entities)))]
        uses = [e for e in entities if e not in produces or rng.random() < 0.2]
        reuses = sorted({self.components[c][0] for c in needs
                         if c in self.components and rng.random() < 0.7})
        standards = []
        for sid in sorted({s for c in caps for s in self.standards.get(c, ())}):
            if rng.random() < 0.7:
                standards.append({"id": sid, "conformance": rng.choice(
                    ("complies", "complies", "partial", "planned", "explain"))})
        title_words = pick(theme["words"], self.word_zipf, rng.randint(3, 6))
        summary_words = [rng.choice(theme["words"]) if rng.random() < 0.3
                         else self.word_zipf.draw(rng) for _ in range(rng.randint(15, 40))]
        return {
            "sheet": "project-sheet/v1",
            "id": pid,
            "title": self._title(rng, title_words),
            "summary": {lang: " ".join(
                ["the" if lang == "en" else "le" if lang == "fr" else "de"]
                + [self.words[lang][i] for i in summary_words]) + "."
                for lang in ["en"] + [la for la in ("fr", "nl") if rng.random() < 0.4]},
            "owner": {"organisation": owner,
                      "contact": {"name": "Lead", "email": f"{pid}@example.brussels"}},
            "status": rng.choices(("proposed", "selected", "in-progress", "delivered",
                                   "stopped"), (30, 20, 30, 15, 5))[0],
            "domains": [self.domains[i] for i in theme["domains"][:rng.randint(1, 2)]],
            "data_themes": rng.sample(self.themes_codes, rng.randint(1, 2)),
            "timeline": {"start": "2026-01-01", "end": "2027-12-31"},
            "capabilities": {"needs": needs or caps[:1], "builds": builds},
            "components": {"reuses": reuses},
            "data": {"uses": uses, "produces": produces, "personal_data": rng.random() < 0.3,
                     "open_data": rng.random() < 0.4},
            "standards": standards,
        }

    def _near_copy(self, rng: random.Random, original: dict[str, Any], pid: str,
                   owner: str) -> dict[str, Any]:
        sheet = json.loads(json.dumps(original))
        sheet["id"], sheet["owner"]["organisation"] = pid, owner
        sheet["status"] = rng.choice(("proposed", "selected"))
        caps = sheet["capabilities"]
        if len(caps["needs"]) > 1:
            caps["needs"].pop(rng.randrange(len(caps["needs"])))
        for lang, text in sheet["title"].items():
            words = text.split()
            words[rng.randrange(len(words))] = self.words[lang][self.word_zipf.draw(rng)]
            sheet["title"][lang] = " ".join(words).capitalize()
        for lang, text in sheet["summary"].items():
            words = text.split()
            for _ in range(len(words) // 4):  # reworded: a quarter of the words change
                words[rng.randrange(len(words))] = self.words[lang][self.word_zipf.draw(rng)]
            sheet["summary"][lang] = " ".join(words)
        return sheet


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(n: int) -> dict[str, Any]:
    """Generate a roadmap of n projects and measure the analysis (run in a subprocess)."""
    from registry.analysis.reuse import Thresholds, find_opportunities, overlap_index, read_projects
    from registry.catalogue.files import load_catalogue, shipped_root

    catalogue = load_catalogue(shipped_root())
    sheets, planted = Generator(catalogue).roadmap(n)
    input_mb = _rss_mb()
    runs = 3 if n <= 10_000 else 1
    times, cpu = [], []
    for _ in range(runs):
        found = []  # the previous run's results are not kept alive during the next
        start, start_cpu = time.perf_counter(), time.process_time()
        found = find_opportunities(sheets, catalogue, own_process=True)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    overlaps = {o.projects for o in found if o.type == "overlap"}
    alive = {s["id"] for s in sheets if s["status"] != "stopped"}
    live_planted = {p for p in planted if set(p) <= alive}
    result: dict[str, Any] = {
        "n": n, "seconds": statistics.median(times), "cpu_seconds": statistics.median(cpu),
        "input_mb": input_mb, "peak_mb": peak_mb,
        "types": dict(sorted(Counter(o.type for o in found).items())),
        "planted": len(live_planted), "planted_found": len(live_planted & overlaps),
    }
    projects, _ = read_projects(sheets)
    index = overlap_index(projects, Thresholds())
    result["candidates"] = len(index.candidates())
    result["all_pairs"] = len(projects) * (len(projects) - 1) // 2
    if n <= 500:
        # The naive way: score every pair with the same scoring, no blocking.
        start = time.perf_counter()
        naive = {(i, j) for i, j in index.all_pairs()
                 if index.score(i, j) >= Thresholds().overlap_min_score
                 and projects[i].owner != projects[j].owner
                 and not (projects[i].delivered and projects[j].delivered)}
        result["naive_seconds"] = time.perf_counter() - start
        blocked = {(projects[i].id, projects[j].id) for i, j in naive}
        result["naive_overlaps"] = len(blocked)
        result["naive_overlaps_found"] = len(blocked & overlaps)
    return result


def main() -> int:
    """Measure every size in its own subprocess and print the table and growth ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=int, help="measure one size and print JSON (internal)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    rows = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, "-m", "bench.reuse_scale", "--one", str(n)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout))
        print(f"measured {n:>7} projects", file=sys.stderr)
    _report(rows)
    ok = all(_verdict(r) for r in rows)
    return 0 if ok else 1


def _verdict(row: dict[str, Any]) -> bool:
    if row["n"] <= 500:
        return row["seconds"] < TARGETS["regional_seconds"]
    if row["n"] >= 100_000:
        return row["seconds"] < TARGETS["large_seconds"] and row["peak_mb"] < TARGETS["large_mb"]
    return True


def _report(rows: list[dict[str, Any]]) -> None:
    types = ("reuse", "pooling", "overlap", "data-sharing", "standard-divergence")
    print("\nfind_opportunities on synthetic roadmaps (seeded; time: wall and CPU, median of "
          "3 runs, one run at 100k;\nmemory: peak RSS of the measuring process, the "
          "generated sheets included, and RSS once they were generated)\n")
    head = (f"{'projects':>9} {'seconds':>8} {'cpu s':>7} {'input MB':>9} {'peak MB':>8} "
            f"{'candidates':>11} {'all pairs':>14} " + " ".join(f"{t:>8.8}" for t in types)
            + f" {'planted':>10} {'target':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        counts = " ".join(f"{r['types'].get(t, 0):>8}" for t in types)
        print(f"{r['n']:>9,} {r['seconds']:>8.3f} {r['cpu_seconds']:>7.3f} "
              f"{r['input_mb']:>9.0f} {r['peak_mb']:>8.0f} "
              f"{r['candidates']:>11,} {r['all_pairs']:>14,} {counts} "
              f"{r['planted_found']:>4}/{r['planted']:<5} {'ok' if _verdict(r) else 'MISSED':>7}")
    print("\ngrowth from one size to the next:")
    for a, b in zip(rows, rows[1:], strict=False):
        print(f"  {a['n']:>7,} -> {b['n']:>7,} projects (x{b['n'] / a['n']:g}): "
              f"time x{b['seconds'] / a['seconds']:.1f} "
              f"(CPU x{b['cpu_seconds'] / a['cpu_seconds']:.1f}), "
              f"peak memory x{b['peak_mb'] / a['peak_mb']:.1f}, "
              f"candidate pairs x{b['candidates'] / max(1, a['candidates']):.1f} "
              f"(all pairs x{b['all_pairs'] / max(1, a['all_pairs']):.0f})")
    naive = [r for r in rows if "naive_seconds" in r]
    if naive:
        print("\nnaive all-pairs overlap (the same scoring on every pair, no blocking):")
        for r in naive:
            print(f"  {r['n']:>7,} projects: {r['naive_seconds']:.3f} s for {r['all_pairs']:,} "
                  f"pairs; it finds {r['naive_overlaps']} overlaps, blocking finds "
                  f"{r['naive_overlaps_found']} of them")
        per_pair = naive[-1]["naive_seconds"] / max(1, naive[-1]["all_pairs"])
        for n in (10_000, 100_000):
            pairs = n * (n - 1) // 2
            print(f"  {n:>7,} projects: {pairs:,} pairs, about {pairs * per_pair:,.0f} s "
                  f"({pairs * per_pair / 3600:.1f} h) extrapolated")
    print(f"\ntargets: 100-500 projects under {TARGETS['regional_seconds'] * 1000:.0f} ms; "
          f"100,000 under {TARGETS['large_seconds']:.0f} s and {TARGETS['large_mb']} MB "
          "(wall time: on a busy machine, compare the CPU column)")


if __name__ == "__main__":
    sys.exit(main())
