"""The registry's IRI scheme: every record and concept has one stable IRI under a base."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

DEFAULT_BASE = "https://registry.smartcity.brussels/"

# Well-known namespaces (as plain strings, so that the fast paths need no rdflib).
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
ADMS = "http://www.w3.org/ns/adms#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
DOAP = "http://usefulinc.com/ns/doap#"
OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
ELI = "http://data.europa.eu/eli/ontology#"

NAMESPACES: dict[str, str] = {
    "dcterms": DCTERMS, "dcat": DCAT, "adms": ADMS, "skos": SKOS, "foaf": FOAF,
    "org": ORG, "schema": SCHEMA, "prov": PROV, "vcard": VCARD, "doap": DOAP,
    "owl": OWL, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "sh": SH, "eli": ELI,
}


def segment(value: str) -> str:
    """Return a value percent-encoded as one IRI path segment (ids are left unchanged)."""
    # Valid ids ([A-Za-z0-9_-]) are unreserved characters, so this is the identity for
    # them; anything else ("/", ":", spaces) can never escape its namespace.
    return quote(value, safe="")


def vocabulary_namespace(base: str) -> str:
    """Return the registry's own vocabulary namespace (classes and properties)."""
    return base + "def/"


def _iri_in(folder: str) -> Callable[[str, str], str]:
    """Return the IRI function of the records kept in one folder under the base."""
    def iri(base: str, record_id: str) -> str:
        return base + folder + segment(record_id)
    iri.__doc__ = f"Return the IRI of the record with this id: <base>{folder}<id>."
    return iri


# One folder a kind of record, so that an IRI tells its kind: standards, principles,
# components and legal acts of the catalogue (a legal act is an eli:LegalResource),
# projects (the subject that a project sheet describes) and SKOS concept schemes.
standard_iri = _iri_in("standards/")
principle_iri = _iri_in("principles/")
component_iri = _iri_in("components/")
legal_iri = _iri_in("legal/")
project_iri = _iri_in("projects/")
scheme_iri = _iri_in("vocabularies/")


def concept_iri(base: str, scheme: str, concept_id: str) -> str:
    """Return the IRI of a concept of a scheme."""
    return scheme_iri(base, scheme) + "/" + segment(concept_id)


def status_iri(base: str, kind: str, status: str) -> str:
    """Return the IRI of a status value of a record kind (e.g. component-status/retired)."""
    return vocabulary_namespace(base) + f"{kind}-status/" + segment(status)
