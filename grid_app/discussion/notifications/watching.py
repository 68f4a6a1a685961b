"""Watching a cell or a whole service area, and who watches what."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.discussion.models import (
    Watch,
)
from grid_app.errors import Forbidden, NotFound
from grid_app.extensions import db
from grid_app.grid.models import Cell

# --- Watching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchState:
    """Whether a person watches a cell, and its whole service area."""

    cell: bool
    row: bool


def watch_state(user: User, cell: Cell) -> WatchState:
    """What ``user`` watches of ``cell``: the cell itself, its service area, both or neither."""
    found = db.session.execute(
        select(Watch.cell_id, Watch.row_id).where(
            Watch.user_id == user.id, or_(Watch.cell_id == cell.id, Watch.row_id == cell.row_id)
        )
    ).all()
    return WatchState(
        cell=any(c == cell.id for c, _ in found), row=any(r == cell.row_id for _, r in found)
    )


def set_watch(actor: User, cell: Cell, *, whole_row: bool, on: bool) -> WatchState:
    """Start or stop watching ``cell`` (or, with ``whole_row``, its service area)."""
    if not actor.active:
        raise Forbidden("Your account is not active.")
    target = Watch.row_id == cell.row_id if whole_row else Watch.cell_id == cell.id
    existing = db.session.scalar(select(Watch).where(Watch.user_id == actor.id, target))
    if on and existing is None:
        if whole_row:
            db.session.add(Watch(user_id=actor.id, row_id=cell.row_id, created_at=utcnow()))
        else:
            db.session.add(Watch(user_id=actor.id, cell_id=cell.id, created_at=utcnow()))
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.flush()
    return watch_state(actor, cell)


def stop_watching(actor: User, watch_id: int) -> str:
    """Stop one of the actor's watches; returns what it was, in words."""
    found = db.session.get(Watch, watch_id)
    if found is None or found.user_id != actor.id:
        raise NotFound("You are not watching that.")
    if found.row is not None:
        thing = found.row.name
    else:
        cell = db.session.get_one(Cell, found.cell_id)
        thing = f"{cell.column.name} for {cell.row.name}"
    db.session.delete(found)
    db.session.flush()
    return thing


def watches(user: User) -> list[Watch]:
    """Everything ``user`` watches, service areas first, each with what it needs to show."""
    found = db.session.scalars(
        select(Watch)
        .where(Watch.user_id == user.id)
        .options(
            joinedload(Watch.cell).joinedload(Cell.row),
            joinedload(Watch.cell).joinedload(Cell.column),
            joinedload(Watch.row),
        )
        .order_by(Watch.created_at, Watch.id)
    )
    return sorted(found, key=lambda w: w.cell_id is not None)


def watchers(cell: Cell) -> set[int]:
    return set(
        db.session.scalars(
            select(Watch.user_id).where(or_(Watch.cell_id == cell.id, Watch.row_id == cell.row_id))
        )
    )
