"""The spec's table of standards (id, status, applies_to, replaced_by), for test catalogues."""

STANDARDS = [
    ("ngsi-ld", "mandatory", ["context-data-management"], None),
    ("smart-data-models", "recommended", ["context-data-management", "sensor-data-ingestion"],
     None),
    ("dcat-ap", "mandatory", ["open-data-publication"], None),
    ("dcat-ap-2", "deprecated", [], "dcat-ap"),
    ("wcag-2-1", "mandatory", ["web-user-interface", "mobile-app"], None),
    ("wcag-2-0", "deprecated", [], "wcag-2-1"),
    ("wcag-2-2", "candidate", ["web-user-interface", "mobile-app"], None),
    ("openapi-3", "recommended", ["public-api"], None),
    ("oauth-2", "recommended", ["public-api"], None),
    ("oidc", "recommended", ["identity-authentication"], None),
    ("saml-2", "candidate", ["identity-authentication"], None),
    ("iso-27001", "recommended", ["personal-data-processing"], None),
    ("gtfs", "recommended", ["public-transport-data"], None),
    ("netex", "candidate", ["public-transport-data"], None),
    ("inspire", "mandatory", ["geospatial-data-publication"], None),
    ("ogc-api-features", "recommended", ["geospatial-data-publication"], None),
    ("en-16931", "mandatory", ["e-invoicing"], None),
    ("sensorthings", "candidate", ["sensor-data-ingestion"], None),
]
