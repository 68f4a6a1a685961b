"""The write path of every view: one service call, one commit, and the house's answers.

A view parses its form, then hands ``write`` the service call and what to answer:

    return write(
        lambda: service.raise_flag(current_user, cell, ...),
        done=lambda flag: htmx.redirect_after_post(...),
        form=form,
        invalid=lambda error: htmx.render(..., status=422, form=form),
    )

The call runs in a write transaction of its own (on SQLite it takes the write lock as it
begins; what the view read before was a read transaction, ended first). On success it is
committed once and ``done`` answers. On a domain error everything the call wrote is rolled
back first, then:

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

from grid_app.database import writing
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
    """Run ``action`` as the request's one write transaction and answer as the house does."""
    try:
        result = commit(action)
    except Invalid as error:
        if form is not None:
            show_errors(form, error)
        if invalid is None:
            raise
        return invalid(error)
    except EditConflict as error:
        if conflict is None:
            raise
        return conflict(error)
    except Forbidden as error:
        if forbidden is None:
            raise
        return forbidden(error)
    return done(result)


def commit(action: Callable[[], T]) -> T:
    """Run ``action`` in a write transaction of its own and commit it.

    Used by ``write`` and for a read that must be recorded (an audited download). What the
    request read before was only a read: that transaction ends here, and the write begins
    afresh, taking SQLite's write lock first (``writing``), so it re-reads under the lock
    whatever it depends on. Any error rolls everything back and goes on (domain errors to
    ``write``'s answers or the error pages).
    """
    _end_reading()
    with writing():
        try:
            result = action()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return result


def _end_reading() -> None:
    """End the read transaction the request has open, if any.

    It holds no changes (a change made outside the write would be lost or written without
    the lock), so rolling it back only lets go of its snapshot; objects it loaded are
    reloaded when next used.
    """
    session = db.session
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise RuntimeError("Something changed before the write began; change it inside it.")
    session.rollback()


def show_errors(form: FlaskForm, error: Invalid) -> None:
    """Put each of the service's field messages beside the field it is about."""
    for name, message in error.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]
