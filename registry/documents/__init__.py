"""Reading input with limits and positions, and the findings model.

Every reader of the registry uses this package: project-sheet validation, catalogue
files, publiccode.yml and RDF imports. It depends on nothing else in `registry`, so
that those packages point down to it and never at each other.

- `limits`: how much of an input is read (size, depth, digits);
- `reading`: reading a file within the limits;
- `parse`: the entry point, which checks size and encoding and picks the parser;
- `yaml_parser`, `json_parser`: one module per format, both keeping positions;
- `results`: what a parser returns;
- `findings`: the findings model shared by every layer and reporter.
"""
