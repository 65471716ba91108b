"""Notices shown on every page while the registry is in a particular state."""

from __future__ import annotations

from typing import Any

from flask import Flask

from registry.web.shared.context import services


def init_app(app: Flask) -> None:
    """Tell every template whether the example roadmap is still loaded."""

    @app.context_processor
    def _examples_notice() -> dict[str, Any]:
        # The read model marks the example projects as it moves: no pass over the roadmap.
        return {"example_projects": len(services().readmodel.current().lists.marked(
            "example"))}
