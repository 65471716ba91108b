"""What every resource module of the web layer shares.

`context` (the app's services), `i18n` and `terms` (the page language, UI words),
`render` (HTML pages and their template helpers), `http` (JSON bodies, entity tags),
`errors` (the error type and its handler), `params` (query parameters), `derived`
(per-version memoised computations several resources show), `labels` (how projects and
standards are named on pages), `writes` and `auth` (what every write needs), and
`security` (headers and production checks). Nothing here imports a resource module.
"""
