"""Friendly error pages with the right status, for pages and htmx requests alike."""

from __future__ import annotations

import logging

from flask import Flask
from flask_wtf.csrf import CSRFError
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
    413: "That upload is too large",
    422: "Check what you entered",
    429: "Too many attempts",
    500: "Sorry, something went wrong",
}


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
        if status == 429:
            return error_response(
                429, "There have been too many attempts. Wait a few minutes, then try again."
            )
        return error_response(status, error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if app.testing:
            raise error
        log.exception("Unhandled error", exc_info=error)
        db.session.rollback()
        return error_response(
            500, "The problem has been logged. Nothing you saved before this was lost."
        )
