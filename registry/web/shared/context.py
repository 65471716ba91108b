"""The registry's services of the app serving the current request."""

from __future__ import annotations

from flask import current_app

from registry.services import Services


def services() -> Services:
    """Return the registry's services of the current app."""
    return current_app.extensions["registry"]  # type: ignore[no-any-return]
