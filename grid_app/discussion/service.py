"""Commenting on cells: threads, one level of replies, edits with history, resolving.

Deleting, resolving and reopening write an AuditEvent in the same transaction. An edit keeps
the earlier wording as a CommentEdit; an edit made from an older version is an EditConflict.
"""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role, User
from grid_app.database import recount_tally, utcnow
from grid_app.discussion import notifications, queries
from grid_app.discussion.models import CellThreadTally, Comment, CommentEdit
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import markdown
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell

BODY_MAX = 5_000
STALE = "You or someone else changed this comment while you were editing it."


def can_comment(actor: Actor) -> bool:
    """Anyone who can edit cells can comment on them and reply."""
    return grid_service.can_edit_cells(actor)


def can_change(actor: Actor, comment: Comment) -> bool:
    """Only a comment's author edits or deletes it, and not once it is deleted."""
    return actor.active and comment.author_id == actor.id and not comment.is_deleted


def can_resolve(actor: Actor, thread: Comment, owner_ids: set[int]) -> bool:
    """The thread's author, an owner of the cell's service area, a manager or an admin.

    ``owner_ids`` are the people in the owner column of the cell's row
    (queries.row_owner_ids), passed in so that a page of threads asks once.
    """
    if not actor.active:
        return False
    return (
        thread.author_id == actor.id
        or actor.id in owner_ids
        or actor.has_role(Role.MANAGER, Role.ADMIN)
    )


def suggest_people(actor: User, typed: str) -> list[User]:
    """People ``actor`` may mention whose name or address starts with ``typed``."""
    if not can_comment(actor):
        raise Forbidden("Only people who can comment can mention others.")
    return notifications.suggest_people(actor, typed)


def add_comment(actor: User, cell: Cell, *, body: str, parent_id: int | None = None) -> Comment:
    """Start a thread on ``cell``, or reply to the thread ``parent_id``."""
    if not can_comment(actor):
        raise Forbidden("You can read the discussion but not take part in it.")
    text = _checked_body(body, "The comment was not added.")
    if parent_id is not None:
        _check_parent(cell, parent_id)
    mentioned = notifications.mentioned_people(text, "The comment was not added.")
    comment = Comment(
        grid_id=cell.grid_id,
        cell_id=cell.id,
        parent_id=parent_id,
        author_id=actor.id,
        body=text,
        html=markdown.render(notifications.show_mentions(text, mentioned)),
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    _retally(comment)
    notifications.comment_added(actor, comment, mentioned)
    return comment


def require_edit(actor: User, comment: Comment) -> None:
    """Refuse (403) anyone but the comment's author, and a deleted comment."""
    if not can_change(actor, comment):
        raise Forbidden("Only the person who wrote a comment can edit it.")


def edit(actor: User, comment: Comment, *, body: str, expected_version: int) -> Comment:
    """Change the wording of one's own comment, keeping the earlier wording."""
    require_edit(actor, comment)
    if comment.version != expected_version:
        raise EditConflict(STALE)
    text = _checked_body(body, "The comment was not changed.")
    if text == comment.body:
        return comment
    mentioned = notifications.mentioned_people(text, "The comment was not changed.")
    now = utcnow()
    db.session.add(
        CommentEdit(
            comment_id=comment.id,
            body=comment.body,
            html=comment.html,
            edited_at=now,
            editor_id=actor.id,
        )
    )
    comment.body = text
    comment.html = markdown.render(notifications.show_mentions(text, mentioned))
    comment.edited_at = now
    _flush_or_conflict()
    notifications.comment_edited(actor, comment, mentioned)
    return comment


def delete(actor: User, comment: Comment) -> Comment:
    """Delete one's own comment: its words go, its place (and any replies) stay."""
    if not can_change(actor, comment):
        raise Forbidden("Only the person who wrote a comment can delete it.")
    comment.body = ""
    comment.html = ""
    comment.deleted_at = utcnow()
    _flush_or_conflict()
    audit.record(actor, "comment.deleted", "comment", comment.id, cell_id=comment.cell_id)
    _retally(comment)
    db.session.flush()
    return comment


def resolve(actor: User, thread: Comment) -> Comment:
    """Mark a thread resolved."""
    _check_resolver(actor, thread)
    if thread.is_resolved:
        raise Invalid("This thread is already resolved.")
    thread.resolved_at = utcnow()
    thread.resolved_by_id = actor.id
    _flush_or_conflict()
    audit.record(actor, "comment.resolved", "comment", thread.id, cell_id=thread.cell_id)
    _retally(thread)
    db.session.flush()
    return thread


def reopen(actor: User, thread: Comment) -> Comment:
    """Reopen a resolved thread."""
    _check_resolver(actor, thread)
    if not thread.is_resolved:
        raise Invalid("This thread is already open.")
    thread.resolved_at = None
    thread.resolved_by_id = None
    _flush_or_conflict()
    audit.record(actor, "comment.reopened", "comment", thread.id, cell_id=thread.cell_id)
    _retally(thread)
    db.session.flush()
    return thread


def _retally(comment: Comment) -> None:
    """Recount the open threads of the comment's cell (what the grid page shows)."""
    recount_tally(
        db.session,
        CellThreadTally,
        comment.cell_id,
        comment.grid_id,
        lambda: {"open_threads": queries.count_open_threads(comment.cell_id)},
    )


def _check_resolver(actor: User, thread: Comment) -> None:
    owners = queries.row_owner_ids(thread.cell.row_id)
    if not can_resolve(actor, thread, owners):
        raise Forbidden(
            "Only the thread's author, an owner of this service area or a manager can "
            "resolve or reopen it."
        )
    if thread.parent_id is not None:
        raise Invalid("Only a whole thread can be resolved or reopened, not a reply.")


def _checked_body(body: str, message: str) -> str:
    text = grid_service.normalise_text(body).strip()
    if not text:
        raise Invalid(message, {"body": "Write a comment."})
    if len(text) > BODY_MAX:
        raise Invalid(
            message,
            {"body": f"This is {len(text):,} characters long; keep it to {BODY_MAX:,} or fewer."},
        )
    return text


def _check_parent(cell: Cell, parent_id: int) -> None:
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.cell_id != cell.id:
        error = "That comment no longer exists; reply to another thread."
    elif parent.parent_id is not None:
        error = "Reply to the thread, not to a reply."
    elif parent.is_deleted:
        error = "That comment was deleted; start a new thread instead."
    elif parent.is_resolved:
        error = "This thread is resolved; reopen it to reply."
    else:
        return
    raise Invalid("The reply was not added.", {"parent": error})


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise EditConflict(STALE) from exc
