"""Schema messages come from a table of templates, never from jsonschema's English text;
every template is ready for translation; a stage that cannot be imported is an error."""

from __future__ import annotations

import ast
import string
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from registry.documents.parse import parse_document
from registry.validation import schema, schema_messages, sheet_rules, structure
from tests.validation.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
# The invalid test sheets that parse (parse_* files stop before the structure stage).
INVALID = sorted(p for p in (DATA / "invalid").glob("*.y*ml") if not p.name.startswith("parse_"))


def _keywords(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "$defs", "patternProperties"):
                for sub in value.values():
                    found |= _keywords(sub)
            else:
                found |= _keywords(value)
    elif isinstance(node, list):
        for item in node:
            found |= _keywords(item)
    return found


# Keywords that never fail on their own (annotations, structure, applicators whose
# failures are those of their subschemas).
SILENT = {"$defs", "$id", "$ref", "$schema", "description", "title", "if", "then", "else",
          "allOf", "items", "properties", "patternProperties"}


def test_every_keyword_of_the_schema_has_a_message() -> None:
    keywords = _keywords(schema.schema()) - SILENT
    assert keywords >= {"required", "type", "enum", "pattern", "minLength"}
    assert sorted(k for k in keywords if k not in schema_messages.MESSAGES) == []


def test_messages_never_read_jsonschema_text() -> None:
    for module in (schema_messages, sheet_rules, structure):
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        reads = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Attribute) and node.attr == "message"]
        assert reads == [], f"{module.__name__} reads `.message` at lines {reads}"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("table", ["MESSAGES", "ADVICE", "DECLARATION_ADVICE", "SCHEMA_ADVICE",
                                   "TYPE_NAMES", "KINDS"])
def test_templates_are_plain_strings_with_named_placeholders(table: str) -> None:
    templates = getattr(schema_messages, table)
    assert templates
    for template in templates.values():
        assert isinstance(template, str)
        # Named placeholders only (no `{}` nor `{0}`), no conversion or format spec.
        for _, name, spec, conversion in string.Formatter().parse(template):
            assert name is None or (name.isidentifier() and not spec and not conversion), template


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_each_structure_finding_carries_its_template_and_parameters(path: Path) -> None:
    parsed = parse_document(path.read_bytes(), filename=path.name)
    assert parsed.findings == []
    findings = list(structure.check(parsed.value, parsed.positions,
                                    key_positions=parsed.key_positions, sources=parsed.sources))
    for finding in findings:
        assert finding.template is not None, finding
        assert finding.params is not None
        assert _placeholders(finding.template) <= set(finding.params), finding
        assert finding.template.format_map(finding.params) == finding.message
        if finding.hint is not None:
            assert finding.hint_template is not None
            assert finding.hint_template.format_map(finding.params) == finding.hint
        # What the API answers is unchanged: the template is not part of the JSON.
        assert set(finding.to_dict()) == {"severity", "code", "path", "line", "column",
                                          "message", "hint"}


def test_a_required_field_is_named_from_the_instance_not_the_message() -> None:
    # Three missing properties of one mapping: three findings, each naming its own field.
    sheet = parse_document((DATA / "valid" / "spec-example.yaml").read_bytes()).value
    for key in ("status", "domains", "timeline"):
        del sheet[key]
    found = {f.path: f for f in structure.check(sheet) if f.code == "schema.required"}
    assert set(found) == {"/status", "/domains", "/timeline"}
    assert found["/status"].params is not None and found["/status"].params["field"] == "status"
    assert found["/timeline"].message == "the sheet has no timeline: add start and end dates"


@pytest.mark.parametrize("stage", ["structure", "linked_data", "policy"])
def test_a_stage_that_cannot_be_imported_is_an_error_not_a_skip(stage: str) -> None:
    # Hide one stage's module, as a rename would: importing the pipeline must fail.
    code = textwrap.dedent(f"""
        import importlib.abc, sys

        class Hide(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "registry.validation.{stage}":
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Hide())
        try:
            import registry.validation.pipeline
        except ImportError as exc:
            print("refused", "{stage}" in str(exc))
        else:
            print("imported")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=False, timeout=120)
    assert result.stdout.strip() == "refused True", result.stderr
