"""Monotonic, versioned reads: every request reads one snapshot and says which.

A request is pinned to one read-model snapshot from start to end. Its answer carries
`Registry-Version` (the change-feed position it reflects); a client that sends
`Registry-Min-Version: N` (the version its write returned) gets an answer at least that
new, or 503 with Retry-After when this worker cannot catch up within MIN_VERSION_WAIT.
A worker's snapshot only moves forward, so once it answered N it never answers older.
"""

from __future__ import annotations

import contextlib

from flask import Flask, Response, current_app, g, request

from registry.readmodel import Behind
from registry.readmodel.model import PINNED
from registry.readmodel.reads import Reads, everything
from registry.readmodel.snapshot import Snapshot
from registry.response_cache import SNAPSHOT_KEY
from registry.web.shared.context import services
from registry.web.shared.errors import ApiError

VERSION_HEADER = "Registry-Version"
MIN_VERSION_HEADER = "Registry-Min-Version"


def init_app(app: Flask) -> None:
    """Pin a snapshot to every request and label its answer with the snapshot's version."""

    @app.before_request
    def _pin() -> None:
        if request.endpoint == "static":
            return
        model = services().readmodel
        # Counted until teardown: the overlap refresh gives way meanwhile.
        model.in_flight.begin()
        g.registry_in_flight = True
        raw = request.headers.get(MIN_VERSION_HEADER)
        if raw is None:
            snapshot = model.latest()
        else:
            if not raw.strip().isdigit() or len(raw.strip()) > 18:
                raise ApiError(400, f"{MIN_VERSION_HEADER} must be a version number (the "
                               f"{VERSION_HEADER} a write answered), not {raw[:40]!r}",
                               detail={"header": MIN_VERSION_HEADER})
            wait = current_app.config["REGISTRY"]["MIN_VERSION_WAIT"]
            try:
                snapshot = model.at_least(int(raw), wait)
            except Behind as exc:
                raise ApiError(503, f"this server has not yet reached version {exc.wanted} "
                               f"(it holds {exc.have}): ask again in a moment",
                               code="behind", headers={"Retry-After": "1"}) from None
        g.registry_pin = PINNED.set(snapshot)
        _answer_from(snapshot)

    @app.after_request
    def _label(response: Response) -> Response:
        version = g.get("registry_version")
        if version is not None:
            # A write made by this request moved the model: say the newest version,
            # which a write that did not wait for the catch-up put in the high-water
            # mark (readmodel.model.ReadModel.written).
            model = services().readmodel
            latest = max(model.newest_version(), model.high_water.value)
            response.headers[VERSION_HEADER] = str(max(version, latest)
                                                   if request.method not in ("GET", "HEAD")
                                                   else version)
        return response

    @app.teardown_request
    def _unpin(_exc: BaseException | None) -> None:
        if g.pop("registry_in_flight", False):
            services().readmodel.in_flight.end()
        token = g.pop("registry_pin", None)
        if token is not None:
            # Torn down in another context, the pin dies with that one.
            with contextlib.suppress(ValueError):
                PINNED.reset(token)


def caught_up() -> bool:
    """Move this request to a newer snapshot if the feed has one; say whether it did.

    A worker polls the feed at most every SNAPSHOT_TTL (SQLite, or PostgreSQL without
    LISTEN), so a record just created through another worker may not be in its snapshot
    yet. A lookup that misses asks once before answering 404: one indexed query, paid
    only on a miss, and the answer moves forward, never back.
    """
    model = services().readmodel
    held = g.get("registry_version")
    snapshot = model.catch_up()
    if held is None or snapshot.version <= held:
        return False
    PINNED.set(snapshot)  # the request's first token still restores the state before it
    _answer_from(snapshot)
    return True


def answered_with(reads: Reads) -> None:
    """Say that this answer read no more of its snapshot than `reads` (readmodel.reads).

    The response cache then serves it again after writes that leave those reads
    unchanged. Reads of another snapshot than the one the request is pinned to (it
    caught up meanwhile) are ignored: the answer stays filed as reading everything.
    """
    if reads.version == g.get("registry_version"):
        request.environ[SNAPSHOT_KEY] = reads


def _answer_from(snapshot: Snapshot) -> None:
    g.registry_version = snapshot.version
    # For the response cache (registry.response_cache): the snapshot this answer is
    # computed from, so that it is kept with that one's reads and no other's.
    request.environ[SNAPSHOT_KEY] = everything(snapshot)
