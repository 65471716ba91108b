"""`registry validate`: exit codes, formats, stdin, folders, an offline catalogue."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "examples" / "mobility-data-hub.yaml"
INVALID = ROOT / "tests" / "data" / "invalid"
AS_OF = ["--as-of", "2026-11-26"]


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(main, ["validate", "--shipped", *AS_OF, *args], input=stdin)


def test_valid_files_exit_0_invalid_exit_1_usage_exit_2(tmp_path):
    assert run(str(HUB)).exit_code == 0
    bad = run(str(INVALID / "schema_enum.yaml"))
    assert bad.exit_code == 1
    assert "schema_enum.yaml:26:9: error schema.enum /status" in bad.output
    assert run(str(tmp_path / "missing.yaml")).exit_code == 2
    assert CliRunner().invoke(main, ["validate", "--colour", str(HUB)]).exit_code == 2
    assert CliRunner().invoke(main, ["validate", "--as-of", "2026-02-30", str(HUB)]
                              ).exit_code == 2


def test_text_lines_errors_first_then_summary():
    result = run(str(INVALID / "policy_mandatory-missing.yaml"), str(HUB))
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("2 files checked: 1 valid, 1 invalid")
    severities = [line.split(": ", 1)[1].split()[0] for line in lines[:-1]]
    assert severities == sorted(severities, key=lambda s: s != "error")


def test_json_report_matches_the_spec():
    result = run("--format", "json", str(HUB), str(INVALID / "schema_enum.yaml"))
    report = json.loads(result.output)
    assert list(report) == ["valid", "files", "summary"]
    assert report["valid"] is False
    assert report["summary"]["files"] == 2 and report["summary"]["invalid"] == 1
    assert [f["path"] for f in report["files"]] == [str(HUB), str(INVALID / "schema_enum.yaml")]


def test_sarif_report():
    result = run("--format", "sarif", str(INVALID / "schema_enum.yaml"))
    sarif = json.loads(result.output)
    assert sarif["version"] == "2.1.0"
    [res] = sarif["runs"][0]["results"]
    assert res["ruleId"] == "schema.enum" and res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 26


def test_stdin_and_folders(tmp_path):
    piped = run("-", stdin=HUB.read_bytes())
    assert piped.exit_code == 0 and "1 file checked: 1 valid" in piped.output
    folder = tmp_path / "sheets"
    (folder / "nested").mkdir(parents=True)
    shutil.copy(HUB, folder / "a.yaml")
    shutil.copy(INVALID / "schema_enum.yaml", folder / "nested" / "b.yml")
    (folder / "notes.txt").write_text("not a sheet")
    result = run(str(folder))
    assert result.exit_code == 1
    assert "2 files checked: 1 valid, 1 invalid" in result.output


def test_one_bad_file_in_a_large_batch_is_one_invalid_file(tmp_path):
    for n in range(60):
        shutil.copy(HUB, tmp_path / f"p{n:02}.yaml")
    (tmp_path / "p30.yaml").write_bytes(b"\x00\xff\xfe binary \x00")
    result = run("--format", "json", str(tmp_path))
    summary = json.loads(result.output)["summary"]
    assert summary == {**summary, "files": 60, "valid": 59, "invalid": 1}


def test_a_catalogue_folder_without_a_database(tmp_path):
    result = CliRunner().invoke(main, ["validate", "--catalogue", str(ROOT), *AS_OF, str(HUB)])
    assert result.exit_code == 0
    broken = tmp_path / "catalogue"
    (broken / "standards").mkdir(parents=True)
    (broken / "standards" / "x.yaml").write_text("id: [")
    bad = CliRunner().invoke(main, ["validate", "--catalogue", str(broken), str(HUB)])
    assert bad.exit_code == 2 and "cannot be read" in bad.output


def test_without_a_catalogue_option_the_store_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["validate", *AS_OF, str(HUB)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "registry.sqlite").exists()


@pytest.mark.slow
def test_the_pre_commit_hook_entry_runs_as_a_command():
    hook = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "entry: registry validate --shipped" in hook
    registry = Path(sys.executable).parent / "registry"
    done = subprocess.run([str(registry), "validate", "--shipped", *AS_OF, str(ROOT / "examples")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    count = len(list((ROOT / "examples").glob("*.yaml")))
    assert f"{count} files checked: {count} valid, 0 invalid" in done.stdout


# What `registry validate --shipped` must never import: the store, the web app, RDF.
HEAVY = ("sqlalchemy", "alembic", "rdflib", "pyshacl", "pyoxigraph", "flask", "werkzeug",
         "jinja2", "psycopg")


def _imported_by_validate(*args: str) -> tuple[int, set[str], set[str]]:
    """Run the command in a fresh interpreter; return its exit code, top-level modules
    and every module it imported."""
    code = (
        "import sys\n"
        "from registry.cli import main\n"
        "try:\n"
        f"    main({['validate', '--shipped', *AS_OF, *args]!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    status, names = done.stderr.strip().splitlines()[-1].split(" ", 1)
    modules = set(names.split())
    return int(status), {m.split(".")[0] for m in modules}, modules


def test_validate_shipped_imports_neither_the_store_nor_the_web_nor_rdf() -> None:
    status, modules, every = _imported_by_validate(str(HUB))
    assert status == 0
    assert "registry" in modules and "yaml" in modules
    assert sorted(modules & set(HEAVY)) == []
    # A valid sheet is answered by the compiled (Rust) schema check alone.
    assert "jsonschema" not in modules
    # The text report needs no JSON library, a known value no spelling suggestion, one
    # file no progress bar (click's terminal module) and no worker pool.
    assert sorted(modules & {"orjson", "difflib", "multiprocessing", "concurrent"}) == []
    assert "click._termui_impl" not in every


def test_an_invalid_sheet_needs_jsonschema_but_still_no_store_web_or_rdf() -> None:
    status, modules, _ = _imported_by_validate(str(INVALID / "schema_enum.yaml"))
    assert status == 1
    assert "jsonschema" in modules
    assert sorted(modules & set(HEAVY)) == []
