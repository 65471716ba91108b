"""The registry described as a DCAT-AP 3 catalogue of its datasets and data services.

Checked against the official DCAT-AP 3.0.1 SHACL shapes (`shapes.ttl`, and `range.ttl`,
which needs every value of a class-ranged property typed): that is why the EU
authority-table values used here (data themes, languages, licence, file types, access
right, frequency, country) are typed and, where the profile targets their class,
labelled in this graph. They are also put in their authority table (`skos:inScheme`),
as the controlled-vocabulary shapes ask.

Also checked against the recommended-level shapes (`shapes_recommended.ttl`): the
catalogue and every dataset carry `dct:issued` and `dct:modified`, the dates of the first
and last stored revision of the records they hold (and the period between them as
`dct:temporal`), so that a harvester can harvest incrementally; every distribution has a
description and an availability. Dates come from the store (`RevisionDates`); a graph
built without them (a YAML catalogue never stored) has none.

The catalogue's resources are fragment IRIs of the DCAT document (`<base>dcat#standards`,
`<base>dcat#standards-turtle` ...), so that each one dereferences to the document that
describes it; the records themselves keep their own IRIs (`<base>standards/ngsi-ld`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import RDF, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from registry.catalogue.snapshot import Catalogue
from registry.linked_data.dcat_options import EU, DcatOptions, RevisionDates
from registry.linked_data.iris import DEFAULT_BASE, NAMESPACES, VCARD, scheme_iri

IANA = "https://www.iana.org/assignments/media-types/"
VCARD_NS = Namespace(VCARD)
DCATAP = Namespace("http://data.europa.eu/r5r/")

CORPORATE_BODIES = EU + "corporate-body"
# The ADMS publisher types (the table the DCAT-AP shapes check dct:type of a publisher in).
PUBLISHER_TYPES = "http://purl.org/adms/publishertype/"
GEOSPARQL_WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
# Belgium, as the spatial coverage: its bounding box and centre (WGS 84, longitude first).
BELGIUM_BBOX = ("POLYGON((2.5448 49.4969, 6.4083 49.4969, 6.4083 51.5051, 2.5448 51.5051, "
                "2.5448 49.4969))")
BELGIUM_CENTROID = "POINT(4.6680 50.6411)"
AVAILABILITY = (EU + "planned-availability/STABLE", "stable")

# Authority-table values and their English labels (the labels the tables publish).
THEMES = {"GOVE": "Government and public sector", "TECH": "Science and technology",
          "REGI": "Regions and cities", "JUST": "Justice, legal system and public safety"}
LANGUAGES = {"ENG": "English", "FRA": "French", "NLD": "Dutch"}
LICENCE_TYPE = ("http://purl.org/adms/licencetype/Attribution", "Attribution")

# Every format a dataset is distributed in: (key, file-type code, media type, suffix).
RDF_FORMATS = (
    ("turtle", "RDF_TURTLE", "text/turtle", ".ttl"),
    ("jsonld", "JSON_LD", "application/ld+json", ".jsonld"),
    ("ntriples", "RDF_N_TRIPLES", "application/n-triples", ".nt"),
)
JSON_FORMAT = ("json", "JSON", "application/json")

SKOS_STANDARD = "http://www.w3.org/2004/02/skos/core"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
OPENAPI = "https://spec.openapis.org/oas/v3.1.0"

Text = dict[str, str]


def _one_title(title: Text, suffix: str) -> Text:
    """Return a distribution's title: the dataset's English one, else its first language.

    An imported vocabulary keeps the languages it was published in, maybe not English.
    """
    lang = "en" if "en" in title else next(iter(title))
    return {lang: f"{title[lang]}{suffix}"}


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset of the registry: where its pages, dumps and API answers are."""

    key: str
    title: Text
    description: Text
    themes: tuple[str, ...]
    page: str  # path of the HTML listing, relative to the base
    api: str  # path of the JSON API answer
    keywords: tuple[str, ...] = ()
    skos: bool = False
    # The stored records it holds, for its dates: a kind (None: every kind), and one
    # record of that kind when the dataset is a single record.
    kind: str | None = None
    record_id: str | None = None


def datasets(catalogue: Catalogue) -> list[DatasetInfo]:
    """Return the datasets that the registry publishes, in a stable order."""
    out = [
        DatasetInfo(
            "standards",
            {"en": "Standards of the open architecture",
             "fr": "Normes de l'architecture ouverte",
             "nl": "Standaarden van de open architectuur"},
            {"en": "The standards that projects apply (mandatory, recommended, candidate, "
                   "deprecated), with the capabilities they apply to and the principles "
                   "they realise.",
             "fr": "Les normes que les projets appliquent (obligatoires, recommandées, "
                   "candidates, dépréciées), avec les capacités visées et les principes "
                   "qu'elles réalisent.",
             "nl": "De standaarden die projecten toepassen (verplicht, aanbevolen, kandidaat, "
                   "verouderd), met de capaciteiten waarop ze van toepassing zijn en de "
                   "principes die ze verwezenlijken."},
            ("TECH", "GOVE"), "standards", "api/standards", ("standards", "interoperability"),
            kind="standard"),
        DatasetInfo(
            "principles",
            {"en": "Architecture principles", "fr": "Principes d'architecture",
             "nl": "Architectuurprincipes"},
            {"en": "The principles of the open architecture in TOGAF form: the twelve EIF "
                   "principles and the Brussels Smart City priorities.",
             "fr": "Les principes de l'architecture ouverte sous forme TOGAF : les douze "
                   "principes du CEI et les priorités Smart City bruxelloises.",
             "nl": "De principes van de open architectuur in TOGAF-vorm: de twaalf "
                   "EIF-principes en de Brusselse Smart City-prioriteiten."},
            ("GOVE",), "principles", "api/principles", ("principles", "EIF"),
            kind="principle"),
        DatasetInfo(
            "components",
            {"en": "Reusable components", "fr": "Composants réutilisables",
             "nl": "Herbruikbare componenten"},
            {"en": "The shared regional and federal platforms that projects should reuse, "
                   "with the capabilities they provide and the standards they implement.",
             "fr": "Les plateformes régionales et fédérales partagées que les projets "
                   "devraient réutiliser, avec les capacités offertes et les normes mises "
                   "en œuvre.",
             "nl": "De gedeelde gewestelijke en federale platformen die projecten zouden "
                   "moeten hergebruiken, met de capaciteiten die ze bieden en de standaarden "
                   "die ze implementeren."},
            ("TECH", "GOVE"), "components", "api/components", ("building blocks", "reuse"),
            kind="component"),
        DatasetInfo(
            "legal",
            {"en": "Legal acts", "fr": "Actes juridiques", "nl": "Rechtshandelingen"},
            {"en": "The legal layer of the open architecture: EU, federal and Brussels acts "
                   "that mandate or motivate standards and principles (ELI).",
             "fr": "La couche juridique de l'architecture ouverte : actes européens, "
                   "fédéraux et bruxellois qui imposent ou motivent normes et principes (ELI).",
             "nl": "De juridische laag van de open architectuur: Europese, federale en "
                   "Brusselse rechtshandelingen die standaarden en principes opleggen of "
                   "motiveren (ELI)."},
            ("JUST", "GOVE"), "legal", "api/legal", ("legislation", "ELI"), kind="legal"),
    ]
    for scheme_id, record in catalogue.vocabularies.items():
        title = dict(record.get("title") or {}) or {"en": scheme_id}
        description = dict(record.get("description") or {}) or title
        out.append(DatasetInfo(
            f"vocabulary-{scheme_id}",
            {lang: f"{text} (SKOS)" for lang, text in title.items()}, description,
            ("GOVE",), f"vocabularies/{scheme_id}", f"api/vocabularies/{scheme_id}",
            ("SKOS", "vocabulary"), skos=True, kind="vocabulary", record_id=scheme_id))
    out.append(DatasetInfo(
        "roadmap",
        {"en": "Project roadmap", "fr": "Feuille de route des projets",
         "nl": "Projectroadmap"},
        {"en": "The project sheets of the regional roadmap: owners, capabilities, reused "
               "components and the standards each project declares (comply or explain).",
         "fr": "Les fiches projet de la feuille de route régionale : porteurs, capacités, "
               "composants réutilisés et normes déclarées par chaque projet (appliquer ou "
               "expliquer).",
         "nl": "De projectfiches van de gewestelijke roadmap: eigenaars, capaciteiten, "
               "hergebruikte componenten en de standaarden die elk project verklaart "
               "(pas toe of leg uit)."},
        ("GOVE", "REGI"), "projects", "api/projects", ("roadmap", "projects"),
        kind="project"))
    out.append(DatasetInfo(
        "registry",
        {"en": "The whole registry", "fr": "Le registre complet",
         "nl": "Het volledige register"},
        {"en": "Every record of the registry in one graph: standards, principles, "
               "components, vocabularies and projects.",
         "fr": "Tous les enregistrements du registre en un graphe : normes, principes, "
               "composants, vocabulaires et projets.",
         "nl": "Alle records van het register in één graaf: standaarden, principes, "
               "componenten, vocabularia en projecten."},
        ("GOVE", "TECH"), "", "api/standards", ("linked data", "open architecture")))
    return out


def dataset_download_path(info: DatasetInfo, suffix: str) -> str:
    """Return the path (relative to the base) of a dataset's dump in one RDF format."""
    return ("catalogue" if info.key == "registry" else info.page) + suffix


def _date_time(value: datetime.datetime) -> Literal:
    # SQLite gives back naive datetimes (stored in UTC); PostgreSQL aware ones.
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    value = value.astimezone(datetime.UTC).replace(microsecond=0)
    return Literal(value.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)


DatedNode = tuple[URIRef, str | None, str | None, bool]  # node, kind, record, is a dataset


def _add_dates(graph: Graph, node: URIRef, kind: str | None, record_id: str | None,
               dataset: bool, dates: RevisionDates) -> None:
    """Add when a node's records were first and last revised, and (a dataset) that period.

    A dataset none of whose records was ever written (an empty roadmap) is dated
    from the registry's first revision: it was published then, unchanged since.
    """
    span = dates.of(kind, record_id)
    if span is None:
        overall = dates.of(None)
        if overall is None:
            return
        span = (overall[0], overall[0])
    first, last = span
    graph.add((node, DCTERMS.issued, _date_time(first)))
    graph.add((node, DCTERMS.modified, _date_time(last)))
    if dataset:
        period = URIRef(f"{node}-period")
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        graph.add((period, DCAT.startDate, _date_time(first)))
        graph.add((period, DCAT.endDate, _date_time(last)))
        graph.add((node, DCTERMS.temporal, period))


class _Builder:
    def __init__(self, base: str, options: DcatOptions, dates: RevisionDates | None) -> None:
        self.base = base
        self.doc = base + "dcat"
        self.options = options
        self.dates = dates
        self.dated_nodes: list[DatedNode] = []
        self.publisher = URIRef(options.publisher_iri) if options.publisher_iri \
            else self.node("publisher")
        self.graph = Graph()
        for prefix, namespace in NAMESPACES.items():
            self.graph.bind(prefix, namespace)
        self.graph.bind("dcatap", DCATAP)

    def node(self, fragment: str) -> URIRef:
        return URIRef(f"{self.doc}#{fragment}")

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.graph.add((s, p, o))

    def texts(self, s: URIRef, p: URIRef, text: Text) -> None:
        for lang, value in text.items():
            self.add(s, p, Literal(value, lang=lang))

    def typed(self, iri: str, *classes: URIRef) -> URIRef:
        node = URIRef(iri)
        for cls in classes:
            self.add(node, RDF.type, cls)
        return node

    def concept(self, iri: str, scheme: str, label: str) -> URIRef:
        node = self.typed(iri, SKOS.Concept)
        self.add(node, SKOS.prefLabel, Literal(label, lang="en"))
        self.add(node, SKOS.inScheme, URIRef(scheme))
        return node

    def document(self, path: str) -> URIRef:
        return self.typed(self.base + path, FOAF.Document)

    def common(self) -> None:
        """Add the shared resources: publisher, contact, licence, languages, tables."""
        publisher = self.typed(str(self.publisher), FOAF.Agent, FOAF.Organization)
        self.add(publisher, FOAF.name, Literal(self.options.publisher))
        self.add(publisher, FOAF.homepage, self.document(""))
        if str(publisher).startswith(CORPORATE_BODIES + "/"):
            self.add(publisher, SKOS.inScheme, URIRef(CORPORATE_BODIES))
        types = self.typed(PUBLISHER_TYPES + "1.0", SKOS.ConceptScheme)
        self.add(types, DCTERMS.title, Literal("Publisher type", lang="en"))
        kind = self.concept(PUBLISHER_TYPES + self.options.publisher_type, str(types),
                            _words(self.options.publisher_type))
        self.add(publisher, DCTERMS.type, kind)
        contact = self.typed(self.node("contact"), VCARD_NS.Kind, VCARD_NS.Organization)
        self.add(contact, VCARD_NS.fn, Literal(self.options.publisher))
        self.add(contact, VCARD_NS.hasURL, URIRef(self.base))
        licence = self.typed(self.options.licence, DCTERMS.LicenseDocument)
        licence_type = self.concept(LICENCE_TYPE[0], "http://purl.org/adms/licencetype/1.0",
                                    LICENCE_TYPE[1])
        self.add(licence, DCTERMS.type, licence_type)
        themes = self.typed(EU + "data-theme", SKOS.ConceptScheme)
        self.add(themes, DCTERMS.title, Literal("Data theme", lang="en"))
        for code, label in THEMES.items():
            self.concept(EU + "data-theme/" + code, EU + "data-theme", label)
        for code, label in LANGUAGES.items():
            language = self.typed(EU + "language/" + code, DCTERMS.LinguisticSystem)
            self.add(language, SKOS.prefLabel, Literal(label, lang="en"))
            self.add(language, SKOS.inScheme, URIRef(EU + "language"))
        access = self.typed(EU + "access-right/PUBLIC", DCTERMS.RightsStatement)
        self.add(access, SKOS.prefLabel, Literal("public", lang="en"))
        self.add(access, SKOS.inScheme, URIRef(EU + "access-right"))
        frequency = self.typed(EU + "frequency/UPDATE_CONT", DCTERMS.Frequency)
        self.add(frequency, SKOS.prefLabel, Literal("continuously updated", lang="en"))
        self.add(frequency, SKOS.inScheme, URIRef(EU + "frequency"))
        country = self.typed(EU + "country/BEL", DCTERMS.Location)
        self.add(country, SKOS.prefLabel, Literal("Belgium", lang="en"))
        self.add(country, SKOS.inScheme, URIRef(EU + "country"))
        self.add(country, DCAT.bbox, Literal(BELGIUM_BBOX, datatype=GEOSPARQL_WKT))
        self.add(country, DCAT.centroid, Literal(BELGIUM_CENTROID, datatype=GEOSPARQL_WKT))
        self.concept(AVAILABILITY[0], EU + "planned-availability", AVAILABILITY[1])
        for _, code, media, _ in (*RDF_FORMATS, (*JSON_FORMAT, "")):
            file_type = self.typed(EU + "file-type/" + code, DCTERMS.MediaTypeOrExtent)
            self.add(file_type, SKOS.inScheme, URIRef(EU + "file-type"))
            self.typed(IANA + media, DCTERMS.MediaType)
        for iri in (SKOS_STANDARD, SPARQL_PROTOCOL, OPENAPI):
            self.typed(iri, DCTERMS.Standard)

    def described(self, node: URIRef, title: Text, description: Text) -> None:
        self.texts(node, DCTERMS.title, title)
        self.texts(node, DCTERMS.description, description)
        self.add(node, DCTERMS.publisher, self.publisher)

    def dated(self, node: URIRef, kind: str | None, record_id: str | None = None) -> None:
        """Add when the node's records were first and last revised (see `_add_dates`).

        Without dates (`dates` None) only which nodes are dated is noted: the dates
        are added later, for each roadmap version, by `UndatedDcat.dates`.
        """
        dataset = (node, RDF.type, DCAT.Dataset) in self.graph
        self.dated_nodes.append((node, kind, record_id, dataset))
        if self.dates is not None:
            _add_dates(self.graph, node, kind, record_id, dataset, self.dates)

    def services(self, served: Iterable[URIRef]) -> list[URIRef]:
        api = self.typed(self.node("api"), DCAT.DataService)
        self.described(api, {"en": "Registry JSON API", "fr": "API JSON du registre",
                             "nl": "JSON-API van het register"},
                       {"en": "Read the catalogue and the roadmap as JSON; described by an "
                              "OpenAPI 3.1 document.",
                        "fr": "Lire le catalogue et la feuille de route en JSON ; décrite par "
                              "un document OpenAPI 3.1.",
                        "nl": "Lees de catalogus en de roadmap als JSON; beschreven door een "
                              "OpenAPI 3.1-document."})
        self.add(api, DCAT.endpointURL, URIRef(self.base + "api/"))
        self.add(api, DCAT.endpointDescription, URIRef(self.base + "openapi.json"))
        self.add(api, DCTERMS.conformsTo, URIRef(OPENAPI))
        sparql = self.typed(self.node("sparql"), DCAT.DataService)
        self.described(sparql, {"en": "Registry SPARQL endpoint",
                                "fr": "Point d'accès SPARQL du registre",
                                "nl": "SPARQL-endpoint van het register"},
                       {"en": "A read-only SPARQL 1.1 endpoint over the whole registry "
                              "(time-limited queries, capped results).",
                        "fr": "Un point d'accès SPARQL 1.1 en lecture seule sur tout le "
                              "registre (requêtes limitées dans le temps, résultats plafonnés).",
                        "nl": "Een alleen-lezen SPARQL 1.1-endpoint over het hele register "
                              "(tijdslimiet op vragen, begrensde resultaten)."})
        self.add(sparql, DCAT.endpointURL, URIRef(self.base + "sparql"))
        self.add(sparql, DCAT.endpointDescription, URIRef(self.base + "sparql"))
        self.add(sparql, DCTERMS.conformsTo, URIRef(SPARQL_PROTOCOL))
        for service in (api, sparql):
            for code in ("GOVE", "TECH"):
                self.add(service, DCAT.theme, URIRef(EU + "data-theme/" + code))
            for word in ("open architecture", "linked data", "registry"):
                self.add(service, DCAT.keyword, Literal(word, lang="en"))
            self.add(service, DCTERMS.license, URIRef(self.options.licence))
            self.add(service, DCTERMS.accessRights, URIRef(EU + "access-right/PUBLIC"))
            self.add(service, DCAT.contactPoint, self.node("contact"))
            self.add(service, DCAT.landingPage, self.document("sparql" if service == sparql
                                                              else "openapi.json"))
            for dataset in served:
                self.add(service, DCAT.servesDataset, dataset)
        return [api, sparql]

    def dataset(self, info: DatasetInfo) -> URIRef:
        node = self.typed(self.node(info.key), DCAT.Dataset)
        self.described(node, info.title, info.description)
        self.dated(node, info.kind, info.record_id)
        self.add(node, DCTERMS.identifier, Literal(info.key))
        for word in info.keywords:
            self.add(node, DCAT.keyword, Literal(word, lang="en"))
        for code in info.themes:
            self.add(node, DCAT.theme, URIRef(EU + "data-theme/" + code))
        for code in LANGUAGES:
            self.add(node, DCTERMS.language, URIRef(EU + "language/" + code))
        self.add(node, DCTERMS.accessRights, URIRef(EU + "access-right/PUBLIC"))
        self.add(node, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/UPDATE_CONT"))
        self.add(node, DCTERMS.spatial, URIRef(EU + "country/BEL"))
        self.add(node, DCAT.contactPoint, self.node("contact"))
        self.add(node, DCAT.landingPage, self.document(info.page))
        if info.skos:
            scheme_id = info.key.removeprefix("vocabulary-")
            self.add(node, FOAF.page, self.document(f"vocabularies/{scheme_id}"))
            # The scheme itself: a record of the registry with its own IRI.
            self.add(node, DCTERMS.relation, URIRef(scheme_iri(self.base, scheme_id)))
        for key, code, media, suffix in RDF_FORMATS:
            url = URIRef(self.base + dataset_download_path(info, suffix))
            name = code.replace("_", " ")
            self.distribution(node, f"{info.key}-{key}", url, url, code, media,
                              _one_title(info.title, f" ({name})"),
                              {"en": f"The whole dataset in one {name} file ({media}).",
                               "fr": f"Tout le jeu de données en un fichier {name} ({media}).",
                               "nl": f"De volledige dataset in één {name}-bestand ({media})."},
                              SKOS_STANDARD if info.skos else None)
        api = URIRef(self.base + info.api)
        dist = self.distribution(
            node, f"{info.key}-json", api, None, JSON_FORMAT[1], JSON_FORMAT[2],
            _one_title(info.title, " (JSON API)"),
            {"en": "The dataset as the registry's JSON API answers it (described by its "
                   "OpenAPI document).",
             "fr": "Le jeu de données tel que l'API JSON du registre le renvoie (décrite par "
                   "son document OpenAPI).",
             "nl": "De dataset zoals de JSON-API van het register hem teruggeeft (beschreven "
                   "door haar OpenAPI-document)."})
        self.add(dist, DCAT.accessService, self.node("api"))
        return node

    def distribution(self, dataset: URIRef, key: str, access: URIRef,
                     download: URIRef | None, code: str, media: str, title: Text,
                     description: Text, standard: str | None = None) -> URIRef:
        node = self.typed(self.node(key), DCAT.Distribution)
        self.add(dataset, DCAT.distribution, node)
        self.texts(node, DCTERMS.title, title)
        self.texts(node, DCTERMS.description, description)
        self.add(node, DCATAP.availability, URIRef(AVAILABILITY[0]))
        self.add(node, DCAT.accessURL, access)
        if download is not None:
            self.add(node, DCAT.downloadURL, download)
        self.add(node, DCTERMS.format, URIRef(EU + "file-type/" + code))
        self.add(node, DCAT.mediaType, URIRef(IANA + media))
        self.add(node, DCTERMS.license, URIRef(self.options.licence))
        if standard is not None:
            self.add(node, DCTERMS.conformsTo, URIRef(standard))
        return node


def _words(code: str) -> str:
    """Return a CamelCase code as words: RegionalAuthority -> Regional authority."""
    spaced = "".join(f" {c.lower()}" if c.isupper() and i else c for i, c in enumerate(code))
    return spaced[:1].upper() + spaced[1:]


def dcat_graph(catalogue: Catalogue, base: str = DEFAULT_BASE,
               options: DcatOptions | None = None,
               dates: RevisionDates | None = None) -> Graph:
    """Return the DCAT-AP 3 description of the registry: catalogue, datasets, services.

    `dates` are the stored records' revision dates (without them, no dates are given).
    """
    return _build(catalogue, base, options, dates or RevisionDates()).graph


@dataclass(frozen=True)
class UndatedDcat:
    """The DCAT-AP description without its dates, and which nodes take dates.

    Every write moves a date (the roadmap dataset's last revision) and nothing else of
    the description: the undated part is built once per catalogue revision and the few
    date triples are added per roadmap version, instead of the whole description.
    `graph` + `dates(d)` holds the same triples as `dcat_graph(..., dates=d)`.
    """

    graph: Graph
    dated: tuple[DatedNode, ...]

    def dates(self, dates: RevisionDates) -> Graph:
        """Return the date triples of the description for these revision dates."""
        out = Graph()
        for node, kind, record_id, dataset in self.dated:
            _add_dates(out, node, kind, record_id, dataset, dates)
        return out


def dcat_undated(catalogue: Catalogue, base: str = DEFAULT_BASE,
                 options: DcatOptions | None = None) -> UndatedDcat:
    """Return the DCAT-AP description without dates, and the nodes that take them."""
    builder = _build(catalogue, base, options, None)
    return UndatedDcat(builder.graph, tuple(builder.dated_nodes))


def _build(catalogue: Catalogue, base: str, options: DcatOptions | None,
           dates: RevisionDates | None) -> _Builder:
    builder = _Builder(base, options or DcatOptions(), dates)
    builder.common()
    catalog = builder.typed(builder.node("catalogue"), DCAT.Catalog)
    builder.described(
        catalog, {"en": "Open-architecture registry", "fr": "Registre de l'architecture ouverte",
                  "nl": "Register van de open architectuur"},
        {"en": "The open architecture of the Smart City Office: principles, standards, "
               "reusable components, vocabularies and the project roadmap.",
         "fr": "L'architecture ouverte du Smart City Office : principes, normes, composants "
               "réutilisables, vocabulaires et feuille de route des projets.",
         "nl": "De open architectuur van het Smart City Office: principes, standaarden, "
               "herbruikbare componenten, vocabularia en de projectroadmap."})
    builder.dated(catalog, None)
    builder.add(catalog, FOAF.homepage, builder.document(""))
    builder.add(catalog, DCTERMS.license, URIRef(builder.options.licence))
    builder.add(catalog, DCTERMS.spatial, URIRef(EU + "country/BEL"))
    builder.add(catalog, DCAT.themeTaxonomy, URIRef(EU + "data-theme"))
    for code in LANGUAGES:
        builder.add(catalog, DCTERMS.language, URIRef(EU + "language/" + code))
    nodes = [builder.dataset(info) for info in datasets(catalogue)]
    for node in nodes:
        builder.add(catalog, DCAT.dataset, node)
    for service in builder.services(nodes):
        builder.add(catalog, DCAT.service, service)
    return builder
