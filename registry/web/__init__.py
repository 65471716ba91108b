"""The web layer: blueprints for the JSON API and the HTML pages (thin over the core)."""
