"""The overlap job computes the reuse overlaps once, stores them, and workers show them.

On both engines: the stored result equals the analysis on the same roadmap; one job
computes at a time (the lock); a job cut off midway leaves the last good result and
the next one resumes; a catalogue change needs no new computation; two apps (as two
workers) read the same overlaps, and the reuse page says when they are older.
"""

from __future__ import annotations

import itertools
import random

import pytest

from registry.analysis import reuse as analysis
from registry.analysis.reuse import Thresholds
from registry.catalogue.files import load_catalogue, shipped_root
from registry.readmodel import overlaps
from registry.readmodel.overlap_job import OverlapJob
from registry.services import reuse_thresholds
from tests.helpers import example_roadmap, make_app


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(shipped_root())


def _roadmap(store, catalogue, copies: int = 2, seed: int = 3) -> dict[str, dict]:
    """Store the example sheets `copies` times with shuffled owners; return them."""
    owners = sorted(catalogue.concepts["organisations"])[:5]
    sheets = example_roadmap(random.Random(seed), owners, copies)
    for pid, sheet in sheets.items():
        store.put("project", pid, sheet, author="test")
    return sheets


def _expected(sheets, catalogue, thresholds):
    projects, _ = analysis.read_projects(sheets.values())
    projects.sort(key=lambda p: p.id)
    return sorted(analysis.overlap_opportunities(projects, thresholds,
                                                 analysis.Words(catalogue)),
                  key=analysis.order_key)


def _stored(store, thresholds, catalogue):
    found = overlaps.newest(store, overlaps.thresholds_digest(thresholds))
    assert found is not None
    words = analysis.Words(catalogue)
    return found, sorted((analysis.overlap_opportunity(p, words)
                          for p in overlaps.pairs(store, found.id) or []),
                         key=analysis.order_key)


def _said(opportunities):
    return [(o.to_dict(), str(o.text)) for o in opportunities]


def test_the_stored_result_equals_the_analysis(store, catalogue):
    thresholds = Thresholds()
    sheets = _roadmap(store, catalogue)
    job = OverlapJob(store, thresholds)
    assert job.run_once() == store.head()
    found, shown = _stored(store, thresholds, catalogue)
    expected = _expected(sheets, catalogue, thresholds)
    assert expected  # the roadmap has overlaps to compare
    assert found.seq == store.head()
    assert _said(shown) == _said(expected)
    # Moved with the feed: a changed title and a deleted project, then computed again.
    first = sorted(sheets)[0]
    sheets[first]["title"] = {"en": "Parking sensor portal"}
    store.put("project", first, sheets[first], author="test")
    gone = sorted(sheets)[-1]
    store.put("project", gone, {**sheets.pop(gone), "status": "stopped"}, author="test")
    assert job.run_once() == store.head()
    found, shown = _stored(store, thresholds, catalogue)
    assert _said(shown) == _said(_expected(sheets, catalogue, thresholds))
    job.lock.release()


def test_only_the_job_holding_the_lock_computes(store, catalogue):
    thresholds = Thresholds()
    _roadmap(store, catalogue, copies=1)
    first, second = OverlapJob(store, thresholds), OverlapJob(store, thresholds)
    assert first.lock.acquire()
    assert second.run_once() is None  # the other one holds the lock
    assert overlaps.newest(store, first.digest) is None
    assert first.run_once() == store.head()
    assert second.run_once() is None
    first.lock.release()  # gone (on PostgreSQL: also when its session dies)
    assert second.run_once() == store.head()
    assert (first.computed, second.computed) == (1, 0)  # nothing new: not computed again
    second.lock.release()


class Killed(BaseException):
    """Stands for the process being killed in the middle of the computation."""


def test_a_job_killed_midway_leaves_the_last_result_and_the_next_resumes(store, catalogue):
    thresholds = Thresholds()
    sheets = _roadmap(store, catalogue)
    done = OverlapJob(store, thresholds)
    version = done.run_once()
    done.lock.release()
    before = _said(_stored(store, thresholds, catalogue)[1])
    first = sorted(sheets)[1]
    sheets[first]["title"] = {"en": "Air quality sensor network for the port"}
    store.put("project", first, sheets[first], author="test")

    calls = []

    def kill() -> None:
        calls.append(1)
        if len(calls) > 1:
            raise Killed

    cut = OverlapJob(store, thresholds, pause=kill)
    with pytest.raises(Killed):
        cut.run_once()
    cut.lock.release()
    found, shown = _stored(store, thresholds, catalogue)
    assert found.seq == version and _said(shown) == before  # the last good one, whole
    resumed = OverlapJob(store, thresholds)
    assert resumed.run_once() == store.head()
    found, shown = _stored(store, thresholds, catalogue)
    assert found.seq == store.head()
    assert _said(shown) == _said(_expected(sheets, catalogue, thresholds))
    resumed.lock.release()


def test_a_catalogue_change_needs_no_new_computation(store, catalogue):
    thresholds = Thresholds()
    _roadmap(store, catalogue, copies=1)
    job = OverlapJob(store, thresholds)
    job.run_once()
    stored = overlaps.newest(store, job.digest)
    sid = sorted(catalogue.standards)[0]
    record = dict(catalogue.standards[sid])
    store.put("standard", sid, {**record, "notes": "changed"}, author="test")
    assert job.run_once() == store.head()
    carried = overlaps.newest(store, job.digest)
    assert carried is not None and stored is not None
    assert (carried.id, carried.seq, job.computed) == (stored.id, store.head(), 1)
    assert carried.catalogue_seq == store.head()
    job.lock.release()


def _overlaps_of(client):
    answer = client.get("/api/reuse?type=overlap")
    assert answer.status_code == 200
    return answer.get_json()["opportunities"]


def test_two_workers_show_the_overlaps_the_job_stored(store, catalogue, database_url,
                                                     tmp_path):
    sheets = _roadmap(store, catalogue)
    settings = {"REUSE_OVERLAP_JOB": True, "REUSE_OVERLAP_WAIT": 0.0}
    apps = [make_app(database_url, tmp_path / f"w{n}", **settings) for n in range(2)]
    for app in apps:  # a clock a second further at each look: no look is skipped
        ticks = itertools.count()
        app.extensions["registry"].readmodel.overlaps._clock = lambda t=ticks: float(next(t))
    thresholds = reuse_thresholds(apps[0].extensions["registry"].settings)
    clients = [app.test_client() for app in apps]
    # Before the job stored any: none shown, none computed by the worker itself.
    assert _overlaps_of(clients[0]) == []
    job = OverlapJob(store, thresholds)
    job.run_once()
    expected = [o.to_dict() for o in _expected(sheets, catalogue, thresholds)]
    assert expected
    assert [_overlaps_of(c) for c in clients] == [expected, expected]
    assert b"Overlaps as of version" not in clients[0].get("/reuse").data

    # A write: the workers show the overlaps of the version before, saying so, until
    # the job stored those of the new one.
    first = sorted(sheets)[0]
    sheets[first]["title"] = {"en": "A different project altogether"}
    sheets[first]["status"] = "stopped"
    store.put("project", first, sheets[first], author="test")
    page = clients[1].get("/reuse").data
    assert b"Overlaps as of version" in page
    assert _overlaps_of(clients[0]) == expected
    job.run_once()
    now = [o.to_dict() for o in _expected(sheets, catalogue, thresholds)]
    assert now != expected
    assert [_overlaps_of(c) for c in clients] == [now, now]
    assert b"Overlaps as of version" not in clients[1].get("/reuse").data
    job.lock.release()
    for app in apps:
        app.extensions["registry"].readmodel.close()
        app.extensions["registry"].store.engine.dispose()


def test_the_command_stores_the_overlaps(store, catalogue, database_url):
    from click.testing import CliRunner

    from registry.cli import main

    _roadmap(store, catalogue, copies=1)
    result = CliRunner().invoke(main, ["overlaps", "--once"],
                                env={"REGISTRY_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert f"overlaps stored for version {store.head()}" in result.output
    assert overlaps.newest(store, overlaps.thresholds_digest(Thresholds())) is not None


def test_the_command_says_what_is_wrong_with_the_database(tmp_path):
    from click.testing import CliRunner

    from registry.cli import main

    # A database nobody listens on: one line saying so, no traceback.
    nobody = "postgresql+psycopg://postgres@127.0.0.1:9/registry"
    result = CliRunner().invoke(main, ["overlaps", "--once"],
                                env={"REGISTRY_DATABASE_URL": nobody})
    assert result.exit_code == 1
    assert "cannot open the store" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    # A new SQLite file: its schema is made, as by every command, and nothing to compare.
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    result = CliRunner().invoke(main, ["overlaps", "--once"],
                                env={"REGISTRY_DATABASE_URL": fresh})
    assert result.exit_code == 0, result.output
    assert "overlaps stored for version 0" in result.output


def test_the_running_job_follows_the_writes(store, catalogue):
    import threading
    import time

    sheets = _roadmap(store, catalogue, copies=1)
    thresholds = Thresholds()
    job = OverlapJob(store, thresholds, settle=0.05, most=0.5, poll=0.05)
    thread = threading.Thread(target=job.run, daemon=True)
    thread.start()
    try:
        for number, pid in enumerate(sorted(sheets)[:3]):
            sheets[pid]["title"] = {"en": f"Parking sensors {number}"}
            store.put("project", pid, sheets[pid], author="test")
        head = store.head()
        deadline = time.monotonic() + 120  # a bound on a hung job, not a measurement
        while time.monotonic() < deadline:
            found = overlaps.newest(store, job.digest)
            if found is not None and found.seq == head:
                break
            time.sleep(0.05)
        found, shown = _stored(store, thresholds, catalogue)
        assert found.seq == head
        assert _said(shown) == _said(_expected(sheets, catalogue, thresholds))
    finally:
        job.stop()
        thread.join(30)
    assert not thread.is_alive() and not job.lock.held
