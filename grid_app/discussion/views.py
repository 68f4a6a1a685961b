"""Discussion: a cell's threads with the forms to comment and reply, editing and deleting
one's own comment, resolving and reopening threads, and a comment's earlier wordings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug import Response

from grid_app.discussion import queries, service
from grid_app.discussion.forms import CommentForm, EditCommentForm
from grid_app.discussion.models import Comment
from grid_app.errors import EditConflict, Invalid
from grid_app.extensions import db
from grid_app.grid import queries as grid_queries
from grid_app.grid.models import Cell
from grid_app.web import htmx

bp = Blueprint("discussion", __name__)


@bp.record_once
def _show_threads_on_cells(_state: BlueprintSetupState) -> None:
    grid_queries.register_cell_extension(queries.cell_badges, queries.cell_page_link)


@bp.route("/cells/<int:cell_id>/comments", methods=["GET", "POST"])
def cell_comments(cell_id: int) -> Response:
    """A cell's threads and the form to start one; the form swaps the discussion in place."""
    cell = grid_queries.cell_by_id(cell_id)
    form = CommentForm()
    if request.method == "GET":
        return _threads(cell, form=form)
    try:
        comment = service.add_comment(current_user, cell, body=form.body.data or "")
    except Invalid as error:
        db.session.rollback()
        form.body.errors = list(error.field_errors.values())
        return _threads(grid_queries.cell_by_id(cell_id), 422, form=form, error=error.message)
    db.session.commit()
    return _done(cell_id, comment.id, "Your comment has been added.")


@bp.post("/comments/<int:comment_id>/reply")
def reply(comment_id: int) -> Response:
    """Reply to a thread."""
    parent = queries.comment_by_id(comment_id)
    form = CommentForm()
    try:
        comment = service.add_comment(
            current_user, parent.cell, body=form.body.data or "", parent_id=parent.id
        )
    except Invalid as error:
        db.session.rollback()
        form.body.errors = list(error.field_errors.values())
        cell = grid_queries.cell_by_id(parent.cell_id)
        return _threads(cell, 422, reply_forms={comment_id: form}, error=error.message)
    db.session.commit()
    return _done(parent.cell_id, comment.id, "Your reply has been added.")


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int) -> Response:
    """Change the wording of one's own comment; a stale edit is 409 with the typed text."""
    comment = queries.comment_by_id(comment_id)
    if not service.can_change(current_user, comment):
        abort(403, "Only the person who wrote a comment can edit it.")
    form = EditCommentForm()
    if request.method == "GET":
        form.body.data = comment.body
        form.version.data = str(comment.version)
        return htmx.render("discussion/edit.html", **_edit_context(comment, form))
    version = form.version_number()
    if version is None:
        abort(400, "The form was missing the version you started from. Reload and try again.")
    try:
        service.edit(current_user, comment, body=form.body.data or "", expected_version=version)
    except (Invalid, EditConflict) as error:
        db.session.rollback()
        status = 409 if isinstance(error, EditConflict) else 422
        if isinstance(error, Invalid):
            form.body.errors = list(error.field_errors.values())
        comment = queries.comment_by_id(comment_id)
        if status == 409:
            form.version.data = str(comment.version)
        return htmx.render(
            "discussion/edit.html",
            status=status,
            **_edit_context(comment, form, error=error.message, conflict=status == 409),
        )
    db.session.commit()
    flash("Your comment has been changed. Its earlier wording is kept.", "success")
    return htmx.redirect_after_post(_anchor(comment.cell_id, comment.id))


@bp.post("/comments/<int:comment_id>/delete")
def delete(comment_id: int) -> Response:
    """Delete one's own comment; the thread keeps its place and its replies."""
    comment = queries.comment_by_id(comment_id)
    service.delete(current_user, comment)
    db.session.commit()
    return _done(comment.cell_id, comment.id, "Your comment has been deleted.")


@bp.post("/comments/<int:comment_id>/<any(resolve, reopen):action>")
def resolve(comment_id: int, action: str) -> Response:
    """Resolve or reopen a thread."""
    thread = queries.comment_by_id(comment_id)
    change = service.resolve if action == "resolve" else service.reopen
    try:
        change(current_user, thread)
    except Invalid as error:
        db.session.rollback()
        cell = grid_queries.cell_by_id(thread.cell_id)
        return _threads(cell, 422, error=error.message)
    db.session.commit()
    said = "resolved" if action == "resolve" else "reopened"
    return _done(thread.cell_id, thread.id, f"The thread has been {said}.")


@bp.get("/comments/<int:comment_id>/history")
def history(comment_id: int) -> Response:
    """A comment as it reads now and the wordings it had before each edit."""
    comment = queries.comment_by_id(comment_id)
    cell = comment.cell
    return htmx.render(
        "discussion/history.html",
        comment=comment,
        cell=cell,
        row=cell.row,
        column=cell.column,
        grid=cell.row.grid,
        # A deleted comment's words are gone for readers, earlier wordings included.
        edits=[] if comment.is_deleted else queries.earlier_wordings(comment),
    )


def _done(cell_id: int, comment_id: int, message: str) -> Response:
    """After a change: the fresh discussion for htmx, else back to the page (303)."""
    if htmx.wants_fragment():
        return _threads(grid_queries.cell_by_id(cell_id), done=message)
    flash(message, "success")
    return htmx.redirect_after_post(_anchor(cell_id, comment_id))


def _anchor(cell_id: int, comment_id: int) -> str:
    return url_for("discussion.cell_comments", cell_id=cell_id, _anchor=f"comment-{comment_id}")


def _threads(cell: Cell, status: int = 200, **extra: Any) -> Response:
    """The discussion page, or just its threads for an htmx swap."""
    owners = queries.row_owner_ids(cell.row_id)

    def may_resolve(thread: Comment) -> bool:
        return service.can_resolve(current_user, thread, owners)

    def may_change(comment: Comment) -> bool:
        return service.can_change(current_user, comment)

    context: dict[str, Any] = {
        "cell": cell,
        "row": cell.row,
        "column": cell.column,
        "grid": cell.row.grid,
        "threads": queries.cell_threads(cell),
        "can_comment": service.can_comment(current_user),
        "may_resolve": may_resolve,
        "may_change": may_change,
        "form": CommentForm(formdata=None),
        "reply_forms": {},
        "blank": CommentForm(formdata=None),
        **extra,
    }
    return htmx.render(
        "discussion/cell_comments.html", "discussion/_threads.html", status=status, **context
    )


def _edit_context(comment: Comment, form: EditCommentForm, **extra: Any) -> dict[str, Any]:
    cell = comment.cell
    return {
        "comment": comment,
        "cell": cell,
        "row": cell.row,
        "column": cell.column,
        "grid": cell.row.grid,
        "form": form,
        **extra,
    }
