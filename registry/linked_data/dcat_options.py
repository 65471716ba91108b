"""What a deployment says of itself in its DCAT-AP description, and its revision dates.

Apart from `dcat`, which builds the description with rdflib: the linked-data service
and the derived graph hold these from the start (the production master builds them
before forking its workers), while rdflib is imported only when a description is built
(a worker's first SPARQL query or RDF download), not in every worker before that.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

EU = "http://publications.europa.eu/resource/authority/"
DEFAULT_PUBLISHER = "Smart City Office, Brussels-Capital Region"
DEFAULT_LICENCE = EU + "licence/CC_BY_4_0"
# A code of the ADMS publisher types (dcat.PUBLISHER_TYPES).
DEFAULT_PUBLISHER_TYPE = "RegionalAuthority"


@dataclass(frozen=True)
class DcatOptions:
    """What a deployment says about itself: publisher (name, IRI, type), data licence IRI.

    `publisher_iri` names the publisher by its IRI in the EU corporate-bodies authority
    table, where it has one; without it, the publisher is a resource of this document.
    """

    publisher: str = DEFAULT_PUBLISHER
    licence: str = DEFAULT_LICENCE
    publisher_iri: str | None = None
    publisher_type: str = DEFAULT_PUBLISHER_TYPE


Span = tuple[datetime.datetime, datetime.datetime]


@dataclass(frozen=True)
class RevisionDates:
    """When the stored records were first and last revised: per kind and per record.

    A dataset of a whole kind (`standards`) takes its kind's span; a dataset of one record
    (a vocabulary) takes that record's; the catalogue and the whole registry take the
    span of everything.
    """

    by_kind: Mapping[str, Span] = field(default_factory=dict)
    by_record: Mapping[tuple[str, str], Span] = field(default_factory=dict)

    def of(self, kind: str | None, record_id: str | None = None) -> Span | None:
        """Return the first and last revision dates of a kind, a record, or everything."""
        if kind is None:
            spans = list(self.by_kind.values())
            if not spans:
                return None
            return min(s[0] for s in spans), max(s[1] for s in spans)
        if record_id is not None:
            return self.by_record.get((kind, record_id))
        return self.by_kind.get(kind)

    def extended(self, later: RevisionDates) -> RevisionDates:
        """Return these dates with those of later revisions folded in."""
        def fold(held: Mapping[Any, Span], more: Mapping[Any, Span]) -> dict[Any, Span]:
            out = dict(held)
            for key, (first, last) in more.items():
                old = out.get(key)
                out[key] = (first, last) if old is None else (min(old[0], first),
                                                              max(old[1], last))
            return out

        return RevisionDates(fold(self.by_kind, later.by_kind),
                             fold(self.by_record, later.by_record))
