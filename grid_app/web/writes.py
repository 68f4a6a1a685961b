"""The write path of every view: one service call, one commit, and the house's answers.

A view parses its form, then hands ``write`` the service call and what to answer:

    return write(
        lambda: service.raise_flag(current_user, cell, ...),
        done=lambda flag: htmx.redirect_after_post(...),
        form=form,
        invalid=lambda error: htmx.render(..., status=422, form=form),
    )

On success the request's transaction is committed once and ``done`` answers. On a domain
error everything the call wrote is rolled back first, then:

- ``Invalid``: its field messages are put beside the form's fields and ``invalid``
  re-renders the page (422) with what the person typed;
- ``EditConflict``: ``conflict`` shows the newer state beside the person's draft (409);
- ``Forbidden``: ``forbidden`` answers (403) where a page explains the refusal in place;
- any other domain error (``NotFound``), or one the view has no answer for, goes on to the
  application's error pages (web/errors.py: 403, 404, 409, 422).

Views never commit or roll back themselves (tests/web/test_writes.py keeps it so), so a
refusal cannot leave half a change behind and a success cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_wtf import FlaskForm
from werkzeug import Response

from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db

T = TypeVar("T")


def write(
    action: Callable[[], T],
    done: Callable[[T], Response],
    *,
    form: FlaskForm | None = None,
    invalid: Callable[[Invalid], Response] | None = None,
    conflict: Callable[[EditConflict], Response] | None = None,
    forbidden: Callable[[Forbidden], Response] | None = None,
) -> Response:
    """Run ``action`` as the request's one transaction and answer as the house does."""
    try:
        result = action()
    except Invalid as error:
        db.session.rollback()
        if form is not None:
            show_errors(form, error)
        if invalid is None:
            raise
        return invalid(error)
    except EditConflict as error:
        db.session.rollback()
        if conflict is None:
            raise
        return conflict(error)
    except Forbidden as error:
        db.session.rollback()
        if forbidden is None:
            raise
        return forbidden(error)
    db.session.commit()
    return done(result)


def commit(action: Callable[[], T]) -> T:
    """Run ``action`` (a read that must be recorded, such as an audited download) and commit.

    Domain errors roll back and go on to the error pages, as in ``write``.
    """
    try:
        result = action()
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def show_errors(form: FlaskForm, error: Invalid) -> None:
    """Put each of the service's field messages beside the field it is about."""
    for name, message in error.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]
