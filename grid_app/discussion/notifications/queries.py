"""Reading a person's notifications: one of their own, the bell's count, a page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from grid_app.auth.models import User
from grid_app.discussion.models import (
    Notification,
)
from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.grid.models import Cell, ServiceArea

# --- Reading ----------------------------------------------------------------------------


def notification_for(actor: User, notification_id: int) -> Notification:
    """One of the actor's own notifications; anyone else's is not found."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != actor.id:
        raise NotFound("There is no such notification.")
    return note


# Built once, with a bound parameter: every page shows the bell.
_UNREAD = select(func.count(Notification.id)).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
)


def unread_count(user_id: int) -> int:
    """How many notifications the person has not read (the number on the bell)."""
    return int(db.session.scalar(_UNREAD, {"user_id": user_id}) or 0)


PAGE = 25


@dataclass
class NotificationPage:
    """A page of someone's notifications, newest first, and where the next page starts."""

    items: list[Notification]
    next_before: int | None


def page(user: User, before: int | None = None, size: int = PAGE) -> NotificationPage:
    """The person's notifications, newest first, with each one's cell place loaded."""
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(
            joinedload(Notification.cell).joinedload(Cell.row).load_only(ServiceArea.name),
            joinedload(Notification.cell).joinedload(Cell.column),
        )
        .order_by(Notification.id.desc())
        .limit(size + 1)
    )
    if before is not None:
        query = query.where(Notification.id < before)
    items = list(db.session.scalars(query))
    more = len(items) > size
    items = items[:size]
    return NotificationPage(items, items[-1].id if more else None)
