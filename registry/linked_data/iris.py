"""The registry's IRI scheme: every record and concept has one stable IRI under a base."""

from __future__ import annotations

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


def standard_iri(base: str, standard_id: str) -> str:
    """Return the IRI of a catalogue standard."""
    return base + "standards/" + segment(standard_id)


def principle_iri(base: str, principle_id: str) -> str:
    """Return the IRI of a catalogue principle."""
    return base + "principles/" + segment(principle_id)


def component_iri(base: str, component_id: str) -> str:
    """Return the IRI of a catalogue component."""
    return base + "components/" + segment(component_id)


def legal_iri(base: str, act_id: str) -> str:
    """Return the IRI of a legal act of the catalogue (an eli:LegalResource)."""
    return base + "legal/" + segment(act_id)


def project_iri(base: str, project_id: str) -> str:
    """Return the IRI of a project (the subject that its sheet describes)."""
    return base + "projects/" + segment(project_id)


def scheme_iri(base: str, scheme: str) -> str:
    """Return the IRI of a SKOS concept scheme."""
    return base + "vocabularies/" + segment(scheme)


def concept_iri(base: str, scheme: str, concept_id: str) -> str:
    """Return the IRI of a concept of a scheme."""
    return scheme_iri(base, scheme) + "/" + segment(concept_id)


def status_iri(base: str, kind: str, status: str) -> str:
    """Return the IRI of a status value of a record kind (e.g. component-status/retired)."""
    return vocabulary_namespace(base) + f"{kind}-status/" + segment(status)
