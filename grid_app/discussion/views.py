"""Discussion: a cell's threads with the forms to comment and reply, editing and deleting
one's own comment, resolving and reopening threads, a comment's earlier wordings; people to
mention; watching; and each person's notifications under the bell."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug import Response

from grid_app.discussion import notifications, queries, service
from grid_app.discussion.forms import CommentForm, EditCommentForm
from grid_app.discussion.models import Comment, Notification
from grid_app.errors import DomainError, EditConflict, Invalid
from grid_app.grid import queries as grid_queries
from grid_app.grid.models import Cell
from grid_app.web import htmx
from grid_app.web.params import int_arg
from grid_app.web.writes import write

bp = Blueprint("discussion", __name__)


@bp.record_once
def _show_threads_on_cells(_state: BlueprintSetupState) -> None:
    grid_queries.register_cell_extension(queries.cell_badges, queries.cell_page_link)
    grid_queries.register_feed_source(queries.feed_entries)


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    """The bell's unread count, asked only by the page header that shows it."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return notifications.unread_count(current_user.id)

    return {"unread_notifications": unread_notifications}


@bp.route("/cells/<int:cell_id>/comments", methods=["GET", "POST"])
def cell_comments(cell_id: int) -> Response:
    """A cell's threads and the form to start one; the form swaps the discussion in place."""
    cell = grid_queries.cell_by_id(cell_id)
    form = CommentForm()
    if request.method == "GET":
        return _threads(cell, form=form)
    return write(
        lambda: service.add_comment(current_user, cell, body=form.body.data or ""),
        lambda comment: _done(cell_id, comment.id, "Your comment has been added."),
        form=form,
        invalid=lambda error: _threads(
            grid_queries.cell_by_id(cell_id), 422, form=form, error=error.message
        ),
    )


@bp.post("/comments/<int:comment_id>/reply")
def reply(comment_id: int) -> Response:
    """Reply to a thread."""
    parent = queries.comment_by_id(comment_id)
    form = CommentForm()
    return write(
        lambda: service.add_comment(
            current_user, parent.cell, body=form.body.data or "", parent_id=parent.id
        ),
        lambda comment: _done(parent.cell_id, comment.id, "Your reply has been added."),
        invalid=lambda error: _reply_refused(form, error, parent.cell_id, comment_id),
    )


def _reply_refused(form: CommentForm, error: Invalid, cell_id: int, thread_id: int) -> Response:
    # What is wrong with the thread (deleted, resolved) is said beside the reply box too.
    form.body.errors = list(error.field_errors.values())
    return _threads(
        grid_queries.cell_by_id(cell_id), 422, reply_forms={thread_id: form}, error=error.message
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int) -> Response:
    """Change the wording of one's own comment; a stale edit is 409 with the typed text."""
    comment = queries.comment_by_id(comment_id)
    service.require_edit(current_user, comment)
    form = EditCommentForm()
    if request.method == "GET":
        form.body.data = comment.body
        form.version.data = str(comment.version)
        return htmx.render("discussion/edit.html", **_edit_context(comment, form))
    version = form.require_version()

    def edited(_comment: Comment) -> Response:
        flash("Your comment has been changed. Its earlier wording is kept.", "success")
        return htmx.redirect_after_post(_anchor(comment.cell_id, comment.id))

    def refused(error: DomainError) -> Response:
        conflict = isinstance(error, EditConflict)
        current = queries.comment_by_id(comment_id)
        if conflict:
            form.version.data = str(current.version)
        return htmx.render(
            "discussion/edit.html",
            status=409 if conflict else 422,
            **_edit_context(current, form, error=error.message, conflict=conflict),
        )

    return write(
        lambda: service.edit(
            current_user, comment, body=form.body.data or "", expected_version=version
        ),
        edited,
        form=form,
        invalid=refused,
        conflict=refused,
    )


@bp.post("/comments/<int:comment_id>/delete")
def delete(comment_id: int) -> Response:
    """Delete one's own comment; the thread keeps its place and its replies."""
    comment = queries.comment_by_id(comment_id)
    return write(
        lambda: service.delete(current_user, comment),
        lambda deleted: _done(deleted.cell_id, deleted.id, "Your comment has been deleted."),
    )


@bp.post("/comments/<int:comment_id>/<any(resolve, reopen):action>")
def resolve(comment_id: int, action: str) -> Response:
    """Resolve or reopen a thread."""
    thread = queries.comment_by_id(comment_id)
    change = service.resolve if action == "resolve" else service.reopen
    said = "resolved" if action == "resolve" else "reopened"
    return write(
        lambda: change(current_user, thread),
        lambda _: _done(thread.cell_id, thread.id, f"The thread has been {said}."),
        invalid=lambda error: _threads(
            grid_queries.cell_by_id(thread.cell_id), 422, error=error.message
        ),
    )


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
        "watching": notifications.watch_state(current_user, cell),
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


# --- People to mention ------------------------------------------------------------------

TARGET = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,60}")


@bp.get("/people/suggest")
def suggest_people() -> Response:
    """People whose name or address starts with what was typed after @.

    For htmx, the list offered under the textarea ``target``; else a page to look people up.
    """
    target = request.args.get("target", "comment-body")
    if not TARGET.fullmatch(target):
        abort(400, "“target” must be the id of the text box the suggestions are for.")
    typed = request.args.get("q", "").strip()
    if len(typed) > 60:
        abort(400, "Type at most 60 characters of a name or address.")
    people = service.suggest_people(current_user, typed)
    return htmx.render(
        "discussion/suggestions.html",
        "discussion/_suggestions.html",
        target=target,
        typed=typed,
        people=people,
    )


# --- Watching ---------------------------------------------------------------------------


@bp.post("/cells/<int:cell_id>/watch")
def watch(cell_id: int) -> Response:
    """Start or stop watching a cell or its whole service area."""
    cell = grid_queries.cell_by_id(cell_id)
    what, state = request.form.get("what"), request.form.get("watch")
    if what not in ("cell", "row") or state not in ("on", "off"):
        abort(400, "Choose to watch or stop watching this cell or its service area.")
    thing = f"{cell.column.name} for {cell.row.name}" if what == "cell" else cell.row.name
    done = f"You are watching {thing}." if state == "on" else f"You stopped watching {thing}."

    def changed(_: object) -> Response:
        if htmx.wants_fragment():
            return htmx.render(
                "discussion/_watch.html",
                cell=cell,
                watching=notifications.watch_state(current_user, cell),
                done=done,
            )
        flash(done, "success")
        return htmx.redirect_after_post(url_for("discussion.cell_comments", cell_id=cell.id))

    return write(
        lambda: notifications.set_watch(
            current_user, cell, whole_row=what == "row", on=state == "on"
        ),
        changed,
    )


@bp.post("/watches/<int:watch_id>/stop")
def stop_watching(watch_id: int) -> Response:
    """Stop watching something, from the list of what one watches."""

    def stopped(thing: str) -> Response:
        flash(f"You stopped watching {thing}.", "success")
        return htmx.redirect_after_post(
            url_for("discussion.notifications_page", _anchor="watching")
        )

    return write(lambda: notifications.stop_watching(current_user, watch_id), stopped)


# --- Notifications ----------------------------------------------------------------------


@bp.get("/notifications")
def notifications_page() -> Response:
    """The person's notifications, newest first, and what they watch."""
    before = int_arg("before", minimum=1)
    return htmx.render(
        "discussion/notifications.html",
        page=notifications.page(current_user, before),
        before=before,
        watches=notifications.watches(current_user),
    )


@bp.get("/notifications/<int:notification_id>")
def open_notification(notification_id: int) -> Response:
    """One notification (where emails link to), with a button that goes to what it is about.

    Only a POST marks it read: a GET changes nothing, so a mail scanner or a link preview
    following the address from an email leaves it unread.
    """
    note = notifications.notification_for(current_user, notification_id)
    return htmx.render("discussion/notification.html", note=note)


@bp.post("/notifications/<int:notification_id>/open")
def follow_notification(notification_id: int) -> Response:
    """Mark a notification read and go to the comment, gap flag or cell it is about."""
    note = notifications.notification_for(current_user, notification_id)
    return write(
        lambda: notifications.mark_read(current_user, note),
        lambda _: htmx.navigate_after_post(notification_url(note)),
    )


@bp.post("/notifications/<int:notification_id>/read")
def mark_read(notification_id: int) -> Response:
    """Mark one notification read without opening it."""
    note = notifications.notification_for(current_user, notification_id)

    def marked(_: object) -> Response:
        if htmx.wants_fragment():
            return htmx.render("discussion/_notification.html", note=note)
        return htmx.redirect_after_post(
            url_for("discussion.notifications_page", _anchor=f"notification-{note.id}")
        )

    return write(lambda: notifications.mark_read(current_user, note), marked)


@bp.post("/notifications/read-all")
def mark_all_read() -> Response:
    """Mark every notification read."""

    def marked(count: int) -> Response:
        flash(
            f"Marked {count} notification{'' if count == 1 else 's'} as read."
            if count
            else "You had no unread notifications.",
            "success",
        )
        return htmx.redirect_after_post(url_for("discussion.notifications_page"))

    return write(lambda: notifications.mark_all_read(current_user), marked)


@bp.get("/notifications/bell")
def bell() -> Response:
    """The bell with its unread count, polled by every page; without htmx, the list."""
    if not htmx.wants_fragment():
        return redirect(url_for("discussion.notifications_page"), code=303)
    return htmx.render("discussion/_bell.html", "discussion/_bell.html")


def notification_url(note: Notification) -> str:
    """Where a notification leads: the comment, the gap flag or the cell."""
    if note.comment_id is not None:
        return url_for(
            "discussion.cell_comments", cell_id=note.cell_id, _anchor=f"comment-{note.comment_id}"
        )
    if note.flag_id is not None:
        return url_for("gaps.flag", flag_id=note.flag_id)
    return url_for("grid.cell", cell_id=note.cell_id)
