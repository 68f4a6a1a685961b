"""The grid's structure, its cells and their append-only revisions."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.auth.models import User
from grid_app.database import AppendOnly, Base, utcnow

if TYPE_CHECKING:
    from grid_app.discussion.models import Comment


class ColumnKind(enum.StrEnum):
    """What a column's cells hold."""

    TEXT = "text"
    PEOPLE = "people"


class RevisionKind(enum.StrEnum):
    """Why a revision was written."""

    EDIT = "edit"
    RESTORE = "restore"
    IMPORT = "import"
    INSIGHT = "insight"
    # Someone confirmed the cell still holds: same text and owners, nothing else changed.
    REVIEW = "review"


class Grid(Base):
    """A named board of service areas × columns."""

    __tablename__ = "grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    review_period_days: Mapped[int] = mapped_column(default=180)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised by every change to rows or columns; a structural edit made from an older
    # structure is refused, like a stale cell save.
    structure_version: Mapped[int] = mapped_column(default=1)


class ServiceArea(Base):
    """A row of the grid, e.g. "Youth Justice"."""

    __tablename__ = "grid_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    grid: Mapped[Grid] = relationship()


class GridColumn(Base):
    """A column of the grid, e.g. "Evidence"; the owner column holds people."""

    __tablename__ = "grid_column"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default=ColumnKind.TEXT.value)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    grid: Mapped[Grid] = relationship()

    @property
    def holds_people(self) -> bool:
        """True for an owner column, whose cells name people."""
        return self.kind == ColumnKind.PEOPLE


cell_owner = Table(
    "cell_owner",
    Base.metadata,
    Column("cell_id", ForeignKey("cell.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


# A grid cell is about 30 characters wide and shows about seven lines before "Show all".
LONG_CELL_CHARACTERS = 360
LONG_CELL_LINES = 8


class CellShape:
    """What a cell's text and owners say of how it shows: for the ORM's cells and the grid
    page's plain rows alike."""

    if TYPE_CHECKING:
        text: str
        owners: Sequence[object]

    @property
    def is_empty(self) -> bool:
        """True when the cell has neither text nor owners."""
        return not self.text.strip() and not self.owners

    @property
    def is_long(self) -> bool:
        """True when the text would run past the first few lines of a grid cell, so the grid
        shows those lines and offers the rest."""
        return len(self.text) > LONG_CELL_CHARACTERS or self.text.count("\n") >= LONG_CELL_LINES


class Cell(CellShape, Base):
    """One service area × column. ``version`` guards against lost updates."""

    __tablename__ = "cell"
    __table_args__ = (UniqueConstraint("row_id", "column_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("grid_row.id", ondelete="CASCADE"))
    column_id: Mapped[int] = mapped_column(
        ForeignKey("grid_column.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    # Sanitised HTML rendered at save time, so the grid page never renders Markdown.
    html: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )

    # An UPDATE that finds another version in the database fails: the second of two
    # concurrent saves can never silently overwrite the first.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    grid: Mapped[Grid] = relationship()
    row: Mapped[ServiceArea] = relationship()
    column: Mapped[GridColumn] = relationship()
    updated_by: Mapped[User | None] = relationship()
    owners: Mapped[list[User]] = relationship(secondary=cell_owner, order_by=User.display_name)


class CellHead(Base):
    """A keyed seal over a cell's whole history and what it holds now.

    ``mac`` covers the cell's id, its number of revisions, its newest revision's chain hash
    and the content hash of its live text and owners (``history.head_mac``). A revision
    deleted from the end, a history deleted outright, or live text changed without a
    revision then no longer verifies. Every cell has one from its creation. Kept apart from
    ``Cell`` so that writing it never raises ``Cell.version``.
    """

    __tablename__ = "cell_head"

    cell_id: Mapped[int] = mapped_column(
        ForeignKey("cell.id", ondelete="CASCADE"), primary_key=True
    )
    revisions: Mapped[int]
    mac: Mapped[str] = mapped_column(String(64))


# A revision with no text and nobody named. Written out so that queries can repeat it word
# for word, which is how both databases know the partial index below applies.
EMPTIED = "text = '' AND CAST(owner_ids AS TEXT) = '[]'"


class CellRevision(AppendOnly, Base):
    """An immutable, complete snapshot of a cell after one change.

    Content and its hash live in separate columns so that a later redaction can blank the
    content while the hash chain stays verifiable.
    """

    __tablename__ = "cell_revision"
    __table_args__ = (
        UniqueConstraint("cell_id", "number"),
        # The latest revision of each cell at a past time (grid as of T).
        Index("ix_cell_revision_cell_id_created_at", "cell_id", "created_at"),
        # The grid's feed, newest first, and the live poll's cursor.
        Index("ix_cell_revision_grid_id_created_at", "grid_id", "created_at"),
        Index("ix_cell_revision_grid_id_id", "grid_id", "id"),
        # One person's changes, newest first (the feed filtered by person).
        Index("ix_cell_revision_author_id_created_at", "author_id", "created_at"),
        # The few revisions that left a cell empty (coverage over time finds them here).
        Index(
            "ix_cell_revision_emptied",
            "grid_id",
            "cell_id",
            "created_at",
            sqlite_where=sql_text(EMPTIED),
            postgresql_where=sql_text(EMPTIED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id", ondelete="CASCADE"))
    # Copied from the cell (which never moves grid) so the feed needs no join.
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20), default=RevisionKind.EDIT.value)
    text: Mapped[str] = mapped_column(Text, default="")
    # The text rendered when it was written, so past views need no Markdown rendering.
    # Derived from ``text`` and not hashed; None for revisions written before it existed.
    html: Mapped[str | None] = mapped_column(Text, default=None)
    owner_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(String(200), default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))

    cell: Mapped[Cell] = relationship()
    author: Mapped[User | None] = relationship()


class AppliedSave(Base):
    """A save that was applied, remembered by the key of the form it came from.

    A form that saves a cell carries a random key, made when the form was drawn. When the
    answer to a save is lost and the same form is sent again, its key finds the save already
    made, and the repeat is answered as the first was instead of as a conflict with the
    person's own change. A key counts only for the person who sent it.
    """

    __tablename__ = "applied_save"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("cell_revision.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeKind(enum.StrEnum):
    """A change to a grid's structure."""

    ROW_ADDED = "row.added"
    ROW_RENAMED = "row.renamed"
    ROW_MOVED = "row.moved"
    ROW_ARCHIVED = "row.archived"
    ROW_RESTORED = "row.restored"
    COLUMN_ADDED = "column.added"
    COLUMN_RENAMED = "column.renamed"
    COLUMN_MOVED = "column.moved"
    COLUMN_ARCHIVED = "column.archived"
    COLUMN_RESTORED = "column.restored"


class GridChange(AppendOnly, Base):
    """An append-only record of one change to a grid's rows or columns.

    ``before`` and ``after`` hold what changed (a name, a position), so the change can be
    shown in the feed and undone by applying its inverse as a new change.
    """

    __tablename__ = "grid_change"
    __table_args__ = (Index("ix_grid_change_grid_id_created_at", "grid_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    row_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_row.id", ondelete="CASCADE"), index=True
    )
    column_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_column.id", ondelete="CASCADE"), index=True
    )
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The change this one undid, if it is an undo.
    undoes_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_change.id", ondelete="SET NULL"), default=None
    )

    row: Mapped[ServiceArea | None] = relationship()
    column: Mapped[GridColumn | None] = relationship()
    author: Mapped[User | None] = relationship()


class RedactionStatus(enum.StrEnum):
    """Where a request to redact stands."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    UNDONE = "undone"


class Redaction(Base):
    """A request, by a manager or admin, to replace what a revision or a comment says with a
    notice ("Redacted on DATE: REASON"); a different admin approves or declines it.

    An approved redaction of a revision is sealed (``mac``, keyed like the history) over the
    revision's content hash, owners and the notice, and the cell's head over its redacted
    revisions, so verify-history accepts the notice in place of the words and still reports
    any other change, or the words put back without an admin. The words are kept here, seen
    by nobody, only so that an admin can undo the redaction.
    """

    __tablename__ = "redaction"
    __table_args__ = (Index("ix_redaction_cell_id_status", "cell_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Exactly one of revision_id and comment_id; cell_id is the revision's cell.
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("cell_revision.id", ondelete="CASCADE"), index=True
    )
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cell.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(
        String(12), default=RedactionStatus.REQUESTED.value, index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    notice: Mapped[str] = mapped_column(Text, default="")
    mac: Mapped[str] = mapped_column(String(64), default="")
    # What the notice replaced: the words, their HTML, and a comment's earlier wordings.
    hidden_text: Mapped[str | None] = mapped_column(Text, default=None)
    hidden_html: Mapped[str | None] = mapped_column(Text, default=None)
    hidden_earlier: Mapped[list[Any] | None] = mapped_column(JSON, default=None)

    revision: Mapped[CellRevision | None] = relationship()
    cell: Mapped[Cell | None] = relationship()
    comment: Mapped[Comment | None] = relationship("Comment")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class HistoryPermit(Base):
    """Lets one transaction change or delete rows of ``cell_revision`` and ``grid_change``.

    The database refuses any UPDATE or DELETE of those rows (see ``APPEND_ONLY_TRIGGERS``)
    unless this table holds a permit for the current transaction. A redaction, the one
    rewrite ever intended, does its work in a single transaction::

        INSERT INTO history_permit (txid) VALUES (txid_current());  -- SQLite: VALUES (0)
        UPDATE cell_revision SET text = '', html = '' WHERE id = …;  -- Core, not the ORM
        DELETE FROM history_permit;

    and commits only with the permit gone; the ORM refuses such changes whatever the
    database allows (``AppendOnly``). On PostgreSQL a permit counts only in its own
    transaction; on SQLite any row counts, so verify-history reports one left behind.
    """

    __tablename__ = "history_permit"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


# The database, not only this app's sessions (``AppendOnly``), refuses to rewrite history, so
# a plain SQL UPDATE or DELETE fails too. Created with the tables by ``create_all`` and by the
# migrations. A migration that rebuilds one of these tables on SQLite (batch mode) drops its
# triggers and must create them again.
APPEND_ONLY_TRIGGERS = {
    "postgresql": (
        """CREATE OR REPLACE FUNCTION refuse_history_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM history_permit WHERE txid = txid_current()) THEN
        RAISE EXCEPTION USING
            MESSAGE = TG_TABLE_NAME || ' rows are append-only',
            ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$""",
        "CREATE TRIGGER %(table)s_append_only BEFORE UPDATE OR DELETE ON %(table)s "
        "FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite()",
    ),
    "sqlite": tuple(
        f"CREATE TRIGGER %(table)s_no_{verb.lower()} BEFORE {verb} ON %(table)s "
        "WHEN NOT EXISTS (SELECT 1 FROM history_permit) "
        "BEGIN SELECT RAISE(ABORT, '%(table)s rows are append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ),
}

for _table in (CellRevision.__table__, GridChange.__table__):
    for _dialect, _statements in APPEND_ONLY_TRIGGERS.items():
        for _statement in _statements:
            event.listen(_table, "after_create", DDL(_statement).execute_if(dialect=_dialect))


# Nobody named in the history is ever deleted: deleting them would null a revision's author
# (covered by its chain hash) or drop them from a cell's owners (covered by its content
# hash). The database refuses such a DELETE; a person who must go is erased instead, which
# keeps the row under a placeholder name (grid_app/people/erasure.py).
_NAMED_IN_HISTORY = (
    "EXISTS (SELECT 1 FROM cell_revision WHERE author_id = OLD.id) "
    "OR EXISTS (SELECT 1 FROM cell_owner WHERE user_id = OLD.id) "
    "OR EXISTS (SELECT 1 FROM grid_change WHERE author_id = OLD.id)"
)
KEEP_HISTORY_AUTHORS_TRIGGERS = {
    "postgresql": (
        f"""CREATE OR REPLACE FUNCTION refuse_deleting_history_people() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {_NAMED_IN_HISTORY} THEN
        RAISE EXCEPTION USING
            MESSAGE = 'people named in the history are erased, never deleted',
            ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END
$$""",
        "CREATE TRIGGER user_account_keeps_history BEFORE DELETE ON user_account "
        "FOR EACH ROW EXECUTE FUNCTION refuse_deleting_history_people()",
    ),
    "sqlite": (
        "CREATE TRIGGER user_account_keeps_history BEFORE DELETE ON user_account "
        f"WHEN {_NAMED_IN_HISTORY} "
        "BEGIN SELECT RAISE(ABORT, 'people named in the history are erased, never deleted'); "
        "END",
    ),
}

# After every table exists, since the trigger reads three of them.
for _dialect, _statements in KEEP_HISTORY_AUTHORS_TRIGGERS.items():
    for _statement in _statements:
        event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
