"""Comments on cells (threads and their replies) and the append-only record of their edits."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.auth.models import User
from grid_app.database import AppendOnly, Base, utcnow
from grid_app.grid.models import Cell, ServiceArea


class Comment(Base):
    """A comment on a cell. A top-level comment starts a thread; replies are one level deep."""

    __tablename__ = "comment"
    __table_args__ = (
        # A cell's comments, threads and replies together.
        Index("ix_comment_cell_id_created_at", "cell_id", "created_at"),
        # A grid's open threads: the counts on every cell.
        Index("ix_comment_grid_id_resolved_at", "grid_id", "resolved_at"),
        # A grid's newest comments: the activity feed.
        Index("ix_comment_grid_id_created_at", "grid_id", "created_at"),
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


class CellThreadTally(Base):
    """How many open threads a cell has, recounted with every change to its comments.

    The grid page reads one small row per cell from here instead of counting comments, so
    it costs the same however long the discussions grow.
    """

    __tablename__ = "cell_thread_tally"

    cell_id: Mapped[int] = mapped_column(
        ForeignKey("cell.id", ondelete="CASCADE"), primary_key=True
    )
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
    open_threads: Mapped[int] = mapped_column(default=0)


class CommentEdit(AppendOnly, Base):
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


class Mention(Base):
    """A person named with @ in a comment; kept so that an edit notifies only the newly named."""

    __tablename__ = "mention"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Watch(Base):
    """A person following a cell, or a whole service area, to hear of changes to it.

    Exactly one of ``cell_id`` and ``row_id`` is set.
    """

    __tablename__ = "watch"
    __table_args__ = (
        UniqueConstraint("user_id", "cell_id"),
        UniqueConstraint("user_id", "row_id"),
        CheckConstraint("(cell_id IS NULL) <> (row_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    cell_id: Mapped[int | None] = mapped_column(
        ForeignKey("cell.id", ondelete="CASCADE"), default=None, index=True
    )
    row_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_row.id", ondelete="CASCADE"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cell: Mapped[Cell | None] = relationship()
    row: Mapped[ServiceArea | None] = relationship()


class NotificationKind(enum.StrEnum):
    """Why someone was told."""

    MENTION = "mention"
    REPLY = "reply"
    WATCHED = "watched"
    FLAG_ASSIGNED = "flag_assigned"
    FLAG_STATUS = "flag_status"
    INSIGHT_REVIEW = "insight_review"


class Notification(Base):
    """Something a person should know about, under their bell until they read it."""

    __tablename__ = "notification"
    __table_args__ = (
        # The bell's unread count and a person's page of notifications, newest first.
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
        Index("ix_notification_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(400))
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), default=None, index=True
    )
    flag_id: Mapped[int | None] = mapped_column(
        ForeignKey("gap_flag.id", ondelete="CASCADE"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when the notification went out by email, alone or in a digest: never twice.
    emailed_at: Mapped[datetime | None] = mapped_column(default=None)

    cell: Mapped[Cell] = relationship()

    @property
    def is_read(self) -> bool:
        """True once the person opened it or marked it read."""
        return self.read_at is not None


class OutgoingMail(Base):
    """An email waiting to go, or gone: the outbox that makes sending retryable.

    A mail is written in the same transaction as what caused it and sent after the commit,
    so a slow or failing mail server never holds up or breaks a request.
    """

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # A digest's period and person ("daily:2026-11-28:7"): the same digest is never queued twice.
    digest_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A sender that takes a mail holds it until then, so two senders never send it twice.
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # Given up after too many failures; kept for an admin to see.
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    # "smtp", or "file" when no mail server is configured and it went to instance/outbox/.
    transport: Mapped[str] = mapped_column(String(10), default="")
    # The body holds a secret (a single-use link): it is blanked once the mail has gone, or
    # been given up, so the database keeps the link no longer than it must.
    forget_body: Mapped[bool] = mapped_column(default=False, server_default=false())
