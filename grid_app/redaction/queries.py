"""Reading redactions for the admins' page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from grid_app.discussion.models import Comment
from grid_app.extensions import db
from grid_app.grid.models import Cell, Redaction, RedactionStatus

# Everything the page names, loaded with the list (no query per row).
_SHOWN = (
    joinedload(Redaction.requested_by),
    joinedload(Redaction.decided_by),
    joinedload(Redaction.revision),
    selectinload(Redaction.comment).joinedload(Comment.cell).joinedload(Cell.row),
    selectinload(Redaction.comment).joinedload(Comment.cell).joinedload(Cell.column),
    selectinload(Redaction.cell).joinedload(Cell.row),
    selectinload(Redaction.cell).joinedload(Cell.column),
)


def pending() -> list[Redaction]:
    """Redactions waiting for an admin, oldest first."""
    return list(
        db.session.scalars(
            select(Redaction)
            .where(Redaction.status == RedactionStatus.REQUESTED.value)
            .options(*_SHOWN)
            .order_by(Redaction.requested_at, Redaction.id)
        )
    )


def decided(limit: int = 50) -> list[Redaction]:
    """The newest decisions, newest first."""
    return list(
        db.session.scalars(
            select(Redaction)
            .where(Redaction.status != RedactionStatus.REQUESTED.value)
            .options(*_SHOWN)
            .order_by(Redaction.decided_at.desc(), Redaction.id.desc())
            .limit(limit)
        )
    )
