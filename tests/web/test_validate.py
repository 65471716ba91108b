"""Validation where project leads work: the API, the page, the served schemas."""

from __future__ import annotations

import datetime
import io
import json
import re
from pathlib import Path

import pytest

from tests.helpers import AS_OF

ROOT = Path(__file__).resolve().parents[2]
HUB = (ROOT / "examples" / "mobility-data-hub.yaml").read_bytes()
DATA = ROOT / "tests" / "data"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


def test_yaml_body_gives_the_spec_report(read_client):
    response = read_client.post(f"/api/validate?as_of={AS_OF}", data=HUB,
                                content_type="application/yaml")
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["path", "valid", "findings", "summary"]
    assert body["valid"] is True
    assert body["summary"] == {"files": 1, "valid": 1, "invalid": 0, "errors": 0,
                               "warnings": len(body["findings"])}
    for item in body["findings"]:
        assert list(item) == ["severity", "code", "path", "line", "column", "message", "hint"]


def test_invalid_sheet_is_still_200_with_the_report(read_client):
    broken = HUB.replace(b"status: proposed", b"status: dreaming")
    body = read_client.post("/api/validate", data=broken,
                            content_type="application/yaml").get_json()
    assert body["valid"] is False
    [error] = [f for f in body["findings"] if f["severity"] == "error"]
    assert (error["code"], error["path"], error["line"]) == ("schema.enum", "/status", 18)


def test_json_body_and_multipart_upload(read_client):
    import yaml

    sheet = yaml.safe_load(HUB)
    text = json.dumps(sheet, default=str)
    as_json = read_client.post(f"/api/validate?as_of={AS_OF}", data=text,
                               content_type="application/json").get_json()
    assert as_json["valid"] is True
    upload = read_client.post(f"/api/validate?as_of={AS_OF}",
                              data={"file": (io.BytesIO(HUB), "hub.yaml")},
                              content_type="multipart/form-data").get_json()
    assert upload["path"] == "hub.yaml" and upload["valid"] is True


def test_size_media_type_and_date_errors(read_client, read_app):
    limit = read_app.config["REGISTRY"]["MAX_UPLOAD_BYTES"]
    big = read_client.post("/api/validate", data=b"a" * (limit + 1),
                           content_type="application/yaml")
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "too-large"
    # Built by hand: the test client would spool a large form to a temporary file.
    boundary = "xyz"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"x.yaml\"\r\n\r\n").encode() + b"a" * (limit * 2) + \
        f"\r\n--{boundary}--\r\n".encode()
    huge_upload = read_client.post("/api/validate", data=form,
                                   content_type=f"multipart/form-data; boundary={boundary}")
    assert huge_upload.status_code == 413
    text = read_client.post("/api/validate", data=HUB, content_type="text/plain")
    assert text.status_code == 415
    assert read_client.post("/api/validate?as_of=2026-13-01", data=HUB,
                            content_type="application/yaml").status_code == 400
    empty_form = read_client.post("/api/validate", data={"x": "y"},
                                  content_type="multipart/form-data")
    assert empty_form.status_code == 400


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_invalid_sheet_gives_exactly_its_findings_through_the_api(read_client, name):
    data = (DATA / "invalid" / name).read_bytes()
    body = read_client.post(f"/api/validate?as_of={AS_OF}", data=data,
                            content_type="application/yaml").get_json()
    got = sorted((f["code"], f["path"], f["severity"]) for f in body["findings"])
    want = sorted((f["code"], f["path"], f["severity"]) for f in EXPECTED[name])
    assert got == want


def test_the_schemas_are_served_for_editors(read_client):
    schema = read_client.get("/schemas/project-sheet/v1.json")
    assert schema.status_code == 200 and schema.mimetype == "application/schema+json"
    assert schema.get_json()["$id"].endswith("/schemas/project-sheet/v1.json")
    context = read_client.get("/schemas/project-sheet/v1.context.jsonld")
    assert context.mimetype == "application/ld+json" and "@context" in context.get_json()
    shapes = read_client.get("/schemas/project-sheet/v1.shapes.ttl")
    assert shapes.mimetype == "text/turtle" and b"sh:NodeShape" in shapes.data
    assert read_client.get("/schemas/catalogue/standard.schema.json").status_code == 200
    assert read_client.get("/schemas/project-sheet/v2.json").status_code == 404
    assert read_client.get("/schemas/catalogue/..%2f..%2fpyproject.toml").status_code == 404


def test_the_page_shows_each_finding_beside_its_line(read_client):
    form = read_client.get("/validate")
    assert form.status_code == 200 and b'enctype="multipart/form-data"' in form.data
    broken = HUB.replace(b"status: proposed", b"status: dreaming").decode()
    page = read_client.post("/validate", data={"text": broken, "as_of": AS_OF})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Not valid" in html
    row = html.split('id="L18"')[1].split("</tr>")[0]
    assert "status: dreaming" in row and "schema.enum" in row
    assert "proposed, selected" in row


def test_the_page_takes_an_upload_and_refuses_nothing_sent(read_client):
    page = read_client.post("/validate", data={"file": (io.BytesIO(HUB), "hub.yaml"),
                                               "as_of": AS_OF},
                            content_type="multipart/form-data")
    assert page.status_code == 200 and "Valid: hub.yaml" in page.get_data(as_text=True)
    empty = read_client.post("/validate", data={"text": ""})
    assert empty.status_code == 400 and "Choose a file" in empty.get_data(as_text=True)
    bad_date = read_client.post("/validate", data={"text": "a: 1", "as_of": "tomorrow"})
    assert bad_date.status_code == 400


def test_hostile_text_on_the_page_is_escaped(read_client):
    page = read_client.post("/validate", data={"text": "<script>alert(1)</script>: x"})
    html = page.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_the_template_is_served_valid_and_commented_in_three_languages(read_client, catalogue):
    from registry.validation.pipeline import validate_bytes

    response = read_client.get("/project-sheet-template.yaml")
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    text = response.get_data(as_text=True)
    assert text.startswith("# yaml-language-server: $schema=http://localhost/schemas/")
    report = validate_bytes(response.get_data(), catalogue,
                            as_of=datetime.date(2026, 12, 6), path="template.yaml")
    assert report.valid and report.errors == 0, [f.to_dict() for f in report.findings]
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    for words in ("Required fields", "Champs obligatoires", "Verplicht"):
        assert words in comments


def test_the_home_page_leads_to_validation_and_the_template(read_client):
    html = read_client.get("/?lang=fr").get_data(as_text=True)
    section = html.split('id="h-validate"')[1].split("</section>")[0]
    assert "Validez votre fiche de projet" in section
    assert 'href="/project-sheet-template.yaml"' in section
    assert 'href="/validate?lang=fr"' in section


def test_a_valid_and_an_invalid_result_look_different_and_say_what_next(read_client):
    valid = read_client.post("/validate", data={"text": HUB.decode(), "as_of": AS_OF})
    html = valid.get_data(as_text=True)
    assert 'class="report report-valid"' in html and "✔" in html
    assert "curl -X PUT http://localhost/api/projects/mobility-data-hub" in html
    assert 'href="mailto:smartcity@example.brussels"' in html

    broken = HUB.replace(b"status: proposed", b"status: dreaming").replace(
        b"- id: ngsi-ld", b"- id: ngsi-ld-x")
    invalid = read_client.post("/validate", data={"text": broken.decode(), "as_of": AS_OF})
    html = invalid.get_data(as_text=True)
    assert 'class="report report-invalid"' in html and "✖" in html and "curl" not in html
    summary = html.split('id="h-summary"')[1].split("</ol>")[0]
    # Every finding is in the summary, with a link to where it is shown.
    links = re.findall(r'href="#(f-\d+)"', summary)
    assert len(links) >= 2
    for anchor in links:
        assert f'id="{anchor}"' in html
    # Code in messages is shown as code, never as raw backticks.
    assert "`" not in html.split('id="h-report"')[1]


def test_a_yaml_syntax_error_is_shown_on_its_line(read_client):
    text = "sheet: project-sheet/v1\nid: x\n  title: [\n"
    html = read_client.post("/validate", data={"text": text}).get_data(as_text=True)
    row = html.split('id="L3"')[1].split("</tr>")[0]
    assert "parse.syntax" in row
    unclosed = "sheet: project-sheet/v1\ntitle: [a, b\n"
    html = read_client.post("/validate", data={"text": unclosed}).get_data(as_text=True)
    rows = html.split('<table class="source">')[1]
    assert "parse.syntax" in rows  # placed in the source, even past the last line
