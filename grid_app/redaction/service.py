"""Requesting, approving, declining and undoing redactions.

A manager or admin asks, with a reason; a different admin decides. On approval the words of
the revision (or comment) are replaced by "Redacted on DATE: REASON" wherever they are
shown, the live cell too when that revision is its newest; the history still verifies
(grid_app/grid/history.py). Only an admin can undo an approved redaction.
"""

from __future__ import annotations

from datetime import datetime

from markupsafe import escape
from sqlalchemy import select, update

from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role, User
from grid_app.database import utcnow
from grid_app.discussion.models import Comment, CommentEdit
from grid_app.errors import EditConflict, Forbidden, Invalid, NotFound
from grid_app.extensions import db
from grid_app.grid import history
from grid_app.grid import service as grid_service
from grid_app.grid.markdown import sanitise
from grid_app.grid.models import Cell, CellRevision, Redaction, RedactionStatus

REASON_MAX = 300
OPEN = (RedactionStatus.REQUESTED.value, RedactionStatus.APPROVED.value)


def can_request(actor: Actor) -> bool:
    """Managers and admins may ask for a redaction."""
    return actor.active and actor.has_role(Role.MANAGER, Role.ADMIN)


def can_decide(actor: Actor) -> bool:
    """Admins approve, decline and undo redactions."""
    return actor.active and actor.has_role(Role.ADMIN)


def require_request(actor: Actor) -> None:
    """Raise Forbidden unless ``actor`` may ask for a redaction."""
    if not can_request(actor):
        raise Forbidden("Only a manager or an admin can ask for a redaction.")


def require_decide(actor: Actor) -> None:
    """Raise Forbidden unless ``actor`` may decide on redactions."""
    if not can_decide(actor):
        raise Forbidden("Only an admin can approve, decline or undo a redaction.")


def notice_for(reason: str, at: datetime) -> str:
    """The words shown in place of what was redacted."""
    return f"Redacted on {at.day} {at:%B %Y}: {reason}"


def _notice_html(notice: str) -> str:
    return sanitise(f"<p><em>{escape(notice)}</em></p>")


def _reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise Invalid("Nothing was asked for.", {"reason": "Say why it should be redacted."})
    if len(cleaned) > REASON_MAX:
        raise Invalid(
            "Nothing was asked for.",
            {"reason": f"Keep the reason to {REASON_MAX} characters or fewer."},
        )
    return cleaned


def _refuse_second(where: object) -> None:
    if db.session.scalar(select(Redaction.id).where(where, Redaction.status.in_(OPEN))):  # type: ignore[arg-type]
        raise Invalid(
            "Nothing was asked for.",
            {"reason": "A redaction of this has already been asked for or made."},
        )


def request_revision(actor: User, revision: CellRevision, reason: str) -> Redaction:
    """Ask for a revision's words to be redacted."""
    require_request(actor)
    cleaned = _reason(reason)
    _refuse_second(Redaction.revision_id == revision.id)
    redaction = Redaction(
        revision_id=revision.id, cell_id=revision.cell_id, reason=cleaned, requested_by_id=actor.id
    )
    return _requested(actor, redaction)


def request_comment(actor: User, comment: Comment, reason: str) -> Redaction:
    """Ask for a comment's words to be redacted."""
    require_request(actor)
    cleaned = _reason(reason)
    _refuse_second(Redaction.comment_id == comment.id)
    redaction = Redaction(comment_id=comment.id, reason=cleaned, requested_by_id=actor.id)
    return _requested(actor, redaction)


def _requested(actor: User, redaction: Redaction) -> Redaction:
    db.session.add(redaction)
    db.session.flush()
    kind, target, where = _target(redaction)
    audit.record(
        actor,
        "redaction.requested",
        kind,
        target,
        redaction=redaction.id,
        reason=redaction.reason,
        **where,
    )
    return redaction


def _locked(redaction_id: int, status: RedactionStatus) -> Redaction:
    """The redaction, its row held, in ``status`` (else a conflict: someone got there first)."""
    redaction = db.session.scalar(
        select(Redaction).where(Redaction.id == redaction_id).with_for_update()
    )
    if redaction is None:
        raise NotFound("There is no such redaction.")
    db.session.refresh(redaction)
    if redaction.status != status.value:
        raise EditConflict(f"This redaction has been {redaction.status} since you opened the page.")
    return redaction


def _target(redaction: Redaction) -> tuple[str, int, dict[str, int]]:
    """What the audit log names: the revision's cell (with the revision's number), or the
    comment (with its cell, for the link)."""
    if redaction.revision is not None:
        return "cell", redaction.revision.cell_id, {"revision": redaction.revision.number}
    comment = redaction.comment
    return "comment", int(redaction.comment_id or 0), {"cell_id": comment.cell_id if comment else 0}


def approve(actor: User, redaction_id: int) -> Redaction:
    """Approve: replace the words with the notice everywhere. Not by whoever asked."""
    require_decide(actor)
    redaction = _locked(redaction_id, RedactionStatus.REQUESTED)
    if redaction.requested_by_id == actor.id:
        raise Forbidden("A different admin must approve a redaction you asked for.")
    now = utcnow()
    notice = notice_for(redaction.reason, now)
    html = _notice_html(notice)
    if redaction.revision_id is not None:
        _redact_revision(redaction, notice, html)
    else:
        _redact_comment(redaction, notice, html)
    redaction.status = RedactionStatus.APPROVED.value
    redaction.decided_by_id = actor.id
    redaction.decided_at = now
    db.session.flush()
    kind, target, where = _target(redaction)
    audit.record(
        actor,
        "redaction.approved",
        kind,
        target,
        redaction=redaction.id,
        requested_by=redaction.requested_by_id,
        reason=redaction.reason,
        **where,
    )
    return redaction


def decline(actor: User, redaction_id: int) -> Redaction:
    """Decline: the words stay as they are."""
    require_decide(actor)
    redaction = _locked(redaction_id, RedactionStatus.REQUESTED)
    if redaction.requested_by_id == actor.id:
        raise Forbidden("A different admin must decide on a redaction you asked for.")
    redaction.status = RedactionStatus.DECLINED.value
    redaction.decided_by_id = actor.id
    redaction.decided_at = utcnow()
    db.session.flush()
    kind, target, where = _target(redaction)
    audit.record(
        actor,
        "redaction.declined",
        kind,
        target,
        redaction=redaction.id,
        requested_by=redaction.requested_by_id,
        **where,
    )
    return redaction


def undo(actor: User, redaction_id: int) -> Redaction:
    """Put the redacted words back (admins only)."""
    require_decide(actor)
    redaction = _locked(redaction_id, RedactionStatus.APPROVED)
    if redaction.revision_id is not None:
        _restore_revision(redaction)
    else:
        _restore_comment(redaction)
    redaction.status = RedactionStatus.UNDONE.value
    redaction.mac = ""
    redaction.hidden_text = redaction.hidden_html = None
    redaction.hidden_earlier = None
    db.session.flush()
    kind, target, where = _target(redaction)
    audit.record(actor, "redaction.undone", kind, target, redaction=redaction.id, **where)
    return redaction


def _cell_state(cell: Cell) -> str:
    return history.content_hash(cell.text, [u.id for u in cell.owners])


def _redact_revision(redaction: Redaction, notice: str, html: str) -> None:
    revision = db.session.get_one(CellRevision, redaction.revision_id)
    cell = _lock_cell(revision.cell_id)
    newest = grid_service.latest_revision(cell)
    assert newest is not None
    redacted = history.redacted_ids(cell.id)
    before = (_cell_state(cell), redacted)
    redaction.hidden_text, redaction.hidden_html = revision.text, revision.html
    owners, content = list(revision.owner_ids), revision.content_hash
    history.rewrite_revision(revision.id, notice, html)
    if newest.id == revision.id:
        cell.text, cell.html = notice, html
    redaction.notice = notice
    redaction.mac = history.redaction_mac(revision.id, content, owners, notice)
    db.session.flush()
    history.move_head(cell.id, newest, before, (_cell_state(cell), [*redacted, revision.id]))


def _restore_revision(redaction: Redaction) -> None:
    revision = db.session.get_one(CellRevision, redaction.revision_id)
    cell = _lock_cell(revision.cell_id)
    newest = grid_service.latest_revision(cell)
    assert newest is not None
    redacted = history.redacted_ids(cell.id)
    before = (_cell_state(cell), redacted)
    text = redaction.hidden_text or ""
    history.rewrite_revision(revision.id, text, redaction.hidden_html)
    if newest.id == revision.id and cell.text == redaction.notice:
        cell.text, cell.html = text, redaction.hidden_html or ""
    db.session.flush()
    after = [i for i in redacted if i != revision.id]
    history.move_head(cell.id, newest, before, (_cell_state(cell), after))


def _lock_cell(cell_id: int) -> Cell:
    db.session.execute(select(Cell.id).where(Cell.id == cell_id).with_for_update())
    cell = db.session.get_one(Cell, cell_id)
    db.session.refresh(cell)
    return cell


def _redact_comment(redaction: Redaction, notice: str, html: str) -> None:
    comment = db.session.get_one(Comment, redaction.comment_id)
    earlier = db.session.execute(
        select(CommentEdit.id, CommentEdit.body, CommentEdit.html).where(
            CommentEdit.comment_id == comment.id
        )
    ).all()
    redaction.hidden_text, redaction.hidden_html = comment.body, comment.html
    redaction.hidden_earlier = [list(row) for row in earlier]
    redaction.notice = notice
    comment.body, comment.html = notice, html
    # Earlier wordings are append-only to the app's sessions; a redaction is the exception.
    db.session.execute(
        update(CommentEdit)
        .where(CommentEdit.comment_id == comment.id)
        .values(body=notice, html=html)
        .execution_options(synchronize_session=False)
    )


def _restore_comment(redaction: Redaction) -> None:
    comment = db.session.get_one(Comment, redaction.comment_id)
    comment.body, comment.html = redaction.hidden_text or "", redaction.hidden_html or ""
    for edit_id, body, html in redaction.hidden_earlier or []:
        db.session.execute(
            update(CommentEdit)
            .where(CommentEdit.id == edit_id)
            .values(body=body, html=html)
            .execution_options(synchronize_session=False)
        )
