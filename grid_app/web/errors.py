"""Friendly error pages with the right status, for pages and htmx requests alike."""

from __future__ import annotations

import logging

from flask import Flask, g
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug import Response
from werkzeug.exceptions import HTTPException

from grid_app.errors import DomainError
from grid_app.extensions import db
from grid_app.web import htmx

log = logging.getLogger(__name__)

TITLES = {
    400: "The request could not be understood",
    401: "Please sign in",
    403: "You do not have permission to do this",
    404: "Page not found",
    405: "This address does not accept that action",
    409: "This changed while you were working on it",
    410: "This link cannot be used",
    413: "That upload is too large",
    422: "Check what you entered",
    429: "Too many attempts",
    500: "Sorry, something went wrong",
    503: "The grid is not available just now",
}
DATABASE_DOWN = (
    "The grid cannot reach its database just now. Nothing you saved before this was lost. "
    "Try again in a few minutes."
)


def error_response(status: int, message: str) -> Response:
    """Render the error page (or an alert fragment for htmx) with ``status``."""
    return htmx.render(
        "errors/error.html",
        "errors/_error.html",
        status=status,
        status_code=status,
        title=TITLES.get(status, "Something went wrong"),
        message=message,
    )


def init_app(app: Flask) -> None:
    """Register handlers for domain errors, HTTP errors and the unexpected."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Response:
        db.session.rollback()
        return error_response(error.status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        db.session.rollback()
        return error_response(
            400,
            "This form has expired or was not sent from this site. Go back, reload the page "
            "and try again; what you typed may still be in the form.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        db.session.rollback()
        status = error.code or 500
        if isinstance(error.response, Response):
            # The refusal drew its own page (the sign-in form keeps the typed address).
            return error.response
        if status == 429:
            return error_response(
                429, "There have been too many attempts. Wait a few minutes, then try again."
            )
        # Werkzeug's own wording ("The requested URL was not found on the server…") is left
        # out: the page says it in the app's words. A message the app gave is kept.
        own = error.description if error.description != type(error).description else ""
        return error_response(status, own or "")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(error: Exception) -> Response:
        # The database cannot be reached (or stayed locked past the busy timeout). The page
        # is drawn as for someone not signed in: finding out who is signed in, or what the
        # header should offer them, would ask the database again.
        log.error("Database unavailable: %s", type(error).__name__)
        _rollback_quietly()
        g._login_user = AnonymousUserMixin()
        return error_response(503, DATABASE_DOWN)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if app.testing:
            raise error
        log.exception("Unhandled error", exc_info=error)
        db.session.rollback()
        return error_response(
            500, "The problem has been logged. Nothing you saved before this was lost."
        )


def _rollback_quietly() -> None:
    """End the transaction of a request whose connection may already be gone."""
    try:
        db.session.rollback()
    except (OperationalError, InterfaceError):
        db.session.close()
