"""Comments on cells (threads and their replies) and the append-only record of their edits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.auth.models import User
from grid_app.database import Base, utcnow
from grid_app.grid.models import Cell


class Comment(Base):
    """A comment on a cell. A top-level comment starts a thread; replies are one level deep."""

    __tablename__ = "comment"
    __table_args__ = (
        # A cell's comments, threads and replies together.
        Index("ix_comment_cell_id_created_at", "cell_id", "created_at"),
        # A grid's open threads: the counts on every cell.
        Index("ix_comment_grid_id_resolved_at", "grid_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Copied from the cell (which never moves grid) so grid-wide counts need no join.
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), default=None, index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    version: Mapped[int] = mapped_column(default=1)

    # Two edits of one comment at once: the second UPDATE finds another version.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    cell: Mapped[Cell] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_deleted(self) -> bool:
        """True once the author deleted it; its replies stay."""
        return self.deleted_at is not None

    @property
    def is_resolved(self) -> bool:
        """True for a thread someone marked resolved."""
        return self.resolved_at is not None


class CommentEdit(Base):
    """The wording a comment had before one edit; written with the edit, never altered."""

    __tablename__ = "comment_edit"
    __table_args__ = (Index("ix_comment_edit_comment_id_id", "comment_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    comment: Mapped[Comment] = relationship()
    editor: Mapped[User | None] = relationship(foreign_keys=[editor_id])
