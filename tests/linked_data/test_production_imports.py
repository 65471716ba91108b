"""The production master builds the app without the RDF libraries its workers may never use.

`registry serve --production` builds the app in gunicorn's master and forks the workers:
the Python objects of every module the master imports are in every worker's resident
memory. rdflib, the SPARQL parser (pyparsing), pyshacl and jsonschema are imported where
they are used: the SPARQL processes, a worker's first SPARQL query or RDF download (the
derived graph), validation. The compiled libraries every worker uses are the exception:
the master preloads them (registry.serving.PRELOADED). These tests build the app as the
master does, in a fresh interpreter, and then answer through the lazy paths.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from registry.serving import PRELOADED
from registry.storage import Store

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pyoxigraph", "rdflib", "pyparsing", "pyshacl", "jsonschema", "html5rdf",
         "jsonschema_rs")

SCRIPT = """
import json, sys
from registry import create_app

HEAVY = {heavy!r}


def loaded():
    return sorted({{m.split(".")[0] for m in sys.modules if m.split(".")[0] in HEAVY}}
                  | {{m for m in sys.modules if m == "rdflib.plugins.sparql.parser"}})


app = create_app({{"DATABASE_URL": {url!r}, "INSTANCE_PATH": {folder!r}, "PRODUCTION": True,
                   "REUSE_OVERLAP_JOB": True, "BASE_IRI": "https://registry.example.org/",
                   "SECRET_KEY": "k3J9x0Qv7Lm2Zp8Rt5Wy1Nb6Hc4Fd0Sa9Ge7Ui3Oo2"}})
out = {{"master": loaded()}}
if not {answer!r}:
    from registry.serving import preload_libraries

    preload_libraries()
    out["preloaded"] = loaded()
else:
    client = app.test_client(use_cookies=False)
    ask = client.get("/sparql", query_string={{"query": "ASK {{ ?s a dcat:Catalog }}"}},
                     headers={{"Accept": "application/sparql-results+json"}})
    out["ask"] = [ask.status_code, ask.get_json()]
    construct = client.get("/sparql", query_string={{
        "query": "CONSTRUCT {{ ?s a dcat:Catalog }} WHERE {{ ?s a dcat:Catalog }}"}},
        headers={{"Accept": "text/turtle"}})
    out["construct"] = [construct.status_code, construct.data.decode()]
    dcat = client.get("/dcat.ttl")
    out["dcat"] = [dcat.status_code, dcat.data.decode()]
    out["after"] = loaded()
    app.extensions["linked_data"].close()
app.extensions["registry"].store.engine.dispose()
print(json.dumps(out))
"""


def run_app(database_url: str, folder: Path, answer: bool) -> dict[str, object]:
    """Build a production app in a fresh interpreter (and answer, if asked)."""
    store = Store(database_url)
    store.migrate()
    store.engine.dispose()
    code = SCRIPT.format(heavy=HEAVY, url=database_url, folder=str(folder), answer=answer)
    ran = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=180)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_production_master_imports_no_rdf_library(tmp_path: Path,
                                                      database_url: str) -> None:
    out = run_app(database_url, tmp_path, answer=False)
    # (On SQLite, building the app may already validate with jsonschema_rs.)
    assert [m for m in out["master"] if m not in PRELOADED] == []
    # What `registry serve --production` adds before forking: the compiled libraries
    # every worker uses (a forked worker holds only the pages of them it touches).
    assert out["preloaded"] == ["jsonschema_rs", "pyoxigraph"]


def test_sparql_and_rdf_downloads_import_what_they_use(tmp_path: Path,
                                                       database_url: str) -> None:
    out = run_app(database_url, tmp_path, answer=True)
    assert [m for m in out["master"] if m not in PRELOADED] == []
    assert out["ask"] == [200, {"head": {}, "boolean": True}]
    status, turtle = out["construct"]
    assert status == 200
    assert "<https://registry.example.org/dcat#catalogue> a dcat:Catalog" in turtle
    status, dcat = out["dcat"]
    assert status == 200 and "dcat:Catalog" in dcat
    # The derived graph needs rdflib (the catalogue and DCAT chunks) and pyoxigraph
    # (IRI checks) in the web process; the SPARQL parser stays in the SPARQL processes.
    assert [m for m in out["after"] if m != "jsonschema_rs"] == \
        ["html5rdf", "pyoxigraph", "rdflib"]
