"""Check a publiccode.yml against its standard, offline, before anything is mapped.

The rules are those of the standard (https://yml.publiccode.tools/) as its reference
parser, italia/publiccode-parser-go, applies them without network: the version the file
declares (`0`, `0.2` to `0.4`, `0.5`, `0.7`; `1` is not a published version), required
keys, types, enumerations (`developmentStatus`, `softwareType`, `maintenance.type`,
categories, scopes), SPDX licence expressions, URLs, e-mail addresses, BCP 47 language
tags (against the IANA registry), ISO 3166 country codes, dates, lengths counted in
user-perceived characters, and unknown keys (every mapping of the standard is closed).
Each problem is a finding at the line and column of the key it names.

What needs the network or data the registry does not hold is not checked, and
`NOT_CHECKED` says so: whether URLs answer, whether logos and screenshots exist and are
images, whether a video URL has an oEmbed provider, Italian public-administration codes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from registry.catalogue.spdx import spdx_problem
from registry.documents.findings import ERROR, WARNING, Finding, locate
from registry.documents.parse import ParseResult
from registry.documents.results import json_type

NOT_CHECKED = ("not checked (they need the network or data the registry does not hold): "
               "whether URLs answer, whether logo and screenshot files exist and are images, "
               "oEmbed support of video URLs, Italian public-administration (IPA) codes")
VERSIONS_V0 = ("0", "0.2", "0.2.0", "0.2.1", "0.2.2", "0.3", "0.3.0", "0.4", "0.4.0", "0.5",
               "0.5.0", "0.7", "0.7.0")
DEVELOPMENT_STATUS = ("concept", "development", "beta", "stable", "obsolete")
SOFTWARE_TYPE = ("standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web",
                 "standalone/backend", "standalone/other", "addon", "library",
                 "configurationFiles")
MAINTENANCE_TYPE = ("internal", "contract", "community", "none")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CATEGORIES = _words("""
accounting agile-project-management applicant-tracking application-development
appointment-scheduling backup billing-and-invoicing blog budgeting business-intelligence
business-process-management cad call-center-management cloud-management collaboration
communications compliance-management contact-management content-management crm
customer-service-and-support data-analytics data-collection data-visualization design
design-system digital-asset-management digital-citizenship document-management
donor-management e-commerce e-signature educational-content email-management
email-marketing employee-management enterprise-project-management
enterprise-social-networking erp event-management facility-management
feedback-and-reviews-management financial-reporting fleet-management fundraising
gamification geographic-information-systems grant-management graphic-design help-desk hr
ide identity-management instant-messaging integrated-library-system inventory-management
it-asset-management it-development it-management it-security it-service-management
knowledge-management learning-management-system marketing mind-mapping mobile-marketing
mobile-payment network-management office online-booking online-community payment-gateway
payroll predictive-analysis procurement productivity-suite project-collaboration
project-management property-management real-estate-management regulations-and-directives
remote-support resource-management sales-management seo service-desk
social-media-management survey talent-management task-management taxes-management
test-management time-management time-tracking translation video-conferencing video-editing
visitor-management voip warehouse-management web-collaboration web-conferencing
whistleblowing website-builder workflow-management other""")
SCOPES = _words("""
agriculture culture defence education emergency-services employment energy environment
finance-and-economic-development foreign-affairs government healthcare infrastructures
justice local-authorities manufacturing research science-and-technology security society
sport tourism transportation welfare""")
SUPPORT_ALIASES = frozenset({"gdpr", "eidas", "nis2", "cra", "spid", "cie", "anpr", "pagopa",
                             "io"})
LOGO_SUFFIXES = (".svg", ".svgz", ".png")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z")
_MIME = re.compile(r" *[A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126} *\Z")
_URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+\Z",
                  re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


@dataclass
class Check:
    """The outcome of checking a file: its findings and the version it was checked as."""

    findings: list[Finding] = field(default_factory=list)
    version: str | None = None

    @property
    def errors(self) -> int:
        """Return the number of error findings."""
        return sum(1 for f in self.findings if f.severity == ERROR)


# --- what a key may hold ---------------------------------------------------------------

Rule = Callable[["_Checker", Any, str], None]


@dataclass(frozen=True)
class Key:
    """A key of a mapping of the standard: its rule, and whether it must be there."""

    rule: Rule
    required: bool = False
    deprecated: str | None = None  # the warning, when the standard deprecates the key


def _name(pointer: str) -> str:
    """Return a pointer as the dotted key the standard's documentation uses."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "(the file)"


_KIND_WORDS = {"null": "empty (null)", "boolean": "a boolean", "number": "a number",
               "string": "a string", "array": "a list", "object": "a mapping"}


def _kind(value: Any) -> str:
    return _KIND_WORDS[json_type(value)]


class _Checker:
    def __init__(self, parsed: ParseResult) -> None:
        self.positions = parsed.positions
        self.key_positions = parsed.key_positions
        self.sources = parsed.sources
        self.findings: list[Finding] = []

    def add(self, pointer: str, code: str, message: str, severity: str = ERROR,
            at_key: bool = False, at: str | None = None) -> None:
        where = self.key_positions.get(pointer) if at_key else None
        line, column = where if where else locate(self.positions, pointer if at is None else at)
        self.findings.append(Finding(severity, code, pointer, f"{_name(pointer)}: {message}",
                                     line, column))

    def wrong_type(self, value: Any, pointer: str, expected: str) -> None:
        self.add(pointer, "publiccode.type", f"wrong type: {expected} is expected, the file "
                 f"has {_kind(value)}")

    def text(self, value: Any, pointer: str) -> str | None:
        """Return the value as text (a plain number is the text written), else report."""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.sources.get(pointer, str(value))
        self.wrong_type(value, pointer, "a string")
        return None

    def mapping(self, value: Any, pointer: str, keys: Mapping[str, Key]) -> None:
        if not isinstance(value, Mapping):
            self.wrong_type(value, pointer, "a mapping")
            return
        for name, key in keys.items():
            child = f"{pointer}/{name}"
            if name not in value or value[name] is None:
                if key.required:  # named by its own path, shown where it belongs
                    self.add(child, "publiccode.required", "is required" if name not in value
                             else "is required and is empty", at=pointer)
                continue
            if key.deprecated:
                self.add(child, "publiccode.deprecated", key.deprecated, WARNING, at_key=True)
            key.rule(self, value[name], child)
        for name in value:
            if name not in keys:
                self.add(f"{pointer}/{_escape(str(name))}", "publiccode.unknown-key",
                         "is not a key of the standard at this place (check its spelling "
                         "and case)", at_key=True)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# --- rules -----------------------------------------------------------------------------

def string(c: _Checker, value: Any, pointer: str) -> None:
    c.text(value, pointer)


def required_string(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is not None and not text.strip():
        c.add(pointer, "publiccode.required", "is required and is empty")


def boolean(c: _Checker, value: Any, pointer: str) -> None:
    # YAML 1.2, which the standard uses: only true and false (not yes/no/on/off).
    if not isinstance(value, bool) or c.sources.get(pointer, "true").lower() not in (
            "true", "false"):
        shown = c.sources.get(pointer)
        c.add(pointer, "publiccode.type", "wrong type: true or false is expected"
              + (f", the file has {shown!r}" if shown else f", the file has {_kind(value)}"))


def one_of(values: tuple[str, ...] | frozenset[str], what: str) -> Rule:
    def rule(c: _Checker, value: Any, pointer: str) -> None:
        text = c.text(value, pointer)
        if text is not None and text not in values:
            listed = ", ".join(values) if len(values) < 12 else f"see the standard's {what}"
            c.add(pointer, "publiccode.enum", f"{text!r} is not one of the allowed values "
                  f"({listed})")
    return rule


def _is_url(text: str, http_only: bool) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    if any(ch.isspace() for ch in text) or not parts.scheme or not re.fullmatch(
            r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme):
        return False
    if http_only:
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    return bool(parts.netloc) or bool(parts.path and parts.scheme.lower() != "file")


def url(http_only: bool) -> Rule:
    def rule(c: _Checker, value: Any, pointer: str) -> None:
        text = c.text(value, pointer)
        if text is not None and not _is_url(text, http_only):
            c.add(pointer, "publiccode.url", f"{text!r} is not {'an HTTP(S)' if http_only else 'a'}"
                  " URL")
    return rule


def date_rule(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is None:
        return
    try:
        ok = bool(_DATE.match(text)) and date.fromisoformat(text) is not None
    except ValueError:
        ok = False
    if not ok:
        c.add(pointer, "publiccode.date", f"{text!r} is not a date written YYYY-MM-DD")


def email(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is not None and not _EMAIL.match(text):
        c.add(pointer, "publiccode.email", f"{text!r} is not an e-mail address")


def licence(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is None:
        return
    problem = spdx_problem(text)
    if problem:
        c.add(pointer, "publiccode.licence", f"{text!r} is not an SPDX licence expression: "
              f"{problem}")


def _language_ok(tag: str) -> bool:
    from language_tags import tags  # the IANA registry: loaded on first use only

    return "_" not in tag and bool(tags.check(tag))


def language(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is not None and not _language_ok(text):
        c.add(pointer, "publiccode.language", f"{text!r} is not a BCP 47 language tag")


def country(c: _Checker, value: Any, pointer: str) -> None:
    from language_tags import tags

    text = c.text(value, pointer)
    if text is None:
        return
    code = text.upper()
    # The IANA registry's two-letter regions, less those ISO 3166-1 does not assign to a
    # country: private use (AA, QM-QZ, XA-XZ, ZZ) and the reserved EU, EZ and UN.
    private = code == "AA" or code == "ZZ" or (code[:1] == "Q" and code[1:] >= "M") or \
        code[:1] == "X" or code in ("EU", "EZ", "UN")
    region = tags.region(text) if len(text) == 2 and text.isalpha() and not private else None
    if region is None or text not in (text.upper(), text.lower()) or region.deprecated:
        c.add(pointer, "publiccode.country", f"{text!r} is not an ISO 3166-1 alpha-2 country "
              "code (upper case, or all lower case)")
    elif text == text.lower():
        c.add(pointer, "publiccode.deprecated", f"lower-case country codes are deprecated: "
              f"write {text.upper()!r}", WARNING)


def graphemes(text: str) -> int:
    """Return the number of user-perceived characters (an approximation of UAX 29)."""
    count, joined, regional = 0, False, False
    for ch in text:
        code = ord(ch)
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Mc") or \
                0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF or code == 0x200D:
            joined = code == 0x200D
            continue
        if joined:
            joined = False
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:
            regional = not regional
            if not regional:
                continue  # the second of a flag's pair
        else:
            regional = False
        count += 1
    return count


def text_length(minimum: int | None, maximum: int | None, required: bool = False) -> Rule:
    def rule(c: _Checker, value: Any, pointer: str) -> None:
        text = c.text(value, pointer)
        if text is None:
            return
        if required and not text.strip():
            c.add(pointer, "publiccode.required", "is required and is empty")
            return
        n = graphemes(text)
        if maximum is not None and n > maximum:
            c.add(pointer, "publiccode.length", f"{n} characters, more than the {maximum} "
                  "allowed")
        if minimum is not None and n < minimum:
            c.add(pointer, "publiccode.length", f"{n} characters, fewer than the {minimum} "
                  "required")
    return rule


def relative_path_or_url(suffixes: tuple[str, ...] | None = None) -> Rule:
    def rule(c: _Checker, value: Any, pointer: str) -> None:
        text = c.text(value, pointer)
        if text is None:
            return
        scheme = urlsplit(text).scheme.lower() if ":" in text else ""
        if scheme == "file" or text.startswith("/") or (scheme and not _is_url(text, True)):
            c.add(pointer, "publiccode.path", f"{text!r} must be an HTTP(S) URL or a path "
                  "relative to the repository")
        elif suffixes and not urlsplit(text).path.lower().endswith(suffixes):
            c.add(pointer, "publiccode.path", f"{text!r}: the file must be one of "
                  f"{', '.join(suffixes)}")
    return rule


def organisation_uri(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is None:
        return
    if text.lower().startswith("urn:"):
        if not _URN.match(text):
            c.add(pointer, "publiccode.url", f"{text!r} is not a URN (RFC 2141)")
    elif not _is_url(text, False) or not urlsplit(text).netloc:
        c.add(pointer, "publiccode.url", f"{text!r} is not a URI (a URL or a URN)")


def supports_id(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is None:
        return
    if text.startswith("alias:"):
        if text[6:] not in SUPPORT_ALIASES:
            c.add(pointer, "publiccode.enum", f"{text!r} is not a known alias "
                  f"({', '.join(sorted(SUPPORT_ALIASES))})")
    elif not (_URN.match(text) or (_is_url(text, False) and urlsplit(text).netloc)):
        c.add(pointer, "publiccode.url", f"{text!r} is neither alias:NAME nor a URI")


def mime(c: _Checker, value: Any, pointer: str) -> None:
    text = c.text(value, pointer)
    if text is not None and not _MIME.match(text):
        c.add(pointer, "publiccode.enum", f"{text!r} is not a MIME type")


def list_of(item: Rule, non_empty: bool = False) -> Rule:
    def rule(c: _Checker, value: Any, pointer: str) -> None:
        if not isinstance(value, list):
            c.wrong_type(value, pointer, "a list")
            return
        if non_empty and not value:
            c.add(pointer, "publiccode.required", "must list at least one item")
        for i, element in enumerate(value):
            if element is None:
                c.add(f"{pointer}/{i}", "publiccode.required", "an item is empty")
            else:
                item(c, element, f"{pointer}/{i}")
    return rule


def url_or_urls(c: _Checker, value: Any, pointer: str) -> None:
    if isinstance(value, list):
        list_of(url(False))(c, value, pointer)
    elif isinstance(value, str):
        url(False)(c, value, pointer)
    else:
        c.wrong_type(value, pointer, "a URL or a list of URLs")


def mapping(keys: Mapping[str, Key]) -> Rule:
    def rule(c: _Checker, value: Any, pointer: str) -> None:
        c.mapping(value, pointer, keys)
    return rule


# --- the standard ----------------------------------------------------------------------

_GONE = "is deprecated by the standard: it is safe to drop it"
ORGANISATION = {"name": Key(string), "uri": Key(organisation_uri, required=True)}
CONTRACTOR = {"name": Key(required_string, required=True), "email": Key(email),
              "website": Key(url(True)), "until": Key(date_rule, required=True)}
CONTACT = {"name": Key(required_string, required=True), "email": Key(email),
           "affiliation": Key(string), "phone": Key(string)}
DEPENDENCY = {"name": Key(required_string, required=True), "versionMin": Key(string),
              "versionMax": Key(string), "optional": Key(boolean), "version": Key(string)}
DEPENDS_ON = {kind: Key(list_of(mapping(DEPENDENCY)))
              for kind in ("open", "proprietary", "hardware")}
AUDIENCE = {"scope": Key(list_of(one_of(SCOPES, "scopes"))),
            "countries": Key(list_of(country)),
            "unsupportedCountries": Key(list_of(country))}
LOCALISATION = {"localisationReady": Key(boolean, required=True),
                "availableLanguages": Key(list_of(language, non_empty=True), required=True)}


def _description(v0: bool) -> dict[str, Key]:
    keys = {
        "localisedName": Key(string),
        "shortDescription": Key(text_length(None, 150, required=True), required=True),
        "longDescription": Key(text_length(150, 10000, required=True), required=True),
        "documentation": Key(url(True)), "apiDocumentation": Key(url(True)),
        "features": Key(list_of(string, non_empty=True), required=True),
        "screenshots": Key(list_of(relative_path_or_url())),
        "videos": Key(list_of(url(True))),
        "awards": Key(list_of(string)),
    }
    if v0:
        keys["genericName"] = Key(text_length(None, 35), deprecated=_GONE)
    return keys


def descriptions(v0: bool) -> Rule:
    keys = _description(v0)

    def rule(c: _Checker, value: Any, pointer: str) -> None:
        if not isinstance(value, Mapping):
            c.wrong_type(value, pointer, "a mapping of languages")
            return
        if not value:
            c.add(pointer, "publiccode.required", "must describe the software in at least one "
                  "language")
        for lang, entry in value.items():
            child = f"{pointer}/{_escape(str(lang))}"
            if not _language_ok(str(lang)):
                c.add(child, "publiccode.language", f"{lang!r} is not a BCP 47 language tag",
                      at_key=True)
            c.mapping(entry, child, keys)
    return rule


IT_SECTION = {
    "countryExtensionVersion": Key(one_of(("0.2", "1.0"), "versions")),
    "conforme": Key(mapping({k: Key(boolean) for k in (
        "lineeGuidaDesign", "modelloInteroperabilita", "misureMinimeSicurezza", "gdpr")}),
        deprecated=_GONE),
    "riuso": Key(mapping({"codiceIPA": Key(string)})),
    "piattaforme": Key(mapping({k: Key(boolean) for k in ("spid", "pagopa", "cie", "anpr",
                                                          "io")})),
}


def _maintenance(v0: bool) -> Rule:
    keys = {"type": Key(one_of(MAINTENANCE_TYPE, "maintenance types"), required=True),
            "contractors": Key(list_of(mapping(CONTRACTOR))),
            "contacts": Key(list_of(mapping(CONTACT)))}

    def rule(c: _Checker, value: Any, pointer: str) -> None:
        c.mapping(value, pointer, keys)
        if not isinstance(value, Mapping):
            return
        kind = value.get("type")
        if kind == "contract" and not value.get("contractors"):
            c.add(f"{pointer}/contractors", "publiccode.required", "is required when "
                  "maintenance.type is contract")
        if kind != "contract" and value.get("contractors") is not None:
            c.add(f"{pointer}/contractors", "publiccode.excluded", f"must not be present "
                  f"unless maintenance.type is contract (it is {kind!r})", at_key=True)
        if kind in ("internal", "community") and not value.get("contacts"):
            c.add(f"{pointer}/contacts", "publiccode.required", f"is required when "
                  f"maintenance.type is {kind}")
    return rule


def standard(v0: bool) -> dict[str, Key]:
    """Return the top-level keys of the standard (v0: 0.2 to 0.7; else the 1.0 draft)."""
    keys: dict[str, Key] = {
        "publiccodeYmlVersion": Key(string, required=True),
        "name": Key(required_string, required=True),
        "applicationSuite": Key(string),
        "url": Key(url(False), required=True),
        "landingURL": Key(url(True)),
        "isBasedOn": Key(url_or_urls),
        "softwareVersion": Key(string),
        "releaseDate": Key(date_rule),
        "logo": Key(relative_path_or_url(LOGO_SUFFIXES)),
        "organisation": Key(mapping(ORGANISATION)),
        "platforms": Key(list_of(string, non_empty=True), required=True),
        "categories": Key(list_of(one_of(CATEGORIES, "categories"))),
        "usedBy": Key(list_of(string)),
        "fundedBy": Key(list_of(mapping(ORGANISATION))),
        "roadmap": Key(url(True)),
        "developmentStatus": Key(one_of(DEVELOPMENT_STATUS, "statuses"), required=True),
        "softwareType": Key(one_of(SOFTWARE_TYPE, "software types"), required=True),
        "intendedAudience": Key(mapping(AUDIENCE)),
        "description": Key(descriptions(v0), required=True),
        "legal": Key(mapping({"license": Key(licence, required=True),
                              "mainCopyrightOwner": Key(string),
                              **({"repoOwner": Key(string, deprecated="is deprecated by the "
                                                   "standard: use organisation.name"),
                                  "authorsFile": Key(string, deprecated=_GONE)} if v0 else {})}),
                     required=True),
        "maintenance": Key(_maintenance(v0), required=True),
        "localisation": Key(mapping(LOCALISATION), required=True),
        "dependsOn": Key(mapping(DEPENDS_ON)),
    }
    if v0:
        keys.update({
            "monochromeLogo": Key(relative_path_or_url(LOGO_SUFFIXES),
                                  deprecated="is deprecated by the standard: use logo"),
            "inputTypes": Key(list_of(mime), deprecated=_GONE),
            "outputTypes": Key(list_of(mime), deprecated=_GONE),
            "supports": Key(list_of(mapping({"id": Key(supports_id, required=True)}))),
            "IT": Key(mapping(IT_SECTION)),
            "it": Key(mapping(IT_SECTION), deprecated="lower-case country sections are "
                      "deprecated: write IT"),
        })
    return keys


def _version(c: _Checker, data: Mapping[str, Any]) -> tuple[str | None, bool]:
    """Return the declared version and whether it is a published one (reporting if not)."""
    if "publiccodeYmlVersion" not in data:
        c.add("/publiccodeYmlVersion", "publiccode.required", "is required: is this a "
              "publiccode.yml file?", at="")
        return None, False
    value = data["publiccodeYmlVersion"]
    if not isinstance(value, str):
        shown = c.sources.get("/publiccodeYmlVersion")
        c.add("/publiccodeYmlVersion", "publiccode.type", "wrong type: the version must be a "
              "quoted string" + (f" (write \"{shown}\")" if shown else
                                 f", the file has {_kind(value)}"))
        return (shown, False) if shown else (None, False)
    if value not in VERSIONS_V0:
        c.add("/publiccodeYmlVersion", "publiccode.version", f"{value!r} is not a published "
              f"version of the standard (supported: {', '.join(VERSIONS_V0)})")
        return value, False
    return value, True


def check_standard(parsed: ParseResult) -> Check:
    """Check a parsed publiccode.yml against the version of the standard it declares."""
    if parsed.findings:
        return Check(findings=list(parsed.findings))
    c = _Checker(parsed)
    data = parsed.value
    if not isinstance(data, Mapping):
        c.wrong_type(data, "", "a mapping")
        return Check(findings=c.findings)
    if "it" in data and "IT" in data:
        c.add("/it", "publiccode.duplicate", "the IT section is already present: remove `it`",
              at_key=True)
    version, _published = _version(c, data)
    # An unpublished version (such as "1") is refused by the finding above; the file is still
    # checked against the structure that version would have, so every problem shows at once.
    v0 = not (version or "0").startswith("1")
    keys = dict(standard(v0))
    keys["publiccodeYmlVersion"] = Key(lambda *_: None, required=False)
    c.mapping(data, "", keys)
    return Check(findings=c.findings, version=version)
