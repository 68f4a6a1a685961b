"""Gap flags on cells and the append-only timeline of what happened to each."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.auth.models import User
from grid_app.database import AppendOnly, Base, utcnow
from grid_app.grid.models import Cell


class GapSeverity(enum.StrEnum):
    """How much a gap matters."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class GapStatus(enum.StrEnum):
    """Where a gap flag is in its workflow."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    WONT_FIX = "wont_fix"


# A flag in one of these still needs work; the others are closed.
OPEN_STATUSES = (GapStatus.OPEN, GapStatus.ACKNOWLEDGED, GapStatus.IN_PROGRESS)
# The condition of the partial indexes that hold open flags only.
OPEN_WHERE = "status IN ('open', 'acknowledged', 'in_progress')"

SEVERITY_LABELS = {
    GapSeverity.HIGH.value: "High",
    GapSeverity.MEDIUM.value: "Medium",
    GapSeverity.LOW.value: "Low",
}
STATUS_LABELS = {
    GapStatus.OPEN.value: "Open",
    GapStatus.ACKNOWLEDGED.value: "Acknowledged",
    GapStatus.IN_PROGRESS.value: "In progress",
    GapStatus.RESOLVED.value: "Resolved",
    GapStatus.WONT_FIX.value: "Won’t fix",
}
# What a step of a flag's timeline says its person did ("Mo Manager assigned it").
STEP_WORDS = {
    "raised": "flagged this gap",
    "acknowledged": "acknowledged it",
    "assigned": "assigned it",
    "started": "marked it as in progress",
    "resolved": "resolved it",
    "wont_fix": "closed it as won’t fix",
    "reopened": "reopened it",
}


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class GapFlag(Base):
    """An actionable marker on a cell: what is missing, how much it matters, who owns it."""

    __tablename__ = "gap_flag"
    __table_args__ = (
        # A cell's flags, newest first.
        Index("ix_gap_flag_cell_id_created_at", "cell_id", "created_at"),
        # A grid's open flags: the grid-wide list and the counts on every cell.
        Index("ix_gap_flag_grid_id_status", "grid_id", "status"),
        # The dashboard's overdue open flags, and its list by severity then age: read from
        # the index alone, however many flags closed.
        Index(
            "ix_gap_flag_open_by_due",
            "grid_id",
            "due_date",
            sqlite_where=sql_text(OPEN_WHERE),
            postgresql_where=sql_text(OPEN_WHERE),
        ),
        Index(
            "ix_gap_flag_open_by_severity",
            "grid_id",
            "severity",
            "created_at",
            "id",
            sqlite_where=sql_text(OPEN_WHERE),
            postgresql_where=sql_text(OPEN_WHERE),
        ),
        CheckConstraint(_one_of("severity", GapSeverity), name="severity"),
        CheckConstraint(_one_of("status", GapStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Copied from the cell (which never moves grid) so grid-wide lists need no join.
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id", ondelete="CASCADE"))
    what_is_missing: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=GapStatus.OPEN.value)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    due_date: Mapped[date | None] = mapped_column(default=None)
    raised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(default=1)

    # Two managers acting on one flag at once: the second UPDATE finds another version.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    cell: Mapped[Cell] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])

    @property
    def is_open(self) -> bool:
        """True while the flag still needs work."""
        return self.status in OPEN_STATUSES


class GapFlagEvent(AppendOnly, Base):
    """One step in a flag's timeline, written with the change it records; never altered."""

    __tablename__ = "gap_flag_event"
    __table_args__ = (
        Index("ix_gap_flag_event_flag_id_id", "flag_id", "id"),
        # A grid's newest steps: the activity feed.
        Index("ix_gap_flag_event_grid_id_created_at", "grid_id", "created_at"),
        # Steps in a time range, whichever grid they belong to.
        Index("ix_gap_flag_event_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("gap_flag.id", ondelete="CASCADE"))
    # Copied from the flag (which never moves grid) so the feed reads a grid's steps in time
    # order through one index.
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # The owner and due date the flag had after this step.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    due_date: Mapped[date | None] = mapped_column(default=None)

    flag: Mapped[GapFlag] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


class CellFlagTally(Base):
    """How many open gap flags a cell has, in all and by severity, recounted with every
    change.

    The grid page and the dashboard read one small row per cell from here instead of
    counting flags.
    """

    __tablename__ = "cell_flag_tally"

    cell_id: Mapped[int] = mapped_column(
        ForeignKey("cell.id", ondelete="CASCADE"), primary_key=True
    )
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
    open_flags: Mapped[int] = mapped_column(default=0)
    open_high: Mapped[int] = mapped_column(default=0)
    open_medium: Mapped[int] = mapped_column(default=0)
    open_low: Mapped[int] = mapped_column(default=0)


class FlagDayTally(Base):
    """How a grid's open gap flags of one severity changed on one day (UTC): +1 for each
    step into an open status, -1 for each step out of one; kept with every step.

    The dashboard's weekly chart reads a row per day and severity from here instead of
    every step of half a year.
    """

    __tablename__ = "flag_day_tally"

    grid_id: Mapped[int] = mapped_column(
        ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    severity: Mapped[str] = mapped_column(String(10), primary_key=True)
    net: Mapped[int] = mapped_column(default=0)
