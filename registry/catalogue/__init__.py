"""The catalogue: principles, standards, components and vocabularies.

Records are plain dicts validated against `schemas/catalogue/*.schema.json`;
`Catalogue` is the immutable, indexed snapshot that hot paths read.
"""

from registry.catalogue.records import KINDS, RecordError, validate_record
from registry.catalogue.snapshot import Catalogue

__all__ = ["KINDS", "Catalogue", "RecordError", "validate_record"]
