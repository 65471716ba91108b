"""The reuse overlaps stored by the overlap job, and how a web worker reads them.

Overlap weighs each feature by its rarity in the whole roadmap, so one write may move
any pair: it is recomputed in full. The overlap job (`overlap_job.py`) does that once,
outside the web workers, and stores the pairs (`reuse_overlaps`, one row per result)
tagged with the feed position of the roadmap they were computed from. The pairs hold no
catalogue word: each worker says them in its own snapshot's catalogue
(`analysis.reuse.overlap_opportunity`), so a catalogue change needs no new computation.

A worker takes the newest result not newer than its snapshot (one small query, at most
every `CHECK_EVERY` seconds while its overlaps are behind) and shows it as the overlaps
of that version; the reuse page says when that is older than the snapshot.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import delete, insert, select, update

from registry.analysis.reuse import OverlapPair, Thresholds
from registry.readmodel.reuse import ReuseState
from registry.storage.store import Store
from registry.storage.tables import reuse_overlaps

KEEP = 4  # results kept: a worker a little behind the job still finds one for it
CHECK_EVERY = 0.2  # seconds between two looks at the table while a worker's overlaps lag


def thresholds_digest(thresholds: Thresholds) -> str:
    """Return what names the thresholds a result was computed with."""
    data = orjson.dumps(dataclasses.asdict(thresholds), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha1(data).hexdigest()


def encode(pairs: Sequence[OverlapPair]) -> bytes:
    """Return pairs as stored: compressed JSON, one list a pair."""
    rows = [[*p.a, *p.b, p.score, p.domains, p.capabilities, p.entities, p.words]
            for p in pairs]
    return zlib.compress(orjson.dumps(rows), 6)


def decode(data: bytes) -> list[OverlapPair]:
    """Return the pairs of `encode`."""
    out = []
    for row in orjson.loads(zlib.decompress(data)):
        a_id, a_owner, a_title, b_id, b_owner, b_title, score, *rest = row
        domains, capabilities, entities, words = (tuple(r) for r in rest)
        out.append(OverlapPair((a_id, a_owner, a_title), (b_id, b_owner, b_title), score,
                               domains, capabilities, entities, words))
    return out


@dataclass(frozen=True)
class Result:
    """One stored result (without its pairs)."""

    id: int
    seq: int  # the feed position of the roadmap the pairs were computed from (or later,
    # when no project changed since)
    catalogue_seq: int


def newest(store: Store, digest: str, at_most: int | None = None) -> Result | None:
    """Return the newest result for these thresholds, not newer than `at_most`."""
    query = (select(reuse_overlaps.c.id, reuse_overlaps.c.seq,
                    reuse_overlaps.c.catalogue_seq)
             .where(reuse_overlaps.c.thresholds == digest)
             .order_by(reuse_overlaps.c.seq.desc(), reuse_overlaps.c.id.desc()).limit(1))
    if at_most is not None:
        query = query.where(reuse_overlaps.c.seq <= at_most)
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    return Result(row.id, row.seq, row.catalogue_seq) if row is not None else None


def pairs(store: Store, result_id: int) -> list[OverlapPair] | None:
    """Return a result's pairs (None: it was removed meanwhile)."""
    with store.engine.connect() as connection:
        data = connection.execute(select(reuse_overlaps.c.pairs).where(
            reuse_overlaps.c.id == result_id)).scalar()
    return decode(bytes(data)) if data is not None else None


def save(store: Store, seq: int, catalogue_seq: int, digest: str,
         found: Sequence[OverlapPair]) -> int:
    """Store a result; keep the newest `KEEP`. Return its id."""
    with store.writing() as connection:
        new_id = connection.execute(insert(reuse_overlaps).values(
            seq=seq, catalogue_seq=catalogue_seq, thresholds=digest, pairs=encode(found),
            computed_at=datetime.now(UTC))).inserted_primary_key
        assert new_id is not None
        new_id = new_id[0]
        kept = [r.id for r in connection.execute(
            select(reuse_overlaps.c.id).order_by(reuse_overlaps.c.seq.desc(),
                                                 reuse_overlaps.c.id.desc()).limit(KEEP))]
        connection.execute(delete(reuse_overlaps).where(reuse_overlaps.c.id.not_in(kept)))
    return int(new_id)


def carry(store: Store, result_id: int, seq: int, catalogue_seq: int) -> None:
    """Say a result holds at `seq` too (only the catalogue changed since it was made)."""
    with store.writing() as connection:
        connection.execute(update(reuse_overlaps).where(reuse_overlaps.c.id == result_id)
                           .values(seq=seq, catalogue_seq=catalogue_seq))


class StoredOverlaps:
    """A worker's access to the stored results: the last pairs read, and when it looked."""

    def __init__(self, store: Store, enabled: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.enabled = enabled  # False: the worker computes its own (dev server, tests)
        self._clock = clock
        self._lock = threading.Lock()
        self._held: tuple[int, list[OverlapPair]] | None = None  # (result id, its pairs)
        self._looked: dict[str, tuple[float, int | None, Result | None]] = {}

    def for_version(self, thresholds: Thresholds, version: int, fresh: bool = False
                    ) -> tuple[Result, list[OverlapPair]] | None:
        """Return the newest stored result (and its pairs) not newer than `version`.

        Unless `fresh`, the table is read at most every CHECK_EVERY seconds (for the
        same thresholds and version), so a busy worker whose overlaps lag costs the
        database one small query a few times a second, not one per request.
        """
        digest = thresholds_digest(thresholds)
        now = self._clock()
        with self._lock:
            looked = self._looked.get(digest)
            if (not fresh and looked is not None and looked[1] == version
                    and now - looked[0] < CHECK_EVERY):
                found = looked[2]
            else:
                found = newest(self.store, digest, version)
                self._looked[digest] = (now, version, found)
            if found is None:
                return None
            held = self._held
            if held is None or held[0] != found.id:
                got = pairs(self.store, found.id)
                if got is None:  # replaced between the two queries: next time
                    return None
                held = self._held = (found.id, got)
            return found, held[1]

    def wait(self, thresholds: Thresholds, version: int, seconds: float,
             poll: float = 0.05) -> tuple[Result, list[OverlapPair]] | None:
        """Return a result for `version` itself, waiting up to `seconds` for the job;
        else the newest older one."""
        deadline = self._clock() + seconds
        found = self.for_version(thresholds, version, fresh=True)
        while (found is None or found[0].seq < version) and self._clock() < deadline:
            time.sleep(poll)
            found = self.for_version(thresholds, version, fresh=True)
        return found

    def refresh(self, state: ReuseState, version: int, wait: float = 0.0) -> None:
        """Show in `state` (of the snapshot at `version`) the newest result for it,
        waiting up to `wait` seconds for the job to reach `version`."""
        if state.overlap_fresh:
            return
        found = (self.wait(state.thresholds, version, wait) if wait > 0
                 else self.for_version(state.thresholds, version))
        if found is not None:
            state.install_overlaps(found[1], found[0].seq, version)

    def for_build(self, thresholds: Thresholds, version: int
                  ) -> tuple[int, list[OverlapPair]]:
        """Return what a full build of the reuse analysis shows as overlaps: the newest
        result for it, else none yet (version 0; `refresh` shows the job's when it
        comes). Never computed here: the similarity index of the whole roadmap would
        leave its freed memory in the worker, which is what the job spares it."""
        found = self.for_version(thresholds, version, fresh=True)
        return (found[0].seq, found[1]) if found is not None else (0, [])
