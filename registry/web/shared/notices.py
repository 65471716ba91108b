"""Notices shown on every page while the registry is in a particular state."""

from __future__ import annotations

from typing import Any

from flask import Flask

from registry.web.shared.context import services


def init_app(app: Flask) -> None:
    """Tell every template whether the example roadmap is still loaded."""

    @app.context_processor
    def _examples_notice() -> dict[str, Any]:
        from registry.projects import is_example

        roadmap = services().roadmap
        # Once per roadmap version, not once per page: a roadmap has thousands of projects.
        shown = roadmap.memo("examples-loaded", lambda: sum(
            1 for p in roadmap.get().projects.values() if is_example(p)))
        return {"example_projects": shown}
