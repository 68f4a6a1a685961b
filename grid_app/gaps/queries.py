"""Read models of gap flags; each loads what its page needs in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import joinedload

from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.gaps.models import OPEN_STATUSES, CellFlagTally, GapFlag, GapFlagEvent, GapSeverity
from grid_app.grid.models import Cell, Grid, ServiceArea
from grid_app.grid.queries import (
    Badge,
    FeedEntry,
    FeedFilters,
    cell_address,
    feed_cells,
    narrow_feed,
)

OPEN_VALUES = [s.value for s in OPEN_STATUSES]
# High first: the order managers triage in.
_SEVERITY_ORDER = case(
    {GapSeverity.HIGH.value: 0, GapSeverity.MEDIUM.value: 1, GapSeverity.LOW.value: 2},
    value=GapFlag.severity,
)


def flag_by_id(flag_id: int) -> GapFlag:
    """A flag with its cell (row, column, grid), owner and the person who raised it."""
    flag = db.session.scalar(
        select(GapFlag)
        .where(GapFlag.id == flag_id)
        .options(
            joinedload(GapFlag.cell).joinedload(Cell.row).joinedload(ServiceArea.grid),
            joinedload(GapFlag.cell).joinedload(Cell.column),
            joinedload(GapFlag.owner),
            joinedload(GapFlag.raised_by),
        )
    )
    if flag is None:
        raise NotFound("There is no such gap flag.")
    return flag


def cell_flags(cell: Cell) -> list[GapFlag]:
    """Every flag on ``cell``: open ones first, then closed, each newest first."""
    still_open = case((GapFlag.status.in_(OPEN_VALUES), 0), else_=1)
    return list(
        db.session.scalars(
            select(GapFlag)
            .where(GapFlag.cell_id == cell.id)
            .options(joinedload(GapFlag.owner), joinedload(GapFlag.raised_by))
            .order_by(still_open, GapFlag.created_at.desc(), GapFlag.id.desc())
        )
    )


def timeline(flag: GapFlag) -> list[GapFlagEvent]:
    """What happened to ``flag``, oldest first."""
    return list(
        db.session.scalars(
            select(GapFlagEvent)
            .where(GapFlagEvent.flag_id == flag.id)
            .options(joinedload(GapFlagEvent.actor), joinedload(GapFlagEvent.owner))
            .order_by(GapFlagEvent.id)
        )
    )


@dataclass(frozen=True)
class FlagFilters:
    """What the grid-wide list is narrowed to: a severity (or any) and a status.

    ``status`` is a GapStatus value, "open-any" for any status that still needs work, or
    "" for every flag, closed ones included.
    """

    severity: str = ""
    status: str = "open-any"


def grid_flags(grid: Grid, filters: FlagFilters) -> list[GapFlag]:
    """The grid's flags matching ``filters``, most severe first, then oldest first."""
    query = (
        select(GapFlag)
        .where(GapFlag.grid_id == grid.id)
        .options(
            joinedload(GapFlag.cell).joinedload(Cell.row),
            joinedload(GapFlag.cell).joinedload(Cell.column),
            joinedload(GapFlag.owner),
        )
        .order_by(_SEVERITY_ORDER, GapFlag.created_at, GapFlag.id)
    )
    if filters.status == "open-any":
        query = query.where(GapFlag.status.in_(OPEN_VALUES))
    elif filters.status:
        query = query.where(GapFlag.status == filters.status)
    if filters.severity:
        query = query.where(GapFlag.severity == filters.severity)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class OpenCount:
    """How many flags on a cell are still open, and how many of those are high."""

    total: int = 0
    high: int = 0

    def words(self) -> str:
        """ "2 open gap flags (1 high)", "1 open gap flag", "no open gap flags"."""
        if not self.total:
            return "no open gap flags"
        text = f"{self.total} open gap flag{'' if self.total == 1 else 's'}"
        return f"{text} ({self.high} high)" if self.high else text


# Built once, with bound parameters: every grid page runs it, and building a statement
# costs the ORM more than running it.
_OPEN_COUNTS = select(
    CellFlagTally.cell_id, CellFlagTally.open_flags, CellFlagTally.open_high
).where(CellFlagTally.grid_id == bindparam("grid_id"), CellFlagTally.open_flags > 0)
_CELL_OPEN_COUNTS = _OPEN_COUNTS.where(CellFlagTally.cell_id == bindparam("cell_id"))


def open_counts(grid: Grid, cell_id: int | None = None) -> dict[int, OpenCount]:
    """Open flags per cell of ``grid`` (or of one cell), from the cells' tallies."""
    found = (
        db.session.execute(_OPEN_COUNTS, {"grid_id": grid.id})
        if cell_id is None
        else db.session.execute(_CELL_OPEN_COUNTS, {"grid_id": grid.id, "cell_id": cell_id})
    )
    return {cell: OpenCount(total, high) for cell, total, high in found}


def count_open(cell_id: int) -> dict[str, int]:
    """Count one cell's open flags, in all and by severity, from the flags themselves (to
    keep its tally true): the tally's columns and their values."""
    by_severity: dict[str, int] = dict(
        db.session.execute(
            select(GapFlag.severity, func.count(GapFlag.id))
            .where(GapFlag.cell_id == cell_id, GapFlag.status.in_(OPEN_VALUES))
            .group_by(GapFlag.severity)
        ).all()
    )
    return {
        "open_flags": sum(by_severity.values()),
        **{f"open_{severity}": by_severity.get(severity, 0) for severity in GapSeverity},
    }


def cell_badges(grid: Grid, cell_id: int | None = None) -> dict[int, list[Badge]]:
    """The grid's cell badges: each cell's open flags, in words, linking to its flags."""
    badges: dict[int, list[Badge]] = defaultdict(list)
    address = cell_address("gaps.cell_flags")
    for cell, count in open_counts(grid, cell_id).items():
        badges[cell].append(
            Badge(
                label=count.words(),
                href=address(cell),
                modifier="gaps-high" if count.high else "gaps",
            )
        )
    return badges


def cell_page_link(cell: Cell) -> Badge:
    """The cell page's link to its flags, saying how many are open."""
    count = open_counts(cell.row.grid, cell.id).get(cell.id, OpenCount())
    return Badge(
        label=f"Gap flags on this cell ({count.words()})",
        href=url_for("gaps.cell_flags", cell_id=cell.id),
        modifier="gaps-high" if count.high else "gaps",
    )


def feed_entries(grid: Grid, filters: FeedFilters, wanted: int) -> list[FeedEntry]:
    """The newest steps in the grid's flags' timelines, for the activity feed."""
    query = (
        select(GapFlagEvent)
        .where(GapFlagEvent.grid_id == grid.id)
        .options(
            joinedload(GapFlagEvent.actor),
            joinedload(GapFlagEvent.flag).joinedload(GapFlag.cell).joinedload(Cell.row),
            joinedload(GapFlagEvent.flag).joinedload(GapFlag.cell).joinedload(Cell.column),
        )
        .limit(wanted)
    )
    query = narrow_feed(
        query, filters, at=GapFlagEvent.created_at, person=GapFlagEvent.actor_id, id=GapFlagEvent.id
    )
    cells = feed_cells(grid, filters)
    if cells is not None:
        flags = select(GapFlag.id).where(GapFlag.cell_id.in_(cells))
        query = query.where(GapFlagEvent.flag_id.in_(flags))
    return [
        FeedEntry(event.created_at, event.id, item=event, template="gaps/_feed_entry.html")
        for event in db.session.scalars(query).unique()
    ]
