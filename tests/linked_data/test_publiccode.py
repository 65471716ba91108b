"""publiccode.yml import: the mapping to a component, what is not mapped, the command."""

from __future__ import annotations

from registry.catalogue.publiccode import map_publiccode, read_publiccode, slug
from registry.catalogue.records import validate_record
from registry.storage import Store
from tests.linked_data.conftest import ROOT

DATA = ROOT / "tests" / "data" / "publiccode"


def mapped(name: str, catalogue, **kwargs):
    return map_publiccode(read_publiccode((DATA / name).read_bytes(), 1024 * 1024),
                          catalogue, **kwargs)


def test_a_publiccode_file_maps_to_a_valid_component(catalogue):
    result = mapped("signalen.yml", catalogue)
    record = result.record
    assert result.errors == 0 and record is not None
    assert validate_record("component", record) == []
    assert record["id"] == "signalen" and record["owner"] == "paradigm"
    assert record["status"] == "active" and record["licence"] == "MPL-2.0"
    assert record["url"] == "https://signalen.org"
    assert record["contact"] == "info@signalen.example"
    assert record["provides"] == ["incident-reporting"]
    assert record["description"]["nl"].startswith("Bewoners melden")
    assert "MPL-2.0" in record["reuse_conditions"]["fr"]
    targets = dict(result.mapped)
    assert targets["owner"] == "legal.repoOwner" and targets["name.en"].endswith("localisedName")


def test_what_could_not_be_mapped_is_reported(catalogue):
    not_mapped = "\n".join(mapped("signalen.yml", catalogue).not_mapped)
    for what in ("softwareVersion", "releaseDate", "platforms", "localisation",
                 "description.fr", "customer-relationship-management", "implements",
                 "description.en.features"):
        assert what in not_mapped, what


def test_owner_and_id_options_win(catalogue):
    record = mapped("unknown-owner.yml", catalogue, owner="sprb-gob",
                    record_id="my-tool").record
    assert record["owner"] == "sprb-gob" and record["id"] == "my-tool"
    assert record["status"] == "pilot"


def test_unmappable_files_give_findings(catalogue):
    unknown = mapped("unknown-owner.yml", catalogue)
    assert unknown.record is None and unknown.findings[0].code == "publiccode.owner"
    bomb = mapped("aliases.yml", catalogue)
    assert bomb.record is None and bomb.findings[0].code == "parse.alias"
    assert bomb.findings[0].line == 2


def test_slug():
    assert slug("Signalen Frontend 2!") == "signalen-frontend-2"
    assert slug("X") == "x-component"


def test_the_command_stores_a_revision(run, database_url):
    path = str(DATA / "signalen.yml")
    dry = run("components", "import-publiccode", path, "--dry-run")
    assert dry.exit_code == 0 and '"id": "signalen"' in dry.output
    created = run("components", "import-publiccode", path, "--author", "Ann")
    assert created.exit_code == 0, created.output
    assert "not mapped  softwareVersion" in created.output
    assert "component signalen: created (revision 1)" in created.output
    again = run("components", "import-publiccode", path)
    assert "unchanged" in again.output
    store = Store(database_url)
    stored = store.get("component", "signalen")
    assert stored.updated_by == "Ann" and stored.data["owner"] == "paradigm"
    store.engine.dispose()
    refused = run("components", "import-publiccode", str(DATA / "unknown-owner.yml"))
    assert refused.exit_code == 1 and "publiccode.owner" in refused.output
    bad_owner = run("components", "import-publiccode", path, "--owner", "nobody")
    assert bad_owner.exit_code == 2
