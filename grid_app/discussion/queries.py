"""Read models of discussions; each loads what its page needs in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import ColumnElement, bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from grid_app.discussion.models import CellThreadTally, Comment, CommentEdit
from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.grid.models import Cell, ColumnKind, Grid, GridColumn, ServiceArea, cell_owner
from grid_app.grid.queries import (
    Badge,
    FeedEntry,
    FeedFilters,
    cell_address,
    feed_cells,
    narrow_feed,
)


@dataclass
class Thread:
    """A top-level comment and its replies, oldest reply first."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)

    @property
    def last_activity(self) -> datetime:
        """When the thread was last written to: its comment or its newest reply."""
        return max([self.comment.created_at, *(r.created_at for r in self.replies)])


def comment_by_id(comment_id: int) -> Comment:
    """A comment with its author and its cell's row, column and grid."""
    comment = db.session.scalar(
        select(Comment)
        .where(Comment.id == comment_id)
        .options(
            joinedload(Comment.cell).joinedload(Cell.row).joinedload(ServiceArea.grid),
            joinedload(Comment.cell).joinedload(Cell.column),
            joinedload(Comment.author),
        )
    )
    if comment is None:
        raise NotFound("There is no such comment.")
    return comment


def cell_threads(cell: Cell) -> list[Thread]:
    """The cell's threads, the most recently active first, each with its replies.

    A deleted comment with no replies is left out: there is nothing left to read.
    """
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.cell_id == cell.id)
        .options(joinedload(Comment.author), joinedload(Comment.resolved_by))
        .order_by(Comment.created_at, Comment.id)
    )
    threads: dict[int, Thread] = {}
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.id] = Thread(comment)
        elif comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    shown = [t for t in threads.values() if not (t.comment.is_deleted and not t.replies)]
    return sorted(shown, key=lambda t: (t.last_activity, t.comment.id), reverse=True)


def earlier_wordings(comment: Comment) -> list[CommentEdit]:
    """What ``comment`` said before each of its edits, newest first."""
    return list(
        db.session.scalars(
            select(CommentEdit)
            .where(CommentEdit.comment_id == comment.id)
            .options(joinedload(CommentEdit.editor))
            .order_by(CommentEdit.id.desc())
        )
    )


def row_owner_ids(row_id: int) -> set[int]:
    """The ids of the people in the owner column of service area ``row_id``."""
    owner_cell = (
        select(Cell.id)
        .join(GridColumn)
        .where(
            Cell.row_id == row_id,
            GridColumn.kind == ColumnKind.PEOPLE.value,
            GridColumn.archived_at.is_(None),
        )
        .order_by(GridColumn.position)
        .limit(1)
        .scalar_subquery()
    )
    return set(
        db.session.scalars(select(cell_owner.c.user_id).where(cell_owner.c.cell_id == owner_cell))
    )


def _open_thread() -> ColumnElement[bool]:
    """An unresolved top-level comment that is still shown (not deleted, or with replies)."""
    reply = aliased(Comment)
    return (
        Comment.parent_id.is_(None)
        & Comment.resolved_at.is_(None)
        & or_(Comment.deleted_at.is_(None), exists().where(reply.parent_id == Comment.id))
    )


# Built once, with bound parameters: every grid page runs it, and building a statement
# costs the ORM more than running it.
_OPEN_COUNTS = select(CellThreadTally.cell_id, CellThreadTally.open_threads).where(
    CellThreadTally.grid_id == bindparam("grid_id"), CellThreadTally.open_threads > 0
)
_CELL_OPEN_COUNTS = _OPEN_COUNTS.where(CellThreadTally.cell_id == bindparam("cell_id"))


def open_counts(grid: Grid, cell_id: int | None = None) -> dict[int, int]:
    """Open threads per cell of ``grid`` (or of one cell), from the cells' tallies."""
    found = (
        db.session.execute(_OPEN_COUNTS, {"grid_id": grid.id})
        if cell_id is None
        else db.session.execute(_CELL_OPEN_COUNTS, {"grid_id": grid.id, "cell_id": cell_id})
    )
    return {cell: int(total) for cell, total in found}


def count_open_threads(cell_id: int) -> int:
    """Count the open threads of one cell from its comments (to keep its tally true)."""
    return int(
        db.session.scalar(
            select(func.count(Comment.id)).where(Comment.cell_id == cell_id, _open_thread())
        )
        or 0
    )


def words(count: int) -> str:
    """ "3 open threads", "1 open thread", "no open threads"."""
    if not count:
        return "no open threads"
    return f"{count} open thread{'' if count == 1 else 's'}"


def cell_badges(grid: Grid, cell_id: int | None = None) -> dict[int, list[Badge]]:
    """The grid's cell badges: each cell's open threads, in words, linking to its discussion."""
    badges: dict[int, list[Badge]] = defaultdict(list)
    address = cell_address("discussion.cell_comments")
    for cell, count in open_counts(grid, cell_id).items():
        badges[cell].append(
            Badge(
                label=words(count),
                href=address(cell),
                modifier="discussion",
            )
        )
    return badges


def cell_page_link(cell: Cell) -> Badge:
    """The cell page's link to its discussion, saying how many threads are open."""
    count = open_counts(cell.row.grid, cell.id).get(cell.id, 0)
    return Badge(
        label=f"Discussion of this cell ({words(count)})",
        href=url_for("discussion.cell_comments", cell_id=cell.id),
        modifier="discussion",
    )


def feed_entries(grid: Grid, filters: FeedFilters, wanted: int) -> list[FeedEntry]:
    """The grid's newest comments and replies (deleted ones left out), for the activity feed."""
    query = (
        select(Comment)
        .where(Comment.grid_id == grid.id, Comment.deleted_at.is_(None))
        .options(
            joinedload(Comment.author),
            joinedload(Comment.cell).joinedload(Cell.row),
            joinedload(Comment.cell).joinedload(Cell.column),
        )
        .limit(wanted)
    )
    query = narrow_feed(
        query, filters, at=Comment.created_at, person=Comment.author_id, id=Comment.id
    )
    cells = feed_cells(grid, filters)
    if cells is not None:
        query = query.where(Comment.cell_id.in_(cells))
    return [
        FeedEntry(
            comment.created_at, comment.id, item=comment, template="discussion/_feed_entry.html"
        )
        for comment in db.session.scalars(query).unique()
    ]
