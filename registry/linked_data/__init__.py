"""Linked data: the registry as RDF (no Flask here; `web/linked.py` serves it).

- `iris`: the IRI scheme (every record under one configurable base).
- `context`, `sheets`: a project sheet as RDF (JSON-LD context; the fast N-Triples path).
- `graph`: the catalogue as RDF (SKOS vocabularies, standards, components...), SHACL.
- `dcat`: the registry described as a DCAT-AP 3 catalogue.
- `derived`: the whole registry as chunked N-Triples, rebuilt per stored version.
- `formats`: Turtle, JSON-LD, N-Triples from N-Triples.
- `sparql`: the read-only, time-limited SPARQL endpoint (worker processes, Oxigraph).
- `shared_pool`: one SPARQL pool per production server (one process, one store),
  asked by every web worker over a Unix socket.
- `service`: derived graphs and the SPARQL pool of a running registry.
- `examples`: example SPARQL queries for architects.
- `rdf_input`, `skos`: reading published SKOS files safely and importing them.
"""
