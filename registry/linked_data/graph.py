"""RDF for the linked-data layer: SKOS vocabularies, catalogue ids, shapes, and SHACL runs."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from rdflib import OWL, RDF, SH, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS

from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import ERROR, WARNING, Finding
from registry.linked_data.context import (
    SCHEMA_DIR,
    resolve_path,
    sheet_to_graph,
    values_at,
    vocab_token,
)
from registry.linked_data.iris import (
    ADMS,
    DCAT,
    DEFAULT_BASE,
    ELI,
    FOAF,
    NAMESPACES,
    ORG,
    RDFS,
    VCARD,
    XSD,
    component_iri,
    concept_iri,
    legal_iri,
    principle_iri,
    scheme_iri,
    standard_iri,
    status_iri,
    vocabulary_namespace,
)

ADMS_NS = Namespace(ADMS)
XSD_NS = Namespace(XSD)
RDFS_NS = Namespace(RDFS)
# Links an imported concept keeps as published (see linked_data/skos.py), by record field.
IMPORTED_LINKS = (("close_match", SKOS.closeMatch), ("broad_match", SKOS.broadMatch),
                  ("narrow_match", SKOS.narrowMatch), ("related_match", SKOS.relatedMatch),
                  ("related_iris", SKOS.related))


def _bind(graph: Graph, base: str) -> None:
    for prefix, namespace in NAMESPACES.items():
        graph.bind(prefix, namespace)
    graph.bind("reg", vocabulary_namespace(base))


def _texts(graph: Graph, subject: URIRef, predicate: URIRef, text: Any) -> None:
    if isinstance(text, Mapping):
        for lang, value in text.items():
            if isinstance(value, str) and value:
                graph.add((subject, predicate, Literal(value, lang=lang)))


def _record_head(graph: Graph, iri: str, types: tuple[URIRef, ...], record_id: str,
                 texts: tuple[tuple[URIRef, Any], ...] = ()) -> URIRef:
    """Add what every record kind states first (types, identifier, texts); return its node."""
    node = URIRef(iri)
    for rdf_type in types:
        graph.add((node, RDF.type, rdf_type))
    graph.add((node, DCTERMS.identifier, Literal(record_id)))
    for predicate, text in texts:
        _texts(graph, node, predicate, text)
    return node


def vocabularies_graph(catalogue: Catalogue, base: str = DEFAULT_BASE) -> Graph:
    """Return every vocabulary of the catalogue as SKOS concept schemes."""
    graph = Graph()
    _bind(graph, base)
    for scheme_id, record in catalogue.vocabularies.items():
        scheme = URIRef(scheme_iri(base, scheme_id))
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        graph.add((scheme, DCTERMS.identifier, Literal(scheme_id)))
        _texts(graph, scheme, DCTERMS.title, record.get("title"))
        _texts(graph, scheme, SKOS.prefLabel, record.get("title"))
        _texts(graph, scheme, DCTERMS.description, record.get("description"))
        if isinstance(record.get("exact_match"), str):
            # The published scheme this one mirrors (e.g. the EU data-theme table).
            graph.add((scheme, DCTERMS.source, URIRef(record["exact_match"])))
        source = record.get("source")
        if isinstance(source, Mapping) and isinstance(source.get("iri"), str):
            graph.add((scheme, DCTERMS.source, URIRef(source["iri"])))
        stored = {c.get("id"): c for c in record.get("concepts", ()) if isinstance(c, Mapping)}
        published = {key: c.get("iri") for key, c in stored.items()}
        for concept in catalogue.concepts.get(scheme_id, {}).values():
            node = URIRef(concept_iri(base, scheme_id, concept.id))
            graph.add((node, RDF.type, SKOS.Concept))
            graph.add((node, SKOS.inScheme, scheme))
            graph.add((node, SKOS.notation, Literal(concept.id)))
            _texts(graph, node, SKOS.prefLabel, concept.label)
            _texts(graph, node, SKOS.definition, concept.definition)
            for lang, labels in concept.alt_labels.items():
                for label in labels:
                    graph.add((node, SKOS.altLabel, Literal(label, lang=lang)))
            if not concept.broader:
                graph.add((node, SKOS.topConceptOf, scheme))
                graph.add((scheme, SKOS.hasTopConcept, node))
            for other in concept.broader:
                graph.add((node, SKOS.broader, URIRef(concept_iri(base, scheme_id, other))))
            for other in concept.narrower:
                graph.add((node, SKOS.narrower, URIRef(concept_iri(base, scheme_id, other))))
            for iri in concept.exact_match:
                graph.add((node, SKOS.exactMatch, URIRef(iri)))
            raw = stored.get(concept.id, {})
            for name, predicate in IMPORTED_LINKS:
                for iri in raw.get(name, ()):
                    graph.add((node, predicate, URIRef(iri)))
            for other in raw.get("related", ()):
                graph.add((node, SKOS.related, URIRef(concept_iri(base, scheme_id, other))))
            published_iri = published.get(concept.id)
            if isinstance(published_iri, str):
                # An imported concept keeps the IRI it has in the published scheme.
                graph.add((node, SKOS.exactMatch, URIRef(published_iri)))
            if concept.layer:
                graph.add((node, URIRef(vocabulary_namespace(base) + "layer"),
                           Literal(concept.layer)))
            if concept.deprecated:
                graph.add((node, OWL.deprecated, Literal(True)))
                if concept.replaced_by:
                    graph.add((node, DCTERMS.isReplacedBy,
                               URIRef(concept_iri(base, scheme_id, concept.replaced_by))))
    return graph


def catalogue_ids_graph(catalogue: Catalogue, base: str = DEFAULT_BASE) -> Graph:
    """Return the catalogue's standards and components with their type and status."""
    graph = Graph()
    _bind(graph, base)
    reg = Namespace(vocabulary_namespace(base))
    for standard_id, record in catalogue.standards.items():
        node = _record_head(graph, standard_iri(base, standard_id), (DCTERMS.Standard,),
                            standard_id, ((DCTERMS.title, record.get("title")),))
        status = record.get("status")
        if isinstance(status, str):
            graph.add((node, ADMS_NS.status, URIRef(status_iri(base, "standard", status))))
            if status == "deprecated":
                graph.add((node, OWL.deprecated, Literal(True)))
        if isinstance(record.get("replaced_by"), str):
            graph.add((node, DCTERMS.isReplacedBy,
                       URIRef(standard_iri(base, record["replaced_by"]))))
        for capability in record.get("applies_to", ()):
            graph.add((node, reg.appliesTo,
                       URIRef(concept_iri(base, "capabilities", capability))))
    for component_id, record in catalogue.components.items():
        node = _record_head(graph, component_iri(base, component_id),
                            (reg.Component, ADMS_NS.Asset), component_id,
                            ((DCTERMS.title, record.get("name")),))
        status = record.get("status")
        if isinstance(status, str):
            graph.add((node, ADMS_NS.status, URIRef(status_iri(base, "component", status))))
        for capability in record.get("provides", ()):
            graph.add((node, reg.providesCapability,
                       URIRef(concept_iri(base, "capabilities", capability))))
        for standard in record.get("implements", ()):
            graph.add((node, DCTERMS.conformsTo, URIRef(standard_iri(base, standard))))
    return graph


# --- the full catalogue (what the derived graph, the dumps and SPARQL serve) ----------

FOAF_NS = Namespace(FOAF)
VCARD_NS = Namespace(VCARD)
ORG_NS = Namespace(ORG)
DCAT_NS = Namespace(DCAT)
ELI_NS = Namespace(ELI)

# The registry's own status and conformance values, as small SKOS schemes under def/
# so that a SPARQL user can read their labels (kind -> values; labels are the values).
STATUS_SCHEMES: dict[str, tuple[str, ...]] = {
    "standard-status": ("mandatory", "recommended", "candidate", "deprecated"),
    "component-status": ("active", "pilot", "retired"),
    "project-status": ("proposed", "selected", "in-progress", "delivered", "stopped"),
    "conformance": ("complies", "partial", "planned", "explain"),
}


def _text_list(graph: Graph, subject: URIRef, predicate: URIRef, texts: Any) -> None:
    if isinstance(texts, Mapping):
        for lang, values in texts.items():
            for value in values if isinstance(values, list) else ():
                if isinstance(value, str) and value:
                    graph.add((subject, predicate, Literal(value, lang=lang)))


def _url(value: Any) -> URIRef | None:
    from registry.linked_data.sheets import valid_iri

    return URIRef(value) if isinstance(value, str) and valid_iri(value) else None


def _contact(graph: Graph, subject: URIRef, contact: Any) -> None:
    if not isinstance(contact, str) or not contact:
        return
    node = BNode()
    graph.add((subject, DCAT_NS.contactPoint, node))
    graph.add((node, RDF.type, VCARD_NS.Kind))
    if contact.startswith(("http://", "https://")) and _url(contact) is not None:
        graph.add((node, VCARD_NS.hasURL, URIRef(contact)))
    elif "@" in contact and " " not in contact and _url("mailto:" + contact) is not None:
        graph.add((node, VCARD_NS.hasEmail, URIRef("mailto:" + contact.removeprefix("mailto:"))))
    else:
        graph.add((node, VCARD_NS.fn, Literal(contact)))


def status_graph(base: str = DEFAULT_BASE) -> Graph:
    """Return the registry's status and conformance values as SKOS concept schemes."""
    graph = Graph()
    _bind(graph, base)
    for kind, values in STATUS_SCHEMES.items():
        scheme = URIRef(vocabulary_namespace(base) + kind)
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        graph.add((scheme, DCTERMS.title, Literal(kind.replace("-", " "), lang="en")))
        for value in values:
            node = URIRef(f"{scheme}/{value}")
            graph.add((node, RDF.type, SKOS.Concept))
            graph.add((node, SKOS.inScheme, scheme))
            graph.add((node, SKOS.topConceptOf, scheme))
            graph.add((node, SKOS.notation, Literal(value)))
            graph.add((node, SKOS.prefLabel, Literal(value.replace("-", " "), lang="en")))
    return graph


def catalogue_graph(catalogue: Catalogue, base: str = DEFAULT_BASE) -> Graph:
    """Return every field of every catalogue record as RDF (with the SKOS vocabularies).

    A superset of `vocabularies_graph` and `catalogue_ids_graph` (what SHACL checks
    sheets against), so that the two views of a record can never disagree.
    """
    graph = vocabularies_graph(catalogue, base)
    graph += catalogue_ids_graph(catalogue, base)
    graph += status_graph(base)
    _bind(graph, base)
    reg = Namespace(vocabulary_namespace(base))
    for standard_id, record in catalogue.standards.items():
        node = URIRef(standard_iri(base, standard_id))
        _texts(graph, node, DCTERMS.description, record.get("description"))
        if isinstance(record.get("acronym"), str):
            graph.add((node, DCTERMS.alternative, Literal(record["acronym"])))
        if isinstance(record.get("version"), str):
            graph.add((node, OWL.versionInfo, Literal(record["version"])))
        if isinstance(record.get("body"), str):
            body = BNode()
            graph.add((node, DCTERMS.publisher, body))
            graph.add((body, RDF.type, FOAF_NS.Agent))
            graph.add((body, FOAF_NS.name, Literal(record["body"])))
        if (url := _url(record.get("url"))) is not None:
            graph.add((node, FOAF_NS.page, url))
        if isinstance(record.get("category"), str):
            graph.add((node, DCTERMS.type,
                       URIRef(concept_iri(base, "standard-categories", record["category"]))))
        if isinstance(record.get("layer"), str):
            graph.add((node, reg.layer, Literal(record["layer"])))
        if isinstance(record.get("status_since"), str):
            graph.add((node, reg.statusSince, Literal(record["status_since"],
                                                      datatype=XSD_NS.date)))
        for principle in record.get("principles", ()):
            graph.add((node, reg.realises, URIRef(principle_iri(base, principle))))
    for principle_id, record in catalogue.principles.items():
        node = _record_head(graph, principle_iri(base, principle_id), (reg.Principle,),
                            principle_id, ((DCTERMS.title, record.get("name")),
                                           (DCTERMS.description, record.get("statement"))))
        _texts(graph, node, reg.rationale, record.get("rationale"))
        _text_list(graph, node, reg.implication, record.get("implications"))
        if isinstance(record.get("source"), str):
            graph.add((node, reg.source, Literal(record["source"])))
        if isinstance(record.get("number"), int):
            graph.add((node, reg.number, Literal(record["number"])))
        if isinstance(record.get("group"), str):
            graph.add((node, reg.group, Literal(record["group"])))
        if (url := _url(record.get("url"))) is not None:
            graph.add((node, FOAF_NS.page, url))
    for component_id, record in catalogue.components.items():
        node = URIRef(component_iri(base, component_id))
        _texts(graph, node, DCTERMS.description, record.get("description"))
        if isinstance(record.get("owner"), str):
            graph.add((node, DCTERMS.publisher,
                       URIRef(concept_iri(base, "organisations", record["owner"]))))
        if isinstance(record.get("level"), str):
            graph.add((node, reg.level, Literal(record["level"])))
        licence = record.get("licence")
        if (url := _url(licence)) is not None and str(licence).startswith("http"):
            graph.add((node, DCTERMS.license, url))
        elif isinstance(licence, str):
            # Free text ("public service, free to use"): a licence document with a label.
            document = BNode()
            graph.add((node, DCTERMS.license, document))
            graph.add((document, RDF.type, DCTERMS.LicenseDocument))
            graph.add((document, RDFS_NS.label, Literal(licence)))
        _texts(graph, node, reg.reuseConditions, record.get("reuse_conditions"))
        _contact(graph, node, record.get("contact"))
        if (url := _url(record.get("url"))) is not None:
            graph.add((node, DCAT_NS.landingPage, url))
    _legal(graph, catalogue, base, reg)
    _provenance(graph, catalogue, base, reg)
    for concept in catalogue.concepts.get("organisations", {}).values():
        # Organisations are concepts of a scheme and organisations (org:, foaf:) at once.
        node = URIRef(concept_iri(base, "organisations", concept.id))
        graph.add((node, RDF.type, ORG_NS.Organization))
        graph.add((node, RDF.type, FOAF_NS.Organization))
    return graph


def _legal(graph: Graph, catalogue: Catalogue, base: str, reg: Namespace) -> None:
    """Add the legal acts (ELI: eli:LegalResource) and what they mandate or require."""
    for act_id, record in catalogue.legal.items():
        node = _record_head(graph, legal_iri(base, act_id), (ELI_NS.LegalResource,), act_id,
                            ((ELI_NS.title, record.get("title")),
                             (DCTERMS.title, record.get("title")),
                             (DCTERMS.description, record.get("description"))))
        if isinstance(record.get("short_title"), str):
            graph.add((node, ELI_NS.title_short, Literal(record["short_title"])))
        if isinstance(record.get("adopted"), str):
            graph.add((node, ELI_NS.date_document, Literal(record["adopted"],
                                                           datatype=XSD_NS.date)))
        if isinstance(record.get("applies_from"), str):
            graph.add((node, ELI_NS.date_applicability, Literal(record["applies_from"],
                                                                datatype=XSD_NS.date)))
        if isinstance(record.get("type"), str):
            graph.add((node, reg.legalType, Literal(record["type"])))
        if isinstance(record.get("jurisdiction"), str):
            # EU, BE or BE-BRU (ISO 3166-2 for the Brussels-Capital Region).
            graph.add((node, reg.jurisdiction, Literal(record["jurisdiction"])))
        if (eli := _url(record.get("eli"))) is not None:
            # The act's own ELI: the official identifier of the same act.
            graph.add((node, OWL.sameAs, eli))
        if (url := _url(record.get("url"))) is not None:
            graph.add((node, FOAF_NS.page, url))
        for other in record.get("amends", ()):
            graph.add((node, ELI_NS.amends, URIRef(legal_iri(base, other))))
        for standard in record.get("requires", ()):
            graph.add((node, reg.requires, URIRef(standard_iri(base, standard))))
    for kind, iri in (("standard", standard_iri), ("principle", principle_iri)):
        for record_id, record in catalogue.records(kind).items():
            node = URIRef(iri(base, record_id))
            for act in record.get("mandated_by", ()):
                graph.add((node, reg.mandatedBy, URIRef(legal_iri(base, act))))
            for standard in record.get("requires", ()):
                graph.add((node, reg.requires, URIRef(standard_iri(base, standard))))


def _provenance(graph: Graph, catalogue: Catalogue, base: str, reg: Namespace) -> None:
    """Add where each record's facts come from and when they were last checked."""
    iris = {"standard": standard_iri, "principle": principle_iri,
            "component": component_iri, "legal": legal_iri, "vocabulary": scheme_iri}
    for kind, iri in iris.items():
        for record_id, record in catalogue.records(kind).items():
            node = URIRef(iri(base, record_id))
            for source in record.get("sources", ()):
                if isinstance(source, Mapping) and (url := _url(source.get("url"))):
                    graph.add((node, DCTERMS.source, url))
            if isinstance(record.get("reviewed"), str):
                graph.add((node, reg.reviewed, Literal(record["reviewed"],
                                                       datatype=XSD_NS.date)))


# --- shapes and the SHACL run (the slow path, kept as the reference) -----------------

SHAPES_FILE = SCHEMA_DIR / "v1.shapes.ttl"
REG_CODE = "def/code"  # reg:code, relative to the base


@cache
def shapes_text(base: str = DEFAULT_BASE) -> str:
    """Return the Turtle of the sheet shapes, rebased from DEFAULT_BASE to base."""
    text = SHAPES_FILE.read_text(encoding="utf-8")
    return text if base == DEFAULT_BASE else text.replace(DEFAULT_BASE, base)


def shapes_graph(base: str = DEFAULT_BASE) -> Graph:
    """Return the SHACL shapes of project-sheet/v1 as a graph."""
    return Graph().parse(data=shapes_text(base), format="turtle")


def data_graph(sheet: Any, catalogue: Catalogue, base: str = DEFAULT_BASE) -> Graph:
    """Return the graph that SHACL validates: the sheet, the vocabularies and the ids."""
    graph = sheet_to_graph(sheet, base)
    graph += vocabularies_graph(catalogue, base)
    graph += catalogue_ids_graph(catalogue, base)
    return graph


def _to_default_base(iri: str, base: str) -> str:
    return DEFAULT_BASE + iri[len(base):] if iri.startswith(base) else iri


def _predicates(shapes: Graph, path: Any) -> tuple[str, ...]:
    if isinstance(path, URIRef):
        return (str(path),)
    return tuple(str(p) for p in Collection(shapes, path))  # a sequence path


def shacl_check(sheet: Any, catalogue: Catalogue, base: str = DEFAULT_BASE,
                shapes: Graph | None = None) -> list[Finding]:
    """Validate a sheet with pyshacl against the shapes and return the findings it implies.

    The reference implementation of the linked-data layer: slow (it builds RDF and
    runs a SHACL engine) but straight from the shapes. Each result is reported at the
    JSON pointer(s) of the sheet value(s) that produced its value node.
    """
    import pyshacl

    shapes = shapes if shapes is not None else shapes_graph(base)
    conforms, results, _ = pyshacl.validate(
        data_graph(sheet, catalogue, base), shacl_graph=shapes, inference="none",
        abort_on_first=False, allow_warnings=True, meta_shacl=False, advanced=False)
    code_of = URIRef(base + REG_CODE)
    findings: set[Finding] = set()
    # Only the report's own results: nested ones (sh:detail, from sh:node) belong to them.
    for result in results.objects(None, SH.result):
        shape = results.value(result, SH.sourceShape)
        value = results.value(result, SH.value)
        code = shapes.value(shape, code_of)
        path = shapes.value(shape, SH.path)
        if code is None or path is None:
            raise LookupError(f"shape {shape} has no reg:code or no sh:path")
        severity = ERROR if results.value(result, SH.resultSeverity) == SH.Violation \
            else WARNING
        message = str(shapes.value(shape, SH.message) or results.value(result, SH.resultMessage))
        steps = resolve_path(tuple(_to_default_base(p, base)
                                   for p in _predicates(shapes, path)))
        vocab = steps[-1][1].vocab or ""
        for pointer, item in values_at(sheet, steps):
            if _to_default_base(str(value), base) == vocab + vocab_token(item):
                findings.add(Finding(severity, str(code), pointer, message))
    return sorted(findings, key=lambda f: (f.path, f.code))
