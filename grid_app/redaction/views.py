"""Asking for a redaction, and the admins' page to approve, decline or undo them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.discussion import queries as discussion_queries
from grid_app.grid import queries as grid_queries
from grid_app.grid.models import Redaction
from grid_app.redaction import queries, service
from grid_app.redaction.forms import RedactionForm
from grid_app.web import htmx
from grid_app.web.writes import write

bp = Blueprint("redaction", __name__)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    signed_in = current_user.is_authenticated
    return {
        "can_request_redaction": signed_in and service.can_request(current_user),
        "can_decide_redactions": signed_in and service.can_decide(current_user),
    }


@bp.route("/revisions/<int:revision_id>/redact", methods=["GET", "POST"])
def redact_revision(revision_id: int) -> Response:
    """Ask for a revision's words to be redacted (a whole page)."""
    service.require_request(current_user)
    revision = grid_queries.revision_by_id(revision_id)
    cell = grid_queries.cell_by_id(revision.cell_id)
    context = {"revision": revision, "cell": cell, "comment": None}
    back = url_for("grid.history", cell_id=cell.id)
    return _ask(
        context, back, lambda reason: service.request_revision(current_user, revision, reason)
    )


@bp.route("/comments/<int:comment_id>/redact", methods=["GET", "POST"])
def redact_comment(comment_id: int) -> Response:
    """Ask for a comment's words to be redacted (a whole page)."""
    service.require_request(current_user)
    comment = discussion_queries.comment_by_id(comment_id)
    cell = grid_queries.cell_by_id(comment.cell_id)
    context = {"revision": None, "cell": cell, "comment": comment}
    back = url_for("discussion.cell_comments", cell_id=cell.id)
    return _ask(
        context, back, lambda reason: service.request_comment(current_user, comment, reason)
    )


def _ask(context: dict[str, Any], back: str, ask: Callable[[str], Redaction]) -> Response:
    form = RedactionForm()
    if not form.is_submitted():
        return htmx.render("redaction/ask.html", form=form, back=back, **context)

    def done(_made: Redaction) -> Response:
        flash("Your request to redact has been sent to the admins.", "success")
        return htmx.navigate_after_post(back)

    return write(
        lambda: ask(form.reason.data or ""),
        done,
        form=form,
        invalid=lambda _error: htmx.render(
            "redaction/ask.html", status=422, form=form, back=back, **context
        ),
    )


@bp.get("/redactions")
def index() -> Response:
    """Requests waiting for an admin, and the latest decisions."""
    service.require_request(current_user)
    return _index()


def _index(status: int = 200, error: str | None = None) -> Response:
    return htmx.render(
        "redaction/index.html",
        status=status,
        error=error,
        pending=queries.pending(),
        decided=queries.decided(),
    )


@bp.post("/redactions/<int:redaction_id>/approve")
def approve(redaction_id: int) -> Response:
    """Approve a redaction another person asked for."""
    return _decide(redaction_id, service.approve, "The words have been redacted.")


@bp.post("/redactions/<int:redaction_id>/decline")
def decline(redaction_id: int) -> Response:
    """Decline a redaction: the words stay."""
    return _decide(redaction_id, service.decline, "The redaction was declined.")


@bp.post("/redactions/<int:redaction_id>/undo")
def undo(redaction_id: int) -> Response:
    """Put redacted words back (admins)."""
    return _decide(redaction_id, service.undo, "The redaction was undone.")


def _decide(redaction_id: int, action: Callable[[Any, int], Redaction], message: str) -> Response:
    service.require_decide(current_user)

    def done(_decided: Redaction) -> Response:
        flash(message, "success")
        return htmx.navigate_after_post(url_for("redaction.index"))

    return write(
        lambda: action(current_user, redaction_id),
        done,
        conflict=lambda error: _index(status=409, error=error.message),
    )
