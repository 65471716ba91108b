"""The `registry` command: import all or nothing, export round trip, look-ups."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from registry.catalogue.files import shipped_root
from registry.catalogue.records import KINDS
from registry.cli import main
from registry.storage import Store


def copy_catalogue(target: Path) -> Path:
    for folder in ("standards", "reference_arch"):
        shutil.copytree(shipped_root() / folder, target / folder)
    return target


def test_import_then_import_again_changes_nothing(run, database_url):
    first = run("import", str(shipped_root()))
    assert first.exit_code == 0, first.output
    shipped = len(list((shipped_root() / "standards").glob("*.yaml")))
    assert f"standards: {shipped} created, 0 updated, 0 unchanged" in first.output
    store = Store(database_url)
    version = store.catalogue_version()
    second = run("import", str(shipped_root()))
    assert second.exit_code == 0
    assert " 0 created, 0 updated" in second.output
    assert store.catalogue_version() == version
    store.engine.dispose()


def test_one_bad_file_imports_nothing_and_names_file_line_field(run, database_url, tmp_path):
    root = copy_catalogue(tmp_path / "cat")
    bad = root / "standards" / "gtfs.yaml"
    lines = bad.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("layer:"))
    lines[index] = "layer: physical"
    bad.write_text("\n".join(lines) + "\n")
    result = run("import", str(root))
    assert result.exit_code == 1
    assert f"gtfs.yaml:{index + 1}:" in result.output
    assert "/layer" in result.output and "nothing was imported" in result.output
    store = Store(database_url)
    store.migrate()
    assert store.count() == 0
    store.engine.dispose()


def test_export_writes_a_catalogue_that_imports_as_a_no_op(run, tmp_path):
    assert run("import", str(shipped_root())).exit_code == 0
    out = tmp_path / "exported"
    result = run("export", str(out))
    assert result.exit_code == 0 and "wrote" in result.output
    assert (out / "standards" / "ngsi-ld.yaml").is_file()
    again = run("import", str(out))
    assert again.exit_code == 0
    assert len(again.output.splitlines()) == len(KINDS)  # one line per record kind
    assert all(" 0 created, 0 updated" in line for line in again.output.splitlines())


def test_standards_lookup_text_and_json(run):
    text = run("standards", "--status", "deprecated")
    assert text.exit_code == 0
    assert "dcat-ap-2" in text.output and "wcag-2-0" in text.output
    data = json.loads(run("standards", "--status", "mandatory", "--format", "json").output)
    assert {s["status"] for s in data} == {"mandatory"}
    bad = CliRunner().invoke(main, ["standards", "--status", "obligatory"])
    assert bad.exit_code == 2 and "obligatory" in bad.output


def test_missing_folder_is_a_usage_error(run, tmp_path):
    result = CliRunner().invoke(main, ["import", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_production_options_without_production_are_a_usage_error():
    for option in ("--shared-socket", "--no-hit-path"):
        result = CliRunner().invoke(main, ["serve", option])
        assert result.exit_code == 2, result.output
        assert "go with --production" in result.output and "Traceback" not in result.output


def test_db_upgrade_and_settings(run):
    from registry.storage.store import MIGRATIONS

    count = len(list((MIGRATIONS / "versions").glob("0*.py")))
    assert run("db", "upgrade").output == f"applied {count} migration(s)\n"
    assert run("db", "upgrade").output == "already up to date\n"
    listing = run("settings").output
    assert "REGISTRY_DATABASE_URL" in listing and "REGISTRY_SNAPSHOT_TTL" in listing


def test_token_create_list_revoke(run, database_url):
    created = run("token", "create", "--role", "lead", "--org", "stib-mivb", "--name",
                  "STIB lead", "--expires", "30")
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("rgt_")
    token_id = secret.split("_")[1]
    listing = run("token", "list").output
    assert token_id in listing and "active" in listing and secret not in listing
    assert run("token", "revoke", token_id).exit_code == 0
    assert "revoked" in run("token", "list").output
    again = CliRunner().invoke(main, ["token", "revoke", token_id])
    assert again.exit_code == 1 and "no active token" in again.output
    unknown = CliRunner().invoke(main, ["token", "create", "--role", "lead", "--org", "nasa"])
    assert unknown.exit_code == 2 and "nasa" in unknown.output
    no_org = CliRunner().invoke(main, ["token", "create", "--role", "lead"])
    assert no_org.exit_code == 2 and "organisation" in no_org.output
