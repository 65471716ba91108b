"""Contract fuzzing: schemathesis drives every operation of /openapi.json in-process.

Every operation of the document is a test, run anonymously and with a token of each role
(lead, architect, office, admin), on each database backend. Cases are generated from the
document both valid (positive) and invalid (negative), and every response goes through
every check schemathesis has: no server error, status code, content type, headers and
body as documented, invalid data refused, valid data accepted, auth not ignored...

The number of examples is bounded (hypothesis `max_examples`, derandomized for
reproducibility) so that the module runs in a few minutes on a 2-core machine; raise
`FUZZ_EXAMPLES` in the environment for a longer run. No operation is excluded.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, is_check_class, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi.checks import RejectedPositiveData

from registry.catalogue.query import FILTERS
from registry.catalogue.snapshot import Catalogue
from registry.projects import import_projects
from registry.storage.tokens import create_token
from registry.web.openapi import openapi_document
from tests.conftest import BACKENDS, ROOT, _database, make_app

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
ROLES = ("anonymous", "lead", "architect", "office", "admin")
LEAD_ORGANISATION = "brussels-environment"
OPERATIONS = [(method.upper(), path) for path, item in openapi_document()["paths"].items()
              for method in item if method in ("get", "put", "post", "delete", "patch")]

load_all_checks()
positive_data_acceptance = CHECKS.get_one("positive_data_acceptance")

# Refusals of schema-valid requests that depend on what is stored, which no JSON Schema
# can state: the document lists them as answers, and the check below accepts exactly them
# (status and error code) instead of the stock positive_data_acceptance, which knows
# nothing of stored state. Anything else refused still fails.
CATALOGUE_FILTERS = {name for kind in FILTERS.values() for name, spec in kind.items()
                     if spec.allowed is not None and not spec.allowed(Catalogue())}
STATE_REFUSALS: dict[int, str] = {
    412: "precondition-failed",   # If-Match names another revision (or If-None-Match: *)
    428: "precondition-required",  # an update without If-Match
    422: "invalid",                # valid by the schema, not against the catalogue (links)
}


def _refused_for_stored_state(case: schemathesis.Case, response: Any) -> bool:
    """Return True when a refusal of valid data depends on stored state (see above)."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    status, code = response.status_code, error.get("code")
    if case.operation.method.upper() == "PUT" and STATE_REFUSALS.get(status) == code:
        return True
    detail = error.get("detail") or {}
    if status == 400 and detail.get("parameter") in CATALOGUE_FILTERS:
        return True
    return status == 400 and case.operation.path == "/sparql" and code in (
        "syntax-error", "too-deep", "query-failed", "update-refused", "service-refused",
        "dataset-refused")


def state_aware_positive_data_acceptance(ctx: Any, response: Any, case: schemathesis.Case
                                         ) -> bool | None:
    """positive_data_acceptance, but a refusal that depends on stored state passes.

    Those are: a stale or missing precondition on writes (412, 428), a record or sheet
    that refers to ids the catalogue does not hold (422), a list filter naming an id the
    catalogue does not hold (400 naming a catalogue filter) and a query string that is not
    SPARQL (400 syntax-error...: the grammar is not a JSON Schema).
    """
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if not _refused_for_stored_state(case, response):
            raise
        return None


# Every check schemathesis registers (functions; the class-based ones are stateful and run
# through the schema's own run-check instances, which `validate_response` adds itself),
# positive_data_acceptance made aware of stored state as said above.
ALL_CHECKS: list[Callable[..., Any]] = [
    state_aware_positive_data_acceptance if c is positive_data_acceptance else c
    for c in CHECKS.get_all() if not is_check_class(c)]

# A request the schema forbids may be refused for being too long (413, documented for every
# operation that takes a body or a query): as much a rejection as a 400 or a 422, which
# schemathesis' default list (the rest of this one) leaves out. Given here rather than in a
# schemathesis.toml found from the working directory, so every run is the same.
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422",
                          "428", "429", "5xx"]}}})

SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large, HealthCheck.large_base_example,
                           HealthCheck.function_scoped_fixture])


class Fuzzed:
    """An app under fuzzing, its loaded schema and a bearer token per role."""

    def __init__(self, app: Flask, tokens: dict[str, str]) -> None:
        self.app = app
        self.tokens = tokens
        self.schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG)

    def headers(self, role: str) -> dict[str, str]:
        """Return the Authorization header of a role (none for anonymous)."""
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """Yield an app of the module's own (writes allowed), with the example roadmap stored."""
    folder = tmp_path_factory.mktemp("fuzz")
    for url in _database(request.param, folder):
        # Fuzzing sends thousands of wrong tokens: the failure limit would turn every later
        # write into a 429 and hide the write paths from the fuzzer.
        app = make_app(url, folder, AUTH_FAILURE_LIMIT=1_000_000, SPARQL_TIMEOUT=5.0)
        services = app.extensions["registry"]
        outcomes = import_projects(ROOT / "examples", services.store, services.snapshots.get(),
                                   datetime.date(2026, 11, 26), "fuzz")
        assert outcomes and all(o.action == "created" for o in outcomes)
        tokens = {role: create_token(services.store, role=role, name=f"fuzz {role}",
                                     organisations=[LEAD_ORGANISATION])[0]
                  for role in ROLES if role != "anonymous"}
        yield Fuzzed(app, tokens)
        services.store.engine.dispose()


def test_every_route_of_the_document_is_fuzzed() -> None:
    """The parametrization below covers the whole document (nothing is left out)."""
    assert len(OPERATIONS) >= 30
    assert ("POST", "/sparql") in OPERATIONS and ("PUT", "/api/projects/{project_id}") in OPERATIONS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms(fuzzed: Fuzzed, method: str, path: str, role: str) -> None:
    """Every generated request gets a documented answer, never a server error."""
    operation = fuzzed.schema[path][method]
    headers = fuzzed.headers(role) or None  # fixed: the role's token is never mutated
    strategy = st.one_of(*(operation.as_strategy(generation_mode=mode, headers=headers)
                           for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)))

    @SETTINGS
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=ALL_CHECKS)

    run()
    health = fuzzed.app.test_client().get("/health")
    assert health.status_code == 200, health.get_data(as_text=True)


def test_fuzzing_left_the_store_sound(fuzzed: Fuzzed) -> None:
    """After the fuzzing, the catalogue still reads and the example projects are there."""
    client = fuzzed.app.test_client()
    assert client.get("/api/standards?per_page=500").status_code == 200
    projects = client.get("/api/projects?per_page=500").get_json()["projects"]
    assert {p["id"] for p in projects} >= {Path(p).stem for p in
                                          os.listdir(ROOT / "examples") if p.endswith(".yaml")}
