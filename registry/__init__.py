"""The open-architecture registry of a Smart City Office."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask is imported only by the web app: the CLI's validate starts faster
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Flask application: settings, storage, blueprints, error handlers."""
    # Imported here, not with the package: `registry validate` imports `registry` too and
    # should pay only for what it uses.
    import secrets

    from flask import Flask

    from registry import config as settings_module
    from registry.services import Services
    from registry.web import (
        api,
        consistency,
        curation,
        errors,
        i18n,
        linked,
        notices,
        pages,
        projects,
        security,
        validate,
    )
    from registry.web.dashboard import bp as dashboard_bp
    from registry.web.feeds import bp as feeds_bp
    from registry.web.measurements import bp as measurements_bp
    from registry.web.reuse import bp as reuse_bp
    from registry.web.roadmap_pages import bp as roadmap_bp
    from registry.web.statements import bp as statements_bp

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
    security.init_app(app)

    errors.init_app(app)
    consistency.init_app(app)
    i18n.init_app(app)
    pages.init_app(app)
    notices.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(curation.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(measurements_bp)
    app.register_blueprint(validate.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(roadmap_bp)
    app.register_blueprint(reuse_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(statements_bp)
    app.register_blueprint(feeds_bp)
    linked.init_app(app)  # content negotiation of record URLs, dumps, DCAT-AP, SPARQL
    if settings["RESPONSE_CACHE_MB"] > 0:
        from registry.response_cache import ResponseCache

        app.wsgi_app = ResponseCache(  # type: ignore[method-assign]
            app.wsgi_app, services.generation, settings["RESPONSE_CACHE_MB"] * 1024 * 1024)
    return app
