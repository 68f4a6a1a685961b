"""Supporting People Grid: a living grid for a council's anti-racist work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# Nothing is imported at module level: gunicorn's master imports this package (for its access
# logger) and forks workers that build the app; the master holds no Flask, SQLAlchemy or
# templates in memory that it never uses.


def create_app(test_config: dict[str, Any] | None = None, *, serving: bool = False) -> Flask:
    """Build the application: config → extensions → blueprints → CLI → error handlers.

    ``serving`` is for the web server: it leaves out the migration machinery (Alembic),
    which only the `flask db` commands use, to keep each worker small.
    """
    from flask import Flask
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from werkzeug.middleware.proxy_fix import ProxyFix

    from grid_app import config

    app = Flask(
        __name__,
        instance_path=(test_config or {}).get("INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    config.load(app, test_config)
    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from grid_app import models  # noqa: F401  (every table registered before use)
    from grid_app.database import install_sqlite_settings
    from grid_app.extensions import csrf, db, htmx, limiter

    install_sqlite_settings()
    db.init_app(app)
    if not serving:
        from flask_migrate import Migrate

        from grid_app.search import schema as search_schema

        Migrate(app, db, render_as_batch=True, include_object=search_schema.include_object)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    from grid_app.web import authz, delivery, errors, privacy, security, templating

    authz.init_app(app)
    security.init_app(app)
    privacy.init_app(app)
    templating.init_app(app)
    delivery.init_app(app)

    from grid_app.audit.views import bp as audit_bp
    from grid_app.auth.views import bp as auth_bp
    from grid_app.dashboard.views import bp as dashboard_bp
    from grid_app.dataprotection.views import bp as dataprotection_bp
    from grid_app.discussion.views import bp as discussion_bp
    from grid_app.exchange.views import bp as exchange_bp
    from grid_app.gaps.views import bp as gaps_bp
    from grid_app.grid.views import bp as grid_bp
    from grid_app.people.views import bp as people_bp
    from grid_app.redaction.views import bp as redaction_bp
    from grid_app.safe_space.views import bp as safe_space_bp
    from grid_app.search.views import bp as search_bp
    from grid_app.sso.views import bp as sso_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(grid_bp)
    app.register_blueprint(gaps_bp)
    app.register_blueprint(discussion_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(exchange_bp)
    app.register_blueprint(safe_space_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(dataprotection_bp)
    app.register_blueprint(redaction_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(search_bp)

    from grid_app import cli

    cli.init_app(app)
    errors.init_app(app)

    @app.get("/healthz")
    def health() -> tuple[dict[str, str], int]:
        """Readiness for a load balancer: 503 while the database cannot be reached."""
        try:
            db.session.execute(text("SELECT 1"))
        except DBAPIError:
            # No details: the page is public.
            return {"status": "unavailable", "database": "unreachable"}, 503
        finally:
            db.session.close()
        return {"status": "ok"}, 200

    return app
