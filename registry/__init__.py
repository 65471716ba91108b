"""The open-architecture registry of a Smart City Office."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.version import __version__ as __version__

if TYPE_CHECKING:  # Flask is imported only by the web app: the CLI's validate starts faster
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Flask application: settings, storage, blueprints, error handlers."""
    # Imported here, not with the package: `registry validate` imports `registry` too and
    # should pay only for what it uses.
    import secrets

    from flask import Flask

    from registry import config as settings_module
    from registry.services import Services
    from registry.web import register
    from registry.web.shared import security

    app = Flask(__name__, instance_relative_config=True,
                template_folder="web/templates", static_folder="web/static")
    overrides = dict(config or {})
    settings = settings_module.load(overrides)
    app.instance_path = settings_module.instance_path(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["REGISTRY"] = settings
    app.config["SECRET_KEY"] = settings["SECRET_KEY"] or secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_BYTES"]
    app.config["TESTING"] = bool(overrides.get("TESTING", False))
    app.json.sort_keys = False  # type: ignore[attr-defined]

    services = Services.from_settings(settings, app.instance_path)
    try:
        services.check_integrity()  # a damaged file is refused, not served from
    except Exception:
        services.store.engine.dispose()
        raise
    if settings["PRODUCTION"]:
        settings["AUTO_MIGRATE"] = False  # schema changes are a deliberate step there
        try:
            security.check_production(app, services.store)
        except security.UnsafeConfiguration:
            services.store.engine.dispose()
            raise
    services.prepare()
    app.extensions["registry"] = services
    from registry.storage.health import Readiness

    app.extensions["readiness"] = Readiness(services.store, settings["HEALTH_TIMEOUT"])
    security.init_app(app)

    register(app)
    from registry.body_limit import BodyLimit

    app.wsgi_app = BodyLimit(app.wsgi_app, settings["MAX_UPLOAD_BYTES"])  # type: ignore[method-assign]
    if settings["RESPONSE_CACHE_MB"] > 0:
        from registry.response_cache import ResponseCache
        from registry.web.shared.consistency import VERSION_HEADER

        app.wsgi_app = ResponseCache(  # type: ignore[method-assign]
            app.wsgi_app, services.readmodel.latest, settings["RESPONSE_CACHE_MB"] * 1024 * 1024,
            version_header=VERSION_HEADER, fresh=services.readmodel.fresh)
    return app
