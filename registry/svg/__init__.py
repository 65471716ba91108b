"""Drawing: the server-side SVG pictures of the pages (no Flask, no computation).

`registry.analysis` computes what the pictures show; this package only draws it, with
one set of helpers (`text`: escaping, number formatting, text fitting; `style`: the
palette, fonts and the styles of states, statuses and opportunity types) used by every
picture: the dashboard's `charts` and the roadmap's Gantt chart, the compliance
`heatmap`, the reuse page's `opportunity` diagrams and the reference `architecture` map.

The rules every picture keeps: it is named by its <title> and <desc>; colours come from
the Okabe-Ito palette and colour is never the only cue (WCAG 1.4.1); every text and
attribute value is XML-escaped, quotes included; the output is deterministic (same
input, same bytes) and self-contained (presentation attributes only).
"""
