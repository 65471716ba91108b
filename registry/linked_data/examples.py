"""Example SPARQL queries for architects, shown (and runnable) on the /sparql page.

IRIs are written relative to the registry's base (`<standards/ngsi-ld>`,
`PREFIX reg: <def/>`): the endpoint resolves them against its base IRI, so the same
text works on every deployment. The prefixes dcterms:, skos:, adms:, dcat:, foaf:,
org:, schema:, prov:, vcard:, owl:, rdf:, rdfs:, xsd:, eli: and reg: are predeclared.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.documents.findings import M_


@dataclass(frozen=True)
class Example:
    """One example query: an id, a question, an explanation and the query text.

    The title and the description are M_() templates (without placeholders), shown in
    the page's language on the /sparql page; the query itself is the same everywhere.
    """

    id: str
    title: str
    description: str
    query: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "projects-declaring-standard",
        M_("Which projects declare NGSI-LD, and how do they conform?"),
        M_("Every project whose sheet declares the standard, with its conformance "
           "(complies, partial, planned, explain) and owner. Change the standard's IRI to "
           "ask about another one."),
        """PREFIX reg: <def/>
SELECT ?project ?title ?conformance ?owner WHERE {
  ?project reg:declares ?declaration ;
           dcterms:title ?title ;
           dcterms:creator ?owner .
  ?declaration dcterms:conformsTo <standards/ngsi-ld> ;
               reg:conformance/skos:prefLabel ?conformance .
  FILTER(lang(?title) = "en")
}
ORDER BY ?project"""),
    Example(
        "components-for-capability",
        M_("Which components implement the standards that apply to geospatial reference data?"),
        M_("Standards that apply to a capability, and the reusable components that "
           "implement them: where a project needing the capability should look first."),
        """PREFIX reg: <def/>
SELECT ?standard ?component ?name ?status WHERE {
  ?standard reg:appliesTo <vocabularies/capabilities/geospatial-reference-data> .
  ?component a adms:Asset ;
             dcterms:conformsTo ?standard ;
             dcterms:title ?name ;
             adms:status/skos:prefLabel ?status .
  FILTER(lang(?name) = "en")
}
ORDER BY ?standard ?component"""),
    Example(
        "mandatory-per-layer",
        M_("How many mandatory standards are there per EIF layer?"),
        M_("Mandatory standards grouped by interoperability layer (legal, organisational, "
           "semantic, technical), with their identifiers."),
        """PREFIX reg: <def/>
SELECT ?layer (COUNT(?standard) AS ?count)
       (GROUP_CONCAT(?id; separator=", ") AS ?standards) WHERE {
  ?standard a dcterms:Standard ;
            adms:status <def/standard-status/mandatory> ;
            reg:layer ?layer ;
            dcterms:identifier ?id .
}
GROUP BY ?layer
ORDER BY ?layer"""),
    Example(
        "missing-mandatory",
        M_("Which mandatory standards are missing from the most projects?"),
        M_("Comply-or-explain gaps, counted: a project needs or builds a capability, a "
           "mandatory standard applies to it, and its sheet does not declare the standard. "
           "(`MINUS`, rather than `FILTER NOT EXISTS`, lets the store compute the gaps in one "
           "pass.)"),
        """PREFIX reg: <def/>
SELECT ?standard (COUNT(DISTINCT ?project) AS ?projects) WHERE {
  ?standard adms:status <def/standard-status/mandatory> ;
            reg:appliesTo ?capability .
  ?project reg:needsCapability|reg:buildsCapability ?capability .
  MINUS {
    ?project reg:declares/dcterms:conformsTo ?standard .
    ?standard adms:status <def/standard-status/mandatory> .
  }
}
GROUP BY ?standard
ORDER BY DESC(?projects)"""),
    Example(
        "missing-one-standard",
        M_("Which projects should declare INSPIRE but do not?"),
        M_("The projects behind one gap: they need or build a capability that INSPIRE "
           "applies to, and do not declare it."),
        """PREFIX reg: <def/>
SELECT DISTINCT ?project ?capability WHERE {
  <standards/inspire> reg:appliesTo ?capability .
  ?project reg:needsCapability|reg:buildsCapability ?capability .
  MINUS { ?project reg:declares/dcterms:conformsTo <standards/inspire> }
}
ORDER BY ?project"""),
    Example(
        "reuse-opportunities",
        M_("Which active components could more projects reuse?"),
        M_("Reuse opportunities, counted: projects that need a capability an active "
           "component provides, without reusing that component."),
        """PREFIX reg: <def/>
SELECT ?component ?capability (COUNT(DISTINCT ?project) AS ?projects) WHERE {
  ?component reg:providesCapability ?capability ;
             adms:status <def/component-status/active> .
  ?project reg:needsCapability ?capability .
  MINUS { ?project dcterms:requires ?component }
}
GROUP BY ?component ?capability
ORDER BY DESC(?projects)"""),
    Example(
        "deprecated-still-declared",
        M_("Which projects still declare a deprecated standard, and what replaces it?"),
        M_("Declarations of deprecated standards with the standard that replaces each one."),
        """PREFIX reg: <def/>
SELECT ?project ?standard ?replacement WHERE {
  ?project reg:declares/dcterms:conformsTo ?standard .
  ?standard adms:status <def/standard-status/deprecated> .
  OPTIONAL { ?standard dcterms:isReplacedBy ?replacement }
}
ORDER BY ?standard ?project"""),
    Example(
        "projects-per-owner",
        M_("How many projects does each organisation own, and with which budget?"),
        M_("Projects grouped by owner organisation, with their total budget in euros."),
        """PREFIX reg: <def/>
SELECT ?owner ?name ?projects ?budget_eur WHERE {
  { SELECT ?owner (COUNT(?project) AS ?projects) (SUM(?budget) AS ?budget_eur) WHERE {
      ?project dcterms:creator ?owner .
      OPTIONAL { ?project reg:budgetEur ?budget }
    }
    GROUP BY ?owner }
  OPTIONAL { ?owner skos:prefLabel ?name FILTER(lang(?name) = "en") }
}
ORDER BY DESC(?projects)"""),
    Example(
        "standards-for-principle",
        M_("Which standards realise the openness principle?"),
        M_("Standards linked to a principle, with their status."),
        """PREFIX reg: <def/>
SELECT ?standard ?title ?status WHERE {
  ?standard reg:realises <principles/openness> ;
            dcterms:title ?title ;
            adms:status/skos:prefLabel ?status .
  FILTER(lang(?title) = "en")
}
ORDER BY ?status ?standard"""),
    Example(
        "pooling-candidates",
        M_("Which capabilities, provided by no active component, do several owners need or "
           "build?"),
        M_("Pooling candidates: the same capability, no shared platform, several owners."),
        """PREFIX reg: <def/>
SELECT ?capability (COUNT(DISTINCT ?owner) AS ?owners)
       (COUNT(DISTINCT ?project) AS ?projects) WHERE {
  ?project reg:needsCapability|reg:buildsCapability ?capability ;
           dcterms:creator ?owner .
  MINUS { ?component reg:providesCapability ?capability ;
                     adms:status <def/component-status/active> }
}
GROUP BY ?capability
HAVING (COUNT(DISTINCT ?owner) > 1)
ORDER BY DESC(?owners)"""),
    Example(
        "capabilities-by-layer",
        M_("Which capabilities belong to the semantic layer, with their labels in three "
           "languages?"),
        M_("A SKOS question: concepts of the capabilities scheme on one EIF layer, labelled "
        "in English, French and Dutch."),
        """PREFIX reg: <def/>
SELECT ?capability ?en ?fr ?nl WHERE {
  ?capability skos:inScheme <vocabularies/capabilities> ;
              reg:layer "semantic" .
  OPTIONAL { ?capability skos:prefLabel ?en FILTER(lang(?en) = "en") }
  OPTIONAL { ?capability skos:prefLabel ?fr FILTER(lang(?fr) = "fr") }
  OPTIONAL { ?capability skos:prefLabel ?nl FILTER(lang(?nl) = "nl") }
}
ORDER BY ?en"""),
    Example(
        "standards-by-legal-act",
        M_("Which legal acts make standards mandatory, and which standards do they name?"),
        M_("Every legal act of the catalogue (`eli:LegalResource`) with the standards that it "
           "mandates or motivates, their status and the act's date of adoption: why a "
           "standard is mandatory."),
        """PREFIX reg: <def/>
SELECT ?act ?title ?adopted ?standard ?status WHERE {
  ?act a eli:LegalResource ;
       eli:title ?title ;
       eli:date_document ?adopted .
  ?standard reg:mandatedBy ?act ;
            adms:status/skos:prefLabel ?status .
  FILTER(lang(?title) = "en")
}
ORDER BY ?adopted ?act ?standard"""),
    Example(
        "describe-standard",
        M_("Describe a standard"),
        M_("`DESCRIBE` answers a graph (Turtle or JSON-LD): everything the registry says "
           "about NGSI-LD."),
        "DESCRIBE <standards/ngsi-ld>"),
    Example(
        "construct-capability-map",
        M_("Build a small graph: capabilities and the components that provide them"),
        M_("`CONSTRUCT` answers a graph of your own shape, here a map from capabilities to "
           "components, ready to load in another tool."),
        """PREFIX reg: <def/>
CONSTRUCT {
  ?capability skos:prefLabel ?label ;
              reg:providedBy ?component .
} WHERE {
  ?component reg:providesCapability ?capability .
  ?capability skos:prefLabel ?label .
  FILTER(lang(?label) = "en")
}"""),
)

BY_ID = {e.id: e for e in EXAMPLES}
